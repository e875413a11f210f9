"""SEPA direct debit: mandates, the pain.008 collection, returns and rejections, refunds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import xmlschema
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.billing.tables import InvoiceRow
from linka.customers.errors import AccountNotFoundError
from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.kernel.clock import FakeClock
from linka.payments.imports import import_payments
from linka.payments.ledger import balances, book_invoices, open_items
from linka.payments.model import IncomingPayment
from linka.payments.movements import LedgerMovementError
from linka.payments.sepa.debits import end_to_end_id, export_collections
from linka.payments.sepa.errors import SepaError
from linka.payments.sepa.mandates import add_mandate, list_mandates, revoke_mandate
from linka.payments.sepa.pain import Creditor, cents
from linka.payments.sepa.refunds import export_refunds, request_refund
from linka.payments.sepa.returns import (
    book_rejections,
    book_returns,
    read_status_report,
)
from linka.payments.sepa.tables import DirectDebitRow, MandateRow
from linka.payments.statements import StatementEntry, StatementFormat, read_statement
from linka.payments.tables import PaymentRow
from linka.settings import Settings
from linka.store.database import Database

D = Decimal
NOW = datetime(2026, 4, 14, 8, 0, tzinfo=UTC)
SCHEMAS = Path(__file__).parents[2] / ".venv/lib"
CREDITOR = Creditor.from_settings(Settings())
DEBTOR_IBAN = "DE89370400440532013000"
OTHER_IBAN = "AT611904300234573201"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


def clock() -> FakeClock:
    return FakeClock(NOW)


def open_account(
    session: Session, n: int, method: str = "direct_debit", currency: str = "EUR"
) -> BillingAccountRow:
    customer = CustomerRow(
        number=f"1000000{n}", segment="consumer", party_kind="person", name=f"Jana Veselá {n}",
        first_name="Jana", last_name="Veselá", created_at=NOW,
    )  # fmt: skip
    session.add(customer)
    session.flush()
    account = BillingAccountRow(
        customer_id=customer.id, number=f"2000000{n}", currency=currency, bill_cycle_day=1,
        payment_type="postpaid", payment_method=method, variable_symbol=f"2000000{n}",
        invoice_delivery="email", language="cs", tax_profile_id="domestic",
        timezone="Europe/Prague", iban=DEBTOR_IBAN, created_at=NOW,
    )  # fmt: skip
    session.add(account)
    session.flush()
    return account


def issue(
    session: Session, account: BillingAccountRow, number: int, due: date, amount: str
) -> InvoiceRow:
    """An issued invoice of ``amount``, booked in the ledger as billing books it."""
    invoice = InvoiceRow(
        account_id=account.id, kind="invoice", status="issued", series="FA", year=2026,
        number=number, number_text=f"FA2026{number:06d}", issue_date=date(2026, 4, 1),
        tax_point_date=date(2026, 3, 31), due_date=due, period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1), currency=account.currency, language="cs",
        tax_mode="domestic", notes=[], variable_symbol=f"2026{number:06d}",
        total_net=D(amount), total_vat=D(0), total_gross=D(amount), rounding=D(0),
        amount_due=D(amount), created_at=NOW, issued_at=NOW,
    )  # fmt: skip
    session.add(invoice)
    session.flush()
    book_invoices(session, [invoice.id], clock())
    return invoice


def credit(session: Session, reference: str, amount: str, symbol: str, message: str) -> None:
    """The bank statement credits ``amount`` (a collection, or a transfer)."""
    payment = IncomingPayment(
        reference=reference, booked_on=date(2026, 4, 15), amount=D(amount), currency="EUR",
        variable_symbol=symbol, counterparty_account=DEBTOR_IBAN,
        counterparty_name="Jana Veselá", message=message, statement="test",
    )  # fmt: skip
    import_payments(session, [payment], clock())


def open_of(session: Session, invoice: InvoiceRow) -> Decimal:
    items = open_items(session, [invoice.account_id]).get(invoice.account_id, [])
    return sum((i.open for i in items if i.invoice_id == invoice.id), D(0))


def transactions(path: Path) -> list[tuple[str, str, str, str, str]]:
    """(end-to-end id, amount, currency, sequence, mandate) of each debit in a pain.008."""
    root = etree.parse(str(path)).getroot()
    return [
        (
            tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
            tx.findtext("p:InstdAmt", namespaces=NS),
            tx.find("p:InstdAmt", namespaces=NS).get("Ccy"),
            tx.getparent().findtext("p:PmtTpInf/p:SeqTp", namespaces=NS),
            tx.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=NS),
        )
        for tx in root.iterfind(".//p:DrctDbtTxInf", namespaces=NS)
    ]


def schema(name: str) -> xmlschema.XMLSchema:
    import sepaxml

    return xmlschema.XMLSchema(str(Path(sepaxml.__file__).parent / "schemas" / f"{name}.xsd"))


CAMT054 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>NTF-1</MsgId><CreDtTm>2026-04-20T07:40:00</CreDtTm></GrpHdr>
<Ntfctn><Id>NTF-2026-04-20-1</Id><CreDtTm>2026-04-20T07:40:00</CreDtTm>
<Acct><Id><IBAN>CZ6508000000192000145399</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-04-20</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>
<RtrInf><Rsn><Cd>AM04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>
"""

