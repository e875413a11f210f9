"""Documents: invoices and credit notes rendered as PDF, ISDOC 6.0.2, UBL 2.1 and Factur-X.

Renderers take an :class:`~linka.documents.model.InvoiceDocument` — final figures computed
by billing — and lay it out; they never compute money. Every XML they write is validated
against its official schema before it leaves the renderer.

Entry points (import from the modules; they load Typst, lxml and segno only when used):
``spayd.build_spayd`` / ``spayd.validate_spayd``, ``pdf.render_pdf`` / ``pdf.render_pdfs`` /
``pdf.render_png``, ``isdoc.build_isdoc``, ``ubl.build_ubl``, ``cii.build_cii`` and
``facturx.render_facturx``. See docs/documents.md.
"""
