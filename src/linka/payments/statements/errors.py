"""Why a statement file was refused: the file, the record, the field and what was expected."""

from __future__ import annotations

from linka.kernel.errors import LinkaError


class StatementError(LinkaError):
    """A statement file is corrupt or inconsistent; none of it was read.

    ``record`` locates the problem as the format allows: ``line 7`` in GPC and MT940,
    ``entry 3 (line 57)`` or ``statement S-1 (line 4)`` in camt XML.
    """

    def __init__(self, file: str, record: str, field: str, expected: str) -> None:
        self.file = file
        self.record = record
        self.field = field
        self.expected = expected
        super().__init__(f"{file}: {record}: {field}: {expected}")
