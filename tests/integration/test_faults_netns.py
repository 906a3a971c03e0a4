"""The real daemon against faults of its own machine: a full disk (a real 2 MiB tmpfs filled to the last byte, in
the middle of an outage of the simulated ISP) and a corrupt store.

The disk filling up must give one loud error, probing must go on with the rounds in memory, and when space
returns the backlog must be written: no round lost, the outage recorded with its true start and end, and the
evidence chain intact.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwatch.adapters.store import Store
from netwatch.core.model import Kind
from tests.support.disk import fill, tmpfs
from tests.support.netns_daemon import Daemon, bounded_by, start_daemon, wait_for
from tests.support.netns_isp import Isp

pytestmark = pytest.mark.netns


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path, "2m") as mnt:
        yield mnt


def errors_in(daemon: Daemon) -> list[str]:
    return [line for line in daemon.logs().splitlines() if line.startswith("<3>")]


def test_a_full_disk_during_an_outage_loses_nothing(net: Isp, disk: Path, tmp_path: Path) -> None:
    # The store lives on the tiny disk; the daemon's log and configuration stay on the big one.
    d = start_daemon(net, tmp_path, "full", commit_interval=0.5, store=disk / "netwatch.db")
    try:
        started = time.time()
        wait_for("the first committed rounds", lambda: _rounds(d) >= 10, 30, d)
        filler = disk / "filler"
        fill(filler)
        wait_for("the disk-full error", lambda: any("database or disk is full" in e for e in errors_in(d)), 30, d)
        full_since = time.time()
        cut = net.cut("access")
        time.sleep(2.0)
        restored = net.restore("access")
        time.sleep(1.0)
        full_until = time.time()
        filler.unlink()
        wait_for("the backlog to be written", lambda: "store writable again: backlog written" in d.logs(), 30, d)
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(timeout=30) == 0, d.logs()  # systemd's TimeoutStopSec
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
    full = [e for e in errors_in(d) if "database or disk is full" in e]
    assert len(full) == 1, errors_in(d)  # one loud error, however many commits failed meanwhile
    assert full[0].endswith("rounds kept in memory and retried)"), full
    with Store.open(d.store, readonly=True) as store:
        rounds = list(store.rounds(started - 60, time.time() + 60))
        [outage] = [i for i in store.incidents(started, time.time()) if i.kind is Kind.OUTAGE]
        result = store.verify()
    # No round lost: every round the daemon took is stored, those of the seconds the disk was full included, and
    # probing went on meanwhile (rounds were taken then; how many depends on the machine's load, not on netwatch).
    taken = re.search(r"netwatch stopped after (\d+) rounds", d.logs())
    assert taken is not None and len(rounds) == int(taken[1]), d.logs()
    assert [r for r in rounds if full_since <= r.at <= full_until]
    bounded_by(rounds, outage, cut, restored)  # the rounds around the cut and the restore, taken while it was full
    assert result.ok, result.breaks


def _rounds(d: Daemon) -> int:
    with Store.open(d.store, readonly=True) as store:
        return store.count_rounds(0, time.time() + 60)


def test_a_corrupt_store_stops_the_daemon_with_the_fix(net: Isp, tmp_path: Path) -> None:
    store = tmp_path / "bad.db"
    store.write_bytes(b"SQLite format 3\0" + os.urandom(4096 * 4))
    cfg = tmp_path / "bad.toml"
    cfg.write_text(f'[store]\npath = "{store}"\n[targets]\ngateway = ""\nisp = ""\nanchors = ["192.0.2.1"]\n')
    proc = net.run("home", sys.executable, "-m", "netwatch", "run", "--config", str(cfg), check=False, timeout=30)
    assert proc.returncode == 4, proc
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"netwatch: store {store} is corrupt (") or last.startswith(
        f"netwatch: {store} is not a netwatch store"
    ), proc.stderr
    assert "move it aside" in last or "point store.path at another file" in last