PAIN002 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
<GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2026-04-14T18:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>{batch}</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId>
<GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>X</OrgnlPmtInfId>
<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>RJCT</TxSts>
<StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf></TxInfAndSts>
</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>
"""


@pytest.fixture
def debtor(db: Database) -> Database:
    """Account 20000001 pays by direct debit under mandate 20000001-1 with two invoices
    due 15 and 20 April; account 20000002 pays by transfer with one due 15 April."""
    with db.session() as session:
        account = open_account(session, 1)
        add_mandate(
            session, "20000001", iban=DEBTOR_IBAN, name="Jana Veselá", clock=clock(),
            signed_on=date(2026, 4, 2),
        )  # fmt: skip
        issue(session, account, 1, date(2026, 4, 15), "646.50")
        issue(session, account, 2, date(2026, 4, 20), "100.00")
        transfer = open_account(session, 2, method="bank_transfer")
        issue(session, transfer, 3, date(2026, 4, 15), "299.00")
    return db


def test_due_direct_debit_invoices_are_collected_once_first_then_recurring(
    debtor: Database, tmp_path: Path
) -> None:
    # when the debits of 15 April are exported
    with debtor.session() as session:
        files = export_collections(session, date(2026, 4, 15), tmp_path, CREDITOR, clock())
    # then one schema-valid pain.008 collects only the due direct-debit invoice, FRST
    assert len(files) == 1
    schema("pain.008.001.02").validate(str(files[0].path))
    assert transactions(files[0].path) == [("FA2026000001", "646.50", "EUR", "FRST", "20000001-1")]
    assert files[0].total == D("646.50")
    root = etree.parse(str(files[0].path)).getroot()
    assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "646.50"
    assert (
        root.findtext(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS)
        == "CZ30ZZZ27074358"
    )
    assert root.findtext(".//p:ReqdColltnDt", namespaces=NS) == "2026-04-15"
    assert root.findtext(".//p:BtchBookg", namespaces=NS) == "false"
    # and exporting the same date again adds nothing
    with debtor.session() as session:
        assert export_collections(session, date(2026, 4, 15), tmp_path, CREDITOR, clock()) == []
    # and the next invoice, due later, is collected as RCUR under the used mandate
    with debtor.session() as session:
        files = export_collections(session, date(2026, 4, 20), tmp_path, CREDITOR, clock())
        debits = session.scalars(select(DirectDebitRow).order_by(DirectDebitRow.id)).all()
        assert [(d.end_to_end_id, d.amount, d.sequence, d.status) for d in debits] == [
            ("FA2026000001", D("646.50"), "FRST", "submitted"),
            ("FA2026000002", D("100.00"), "RCUR", "submitted"),
        ]
    assert transactions(files[0].path) == [("FA2026000002", "100.00", "EUR", "RCUR", "20000001-1")]
    assert len(list(tmp_path.glob("pain.008-*.xml"))) == 2


def test_a_partly_paid_invoice_is_collected_for_the_rest_and_a_revoked_mandate_not_at_all(
    debtor: Database, tmp_path: Path
) -> None:
    # given 146.50 of the first invoice paid by transfer
    with debtor.session() as session:
        credit(session, "bank/1", "146.50", "2026000001", "transfer")
        files = export_collections(session, date(2026, 4, 15), tmp_path, CREDITOR, clock())
    assert transactions(files[0].path) == [("FA2026000001", "500.00", "EUR", "FRST", "20000001-1")]
    # when the mandate is revoked, the second invoice is not collected
    with debtor.session() as session:
        revoke_mandate(session, "20000001-1", clock())
        assert export_collections(session, date(2026, 4, 20), tmp_path, CREDITOR, clock()) == []
        assert [(m.reference, m.status, m.revoked_on) for m in list_mandates(session)] == [
            ("20000001-1", "revoked", date(2026, 4, 14))
        ]


def collect_and_credit(db: Database, tmp_path: Path) -> InvoiceRow:
    """Collect FA2026000001 on 15 April and import the bank's credit of it."""
    with db.session() as session:
        export_collections(session, date(2026, 4, 15), tmp_path, CREDITOR, clock())
        credit(session, "bank/77", "646.50", "2026000001", "FA2026000001 Linka Mobil s.r.o.")
        invoice = session.scalars(
            select(InvoiceRow).where(InvoiceRow.number_text == "FA2026000001")
        ).one()
        assert open_of(session, invoice) == 0
        session.expunge(invoice)
    return invoice


