"""Typed settings read from ``LINKA_*`` environment variables.

Settings describe the installation (where data lives, which database, how to log);
business rules (tariffs, taxes, dunning ladders) are data in the catalog, not settings.
``linka config`` prints every setting with its current value, default and meaning.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The installation's settings; each field's description is its documentation."""

    model_config = SettingsConfigDict(env_prefix="LINKA_", frozen=True, extra="ignore")

    data_dir: Path = Field(
        default=Path("./var"),
        description="Directory for the embedded database, the usage store and documents.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the database, e.g. postgresql+psycopg://user@host/db. "
            "Unset: a SQLite file linka.db in the data directory."
        ),
    )
    timezone: str = Field(
        default="Europe/Prague",
        description="Operator time zone used where an account or tariff names none.",
    )
    currency: str = Field(default="CZK", description="Operator's home currency (ISO 4217).")
    operator_name: str = Field(
        default="Linka Mobil s.r.o.", description="Operator (supplier) name on documents."
    )
    operator_ico: str = Field(default="27074358", description="Operator's IČO.")
    operator_dic: str = Field(default="CZ27074358", description="Operator's DIČ (VAT id).")
    operator_street: str = Field(default="Vinohradská 2405/190", description="Operator address.")
    operator_city: str = Field(default="Praha 3", description="Operator address: town.")
    operator_postal_code: str = Field(default="130 00", description="Operator address: PSČ.")
    operator_country: str = Field(default="CZ", description="Operator address: country.")
    operator_email: str = Field(default="fakturace@linka.example", description="Billing e-mail.")
    operator_phone: str = Field(default="+420 800 123 456", description="Customer care phone.")
    operator_registration: str = Field(
        default="Zapsaná v obchodním rejstříku vedeném Městským soudem v Praze, oddíl C, "
        "vložka 000000 (demo).",
        description="Commercial-register entry printed on documents.",
    )
    operator_bank_account: str = Field(
        default="2000145399/0800", description="Operator's account (Czech form) for payments."
    )
    operator_iban: str = Field(default="CZ6508000000192000145399", description="Its IBAN.")
    operator_bic: str = Field(default="GIBACZPX", description="Its BIC.")
    operator_bank_name: str = Field(default="Česká spořitelna, a.s.", description="Its bank.")
    operator_sepa_creditor_id: str = Field(
        default="CZ30ZZZ27074358",
        description="SEPA creditor identifier (CI) named in pain.008 direct debits.",
    )
    operator_brand_color: str = Field(
        default="#1d4f91",
        pattern=r"^#[0-9a-fA-F]{6}$",
        description="Colour of the brand block on PDF bills (#rrggbb).",
    )
    operator_logo: Path | None = Field(
        default=None, description="SVG file with the operator's logo for PDF bills."
    )
    invoice_due_days: int = Field(default=14, description="Days from issue to due date.")
    invoice_round_to_whole: bool = Field(
        default=True, description="Round CZK invoice totals to whole crowns (a rounding line)."
    )
    invoice_series: str = Field(default="FA", description="Number series of invoices.")
    bill_run_chunk: int = Field(
        default=10_000, gt=0, description="Accounts stored per transaction by a bill run."
    )
    credit_note_series: str = Field(default="DB", description="Number series of credit notes.")
    dunning_ladder: Path | None = Field(
        default=None,
        description="YAML file with the dunning ladder. Unset: the packaged default ladder.",
    )
    echo_sql: bool = Field(default=False, description="Log every SQL statement (debugging).")
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server that sends e-mail. Unset: e-mail messages wait in the outbox.",
    )
    smtp_port: int = Field(default=587, description="SMTP port (587 submission, 25 relay).")
    smtp_username: str | None = Field(
        default=None, description="SMTP login. Unset: no authentication."
    )
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(
        default=True, description="Upgrade the SMTP connection with STARTTLS before login."
    )
    smtp_from: str | None = Field(
        default=None,
        description="From address of e-mail. Unset: the operator name and billing e-mail.",
    )
    smtp_timeout: float = Field(default=30.0, gt=0, description="SMTP timeout in seconds.")
    kannel_url: str | None = Field(
        default=None,
        description=(
            "Kannel sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms. "
            "Unset: SMS messages wait in the outbox."
        ),
    )
    kannel_username: str | None = Field(default=None, description="Kannel sendsms-user name.")
    kannel_password: SecretStr | None = Field(default=None, description="Its password.")
    kannel_sender: str | None = Field(
        default=None, description="Sender of SMS (number or alphanumeric). Unset: Kannel's."
    )
    kannel_smsc: str | None = Field(
        default=None, description="Kannel smsc-id to route SMS through. Unset: Kannel routes."
    )
    kannel_timeout: float = Field(default=30.0, gt=0, description="Kannel timeout in seconds.")
    outbox_batch: int = Field(
        default=100, gt=0, description="Messages an outbox worker claims per batch."
    )
    outbox_max_attempts: int = Field(
        default=12, gt=0, description="Attempts before an outbox message is marked failed."
    )
    outbox_backoff_seconds: int = Field(
        default=60, gt=0, description="Wait after the first failed attempt; doubles each time."
    )
    outbox_backoff_max_seconds: int = Field(
        default=21_600, gt=0, description="Longest wait between two attempts (6 hours)."
    )
    prepaid_credit_validity_days: int | None = Field(
        default=None,
        gt=0,
        description="Days prepaid credit stays usable after a top-up. Unset: it never lapses.",
    )
    prepaid_low_balance: Decimal = Field(
        default=Decimal(50),
        ge=0,
        description="Prepaid balance under which the customer gets a low-balance SMS.",
    )
    prepaid_voucher_key: SecretStr | None = Field(
        default=None,
        description=(
            "Secret key of the voucher-code hashes (HMAC-SHA256). Unset: plain SHA-256. "
            "Changing it makes unredeemed vouchers unusable."
        ),
    )

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'linka.db').resolve()}"


def describe_settings(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(variable, current value, default, description) for every setting."""
    rows = []
    for name, field in Settings.model_fields.items():
        current = getattr(settings, name)
        rows.append(
            (
                f"LINKA_{name.upper()}",
                "" if current is None else str(current),
                "" if field.default is None else str(field.default),
                field.description or "",
            )
        )
    return rows
