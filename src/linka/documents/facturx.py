"""Factur-X (ZUGFeRD 2): the PDF bill as PDF/A-3 with its EN 16931 CII XML inside.

One file serves both readers: a person sees the same itemised bill as
:func:`linka.documents.pdf.render_pdf`, an accounting system reads ``factur-x.xml``. Typst
writes the PDF as PDF/A-3b; the factur-x library (Akretion) attaches the XML with the
``Data`` relationship and writes the XMP metadata that declares the Factur-X profile
(EN 16931). The XML is validated before it is attached (see :mod:`linka.documents.cii`).
"""

from __future__ import annotations

from facturx import generate_from_binary, get_xml_from_pdf

from linka.documents.cii import build_cii
from linka.documents.errors import DocumentError
from linka.documents.model import DocumentKind, InvoiceDocument
from linka.documents.pdf import thread_renderer

PDF_STANDARD = "a-3b"
LEVEL = "en16931"
ATTACHMENT = "factur-x.xml"


def render_facturx(document: InvoiceDocument) -> bytes:
    """The Factur-X PDF/A-3 of an invoice or credit note, with the CII XML embedded."""
    xml = build_cii(document)
    pdf = thread_renderer().render(document, pdf_standard=PDF_STANDARD)
    credit = document.kind is DocumentKind.CREDIT_NOTE
    title = ("Credit note" if credit else "Invoice") + f" {document.number}"
    metadata = {
        "author": document.supplier.name,
        "keywords": "Factur-X, EN 16931",
        "title": title,
        "subject": f"{title}, {document.supplier.name}",
    }
    try:
        result: bytes = generate_from_binary(
            pdf,
            xml,
            flavor="factur-x",
            level=LEVEL,
            check_xsd=False,  # build_cii validated it against the same XSD
            pdf_metadata=metadata,
            lang=document.language,
            afrelationship="data",
        )
    except Exception as error:  # the library raises bare Exception on bad input
        raise DocumentError(f"document {document.number}: Factur-X failed: {error}") from error
    return result


def embedded_xml(pdf: bytes) -> bytes:
    """The Factur-X XML inside a PDF (for checks and for customers who upload one)."""
    name, xml = get_xml_from_pdf(pdf, check_xsd=False)
    if not name or xml is None:
        raise DocumentError("the PDF has no Factur-X XML attachment")
    data: bytes = xml
    return data