def test_a_returned_debit_from_a_camt054_reverses_the_payment_once(
    debtor: Database, tmp_path: Path
) -> None:
    # given the first invoice collected and the money credited
    invoice = collect_and_credit(debtor, tmp_path)
    with debtor.session() as session:
        assert balances(session, [invoice.account_id]) == {invoice.account_id: D("100.00")}
    # when a camt.054 returns the debit (AM04, insufficient funds)
    path = tmp_path / "return.xml"
    path.write_text(CAMT054.format(amount="646.50", ref="RET-1", e2e="FA2026000001"))
    entries = [e for s in read_statement(path, StatementFormat.CAMT054) for e in s.entries]
    with debtor.session() as session:
        report = book_returns(session, entries, clock())
        # then the payment is reversed: the invoice is open again, the balance owes it again
        assert (report.returned, report.already, report.unknown) == (1, 0, [])
        assert open_of(session, invoice) == D("646.50")
        assert balances(session, [invoice.account_id]) == {invoice.account_id: D("746.50")}
        debit = session.scalars(select(DirectDebitRow)).one()
        payment = session.scalars(select(PaymentRow)).one()
        assert (debit.status, debit.return_reason, debit.returned_on, debit.payment_id) == (
            "returned", "AM04", date(2026, 4, 20), payment.id,
        )  # fmt: skip
        assert payment.status == "returned"
    # when the same return arrives again (in the day's camt.053 too)
    with debtor.session() as session:
        again = book_returns(session, entries, clock())
        assert (again.returned, again.already) == (0, 1)
        assert balances(session, [invoice.account_id]) == {invoice.account_id: D("746.50")}
    # and the next export collects the invoice again as a second attempt
    with debtor.session() as session:
        files = export_collections(session, date(2026, 4, 20), tmp_path, CREDITOR, clock())
    assert transactions(files[0].path) == [
        ("FA2026000001-B", "646.50", "EUR", "RCUR", "20000001-1"),
        ("FA2026000002", "100.00", "EUR", "RCUR", "20000001-1"),
    ]


