"""The one normalised usage record every input format is turned into.

Mediation modules (one per format) produce Arrow tables with exactly
:data:`RECORD_SCHEMA`, plus rejects with a reason code and the raw record. Numbers are
E.164 digits without '+' kept as int64 (read and matched much faster than strings);
instants are UTC microseconds; volumes are bytes. ``record_id`` is unique within a
``source`` and is the de-duplication key.

Where a record came from is kept as ``raw_file`` (the input file's name) and ``raw_line``
(its line, or its ordinal where a file has no lines): one small integer per record and a
file name that Parquet stores once, instead of a ``file:line`` string per record, which
cost about 150 ns a record to build, sort and write on import. :data:`RAW_REF` shows the
two as the ``file:line`` reference that rejects and explanations print.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl
import pyarrow as pa


class UsageService(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    DATA = "data"
    OTHER = "other"


RECORD_SCHEMA = pa.schema(
    [
        pa.field("record_id", pa.string(), nullable=False),  # unique per source
        pa.field("source", pa.string(), nullable=False),  # e.g. asterisk, radius, pgw
        pa.field("service", pa.string(), nullable=False),  # UsageService
        pa.field("direction", pa.string(), nullable=False),  # mo | mt
        pa.field("line_msisdn", pa.int64(), nullable=True),  # the subscriber line, E.164 digits
        pa.field("imsi", pa.string(), nullable=True),
        pa.field("a_number", pa.int64(), nullable=True),  # calling party, E.164 digits
        pa.field("b_number", pa.int64(), nullable=True),  # called party, E.164 digits
        pa.field("start", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("duration_s", pa.int32(), nullable=False),  # billable seconds (billsec)
        pa.field("volume_up", pa.int64(), nullable=False),  # bytes sent by the subscriber
        pa.field("volume_down", pa.int64(), nullable=False),  # bytes received
        pa.field("cell_id", pa.string(), nullable=True),
        pa.field("roaming_country", pa.string(), nullable=True),  # ISO 3166 alpha-2; null: home
        pa.field("raw_file", pa.string(), nullable=False),  # the input file's name
        pa.field("raw_line", pa.int64(), nullable=False),  # the record's line (ordinal) in it
    ]
)
RAW_REF = pl.format("{}:{}", pl.col("raw_file"), pl.col("raw_line"))
"""A record's ``file:line`` reference (the form rejects carry)."""


SERVICE_ENUM = pl.Enum([s.value for s in UsageService])
DIRECTION_ENUM = pl.Enum(["mo", "mt"])
"""In the store, service and direction are Polars enums (small integers on disk and in
memory); their category order is also the rating kernel's service and direction code."""

RECORD_FRAME_SCHEMA = pl.Schema(
    {
        **pl.Schema(RECORD_SCHEMA),
        "service": SERVICE_ENUM,
        "direction": DIRECTION_ENUM,
    }
)
""":data:`RECORD_SCHEMA` as the Polars frames of the import and the store hold it."""


class RejectReason(StrEnum):
    """Why a record was not accepted; stable codes for reports and reprocessing."""

    MALFORMED = "malformed"  # wrong column count, unparsable structure
    BAD_TIMESTAMP = "bad_timestamp"
    BAD_DURATION = "bad_duration"  # negative or not a number
    BAD_NUMBER = "bad_number"  # not convertible to E.164
    BAD_VOLUME = "bad_volume"
    UNKNOWN_LINE = "unknown_line"  # no line with this MSISDN/IMSI (waits for reprocessing)
    NO_DESTINATION = "no_destination"  # no tariff prefix matches
    DUPLICATE = "duplicate"  # same record_id already seen from this source


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that could not be accepted, kept with the raw text for audit and repair."""

    source: str
    raw_ref: str  # file:line
    reason: RejectReason
    detail: str  # which field and what was expected
    raw: str  # the original record as read
