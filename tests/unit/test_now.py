"""The line's state now: the pure rule, the lock table read without taking the lock, and `app.now` choosing between
the daemon's live file and the store (a stopped daemon is "not running" at once; a running one's last seconds are
monitored in a report)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from netwatch import config
from netwatch.adapters import live, locks
from netwatch.app import now as state_now
from netwatch.app import reports
from netwatch.config import Config
from netwatch.core import linestate
from netwatch.core.model import Cause, Coverage, Incident, Kind, LineState, Live, Role, Round
from tests.support import stores
from tests.support.instants import T0
from tests.support.rounds import Line
from tests.support.targets import A1, GW, ISP

LINE = Line.of(GW, ISP, A1, rtts={Role.GATEWAY: 0.4, Role.ISP: 3.0, Role.ANCHOR: 12.0})


def up(at: float) -> Round:
    return LINE.round(at)


def isp_down(at: float) -> Round:
    return LINE.round(at, Cause.ISP)


OUTAGE = Incident(Kind.OUTAGE, Cause.ISP, T0 - 30)
DEGRADED = Incident(Kind.DEGRADED, Cause.UPSTREAM, T0 - 300)
CLOSED = Incident(Kind.OUTAGE, Cause.LOCAL, T0 - 900, T0 - 600)


def test_the_state_rule_in_order_of_precedence() -> None:
    assert linestate.state_of(None, (), running=True) is LineState.NO_DATA
    assert linestate.state_of(up(T0), (OUTAGE,), running=False) is LineState.NOT_RUNNING
    assert linestate.state_of(isp_down(T0), (OUTAGE, DEGRADED), running=True) is LineState.DOWN
    assert linestate.state_of(isp_down(T0), (DEGRADED,), running=True) is LineState.FAILING
    assert linestate.state_of(up(T0), (DEGRADED,), running=True) is LineState.DEGRADED
    assert linestate.state_of(up(T0), (), running=True) is LineState.UP


def test_since_when_each_state_began() -> None:
    assert linestate.since(LineState.DOWN, isp_down(T0), (DEGRADED, OUTAGE), None, T0 - 3600) == T0 - 30
    assert linestate.since(LineState.DEGRADED, up(T0), (DEGRADED,), None, T0 - 3600) == T0 - 300
    assert linestate.since(LineState.UP, up(T0), (), CLOSED, T0 - 3600) == T0 - 600  # back up after the outage
    assert linestate.since(LineState.UP, up(T0), (), CLOSED, T0 - 60) == T0 - 60  # monitoring began after it
    assert linestate.since(LineState.NOT_RUNNING, up(T0), (), CLOSED, None) == T0
    assert linestate.since(LineState.FAILING, isp_down(T0), (), None, T0) is None


@contextmanager
def lock_held_elsewhere(path: Path) -> Iterator[int]:
    """Another process holding the flock of ``path`` (as the daemon holds its store's), until the block ends."""
    code = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); fcntl.flock(fd, fcntl.LOCK_EX); "
        "print('held', flush=True); sys.stdin.read()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        yield proc.pid
    finally:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_a_lock_is_read_from_the_kernels_table_without_taking_it(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db.lock"
    assert locks.is_locked(path) is False  # no file: nobody ever held it
    with lock_held_elsewhere(path):
        assert locks.is_locked(path) is True
        assert locks.is_locked(path) is True  # reading it twice took nothing
    assert locks.is_locked(path) is False  # released when the holder ended
    assert locks.is_locked(path, table=tmp_path / "no-such-table") is None


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    (tmp_path / "run").mkdir()
    # Every commit a seal: a running daemon's store is never older than 10 s and a round or two.
    text = "[probe]\ninterval = 1.0\n[store]\ncommit_interval = 10.0\nseal_interval = 10.0\n"
    return config.parse(text, source=None, env=env(tmp_path))


def env(tmp_path: Path) -> dict[str, str]:
    return {"NETWATCH_STATE_DIR": str(tmp_path), "RUNTIME_DIRECTORY": str(tmp_path / "run")}


def record(cfg: Config, last: float, *, outage: bool = False) -> None:
    """A store whose session began an hour before ``last`` and whose last committed round is at ``last``."""
    last_round = isp_down(last) if outage else up(last)
    stores.record(cfg.store.path, last - 3600, None, [up(last - 3600), last_round], [OUTAGE] if outage else [])


def write_live(cfg: Config, tmp_path: Path, *, age: float = 0.0, pid: int | None = None, outage: bool = False) -> None:
    now = time.time()
    rnd = isp_down(now - age) if outage else up(now - age)
    state = Live(
        pid=os.getpid() if pid is None else pid,
        boot_id=live.current_boot(),
        written=now - age,
        mono=time.monotonic() - age,
        interval=1.0,
        session_start=now - 3600,
        last_round=rnd,
        open_incidents=(OUTAGE,) if outage else (),
        failing=0,
        trusted=True,
    )
    path = live.writable_path(cfg.store.path, env(tmp_path))
    assert path is not None
    live.write(path, state)


def test_a_fresh_live_file_is_the_state_now(cfg: Config, tmp_path: Path) -> None:
    record(cfg, time.time() - 8)  # the store is a commit behind and shows the line up
    write_live(cfg, tmp_path, outage=True)
    found = state_now.line_now(cfg, time.time(), env(tmp_path))
    assert (found.state, found.running, found.live) == (LineState.DOWN, True, True)
    assert found.outage == OUTAGE and found.since == OUTAGE.start


def test_a_stopped_daemon_is_not_running_at_once_though_its_last_commit_is_fresh(cfg: Config, tmp_path: Path) -> None:
    now = float(int(time.time()))  # whole seconds: the store keeps milliseconds
    record(cfg, now - 1)  # committed a second ago, within the commit interval: the store alone would say UP
    found = state_now.line_now(cfg, now, env(tmp_path))
    assert (found.state, found.running, found.since) == (LineState.NOT_RUNNING, False, now - 1)
    with lock_held_elsewhere(locks.path_for(cfg.store.path)):  # a daemon without a RAM directory still runs
        found = state_now.line_now(cfg, now, env(tmp_path))
        assert (found.state, found.running, found.live) == (LineState.UP, True, False)
        # Its store going stale means it stopped probing (hung), lock or not.
        later = state_now.line_now(cfg, now + 30, env(tmp_path))
        assert (later.state, later.running) == (LineState.NOT_RUNNING, False)


def test_between_seals_the_store_may_be_a_seal_interval_old_while_the_daemon_runs(tmp_path: Path) -> None:
    """Without a live file, a running daemon's store is only as fresh as its last seal (rounds wait in the round log
    in between): still running 300 s after it, not once that and a few rounds' slack have passed."""
    (tmp_path / "run").mkdir()
    text = "[probe]\ninterval = 1.0\n[store]\ncommit_interval = 10.0\nseal_interval = 300.0\n"
    sealing = config.parse(text, source=None, env=env(tmp_path))
    now = float(int(time.time()))
    record(sealing, now - 300)
    with lock_held_elsewhere(locks.path_for(sealing.store.path)):
        found = state_now.line_now(sealing, now, env(tmp_path))
        assert (found.state, found.running) == (LineState.UP, True)
        later = state_now.line_now(sealing, now + 9, env(tmp_path))  # the limit: 300 s + 3 rounds + 5 s
        assert (later.state, later.running) == (LineState.NOT_RUNNING, False)


def test_a_stale_live_file_or_one_whose_writer_is_gone_is_ignored(cfg: Config, tmp_path: Path) -> None:
    record(cfg, time.time() - 60)
    write_live(cfg, tmp_path, age=4.9)  # 3 rounds + 2 s of slack at 1 s: still fresh
    assert state_now.fresh_live(cfg, time.time(), env(tmp_path)) is not None
    write_live(cfg, tmp_path, age=5.5)
    assert state_now.fresh_live(cfg, time.time(), env(tmp_path)) is None
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    write_live(cfg, tmp_path, pid=int(gone.stdout))  # killed with -9: the file stayed, its process did not
    assert state_now.fresh_live(cfg, time.time(), env(tmp_path)) is None
    found = state_now.line_now(cfg, time.time(), env(tmp_path))
    assert (found.state, found.live) == (LineState.NOT_RUNNING, False)


def test_no_store_yet_is_no_data(cfg: Config, tmp_path: Path) -> None:
    found = state_now.line_now(cfg, time.time(), env(tmp_path))
    assert (found.state, found.running, found.last_round) == (LineState.NO_DATA, False, None)


def test_a_report_counts_the_running_daemons_uncommitted_seconds_as_monitored() -> None:
    current = Live(1, "b", T0, 1.0, 1.0, T0 - 3600, up(T0 - 0.4), trusted=True)
    stored = [Coverage(T0 - 7200, T0 - 5000, True), Coverage(T0 - 3600, T0 - 9.5, True)]
    assert reports.with_live(stored, current) == [stored[0], Coverage(T0 - 3600, T0 + 0.6, True)]
    assert reports.with_live(stored, None) == stored
    untrusted = Live(1, "b", T0, 1.0, 1.0, T0 - 3600, up(T0 - 0.4), trusted=False)
    assert reports.with_live(stored, untrusted) == stored  # provisional stamps are not extended
    other = Live(1, "b", T0, 1.0, 1.0, T0 - 1800, up(T0 - 0.4), trusted=True)
    assert reports.with_live(stored, other) == stored  # another session's file changes nothing
