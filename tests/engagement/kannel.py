"""A real Kannel on loopback: bearerbox, smsbox and the fake SMSC client fakesmsc
(Debian ``kannel`` + ``kannel-extras``), configured as in shared/reference/test-peers.md §3a
with free ports, started for one test and stopped by the process ids it started."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.parse import unquote_to_bytes
from urllib.request import urlopen

from tests.engagement.conftest import free_port

FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")
_SBIN = "/usr/sbin:/usr/bin:/sbin:/bin"
USERNAME, PASSWORD = "linka", "kannel-heslo"
_GOT = re.compile(r"Got message \d+: <(\S+) (\S+) (\S+) (.*)>$")


def kannel_programs() -> tuple[str, str] | None:
    """(bearerbox, smsbox) when Kannel and its fake SMSC are installed."""
    bearerbox = shutil.which("bearerbox") or shutil.which("bearerbox", path=_SBIN)
    smsbox = shutil.which("smsbox") or shutil.which("smsbox", path=_SBIN)
    if bearerbox is None or smsbox is None or not FAKESMSC.exists():
        return None
    return bearerbox, smsbox


@dataclass(frozen=True)
class HandsetMessage:
    """What the fake SMSC delivered: sender, receiver and the decoded text."""

    sender: str
    receiver: str
    coding: str  # "text" (GSM 7-bit) or "ucs-2"
    text: str


@dataclass
class Kannel:
    sendsms_url: str
    admin_url: str
    fakesmsc_log: Path

    def delivered(self, count: int, timeout: float = 15.0) -> list[HandsetMessage]:
        """Wait until the fake SMSC has received ``count`` messages; return them."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.fakesmsc_log.read_text(errors="replace").splitlines()
            found = [_GOT.search(line) for line in lines]
            messages = [_handset(match) for match in found if match]
            if len(messages) >= count or time.monotonic() > deadline:
                return messages
            time.sleep(0.1)


def _handset(match: re.Match[str]) -> HandsetMessage:
    sender, receiver, coding, payload = match.groups()
    if coding == "ucs-2":  # URL-encoded UTF-16BE, a space written as "+"
        return HandsetMessage(
            sender,
            receiver,
            coding,
            unquote_to_bytes(payload.replace("+", "%20")).decode("utf-16-be"),
        )
    return HandsetMessage(sender, receiver, coding, payload)


CONFIG = """\
group = core
admin-port = {admin}
admin-interface = 127.0.0.1
admin-password = bar
admin-allow-ip = 127.0.0.1
smsbox-port = {smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{dir}/bearerbox.log"
log-level = 0

group = smsc
smsc = fake
smsc-id = FAKE
port = {smsc}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
log-file = "{dir}/smsbox.log"
log-level = 0

group = sendsms-user
username = {username}
password = {password}
max-messages = 5
"""


@contextmanager
def running_kannel(directory: Path) -> Iterator[Kannel]:
    programs = kannel_programs()
    assert programs is not None
    bearerbox, smsbox = programs
    ports = {name: free_port() for name in ("admin", "smsbox", "smsc", "sendsms")}
    config = directory / "kannel.conf"
    config.write_text(CONFIG.format(dir=directory, username=USERNAME, password=PASSWORD, **ports))
    log = directory / "fakesmsc.log"
    started: list[subprocess.Popen[bytes]] = []

    def start(*command: str, stdout: Path, stdin: int | None = None) -> None:
        with stdout.open("wb") as out:
            started.append(
                subprocess.Popen(command, stdin=stdin, stdout=out, stderr=subprocess.STDOUT)
            )

    kannel = Kannel(
        f"http://127.0.0.1:{ports['sendsms']}/cgi-bin/sendsms",
        f"http://127.0.0.1:{ports['admin']}/status.txt?password=bar",
        log,
    )
    try:
        start(bearerbox, "-v", "1", str(config), stdout=directory / "bearerbox.out")
        _wait_for(lambda: _get(kannel.admin_url) is not None, "bearerbox admin")
        # fakesmsc reads handset messages from stdin; an open pipe keeps it connected
        start(
            str(FAKESMSC),
            *("-H", "127.0.0.1", "-r", str(ports["smsc"]), "-i", "1"),
            stdout=log,
            stdin=subprocess.PIPE,
        )
        start(smsbox, "-v", "1", str(config), stdout=directory / "smsbox.out")
        _wait_for(lambda: _ready(_get(kannel.admin_url) or ""), "smsbox and the fake SMSC")
        _wait_for(lambda: _listening(ports["sendsms"]), "the sendsms port")
        yield kannel
    finally:
        for process in reversed(started):
            process.terminate()
        for process in reversed(started):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdin is not None:
                process.stdin.close()


def _ready(status: str) -> bool:
    """bearerbox's status.txt lists the smsbox and the fake SMSC on-line."""
    return "smsbox:" in status and "FAKE:" in status and "(online " in status


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _get(url: str) -> str | None:
    try:
        with urlopen(url, timeout=2) as response:
            body: bytes = response.read()
            return body.decode(errors="replace")
    except (URLError, OSError):
        return None


def _wait_for(ready: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Kannel: {what} did not come up within {timeout:.0f} s")
        time.sleep(0.1)
