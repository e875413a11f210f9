"""Documents: invoices and credit notes rendered as PDF, ISDOC 6.0.2, UBL 2.1 and Factur-X.

Renderers take an :class:`~linka.documents.model.InvoiceDocument` — final figures computed
by billing — and lay it out; they never compute money. Every XML they write is validated
against its official schema before it leaves the renderer.
"""
