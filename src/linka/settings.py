"""Typed settings read from ``LINKA_*`` environment variables.

Settings describe the installation (where data lives, which database, how to log);
business rules (tariffs, taxes, dunning ladders) are data in the catalog, not settings.
``linka config`` prints every setting with its current value, default and meaning.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
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
        default="linka demo operator", description="Operator name printed on documents."
    )
    echo_sql: bool = Field(default=False, description="Log every SQL statement (debugging).")

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
