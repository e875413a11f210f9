"""The format registry and its entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from linka.usage.formats import FORMATS, UnknownFormatError, parse_file


def test_all_formats_are_registered() -> None:
    assert sorted(FORMATS) == ["3gpp", "asterisk", "freeswitch", "generic", "kamailio", "radius"]


def test_unknown_format_name(tmp_path: Path) -> None:
    with pytest.raises(UnknownFormatError, match=r"unknown usage format 'cisco'.*asterisk"):
        parse_file("cisco", tmp_path / "x.csv")


def test_unknown_option(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="colour"):
        parse_file("asterisk", tmp_path / "x.csv", colour="red")


def test_bad_timezone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        parse_file("asterisk", tmp_path / "x.csv", timezone="Mars/Base")
