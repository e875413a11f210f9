"""Mediation input formats: one module per format, one result shape for all.

Every format reads one file and returns a :class:`Parsed`: an Arrow table with exactly
:data:`~linka.usage.records.RECORD_SCHEMA`, the rejects (reason, which field and what was
expected, the raw text, ``file:line``) and counts. :data:`FORMATS` maps a format name to its
:class:`Format` (the parse function and its options class); :func:`parse_file` is the
entry point for callers that hold a format name and plain option values (the catalog's
``sources.yaml``, the CLI)::

    parsed = parse_file("asterisk", Path("Master.csv"), timezone="Europe/Prague")

The import reads files through :meth:`Format.open` instead: a stream of parts, so memory
stays bounded however large the file (see :mod:`linka.usage.formats.stream`). Formats
with one record per line stream for real; the others are read whole, as one part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from linka.usage.formats import asterisk, freeswitch, generic, kamailio, radius, threegpp
from linka.usage.formats.parsed import Options, Parsed
from linka.usage.formats.stream import ParsedStream, RecordStream

OptionsT = TypeVar("OptionsT", bound=Options)


@dataclass(frozen=True)
class Format(Generic[OptionsT]):
    """A named input format: how to parse a file and which options it takes."""

    name: str
    parse: Callable[[Path, OptionsT], Parsed]
    options: type[OptionsT]
    stream: Callable[[Path, OptionsT], RecordStream] | None = None  # None: read whole

    def __call__(self, path: Path, **options: Any) -> Parsed:
        return self.parse(path, self.options(**options))

    def open(self, path: Path, **options: Any) -> RecordStream:
        """The file as a stream of parts (see :mod:`linka.usage.formats.stream`)."""
        settings = self.options(**options)
        if self.stream is not None:
            return self.stream(path, settings)
        return ParsedStream(path, settings.source_or(self.name), lambda: self.parse(path, settings))


class UnknownFormatError(ValueError):
    """A format name that no module handles."""


FORMATS: dict[str, Format[Any]] = {
    "asterisk": Format("asterisk", asterisk.parse, asterisk.AsteriskOptions, asterisk.stream),
    "freeswitch": Format(
        "freeswitch", freeswitch.parse, freeswitch.FreeswitchOptions, freeswitch.stream
    ),
    "kamailio": Format("kamailio", kamailio.parse, kamailio.KamailioOptions),
    "radius": Format("radius", radius.parse, radius.RadiusOptions),
    "3gpp": Format("3gpp", threegpp.parse, threegpp.ThreegppOptions),
    "generic": Format("generic", generic.parse, generic.GenericOptions),
}


def get_format(name: str) -> Format[Any]:
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise UnknownFormatError(
            f"unknown usage format {name!r}: expected one of {known}"
        ) from None


def parse_file(format_name: str, path: Path, **options: Any) -> Parsed:
    """Parse ``path`` as ``format_name``; unknown option names raise ``TypeError``."""
    return get_format(format_name)(path, **options)


__all__ = [
    "FORMATS",
    "Format",
    "Options",
    "Parsed",
    "RecordStream",
    "UnknownFormatError",
    "get_format",
    "parse_file",
]