def test_a_return_the_ledger_cannot_place_is_reported_not_booked(
    debtor: Database, tmp_path: Path
) -> None:
    with debtor.session() as session:
        export_collections(session, date(2026, 4, 15), tmp_path, CREDITOR, clock())
    path = tmp_path / "return.xml"
    path.write_text(CAMT054.format(amount="646.50", ref="RET-1", e2e="FA2026000001"))
    unknown = tmp_path / "unknown.xml"
    unknown.write_text(CAMT054.format(amount="10.00", ref="RET-2", e2e="NOTOURS"))
    entries = [
        e for p in (path, unknown) for s in read_statement(p, StatementFormat.CAMT054)
        for e in s.entries
    ]  # fmt: skip
    with debtor.session() as session:
        report = book_returns(session, entries, clock())
        assert report.returned == 0
        assert report.unknown == [
            (
                "CZ6508000000192000145399/RET-1",
                "the collection of direct debit FA2026000001 is not booked as a payment: "
                "import the statement that credited it, then this return again",
            ),
            (
                "CZ6508000000192000145399/RET-2",
                "names no direct debit (end-to-end id) and no variable symbol",
            ),
        ]
        assert session.scalars(select(DirectDebitRow.status)).all() == ["submitted"]


def test_a_pain002_rejection_marks_the_debit_and_frees_the_mandate_for_frst(
    debtor: Database, tmp_path: Path
) -> None:
    with debtor.session() as session:
        [collected] = export_collections(session, date(2026, 4, 15), tmp_path, CREDITOR, clock())
    path = tmp_path / "pain002.xml"
    path.write_text(PAIN002.format(batch=collected.message_id, e2e="FA2026000001"))
    rejections = read_status_report(path)
    with debtor.session() as session:
        report = book_rejections(session, rejections, date(2026, 4, 14))
        assert (report.returned, report.already, report.unknown) == (1, 0, [])
        debit = session.scalars(select(DirectDebitRow)).one()
        assert (debit.status, debit.return_reason) == ("rejected", "AC04")
        mandate = session.scalars(select(MandateRow)).one()
        assert mandate.first_collected_on is None
        assert book_rejections(session, rejections, date(2026, 4, 14)).already == 1
    # an account closed (AC04) is not collected again; the invoice stays open for dunning
    with debtor.session() as session:
        files = export_collections(session, date(2026, 4, 20), tmp_path, CREDITOR, clock())
        invoice = session.scalars(select(InvoiceRow).where(InvoiceRow.number == 1)).one()
        assert open_of(session, invoice) == D("646.50")
    assert transactions(files[0].path) == [("FA2026000002", "100.00", "EUR", "FRST", "20000001-1")]


def test_a_refund_pays_the_credit_by_pain001_and_never_more(
    debtor: Database, tmp_path: Path
) -> None:
    # given 800.00 received on an account owing 746.50: 53.50 credit
    with debtor.session() as session:
        credit(session, "bank/5", "800.00", "20000001", "overpaid")
        # (the ledger prints the credit at its stored scale: 53.500000)
        with pytest.raises(
            LedgerMovementError,
            match=r"^refund of 53\.51 EUR exceeds the account's credit of 53\.50+ EUR$",
        ):
            request_refund(session, "20000001", D("53.51"), clock=clock())
    with debtor.session() as session:
        refund = request_refund(session, "20000001", D("53.50"), clock=clock())
        assert (refund.creditor_iban, refund.creditor_name, refund.end_to_end_id) == (
            DEBTOR_IBAN, "Jana Veselá", f"REFUND-{refund.id}",
        )  # fmt: skip
        assert balances(session, [refund.account_id]) == {refund.account_id: D(0)}
    with debtor.session() as session:
        [paid] = export_refunds(session, date(2026, 4, 14), tmp_path, CREDITOR, clock())
        assert export_refunds(session, date(2026, 4, 14), tmp_path, CREDITOR, clock()) == []
    schema("pain.001.001.03").validate(str(paid.path))
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
    root = etree.parse(str(paid.path)).getroot()
    tx = root.find(".//p:CdtTrfTxInf", namespaces=ns)
    assert tx.findtext("p:Amt/p:InstdAmt", namespaces=ns) == "53.50"
    assert tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns) == f"REFUND-{refund.id}"
    assert tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns) == DEBTOR_IBAN
    assert root.findtext(".//p:ReqdExctnDt", namespaces=ns) == "2026-04-14"


