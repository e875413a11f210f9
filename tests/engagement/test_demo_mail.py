"""The demo's own messages over real SMTP: an invoice e-mail carries the invoice's PDF as
the export wrote it, and it waits in the outbox until that file exists."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from linka.demo.operator import build_demo
from linka.engagement.model import MessageChannel
from linka.engagement.services import deliver_pending
from linka.engagement.tables import OutboxMessageRow
from linka.kernel.clock import FakeClock
from linka.store.database import Database
from tests.engagement.conftest import SmtpServer
from tests.engagement.test_email import parsed, transport


def test_the_demo_mails_invoices_with_their_pdf_and_receipts(
    sqlite_db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    build_demo(sqlite_db, data, seed=3, customers=12, records=1_000, documents=False)
    with sqlite_db.session() as session:
        invoice_mail = session.scalars(
            select(OutboxMessageRow)
            .where(OutboxMessageRow.kind == "invoice_issued", OutboxMessageRow.status == "pending")
            .order_by(OutboxMessageRow.id)
        ).first()
        assert invoice_mail is not None
        number = invoice_mail.dedupe_key.removeprefix("invoice-issued:")
        receipts = session.scalars(
            select(OutboxMessageRow.id).where(OutboxMessageRow.kind == "payment_received")
        ).all()
        assert receipts  # the customers who paid and take e-mail were told so
    clock = FakeClock(invoice_mail.created_at + timedelta(days=60))
    smtp = {MessageChannel.EMAIL: transport(smtp_server, data, clock)}
    # without the PDF on disk the invoice e-mail is not sent, only retried later
    report = deliver_pending(sqlite_db, smtp, clock, limit=500)
    with sqlite_db.session() as session:
        row = session.get_one(OutboxMessageRow, invoice_mail.id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error is not None
        assert f"{number}.pdf" in row.last_error
    assert report.sent > 0  # receipts and reminders have no attachment
    # once the export has written it, the next attempt carries it
    pdf = b"%PDF-1.7 the demo invoice"
    (data / "documents").mkdir(exist_ok=True)
    (data / "documents" / f"{number}.pdf").write_bytes(pdf)
    clock.advance(timedelta(days=1))
    deliver_pending(sqlite_db, smtp, clock, limit=500)
    mails = [parsed(m.content) for m in smtp_server.mailbox.messages]
    (mail,) = [m for m in mails if number in str(m["Subject"])]
    (attachment,) = mail.iter_attachments()
    assert attachment.get_filename() == f"{number}.pdf"
    assert attachment.get_content() == pdf
