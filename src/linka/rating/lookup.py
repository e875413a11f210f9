"""Longest-prefix match of E.164 numbers against many prefix tables at once.

Each table (one per tariff and service) compiles into a leaf-pushed multibit trie: the
first 6 digits of a number index a direct table of 10^6 slots, and slots under which
longer prefixes exist point to blocks of 10 slots for the next digit (and so on down to
15 digits). Every slot holds the longest prefix covering it, so a lookup is one array
read per number plus one per extra digit for the few numbers under long prefixes
(the walk itself is compiled: :func:`linka.rating.compiled.longest_prefixes`).
Memory: 4 MB per table plus 40 bytes per deep trie node.

Numbers shorter than the digits read are padded with zeros; a padded match can be a
prefix longer than the number itself, which is fixed by walking to the entry's parent
(the longest shorter prefix of the same table) — the true match is always an ancestor.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from linka.rating.compiled import BLOCK_SLOTS, MAX_DIGITS, ROOT_DIGITS, longest_prefixes

NO_MATCH = -1

IntArray = npt.NDArray[np.int64]


class PrefixIndex:
    """Compiled prefix sets; a match is the position of the prefix in its (sorted) set."""

    def __init__(
        self,
        roots: npt.NDArray[np.int32],
        blocks: npt.NDArray[np.int32],
        set_root: npt.NDArray[np.int64],
        constant: npt.NDArray[np.int32],
        lengths: list[npt.NDArray[np.int32]],
        parents: list[npt.NDArray[np.int32]],
    ) -> None:
        self._roots = roots
        self._blocks = blocks
        self._set_root = set_root  # offset of each set's root table, -1: catch-all only
        self._constant = constant  # position of '' in each set (-1: none): the catch-all
        self._lengths = np.concatenate(lengths) if lengths else np.zeros(0, np.int32)
        self._parents = np.concatenate(parents) if parents else np.zeros(0, np.int32)
        self._offsets = np.cumsum([0] + [len(x) for x in lengths])[:-1].astype(np.int64)
        # per set, with a last element for "no set" (-1): root offset (-1: no trie)
        self._root_of = np.append(set_root, -1).astype(np.int64)
        self._constant_of = np.append(constant, NO_MATCH).astype(np.int64)
        self._longest = int(self._lengths.max()) if len(self._lengths) else 0

    @classmethod
    def build(cls, prefix_sets: list[list[str]]) -> PrefixIndex:
        """Compile sets of prefixes, each sorted and without duplicates."""
        set_root = np.full(len(prefix_sets), -1, dtype=np.int64)
        constant = np.full(len(prefix_sets), NO_MATCH, dtype=np.int32)
        roots: list[npt.NDArray[np.int32]] = []
        blocks: list[int] = []  # flat: block b occupies blocks[b*10 : b*10+10]
        all_lengths: list[npt.NDArray[np.int32]] = []
        all_parents: list[npt.NDArray[np.int32]] = []
        for number, prefixes in enumerate(prefix_sets):
            if prefixes != sorted(set(prefixes)):
                raise ValueError("a prefix set must be sorted and free of duplicates")
            for prefix in prefixes:
                if len(prefix) > MAX_DIGITS or not (prefix == "" or prefix.isdigit()):
                    raise ValueError(f"not an E.164 prefix: {prefix!r}")
            position = {prefix: i for i, prefix in enumerate(prefixes)}
            parents = np.full(len(prefixes), NO_MATCH, dtype=np.int32)
            for i, prefix in enumerate(prefixes):
                for cut in range(len(prefix) - 1, -1, -1):
                    if prefix[:cut] in position:
                        parents[i] = position[prefix[:cut]]
                        break
            all_parents.append(parents)
            all_lengths.append(np.array([len(p) for p in prefixes], dtype=np.int32))
            constant[number] = position.get("", NO_MATCH)
            if prefixes in ([], [""]):
                continue
            set_root[number] = len(roots) * 10**ROOT_DIGITS
            root = np.full(10**ROOT_DIGITS, NO_MATCH, dtype=np.int32)
            roots.append(root)
            for i in sorted(range(len(prefixes)), key=lambda i: len(prefixes[i])):
                _insert(root, blocks, prefixes[i], i)
        root_array = np.concatenate(roots) if roots else np.zeros(0, dtype=np.int32)
        return cls(
            root_array,
            np.array(blocks, dtype=np.int32),
            set_root,
            constant,
            all_lengths,
            all_parents,
        )

    @property
    def kernel_arrays(self) -> tuple[object, ...]:
        """The compiled trie as the kernel walks it (see :mod:`linka.rating.compiled`)."""
        return (
            self._roots,
            self._blocks,
            self._root_of,
            self._constant_of,
            self._offsets,
            self._lengths,
            self._parents,
            self._longest,
        )

    def lookup(self, sets: IntArray, numbers: IntArray) -> IntArray:
        """Position of the longest prefix of each number within its set (-1: none).

        ``sets`` may be -1 (no set: -1). A missing number (0 or negative) matches only
        the catch-all prefix ''. A number is padded to 15 digits and read 6 digits at a
        time from its set's root table, then a digit at a time down the blocks; a match
        longer than the number itself walks up to its parent.
        """
        found = np.empty(len(numbers), dtype=np.int64)
        sets, numbers = np.asarray(sets, dtype=np.int64), np.asarray(numbers, dtype=np.int64)
        longest_prefixes(self.kernel_arrays, sets, numbers, found)
        return found


def _insert(root: npt.NDArray[np.int32], blocks: list[int], prefix: str, entry: int) -> None:
    """Leaf-push ``entry`` over every slot its prefix covers (called shortest prefix first).

    Shortest-first order means no slot a prefix covers can point to a deeper block yet
    (blocks open only for longer prefixes), so plain assignment is correct.
    """
    width = BLOCK_SLOTS
    if len(prefix) <= ROOT_DIGITS:
        span = 10 ** (ROOT_DIGITS - len(prefix))
        window = root[int(prefix or 0) * span : (int(prefix or 0) + 1) * span]
        if (window <= -2).any():
            raise AssertionError("prefixes must be inserted shortest first")
        window[:] = entry
        return
    head = int(prefix[:ROOT_DIGITS])
    pointer = int(root[head])
    if pointer > -2:  # a leaf: open a block that inherits it
        pointer = _open_block(blocks, pointer)
        root[head] = pointer
    for depth in range(ROOT_DIGITS, len(prefix) - 1):
        slot = (-pointer - 2) * width + int(prefix[depth])
        child = blocks[slot]
        if child > -2:
            child = _open_block(blocks, child)
            blocks[slot] = child
        pointer = child
    slot = (-pointer - 2) * width + int(prefix[-1])
    if blocks[slot] <= -2:
        raise AssertionError("prefixes must be inserted shortest first")
    blocks[slot] = entry


def _open_block(blocks: list[int], inherited: int) -> int:
    """Append a block whose slots all hold ``inherited``; return the pointer to it."""
    index = len(blocks) // BLOCK_SLOTS
    blocks.extend([inherited] * BLOCK_SLOTS)
    return -index - 2
