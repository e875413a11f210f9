"""Reading a statement file of a named format: the one entry point imports use."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from linka.payments.statements.camt053 import parse_camt
from linka.payments.statements.checks import check_references
from linka.payments.statements.errors import StatementError
from linka.payments.statements.gpc import parse_gpc
from linka.payments.statements.model import Statement, StatementFormat
from linka.payments.statements.mt940 import parse_mt940

FORMATS = ", ".join(f.value for f in StatementFormat)


def parse_statement(
    data: bytes | BinaryIO, format: StatementFormat | str, name: str
) -> list[Statement]:
    """Every statement in ``data`` (the content of a file called ``name``), all or nothing.

    ``data`` may be a binary stream; the text formats read it whole.

    Raises :class:`StatementError` naming ``name``, the record and the field when
    anything is wrong; then nothing of the file should be used.
    """
    try:
        kind = StatementFormat(format)
    except ValueError:
        raise StatementError(
            name, "file", "format", f"{format!r}; expected one of {FORMATS}"
        ) from None
    if kind in (StatementFormat.CAMT053, StatementFormat.CAMT054):
        statements = parse_camt(data, name, kind)
    else:
        content = data if isinstance(data, bytes) else data.read()
        parse = parse_gpc if kind is StatementFormat.GPC else parse_mt940
        statements = parse(content, name)
    check_references(statements, name)
    return statements


def read_statement(path: str | Path, format: StatementFormat | str) -> list[Statement]:
    """Every statement in the file at ``path`` (``camt053``, ``camt054``, ``mt940`` or ``gpc``).

    One file can hold several statements (accounts or days). Errors name the file by
    its name, as the user gave it. XML is read as a stream, the text formats whole.
    """
    path = Path(path)
    try:
        with path.open("rb") as stream:
            if format in (StatementFormat.CAMT053, StatementFormat.CAMT054):
                return parse_statement(stream, format, path.name)
            data = stream.read()
    except OSError as exc:
        raise StatementError(path.name, "file", "path", f"cannot be read: {exc.strerror}") from None
    return parse_statement(data, format, path.name)
