"""Reading catalog YAML with line numbers, so validation errors can point at a line.

Numbers are read as text and parsed as ``Decimal`` by the models: YAML's float type would
turn 0.1 into a binary approximation before we ever saw it. A position index maps each
key path (``offerings[2].recurring_fees[0].amount``) to the line it starts on.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from linka.catalog.errors import CatalogIssue

Path_ = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class _TextNumberLoader(yaml.SafeLoader):
    """SafeLoader that leaves floats as text and knows only true/false as booleans.

    YAML 1.1 would read ``NO`` (Norway) or ``off`` as false; we follow YAML 1.2 here.
    """


_BOOL = "tag:yaml.org,2002:bool"
_TextNumberLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp) for tag, regexp in resolvers if tag not in {"tag:yaml.org,2002:float", _BOOL}
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_TextNumberLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _index(node: yaml.Node, path: Path_, positions: dict[Path_, int]) -> None:
    positions[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            key_path = (*path, str(key.value))
            positions[key_path] = key.start_mark.line + 1
            _index(value, key_path, positions)
            positions[key_path] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), positions)


def format_path(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class YamlDocument:
    """One parsed YAML file with the line of every key path."""

    def __init__(self, path: Path, relative: str) -> None:
        self.relative = relative
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=_TextNumberLoader)
        self.positions: dict[Path_, int] = {}
        if node is not None:
            _index(node, (), self.positions)
        self.data: Any = yaml.load(text, Loader=_TextNumberLoader)

    def line_of(self, path: Path_) -> int | None:
        """Line of the deepest part of ``path`` the file actually has."""
        for end in range(len(path), -1, -1):
            line = self.positions.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def issue(self, path: Path_, message: str) -> CatalogIssue:
        return CatalogIssue(self.relative, self.line_of(path), format_path(path), message)

    def parse(self, model: type[M], issues: list[CatalogIssue]) -> M | None:
        """Validate the whole document as ``model``; add located issues on failure."""
        try:
            return model.model_validate(self.data if self.data is not None else {})
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
                issues.append(self.issue(loc, _message(error)))
            return None


def _is_union_tag(part: object) -> bool:
    """Pydantic inserts type names ('str', 'function-after[...]') into locations of unions."""
    return isinstance(part, str) and ("[" in part or part in {"str", "dict[str,str]"})


def _message(error: Any) -> str:
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        return "unknown field (check its spelling against docs/catalog.md)"
    if error["type"] == "missing":
        return "required field is missing"
    return message.removeprefix("Value error, ")


def load_yaml(root: Path, relative: str, issues: list[CatalogIssue]) -> YamlDocument | None:
    """Parse ``root/relative``; a syntax error becomes an issue with its line."""
    try:
        return YamlDocument(root / relative, relative)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        issues.append(CatalogIssue(relative, line, "", f"not valid YAML: {exc.problem}"))
    except UnicodeDecodeError:
        issues.append(CatalogIssue(relative, None, "", "not UTF-8 text"))
    return None
