"""What the daemon tells systemd (service.py), over a real datagram socket: the watchdog rule and its throttle,
the status line and when it is sent, extensions of slow start-up steps and of the final flush."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import socket
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from netwatch import config
from netwatch.adapters.sdnotify import Notifier
from netwatch.app.daemon.service import Supervision, status_line, watchdog_needed
from netwatch.core import detect
from netwatch.core.model import Cause, Incident, Kind, Round, Sample
from tests.support.clocks import Clock
from tests.support.daemons import make_daemon
from tests.support.instants import LONDON
from tests.support.sockets import received

AT = 1_794_478_502.0  # 2026-11-12 10:15:02 GMT


def test_the_watchdog_rule() -> None:
    # 2 x (interval + probe.timeout + dns.timeout + 1 s of slack), rounded up to the second.
    assert watchdog_needed(1.0, 0.8, 0.8) == 8.0
    assert watchdog_needed(0.2, 0.15, 0.15) == 3.0
    assert watchdog_needed(60.0, 5.0, 5.0) == 142.0
    # The shipped WatchdogSec=30s keeps a round every 5 s with the default timeouts (0.8 of the interval).
    assert watchdog_needed(5.0, 4.0, 4.0) <= 30.0 < watchdog_needed(6.0, 4.8, 4.8)


def test_status_lines() -> None:
    outage = Incident(Kind.OUTAGE, Cause.ISP, AT)
    degraded = Incident(Kind.DEGRADED, Cause.UPSTREAM, AT - 86_400)
    assert status_line((), 6, AT, LONDON) == "line up · 6 targets · 0 open incidents"
    assert status_line((outage,), 1, AT + 60, LONDON) == (
        "OUTAGE since 10:15:02 GMT (cause isp) · 1 target · 1 open incident"
    )
    assert status_line((degraded,), 6, AT, LONDON) == (
        "DEGRADED since 2026-11-11 10:15:02 GMT (cause upstream) · 6 targets · 1 open incident"
    )
    assert status_line((outage, degraded), 6, AT, ZoneInfo("America/New_York")) == (
        "OUTAGE since 05:15:02 EST (cause isp) · 6 targets · 2 open incidents"
    )


def test_ready_pings_at_half_the_watchdog_and_sends_status_only_on_change(
    tmp_path: Path, listener: tuple[socket.socket, str], caplog: pytest.LogCaptureFixture
) -> None:
    sock, path = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"})
    daemon = make_daemon(tmp_path, "", notifier)
    clock = Clock()
    daemon.service = service = Supervision(notifier, daemon.config, clock=clock)
    with caplog.at_level(logging.INFO, "netwatch"):
        service.ready(daemon.line())
    assert caplog.messages == ["systemd watchdog: 30 s, kept alive after rounds at most every 15 s"]
    assert received(sock) == ["READY=1\nSTATUS=line up · 4 targets · 0 open incidents".encode(), b"WATCHDOG=1"]
    for step in (5.0, 5.0, 4.9):  # 14.9 s after the last ping: not yet
        clock.now += step
        service.after_round(daemon.line())
    assert received(sock) == []
    clock.now += 0.1
    service.after_round(daemon.line())
    assert received(sock) == [b"WATCHDOG=1"]
    # The line goes down: one STATUS, then nothing while it stays the same.
    outage = Incident(Kind.OUTAGE, Cause.ISP, AT)
    daemon.state = detect.State(outage=outage)
    daemon.last_round = Round(at=AT + 3, samples=(Sample(daemon.targets.icmp_targets()[0], 0.5),))
    service.after_round(daemon.line())
    service.after_round(daemon.line())
    assert received(sock) == ["STATUS=OUTAGE since 10:15:02 GMT (cause isp) · 4 targets · 1 open incident".encode()]
    daemon.state = detect.State(outage=Incident(Kind.OUTAGE, Cause.LOCAL, AT))  # its cause changed
    service.after_round(daemon.line())
    daemon.state = detect.State()
    clock.now += 15.0
    service.after_round(daemon.line())
    assert received(sock) == [
        "STATUS=OUTAGE since 10:15:02 GMT (cause local) · 4 targets · 1 open incident".encode(),
        b"WATCHDOG=1",
        "STATUS=line up · 4 targets · 0 open incidents".encode(),
    ]
    assert service.pings == 3
    service.stopping()
    assert received(sock) == [b"STOPPING=1\nSTATUS=stopping: closing open incidents and flushing the store"]
    notifier.close()


def test_a_watchdog_too_short_for_the_configuration_is_raised_with_a_warning(
    tmp_path: Path, listener: tuple[socket.socket, str], caplog: pytest.LogCaptureFixture
) -> None:
    sock, path = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"})
    daemon = make_daemon(tmp_path, "[probe]\ninterval = 60\ntimeout = 5\n", notifier)  # dns.timeout follows: 5
    with caplog.at_level(logging.WARNING, "netwatch"):
        daemon.service.ready(daemon.line())
    assert caplog.messages == [
        "the systemd watchdog (WatchdogSec=30s) is too short for a round every 60 s with probe and DNS timeouts of "
        "5 and 5 s: it needs at least 142 s (2 x (interval + both timeouts + 1 s)); asking systemd for 142 s for "
        "this run. Set WatchdogSec=142 with `systemctl edit netwatch`"
    ]
    assert received(sock) == [
        b"WATCHDOG_USEC=142000000",
        "READY=1\nSTATUS=line up · 4 targets · 0 open incidents".encode(),
        b"WATCHDOG=1",
    ]
    assert notifier.watchdog == 142.0
    notifier.close()


def test_without_systemd_the_daemon_sends_nothing(tmp_path: Path) -> None:
    daemon = make_daemon(tmp_path, "", Notifier())
    daemon.service.ready(daemon.line())
    daemon.service.after_round(daemon.line())
    daemon.service.stopping()
    assert daemon.service.pings == 0 and daemon.service.notifier._sock is None


def until_extended(sock: socket.socket, times: int) -> list[bytes]:
    """Read ``sock`` (blocking) until ``times`` EXTEND_TIMEOUT_USEC messages arrived; everything read."""
    got: list[bytes] = []
    sock.settimeout(10)
    while sum(m.startswith(b"EXTEND_TIMEOUT_USEC=") for m in got) < times:
        got.append(sock.recv(4096))
    sock.settimeout(None)
    return got


def test_slow_start_up_steps_extend_the_start_timeout(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    cfg = config.parse("", source=None, env={"NETWATCH_STATE_DIR": "/nonexistent"})
    service = Supervision(notifier, cfg, extend_every=0.05)

    async def scenario() -> tuple[str, str, list[bytes]]:
        quick = await service.step("opening the store", asyncio.sleep(0, "opened"))
        # A step that lasts until the third extension arrived (read on a thread: the loop must stay free).
        seen = asyncio.to_thread(until_extended, sock, 3)
        slow = await service.step("migrating", asyncio.sleep(0, "migrated"))
        got = await service.step("recovering", seen)
        return quick, slow, got

    quick, slow, got = asyncio.run(scenario())
    assert (quick, slow) == ("opened", "migrated")
    assert got == [
        b"STATUS=starting: opening the store",
        b"STATUS=starting: migrating",
        b"STATUS=starting: recovering",
        *[b"EXTEND_TIMEOUT_USEC=150000"] * 3,  # three periods of 0.05 s, sent every period
    ]
    assert received(sock) == []  # nothing after the step ended
    notifier.close()


def test_a_slow_final_flush_extends_the_stop_timeout(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    cfg = config.parse("", source=None, env={"NETWATCH_STATE_DIR": "/nonexistent"})
    service = Supervision(notifier, cfg, extend_every=0.05)
    finished: concurrent.futures.Future[None] = concurrent.futures.Future()
    finished.set_result(None)
    service.wait(finished, "flushing the store")
    assert received(sock) == []  # a flush that is already over says nothing
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        flush = pool.submit(until_extended, sock, 2)  # the "flush" ends after the second extension
        service.wait(flush, "flushing the store")
        assert flush.result() == [b"STATUS=stopping: flushing the store", *[b"EXTEND_TIMEOUT_USEC=150000"] * 2]
    assert received(sock) == []
    notifier.close()
