"""The real daemon talking to a notification socket bound by the test, as systemd's would be.

`python -m netwatch run` probes loopback anchors (unprivileged ICMP) with $NOTIFY_SOCKET pointing at a datagram
socket of ours: READY=1 only once the store exists and the session is begun, WATCHDOG=1 at half the watchdog
timeout (WATCHDOG_PID is set by a `sh -c` wrapper that then execs the daemon, as systemd knows the PID only after
the fork), STOPPING=1 and exit 0 on SIGTERM, every thread's stack on the journal for the watchdog's SIGABRT. In
process, a blocked event loop sends no keep-alive at all. In the simulated ISP, the status line follows a cut.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from netwatch import config
from netwatch.adapters.sdnotify import Notifier
from netwatch.adapters.store.sqlite import Store
from netwatch.app.daemon.loop import Daemon
from netwatch.core.model import Kind
from tests.support import configs
from tests.support.netns_isp import ANCHORS, Isp
from tests.support.processes import stop
from tests.support.sdnotify import NotifySocket

INTERVAL = 0.1
WATCHDOG = 3.0  # seconds: what netwatch.app.daemon.service.watchdog_needed asks for at this interval and these timeouts


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifySocket]:
    listener = NotifySocket(tmp_path / "notify")
    yield listener
    listener.close()


def spawn(
    cfg: Path, notify: NotifySocket, log: Path, *, prefix: tuple[str, ...] = (), watchdog: float = WATCHDOG
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NOTIFY_SOCKET": str(notify.path),
        "WATCHDOG_USEC": str(int(watchdog * 1e6)),
        "NETWATCH_STATE_DIR": str(cfg.parent),
    }
    env.pop("WATCHDOG_PID", None)
    # systemd sets WATCHDOG_PID to the PID it forked; `exec` keeps the shell's PID for the daemon.
    script = 'WATCHDOG_PID=$$ exec "$0" -m netwatch run --config "$1"'
    with log.open("ab") as err:
        return subprocess.Popen([*prefix, "sh", "-c", script, sys.executable, str(cfg)], env=env, stderr=err)


def test_ready_watchdog_and_stopping_from_the_real_daemon(tmp_path: Path, notify: NotifySocket) -> None:
    cfg = configs.loopback(tmp_path, interval=INTERVAL)
    log = tmp_path / "daemon.log"
    proc = spawn(cfg, notify, log)
    try:
        ready, _ = notify.wait_for("READY=1", lambda m: m.startswith("READY=1"), 30)
        # At READY the store exists and holds the running session (committed at once, before READY).
        db = sqlite3.connect(f"file:{tmp_path / 'netwatch.db'}?mode=ro", uri=True)
        try:
            sessions = db.execute("SELECT start_ms, end_ms FROM sessions").fetchall()
        finally:
            db.close()
        assert len(sessions) == 1 and sessions[0][1] is None, sessions  # begun, not ended
        assert sessions[0][0] <= time.time() * 1000
        starting = [m for _, m in notify.messages[:ready]]
        assert starting == [
            "STATUS=starting: opening the store",
            "STATUS=starting: closing what an unclean stop left open",
        ]
        assert notify.messages[ready][1] == "READY=1\nSTATUS=line up · 2 targets · 0 open incidents"

        notify.wait_for("the fourth WATCHDOG=1", lambda m: len(notify.times("WATCHDOG=1")) >= 4, 20)
        pings = notify.times("WATCHDOG=1")
        gaps = [b - a for a, b in itertools.pairwise(pings)]
        # Never more often than half the watchdog timeout (a little jitter in arrival), always well within it.
        assert all(WATCHDOG / 2 - 0.05 <= gap < WATCHDOG for gap in gaps), gaps
    finally:
        code = stop(proc, timeout=10)
    assert code == 0, log.read_text()
    stopping, _ = notify.wait_for("STOPPING=1", lambda m: m.startswith("STOPPING=1"), 5)
    assert notify.messages[stopping][1] == "STOPPING=1\nSTATUS=stopping: closing open incidents and flushing the store"
    assert [m for _, m in notify.messages].count("READY=1\nSTATUS=line up · 2 targets · 0 open incidents") == 1
    text = log.read_text()
    assert "WARNING" not in text and "ERROR" not in text, text
    assert "INFO    systemd watchdog: 3 s, kept alive after rounds at most every 1.5 s" in text


def test_no_keep_alive_when_the_watchdog_is_another_pids(tmp_path: Path, notify: NotifySocket) -> None:
    """WATCHDOG_PID names another process (a parent that the watchdog was meant for): READY=1, no WATCHDOG=1."""
    cfg = configs.loopback(tmp_path, interval=INTERVAL)
    log = tmp_path / "daemon.log"
    env = {**os.environ, "NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "1"}
    with log.open("ab") as err:
        proc = subprocess.Popen([sys.executable, "-m", "netwatch", "run", "--config", str(cfg)], env=env, stderr=err)
    try:
        notify.wait_for("READY=1", lambda m: m.startswith("READY=1"), 30)
        time.sleep(WATCHDOG)  # two pings' worth
        assert notify.times("WATCHDOG=1") == []
    finally:
        assert stop(proc, timeout=10) == 0, log.read_text()
    assert "systemd watchdog" not in log.read_text()


def test_the_watchdogs_sigabrt_puts_every_threads_stack_in_the_journal(tmp_path: Path, notify: NotifySocket) -> None:
    cfg = configs.loopback(tmp_path, interval=INTERVAL)
    log = tmp_path / "daemon.log"
    proc = spawn(cfg, notify, log)
    try:
        notify.wait_for("READY=1", lambda m: m.startswith("READY=1"), 30)
        proc.send_signal(signal.SIGABRT)  # what systemd's WatchdogSignal= sends by default
        # faulthandler reads the other threads' frames without stopping them (CPython documents the all-threads
        # dump as unsafe): a thread running Python meanwhile (the writer sealing a batch at start-up) can crash the
        # dump half-way. Either way the process dies of the signal, and systemd restarts it.
        died = proc.wait(timeout=10)
    finally:
        stop(proc, timeout=10)
    text = log.read_text()
    assert died in (-signal.SIGABRT, -signal.SIGSEGV), (died, text)
    assert "Fatal Python error: Aborted" in text, text
    if died == -signal.SIGABRT:  # the dump went through: every thread, the event loop's own stack last
        current = text[text.index("Current thread") :]
        assert f"{os.sep}netwatch{os.sep}cli{os.sep}monitor.py" in current, text
        assert text.count("Thread 0x") >= 2, text  # the writer thread too


def test_a_blocked_event_loop_sends_no_keep_alive(tmp_path: Path, notify: NotifySocket) -> None:
    """The daemon in this process, its loop on a thread: the test blocks that loop (as a hung probe would) for
    longer than the watchdog timeout. No WATCHDOG=1 arrives meanwhile, although the store's writer thread and
    the rest of the process live on: systemd would have killed and restarted it. Pings resume afterwards."""
    cfg = config.load(configs.loopback(tmp_path, interval=INTERVAL), {"NETWATCH_STATE_DIR": str(tmp_path)})
    notifier = Notifier(str(notify.path), watchdog=WATCHDOG)
    loop = asyncio.new_event_loop()
    stopped = asyncio.Event()
    daemon = Daemon(cfg, stopped, notifier=notifier)
    runner = threading.Thread(target=loop.run_until_complete, args=(daemon.run(),), name="test-daemon-loop")
    runner.start()
    hung: list[float] = []

    def hang() -> None:  # runs ON the daemon's loop and holds it, like a probe that never yields
        hung.append(time.monotonic())
        time.sleep(WATCHDOG + 1.0)
        hung.append(time.monotonic())

    try:
        notify.wait_for("READY=1", lambda m: m.startswith("READY=1"), 30)
        notify.wait_for("a second WATCHDOG=1", lambda m: len(notify.times("WATCHDOG=1")) >= 2, 10)
        loop.call_soon_threadsafe(hang)
        notify.wait_for(
            "a WATCHDOG=1 after the hang", lambda m: len(hung) == 2 and notify.times("WATCHDOG=1")[-1] > hung[1], 15
        )
        pings = notify.times("WATCHDOG=1")
        began, ended = hung
        during = [t for t in pings if began + 0.01 < t < ended]
        assert during == [], (during, began, ended)
        before = max(t for t in pings if t <= began + 0.01)
        after = min(t for t in pings if t >= ended)
        assert after - before > WATCHDOG  # systemd's watchdog would have fired
        assert daemon.rounds > 0
    finally:
        loop.call_soon_threadsafe(stopped.set)
        runner.join(10)
        loop.close()
        notifier.close()
    assert not runner.is_alive()


@pytest.mark.netns
def test_the_status_line_follows_an_outage_in_the_simulated_isp(isp: Isp, tmp_path: Path) -> None:
    notify = NotifySocket(tmp_path / "notify")  # a path socket is reachable from any network namespace
    document = configs.daemon(
        tmp_path / "netwatch.db",
        ANCHORS,
        interval=0.2,
        timeout=0.15,
        dns_names=["example.test"],
        business_hours={"timezone": "UTC"},
    )
    cfg = configs.write(tmp_path / "netwatch.toml", document)
    log = tmp_path / "daemon.log"
    proc = spawn(cfg, notify, log, prefix=("ip", "netns", "exec", isp.ns("home")), watchdog=10.0)
    try:
        notify.wait_for("READY=1", lambda m: m.startswith("READY=1"), 30)
        # gateway, ISP hop (once discovered), three anchors and one DNS name
        up = "STATUS=line up · 6 targets · 0 open incidents"
        seen, _ = notify.wait_for("the ISP hop in the status", lambda m: m == up, 20)
        isp.cut("access")
        try:
            down, _ = notify.wait_for("an OUTAGE status", lambda m: m.startswith("STATUS=OUTAGE"), 10, seen)
        finally:
            isp.restore("access")
        with Store.open(tmp_path / "netwatch.db", readonly=True) as store:
            (outage,) = [i for i in store.incidents(time.time() - 120, time.time() + 60) if i.kind is Kind.OUTAGE]
        since = datetime.fromtimestamp(outage.start, UTC).strftime("%H:%M:%S UTC")
        assert notify.messages[down][1] == f"STATUS=OUTAGE since {since} (cause isp) · 6 targets · 1 open incident"
        notify.wait_for("the line up again", lambda m: m == up, 15, down)
    finally:
        code = stop(proc, timeout=10)
        notify.close()
    assert code == 0, log.read_text()
