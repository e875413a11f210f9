"""Kamailio acc: INVITE/BYE pairing from the CSV export and from ACC: log lines."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linka.usage.formats.kamailio import LayoutError, parse
from linka.usage.records import RejectReason

HEADER = "id,method,from_tag,to_tag,callid,sip_code,sip_reason,time,src_user,dst_user,src_ip"
CSV = [
    HEADER,
    "1,INVITE,ft1,tt1,call-1,200,OK,2026-10-25 02:30:00,602123456,+420777000111,127.0.0.1",
    "2,ACK,ft1,tt1,call-1,200,OK,2026-10-25 02:30:01,602123456,+420777000111,127.0.0.1",
    # the callee hangs up: tags swapped
    "3,BYE,tt1,ft1,call-1,200,OK,2026-10-25 02:31:30,777000111,602123456,127.0.0.1",
    "4,INVITE,ft2,tt2,call-2,486,Busy Here,2026-10-25 04:00:00,602123456,00421903123456,",
    "5,INVITE,ft3,,call-3,407,Proxy Auth,2026-10-25 04:10:00,602123456,00421903123456,",
    "6,BYE,ft9,tt9,call-9,200,OK,2026-10-25 04:20:00,602123456,+420777000111,",
    "7,INVITE,ft4,tt4,call-4,200,OK,2026-10-25 04:30:00,602123456,+420777000111,",
    "8,INVITE,ft5,tt5,call-5,200,OK,yesterday,602123456,+420777000111,",
    "9,INVITE,ft6,tt6,call-6,200,OK,2026-10-25 05:00:00,sipp,+420777000111,",
    "10,BYE,ft6,tt6,call-6,200,OK,2026-10-25 05:00:10,sipp,+420777000111,",
    "11,BYE,tt1,ft1,call-1,200,OK,2026-10-25 02:31:31,777000111,602123456,127.0.0.1",
]


def test_csv_export_pairs_calls(tmp_path: Path) -> None:
    path = tmp_path / "acc.csv"
    path.write_text("\n".join(CSV) + "\n")
    parsed = parse(path)
    assert parsed.read == 11
    assert parsed.table.select(
        ["record_id", "a_number", "b_number", "start", "duration_s", "raw_file", "raw_line"]
    ).to_pylist() == [
        {
            "record_id": "call-1;ft1;tt1",
            "a_number": 420602123456,
            "b_number": 420777000111,
            "start": datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # ambiguous hour: CEST
            "duration_s": 90,  # the BYE is in the second 02:31:30, i.e. CET: 90 s later
            "raw_file": "acc.csv",
            "raw_line": 2,
        },
        {
            "record_id": "call-2;ft2;tt2;486",
            "a_number": 420602123456,
            "b_number": 421903123456,
            "start": datetime(2026, 10, 25, 3, 0, tzinfo=UTC),
            "duration_s": 0,
            "raw_file": "acc.csv",
            "raw_line": 5,
        },
    ]
    assert [(r.raw_ref, r.reason, r.detail) for r in parsed.rejects] == [
        ("acc.csv:7", RejectReason.MALFORMED, "BYE call-9 without an answered INVITE"),
        (
            "acc.csv:8",
            RejectReason.MALFORMED,
            "INVITE call-4 answered without BYE (call open or BYE in a later file)",
        ),
        (
            "acc.csv:9",
            RejectReason.BAD_TIMESTAMP,
            "time yesterday: expected epoch seconds or %Y-%m-%d %H:%M:%S",
        ),
        (
            "acc.csv:10",
            RejectReason.BAD_NUMBER,
            "src_user sipp: expected +CC…, 00CC… or a national number of 9 digits "
            "not starting with 0",
        ),
    ]
    # ACK, the 407 challenge, the BYE of call-1 and its retransmission, the BYE of call-6
    assert parsed.ignored == 5
    assert parsed.table.num_rows + len(parsed.rejects) + parsed.ignored == parsed.read


def test_caller_hangs_up_epoch_times_round_up(tmp_path: Path) -> None:
    path = tmp_path / "acc.csv"
    path.write_text(
        HEADER
        + "\n1,INVITE,a,b,c1,200,OK,1772400000.250,602123456,602000111,\n"
        + "2,BYE,a,b,c1,200,OK,1772400010.251,602123456,602000111,\n"
    )
    parsed = parse(path)
    assert parsed.table.column("duration_s").to_pylist() == [11]
    assert parsed.table.column("start").to_pylist() == [
        datetime(2026, 3, 1, 21, 20, 0, 250000, tzinfo=UTC)
    ]


def test_syslog_lines(tmp_path: Path) -> None:
    path = tmp_path / "kamailio.log"
    prefix = " 1(42) NOTICE: acc [acc.c:281]: acc_log_request(): ACC: "
    path.write_text(
        "some other log line\n"
        + prefix
        + "transaction answered: timestamp=1772400000;method=INVITE;from_tag=f;to_tag=t;"
        "call_id=1-1@127.0.0.1;code=200;reason=OK;src_user=602123456;dst_user=+41791234567\n"
        + prefix
        + "transaction answered: timestamp=1772400065;method=BYE;from_tag=f;to_tag=t;"
        "call_id=1-1@127.0.0.1;code=200;reason=OK;src_user=602123456;dst_user=+41791234567\n"
    )
    parsed = parse(path)
    assert parsed.read == 2
    assert parsed.table.select(["b_number", "duration_s", "raw_file", "raw_line"]).to_pylist() == [
        {"b_number": 41791234567, "duration_s": 65, "raw_file": "kamailio.log", "raw_line": 2}
    ]


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "acc.csv"
    path.write_text("method,callid\nINVITE,x\n")
    with pytest.raises(LayoutError, match=r"lacks columns \['from_tag'"):
        parse(path)


KAMAILIO_CFG = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
listen=udp:127.0.0.1:{proxy}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "kex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "acc.so"
modparam("rr", "append_fromtag", 1)
modparam("acc", "log_flag", 1)
modparam("acc", "failed_transaction_flag", 3)
modparam("acc", "log_level", 1)
modparam("acc", "log_extra", "src_user=$fU;dst_user=$rU")
request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (has_totag()) {{
        if (is_method("BYE")) {{ setflag(1); setflag(3); }}
        if (!loose_route()) {{
            if (is_method("ACK") && !t_check_trans()) {{ exit; }}
            $du = "sip:127.0.0.1:{uas}";
        }}
        t_relay(); exit;
    }}
    if (is_method("INVITE")) {{ record_route(); setflag(1); setflag(3); }}
    $du = "sip:127.0.0.1:{uas}";
    t_relay();
}}
"""