def test_bad_input_is_refused_with_a_clear_message(debtor: Database) -> None:
    with debtor.session() as session:
        with pytest.raises(SepaError, match="already has the active mandate 20000001-1"):
            add_mandate(session, "20000001", iban=OTHER_IBAN, name="Jana", clock=clock())
        with pytest.raises(SepaError) as bad_iban:
            add_mandate(session, "20000002", iban="DE89370400440532013001", name="X", clock=clock())
        assert str(bad_iban.value) == (
            "debtor IBAN 'DE89370400440532013001' is not a valid IBAN: Invalid checksum digits"
        )
        with pytest.raises(AccountNotFoundError):
            add_mandate(session, "29999999", iban=OTHER_IBAN, name="X", clock=clock())
        with pytest.raises(SepaError, match="no mandate with reference 'NOPE'"):
            revoke_mandate(session, "NOPE", clock())
        with pytest.raises(SepaError, match="mandate reference 'a b'"):
            add_mandate(
                session, "20000002", iban=OTHER_IBAN, name="X", clock=clock(), reference="a b"
            )
        with pytest.raises(SepaError, match=r"collection date 2026-04-13 is in the past"):
            export_collections(session, date(2026, 4, 13), Path("."), CREDITOR, clock())
        with pytest.raises(SepaError, match="a refund must be positive"):
            request_refund(session, "20000001", D("0"), clock=clock())
    with pytest.raises(SepaError, match="not a valid SEPA creditor identifier"):
        Creditor.from_settings(Settings(operator_sepa_creditor_id="CZ31ZZZ27074358"))


def test_amounts_and_end_to_end_ids() -> None:
    assert cents(D("646.50")) == 64650
    assert cents(D("0.01")) == 1
    with pytest.raises(SepaError, match="more than two decimals"):
        cents(D("1.005"))
    assert [end_to_end_id("FA2026000004", n) for n in (1, 2, 3)] == [
        "FA2026000004",
        "FA2026000004-B",
        "FA2026000004-C",
    ]


def test_a_reversed_transfer_is_found_by_symbol_and_amount_only_when_unambiguous(
    debtor: Database,
) -> None:
    # given the transfer account's invoice paid by a transfer of 299.00 with its symbol
    with debtor.session() as session:
        credit(session, "bank/3", "299.00", "2026000003", "invoice 3")
        invoice = session.scalars(select(InvoiceRow).where(InvoiceRow.number == 3)).one()
        assert open_of(session, invoice) == 0
    reversal = StatementEntry(
        reference="CZ65/REV-1", booking_date=date(2026, 4, 16), value_date=None,
        amount=D("-299.00"), currency="EUR", variable_symbol="2026000003",
        counterparty_account=DEBTOR_IBAN, reversal=True,
    )  # fmt: skip
    other_amount = replace(reversal, reference="CZ65/REV-2", amount=D("-300.00"))
    # when the bank reverses it (and another entry names no payment)
    with debtor.session() as session:
        report = book_returns(session, [reversal, other_amount], clock())
        # then that payment is returned and the invoice is open again; the other is reported
        assert (report.returned, report.already) == (1, 0)
        assert report.unknown == [
            (
                "CZ65/REV-2",
                "no payments of 300.00 EUR with variable symbol 2026000003: return it by hand",
            )
        ]
        assert open_of(session, invoice) == D("299.00")
        assert book_returns(session, [reversal], clock()).already == 1
