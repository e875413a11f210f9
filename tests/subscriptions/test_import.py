"""CSV import: all or nothing by default, --skip-invalid with a rejects file, dry runs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from linka.customers import services as customers
from linka.customers.tables import CustomerRow
from linka.store.database import Database
from linka.subscriptions.importing import ImportFileError, ImportReport, import_customers
from linka.subscriptions.tables import LineRow
from tests.customers.builders import ACTOR, clock, count

HEADER = (
    "customer_ref,customer_type,first_name,last_name,organisation_name,ico,dic,email,street,"
    "city,postal_code,country,account_ref,tax_profile,payment_type,msisdn,offering"
)
ROWS = [
    "N1,person,Jan,Novák,,,,jan@example.cz,,,,,,domestic,,601000001,mobile-basic",
    "N1,,,,,,,,,,,,,,,601000002,mobile-basic",
    "F1,organisation,,,Acme s.r.o.,25123890,CZ25123891,info@acme.cz,Dlouhá 5,Praha,11000,CZ,,"
    "domestic,,601000003,mobile-business",
    "P1,person,Eva,Nová,,,,eva@example.cz,,,,,,domestic,prepaid,601000004,mobile-prepaid",
    "P2,person,Iva,Malá,,,,jan@example.cz,,,,,,domestic,,601000005,mobile-basic",
    "F2,organisation,,,Beta a.s.,27074358,,beta@example.cz,Nová 1,Brno,60200,CZ,,domestic,,,",
]  # fmt: skip


def write(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def run(db: Database, path: Path, **options: object) -> ImportReport:
    with db.session() as session:
        return import_customers(session, path, clock=clock(), actor=ACTOR, **options)  # type: ignore[arg-type]


def test_by_default_one_bad_row_stores_nothing(
    db: Database, loaded_catalog: Path, tmp_path: Path
) -> None:
    report = run(db, write(tmp_path, ROWS))
    assert report.problems == [
        "in.csv:4: ico: IČO '25123890' fails the check-digit test: a digit is mistyped",
        "in.csv:6: email: duplicate e-mail jan@example.cz: also on in.csv:2",
    ]
    assert (report.imported, report.rows, report.rejected_rows, report.rejects_file) == (
        False,
        6,
        2,
        None,
    )
    assert count(db, CustomerRow) == 0
    assert not (tmp_path / "in.csv.rejects.csv").exists()


def test_skip_invalid_keeps_the_good_customers_and_writes_the_rejects(
    db: Database, loaded_catalog: Path, tmp_path: Path
) -> None:
    source = write(tmp_path, ROWS)
    report = run(db, source, skip_invalid=True)
    assert (report.imported, report.customers, report.accounts, report.lines) == (True, 3, 3, 3)
    assert report.rejects_file == tmp_path / "in.csv.rejects.csv"
    with db.session() as session:
        names = [c.name for c in customers.find_customers(session)[0]]
    assert names == ["Jan Novák", "Eva Nová", "Beta a.s."]
    assert count(db, LineRow) == 3
    with (tmp_path / "in.csv.rejects.csv").open(encoding="utf-8", newline="") as handle:
        rejects = list(csv.reader(handle))
    assert rejects[0] == [*HEADER.split(","), "source_line", "errors"]
    assert [r[-2:] for r in rejects[1:]] == [
        ["4", "ico: IČO '25123890' fails the check-digit test: a digit is mistyped"],
        ["6", "email: duplicate e-mail jan@example.cz: also on in.csv:2"],
    ]
    assert rejects[1][:-2] == ROWS[2].split(",")

    # when the rejects are corrected and imported as they are, they go in
    fixed = (tmp_path / "in.csv.rejects.csv").read_text(encoding="utf-8")
    fixed = fixed.replace("25123890", "25123891").replace(
        "Iva,Malá,,,,jan@example.cz", "Iva,Malá,,,,iva@example.cz"
    )
    again = write(tmp_path, fixed.splitlines()[1:], header=fixed.splitlines()[0], name="fix.csv")
    second = run(db, again)
    assert (second.imported, second.customers, second.rejected_rows) == (True, 2, 0)
    assert count(db, CustomerRow) == 5


def test_a_customer_is_rejected_whole_with_all_its_rows(
    db: Database, loaded_catalog: Path, tmp_path: Path
) -> None:
    rows = [ROWS[0], ROWS[1].replace("601000002", "601000001")]
    report = run(db, write(tmp_path, rows), skip_invalid=True)
    assert (report.customers, report.rejected_rows) == (0, 2)
    text = (tmp_path / "in.csv.rejects.csv").read_text(encoding="utf-8")
    assert text.splitlines()[1].endswith(",2,not imported: its customer has problems on in.csv:3")
    assert count(db, CustomerRow) == 0


def test_duplicates_against_the_database_are_found(
    db: Database, loaded_catalog: Path, tmp_path: Path
) -> None:
    run(db, write(tmp_path, [ROWS[0]], name="first.csv"))
    report = run(
        db,
        write(
            tmp_path,
            [
                "X,person,Petr,Malý,,,,JAN@example.cz,,,,,,domestic,,601000009,mobile-basic",
                "Y,person,Olga,Malá,,,,olga@example.cz,,,,,,domestic,,+420 601 000 001,"
                "mobile-basic",
            ],
            name="second.csv",
        ),
    )
    assert report.problems == [
        "second.csv:2: email: e-mail jan@example.cz belongs to customer 10000001",
        "second.csv:3: msisdn: MSISDN +420601000001 is in use by a line of account 20000001",
    ]


def test_a_dry_run_reports_and_stores_nothing(
    db: Database, loaded_catalog: Path, tmp_path: Path
) -> None:
    report = run(db, write(tmp_path, ROWS), dry_run=True, skip_invalid=True)
    assert (report.dry_run, report.imported, report.customers, report.rejected_rows) == (
        True,
        False,
        3,
        2,
    )
    assert report.rejects_file is None
    assert count(db, CustomerRow) == 0


def test_semicolons_quotes_and_line_numbers(
    db: Database, loaded_catalog: Path, tmp_path: Path
) -> None:
    header = "customer_ref;first_name;last_name;email;street;city;postal_code;country;tax_profile"
    rows = [
        '1;Jan;Novák;jan@example.cz;"Dlouhá 5\nvchod B";Praha;11000;CZ;domestic',
        "",
        "2;Eva;Nová;eva@;Krátká 1;Praha;11000;CZ;domestic",
        "3;Iva;Malá;iva@example.cz;;;;;domestic;extra",
    ]
    report = run(db, write(tmp_path, rows, header=header), skip_invalid=True)
    assert report.problems == [
        "in.csv:5: email: expected an e-mail address like name@example.cz, got 'eva@'",
        "in.csv:6: row: has 10 cells, but the header names 9 columns",
    ]
    assert (report.customers, report.lines, report.rejected_rows) == (1, 0, 2)
    rejects = (tmp_path / "in.csv.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[0] == header + ";source_line;errors"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "in.csv: the file is empty; expected a header line"),
        ("customer_ref,emial\n1,x\n", "in.csv:1: unknown column(s) 'emial'; expected column names"),
        ("email,email\n", "in.csv:1: column(s) email appear twice"),
    ],
)
def test_a_file_that_is_not_an_import_file_is_refused(
    db: Database, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFileError) as error:
        run(db, path)
    assert str(error.value).startswith(message)


def test_a_file_that_is_not_utf8_is_refused(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("email\nnovák@example.cz\n".encode("cp1250"))
    with pytest.raises(ImportFileError, match=r"in\.csv: not UTF-8 text"):
        run(db, path)
