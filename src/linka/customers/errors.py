"""Customer errors: each says which record, which field and what was expected."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from linka.kernel.errors import LinkaError

SHOWN_ISSUES = 30


@dataclass(frozen=True, slots=True, order=True)
class FieldIssue:
    """One problem with one input field; ``row`` is the 0-based index of the input row
    (``None`` when a single record was given), so importers can name their file line."""

    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def problems(count: int) -> str:
    return f"{count} problem" if count == 1 else f"{count} problems"


def row_label(row: int | None) -> str:
    return "input" if row is None else f"row {row + 1}"


class InvalidInputError(LinkaError):
    """Input was refused; nothing was stored. ``issues`` lists every problem found."""

    def __init__(
        self,
        issues: Sequence[FieldIssue],
        what: str = "input",
        label: Callable[[int | None], str] = row_label,
    ) -> None:
        self.issues = sorted(issues, key=lambda i: (i.row is not None, i.row or 0))
        lines = [
            f"  {issue}" if issue.row is None else f"  {label(issue.row)}: {issue}"
            for issue in self.issues[:SHOWN_ISSUES]
        ]
        if len(self.issues) > SHOWN_ISSUES:
            lines.append(f"  … and {len(self.issues) - SHOWN_ISSUES} more")
        super().__init__(f"{what} refused ({problems(len(self.issues))}):\n" + "\n".join(lines))


class CustomerNotFoundError(LinkaError):
    def __init__(self, number: str | None = None, *, customer_id: int | None = None) -> None:
        what = f"number {number!r}" if number is not None else f"id {customer_id}"
        super().__init__(f"no customer with {what}: see `linka customers list`")


class AccountNotFoundError(LinkaError):
    def __init__(self, number: str) -> None:
        super().__init__(
            f"no billing account with number {number!r}: `linka customers show` lists them"
        )


class ContactNotFoundError(LinkaError):
    def __init__(self, contact_id: int) -> None:
        super().__init__(f"no contact with id {contact_id}")


class NumberingExhaustedError(LinkaError):
    """The public number range ran out (a configuration problem, not bad input)."""
