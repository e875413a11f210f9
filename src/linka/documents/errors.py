"""Errors a renderer raises: the document cannot be written, or what it wrote is not valid.

Renderers refuse rather than emit a document a bank, an accounting system or a tax office
would reject later, far from the bill run that could still fix it. Each error names the
document number and says what is wrong in words an operator can act on.
"""

from __future__ import annotations


class DocumentError(ValueError):
    """The :class:`~linka.documents.model.InvoiceDocument` cannot be rendered in this format."""


class SpaydError(DocumentError):
    """No valid QR Platba (SPAYD) string can be made for this document."""


class InvalidDocumentError(DocumentError):
    """A generated XML document failed validation against its official schema or rules.

    This is a bug in a renderer or data the model allowed but the format does not; the
    document is not handed out. ``problems`` lists each finding (with its line in the XML).
    """

    def __init__(self, what: str, number: str, problems: list[str]) -> None:
        self.what = what
        self.number = number
        self.problems = problems
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{what} for document {number} is not valid: {shown}{more}")
