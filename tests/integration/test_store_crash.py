"""The store under kill -9 (a real child process) and a full disk (a real 512 KiB tmpfs, needs root)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwatch.adapters.store import Store
from netwatch.core.model import Cause, Coverage, Incident, Kind, Round
from netwatch.errors import StoreError
from tests.support.disk import fill, tmpfs
from tests.support.instants import T0
from tests.support.rounds import Line
from tests.support.targets import A1, GW, ISP

REPO = Path(__file__).resolve().parents[2]
TARGETS = (GW, ISP, A1)
BATCH = 7
INCIDENT_AT = 25  # the child saves an open outage after this many rounds (committing them at once)

CHILD = f"""
import sys
from pathlib import Path
from netwatch.core.model import Cause, Incident, Kind, Role, Round, Sample, Target
from netwatch.adapters.store import Store

T0, BATCH, INCIDENT_AT = {T0!r}, {BATCH}, {INCIDENT_AT}
SEAL_EVERY = int(sys.argv[2])  # batches: the others go to the round log
targets = tuple(Target(Role(r), a) for r, a in {[(t.role.value, t.address) for t in TARGETS]!r})
store = Store.open(Path(sys.argv[1]))
store.recover()
store.begin_session(T0)
i = 0
while True:
    # The anchor (the last target) is down from the outage's start on, as the outage saved below says.
    down = [i % 11 == 0 or (n == len(targets) - 1 and i >= 20) for n in range(len(targets))]
    rtts = [None if d else 1.0 + n + i % 5 for n, d in enumerate(down)]
    store.add_round(Round(T0 + i, tuple(Sample(t, r) for t, r in zip(targets, rtts))))
    i += 1
    if i == INCIDENT_AT:
        store.save_incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 20, rounds=5, detail="anchors 0/5"))
        print(i, flush=True)
    elif i % BATCH == 0:
        store.commit() if i % (BATCH * SEAL_EVERY) == 0 else store.log()
        print(i, flush=True)
"""


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("extra_delay", "seal_every"), [(0.0, 1), (0.03, 1), (0.15, 1), (0.0, 4), (0.03, 4), (0.15, 4)]
)
def test_kill_9_loses_at_most_the_uncommitted_batch(tmp_path: Path, extra_delay: float, seal_every: int) -> None:
    """Every batch committed (``seal_every`` 1), or three in four to the round log between seals: either way only
    the batch being written when the process died may be missing, once ``recover`` sealed what the log kept."""
    path = tmp_path / "netwatch.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(seal_every)], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    ) as child:
        assert child.stdout is not None
        reported = 0
        while reported < 200:  # wait until the child is well into its loop, committing batch after batch
            line = child.stdout.readline()
            assert line, f"child exited early with {child.wait()}"
            reported = int(line)
        time.sleep(extra_delay)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL
        for line in child.stdout:  # commits the child reported before it died
            reported = int(line)

    assert integrity(path) == "ok"
    with Store.open(path) as store:
        closed = store.recover()
        stored = [r.at for r in store.rounds(0.0, float("inf"))]
        count = len(stored)
        assert stored == [T0 + i for i in range(count)]  # a prefix: nothing missing in the middle
        assert reported <= count <= reported + BATCH  # at most the batch being committed when killed is unreported
        last = T0 + count - 1
        assert closed == [Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 20, last, rounds=5, detail="anchors 0/5")]
        assert store.open_incidents() == []
        assert store.sessions(0.0, float("inf")) == [Coverage(T0, last, clean=False)]  # after it: unmonitored
        assert sum(m.sent for m in store.rollups(0.0, float("inf"))) == count * len(TARGETS)
        found = store.verify()
        assert found.ok, found.breaks
    assert integrity(path) == "ok"


# --- full disk -----------------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path, "512k") as mnt:
        yield mnt


def a_round(i: int) -> Round:
    """Target n answers in 2 + n ms; every 13th round nothing answers."""
    return Line.of(*TARGETS).answers(T0 + i, *(None if i % 13 == 0 else 2.0 + n for n in range(len(TARGETS))))


def test_full_disk_keeps_the_batch_and_retries_it(small_disk: Path) -> None:
    path = small_disk / "netwatch.db"
    filler = small_disk / "filler"
    with Store.open(path) as store, Store.open(path, readonly=True) as reader:
        store.begin_session(T0)
        for i in range(100):
            store.add_round(a_round(i))
        store.commit()
        fill(filler)
        for i in range(100, 2100):
            store.add_round(a_round(i))
        with pytest.raises(StoreError) as err:
            store.commit()
        assert str(err.value) == (
            f"cannot write to {path}: database or disk is full; free space on that disk"
            " (2000 rounds kept in memory and retried)"
        )
        assert store.pending() == 2000
        outage = Incident(Kind.OUTAGE, Cause.LOCAL, T0 + 2050, rounds=3)
        with pytest.raises(StoreError, match="database or disk is full"):
            store.save_incident(outage)  # kept too, and retried with the rounds
        assert len(list(reader.rounds(0.0, float("inf")))) == 100
        assert reader.open_incidents() == []

        filler.unlink()
        store.commit()
        assert store.pending() == 0
        assert [r.at for r in reader.rounds(0.0, float("inf"))] == [T0 + i for i in range(2100)]
        assert reader.open_incidents() == [outage]
        assert sum(m.sent for m in reader.rollups(0.0, float("inf"))) == 2100 * len(TARGETS)
        store.end_session(T0 + 2099)
        assert reader.sessions(0.0, float("inf")) == [Coverage(T0, T0 + 2099, clean=True)]
    assert integrity(path) == "ok"


def test_full_disk_keeps_the_rounds_the_round_log_refused(small_disk: Path) -> None:
    path = small_disk / "netwatch.db"
    filler = small_disk / "filler"
    with Store.open(path) as store:
        store.begin_session(T0)
        for i in range(100):
            store.add_round(a_round(i))
        store.log()  # the log's first block is on the disk before it fills: later records need new ones
        fill(filler)
        for i in range(100, 2100):
            store.add_round(a_round(i))
        with pytest.raises(StoreError) as err:
            store.log()
        log = small_disk / "netwatch.db.roundlog"
        assert str(err.value) == (
            f"cannot write to {log}: the disk is full; free space on that disk (2100 rounds kept in memory and retried)"
        )
        filler.unlink()
        store.log()
        store.close()  # as if the power failed: nothing was committed
    with Store.open(path) as store:
        store.recover()
        assert [r.at for r in store.rounds(0.0, float("inf"))] == [T0 + i for i in range(2100)]
        assert store.verify().ok
    assert integrity(path) == "ok"
