"""The compiled prefix trie finds the same longest prefix as a plain string search."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from linka.rating.lookup import PrefixIndex

prefix_sets = st.lists(
    st.lists(st.text("0123456789", min_size=0, max_size=9), max_size=12, unique=True).map(sorted),
    min_size=1,
    max_size=3,
)


def longest(prefixes: list[str], number: int) -> int:
    digits = str(number) if 0 < number < 10**15 else ""
    found = [p for p in prefixes if digits.startswith(p) and (digits or p == "")]
    return prefixes.index(max(found, key=len)) if found else -1


@settings(max_examples=200, deadline=None)
@given(data=st.data(), sets=prefix_sets)
def test_lookup_equals_plain_longest_prefix(data: st.DataObject, sets: list[list[str]]):
    index = PrefixIndex.build(sets)
    known = [p for s in sets for p in s if p]
    numbers, chosen = [], []
    for _ in range(data.draw(st.integers(1, 40))):
        head = data.draw(st.sampled_from(known)) if known and data.draw(st.booleans()) else ""
        tail = data.draw(st.text("0123456789", max_size=15 - len(head)))
        text = (head + tail).lstrip("0")
        number = int(text) if text else data.draw(st.sampled_from([0, -1, 10**15, 10**16]))
        numbers.append(number)
        chosen.append(data.draw(st.integers(-1, len(sets) - 1)))
    found = index.lookup(np.array(chosen, dtype=np.int64), np.array(numbers, dtype=np.int64))
    for set_no, number, result in zip(chosen, numbers, found.tolist(), strict=True):
        want = -1 if set_no < 0 else longest(sets[set_no], number)
        assert result == want, (set_no, number)
