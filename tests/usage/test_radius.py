"""RADIUS accounting detail files: interim deltas, Gigawords, order, duplicates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from linka.usage.formats.radius import RadiusOptions, SessionPoint, parse
from linka.usage.records import RejectReason

GIGA = 2**32


def block(status: str, session_time: int, up: int, down: int, when: str, **extra: str) -> str:
    lines = [
        "Sun Mar 29 10:00:00 2026",
        f"\tAcct-Status-Type = {status}",
        '\tAcct-Session-Id = "S1"',
        "\tNAS-IP-Address = 10.0.0.1",
        '\tCalling-Station-Id = "602123456"',
        '\t3GPP-IMSI = "230011234567890"',
        f"\tAcct-Session-Time = {session_time}",
        f"\tAcct-Input-Octets = {up % GIGA}",
        f"\tAcct-Input-Gigawords = {up // GIGA}",
        f"\tAcct-Output-Octets = {down % GIGA}",
        f"\tAcct-Output-Gigawords = {down // GIGA}",
        f'\tEvent-Timestamp = "{when}"',
    ]
    lines += [f"\t{name} = {value}" for name, value in extra.items()]
    return "\n".join(lines) + "\n\n"


def test_interim_deltas_gigawords_order_and_duplicates(tmp_path: Path) -> None:
    # given a session whose second interim arrives before the first, one retransmission,
    # a counter going backwards, and a stop, across the spring DST change
    path = tmp_path / "detail-20260329"
    path.write_text(
        block("Start", 0, 0, 0, "Mar 29 2026 01:50:00 CET")
        + block("Interim-Update", 1200, 3 * GIGA + 500, 2 * GIGA, "Mar 29 2026 03:10:00 CEST")
        + block("Interim-Update", 600, GIGA + 100, GIGA, "Mar 29 2026 02:00:00 UTC")
        + block("Interim-Update", 600, GIGA + 100, GIGA, "Mar 29 2026 02:00:00 UTC")
        + block("Interim-Update", 1500, 2 * GIGA, 5 * GIGA, "Mar 29 2026 03:15:00 CEST")
        + block("Stop", 1800, 4 * GIGA, 6 * GIGA, "Mar 29 2026 01:20:00 UTC")
    )
    parsed = parse(path)
    assert parsed.read == 6
    assert parsed.table.select(
        ["record_id", "line_msisdn", "imsi", "start", "duration_s", "volume_up", "volume_down"]
    ).to_pylist() == [
        {
            "record_id": "S1@10.0.0.1#600/interim",
            "line_msisdn": 420602123456,
            "imsi": "230011234567890",
            "start": datetime(2026, 3, 29, 1, 50, tzinfo=UTC),
            "duration_s": 600,
            "volume_up": GIGA + 100,
            "volume_down": GIGA,
        },
        {
            "record_id": "S1@10.0.0.1#1200/interim",
            "line_msisdn": 420602123456,
            "imsi": "230011234567890",
            "start": datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
            "duration_s": 600,
            "volume_up": 2 * GIGA + 400,
            "volume_down": GIGA,
        },
        {
            "record_id": "S1@10.0.0.1#1800/stop",
            "line_msisdn": 420602123456,
            "imsi": "230011234567890",
            "start": datetime(2026, 3, 29, 1, 15, tzinfo=UTC),
            "duration_s": 300,  # since the highest accounted point (1500 s)
            "volume_up": GIGA - 500,  # since the highest accounted point (3 GiB + 500)
            "volume_down": GIGA,
        },
    ]
    assert [(r.raw_ref, r.reason) for r in parsed.rejects] == [
        ("detail-20260329:53", RejectReason.BAD_VOLUME)
    ]
    assert parsed.rejects[0].detail.startswith("counters went backwards")
    assert parsed.rejects[0].raw.startswith("Sun Mar 29 10:00:00 2026\n\tAcct-Status-Type")
    assert parsed.ignored == 2  # the Start and the retransmission


def test_stop_without_start_and_baseline(tmp_path: Path) -> None:
    path = tmp_path / "detail"
    path.write_text(block("Stop", 100, 5000, 7000, "Mar 30 2026 10:00:00 CEST"))
    alone = parse(path)
    assert alone.table.select(["volume_up", "volume_down", "duration_s"]).to_pylist() == [
        {"volume_up": 5000, "volume_down": 7000, "duration_s": 100}
    ]
    previous = SessionPoint("10.0.0.1", "S1", 60, 4000, 1000)
    continued = parse(path, RadiusOptions(baseline=[previous]))
    assert continued.table.select(["volume_up", "volume_down", "duration_s"]).to_pylist() == [
        {"volume_up": 1000, "volume_down": 6000, "duration_s": 40}
    ]


def test_event_time_fallbacks_and_bad_blocks(tmp_path: Path) -> None:
    path = tmp_path / "detail"
    timestamp_only = block("Interim-Update", 60, 10, 20, "x").replace(
        '\tEvent-Timestamp = "x"', "\tTimestamp = 1774778400\n\tAcct-Delay-Time = 5"
    )
    path.write_text(
        timestamp_only
        + block("Interim-Update", 120, 1, 20, "Mar 29 2026 10:00:00 UTC").replace(
            "Acct-Input-Octets = 1", "Acct-Input-Octets = x"
        )
        + block("Interim-Update", 180, 30, 40, "Mar 29 2026 10:01:00 UTC").replace(
            '"602123456"', '"sip:user@isp"'
        )
        + block("Alive", 240, 40, 50, "Mar 29 2026 10:02:00 UTC", **{"User-Name": "x"})
    )
    parsed = parse(path)
    assert parsed.table.select(["start", "volume_up"]).to_pylist() == [
        # Timestamp 10:00:00 − Acct-Delay-Time 5 s − 60 s of session
        {"start": datetime(2026, 3, 29, 9, 58, 55, tzinfo=UTC), "volume_up": 10},
        # "Alive" = Interim-Update; rejected packets are no baseline: 180 s and 30 bytes
        {"start": datetime(2026, 3, 29, 9, 59, tzinfo=UTC), "volume_up": 30},
    ]
    assert [(r.reason, r.detail.split(":")[0]) for r in parsed.rejects] == [
        (RejectReason.BAD_VOLUME, "Acct-Input-Octets 'x'"),
        (RejectReason.BAD_NUMBER, "Calling-Station-Id 'sip"),
    ]


def test_line_attribute_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "detail"
    path.write_text(
        block("Stop", 10, 1, 2, "Mar 30 2026 10:00:00 UTC", **{"User-Name": '"+420603000111"'})
    )
    parsed = parse(path, RadiusOptions(line_attribute="User-Name"))
    assert parsed.table.column("line_msisdn").to_pylist() == [420603000111]