@pytest.mark.slow
def test_real_kamailio_and_sipp(tmp_path: Path) -> None:
    """Calls placed by SIPp through a real Kamailio produce acc lines that pair into CDRs.

    Needs Debian's ``kamailio`` and ``sip-tester`` packages; skipped where they are absent.
    """
    kamailio, sipp = shutil.which("kamailio"), shutil.which("sipp")
    if not (kamailio and sipp):
        pytest.skip("kamailio and sipp (Debian: kamailio, sip-tester) are not installed")
    ports = {"proxy": 15060, "uas": 15070, "uac": 15061}
    (tmp_path / "kamailio.cfg").write_text(KAMAILIO_CFG.format(**ports))
    log = tmp_path / "kamailio.log"
    # the caller's user part is a Czech national number: replace SIPp's default "sipp"
    scenario = subprocess.run([sipp, "-sd", "uac"], capture_output=True, text=True, check=False)
    assert "<scenario" in scenario.stdout  # sipp -sd exits 99 after dumping
    (tmp_path / "uac.xml").write_text(scenario.stdout.replace("sip:sipp@", "sip:602123456@"))
    with log.open("w") as out:
        proxy = subprocess.Popen(
            [kamailio, "-f", "kamailio.cfg", "-DD", "-E", "-w", str(tmp_path)],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    uas = subprocess.Popen(
        [sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(ports["uas"]), "-nostdin"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        subprocess.run(
            [sipp, "-sf", "uac.xml", "-i", "127.0.0.1", "-p", str(ports["uac"]),
             f"127.0.0.1:{ports['proxy']}", "-s", "+420777000111", "-m", "2", "-r", "2",
             "-d", "2000", "-nostdin", "-timeout", "20s"],
            cwd=tmp_path, check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        time.sleep(0.5)
    finally:
        for process in (uas, proxy):
            process.terminate()
            process.wait(timeout=10)
    parsed = parse(log)
    assert parsed.rejects == []
    assert parsed.read == 4  # two INVITEs answered, two BYEs
    assert parsed.table.column("a_number").to_pylist() == [420602123456, 420602123456]
    assert parsed.table.column("b_number").to_pylist() == [420777000111, 420777000111]
    assert all(2 <= d <= 3 for d in parsed.table.column("duration_s").to_pylist())
