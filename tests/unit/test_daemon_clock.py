"""The daemon loop with a clock the test controls: a Raspberry Pi booting with a stale clock, NTP setting it later,
restarts before synchronisation, a step of a trusted clock, and probes that raise.

The daemon runs in-process against a real store; the clock (wall time = the real one plus an offset the test
moves, the kernel's NTP flag the test sets) and the line (a fake echo probe whose anchors answer unless the test
cuts them) implement the daemon's Protocols. No packet is sent.
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import pytest

from netwatch import config
from netwatch.adapters import live
from netwatch.adapters.probes.resources import own_fault
from netwatch.adapters.store import Store
from netwatch.app.daemon.loop import Daemon
from netwatch.core.clock import Reading
from netwatch.core.model import EventKind, Kind, Live, Role, Sample, Target
from tests.support import configs

INTERVAL = 0.05
ANCHORS = ("192.0.2.1", "198.51.100.1", "203.0.113.1")  # never contacted: the probe is fake


class SettableClock:
    """Real monotonic time; wall time = real time + ``offset``; the NTP status is whatever the test says."""

    def __init__(self, offset: float, synced: bool | None, boot: str = "boot-A") -> None:
        self.offset, self.synced, self.boot = offset, synced, boot

    def read(self, status: bool = True) -> Reading:
        return Reading(time.time() + self.offset, time.monotonic(), self.synced if status else None)

    def boot_id(self) -> str:
        return self.boot


class Line:
    """Anchors answer in 1 ms unless ``down``; ``broken`` makes the probe raise instead."""

    def __init__(self) -> None:
        self.down = False
        self.broken: Exception | None = None

    async def probe(self, targets: Sequence[Target]) -> tuple[Sample, ...]:
        await asyncio.sleep(0.001)
        if self.broken is not None:
            raise self.broken
        return tuple(Sample(t, None if self.down else 1.0) for t in targets)

    def close(self) -> None:
        pass


class Names:
    def __init__(self, raises: Exception | None = None) -> None:
        # A name to resolve: a name probe with none is not asked at all.
        self.targets: tuple[Target, ...] = (Target(Role.DNS, "example.test"),)
        self.raises = raises

    async def probe(self) -> tuple[Sample, ...]:
        if self.raises is not None:
            raise self.raises
        return ()


def make_config(tmp: Path, sync: str) -> config.Config:
    document = configs.daemon(
        tmp / "netwatch.db",
        ANCHORS,
        interval=INTERVAL,
        timeout=0.04,
        commit_interval=0.1,
        mode=None,
        targets={"gateway": "", "isp": ""},
        detect={"confirm": 2},
        clock={"sync": sync},
    )
    return configs.parse(configs.toml(document), env={"NETWATCH_STATE_DIR": str(tmp)})


Scenario = Callable[[Daemon], Awaitable[None]]


def run(cfg: config.Config, clock: SettableClock, line: Line, scenario: Scenario, names: Names | None = None) -> Daemon:
    async def main() -> Daemon:
        stop = asyncio.Event()
        daemon = Daemon(cfg, stop, clock=clock, probes=(line, names or Names()))
        task = asyncio.ensure_future(daemon.run())
        try:
            await scenario(daemon)
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
        return daemon

    return asyncio.run(main())


async def rounds(daemon: Daemon, n: int, counter: str = "rounds") -> None:
    """Wait for ``n`` more rounds (of the daemon's ``counter``: "unprobed" counts those that measured nothing)."""
    target = getattr(daemon, counter) + n
    deadline = time.monotonic() + 30
    while getattr(daemon, counter) < target:
        assert time.monotonic() < deadline, f"the daemon stopped probing ({counter})"
        await asyncio.sleep(INTERVAL / 2)


def test_a_stale_clock_is_retimed_when_ntp_sets_it(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, "ntp")
    true_start = time.time()
    # The store already holds an hour-old session; the Pi boots two hours behind (fake-hwclock after a power cut).
    with Store.open(cfg.store.path) as store:
        store.begin_session(true_start - 3600)
        store.end_session(true_start - 3590)
    clock, line = SettableClock(-7200.0, synced=False), Line()

    async def scenario(daemon: Daemon) -> None:
        await rounds(daemon, 10)
        line.down = True  # an outage while the clock is still wrong
        await rounds(daemon, 6)
        line.down = False
        await rounds(daemon, 6)
        assert not daemon.clock_ready.is_set()  # the exporter is held back meanwhile
        clock.offset, clock.synced = 0.0, True  # NTP steps the clock and the kernel reports synchronisation
        await rounds(daemon, 10)
        assert daemon.clock_ready.is_set()

    daemon = run(cfg, clock, line, scenario)
    true_end = time.time()
    with Store.open(cfg.store.path, readonly=True) as store:
        stamps = [r.at for r in store.rounds(0, true_end + 60)]
        [outage] = [i for i in store.incidents(0, true_end + 60) if i.kind is Kind.OUTAGE]
        sessions = store.sessions(0, true_end + 60)
        events = store.clock_events(0, true_end + 60)
        [span] = store.clock_spans(0, true_end + 60)
        result = store.verify()
    assert len(stamps) == daemon.rounds
    # Every round at its true time, in order, spaced like the monotonic clock: nothing negative, nothing overlapping
    # the earlier session, nothing duplicated.
    assert true_start - 0.1 <= stamps[0] and stamps[-1] <= true_end
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) > 0 and max(gaps) < 1.0
    assert len(set(stamps)) == len(stamps)
    assert sessions[0].end < sessions[1].start and true_start - 0.1 <= sessions[1].start
    assert true_start < outage.start < (outage.end or 0) < true_end
    assert outage.duration() == pytest.approx(6 * INTERVAL, abs=4 * INTERVAL)
    kinds = [e.kind for e in events]
    assert kinds == [EventKind.UNSYNCED, EventKind.BEHIND, EventKind.SYNCED]
    assert events[2].step == pytest.approx(7200.0 - events[1].step, abs=0.5)
    assert span.delta_ms is not None and span.last_round is not None
    # the span holds exactly the rounds stamped before the synchronisation
    assert span.last_round - span.first_round + 1 == sum(1 for at in stamps if at < events[2].at) >= 22
    assert result.ok, result.breaks


def test_restarts_before_synchronisation_are_retimed_together(tmp_path: Path) -> None:
    """Two runs in one boot before NTP answers (the line was down at boot): the second run's synchronisation
    re-times the first run's rounds too, because their monotonic clock is the same."""
    cfg = make_config(tmp_path, "ntp")
    true_start = time.time()
    clock, line = SettableClock(-50_000.0, synced=False), Line()

    async def first(daemon: Daemon) -> None:
        await rounds(daemon, 8)

    async def second(daemon: Daemon) -> None:
        await rounds(daemon, 8)
        clock.offset, clock.synced = 0.0, True
        await rounds(daemon, 4)

    a = run(cfg, clock, line, first)
    b = run(cfg, clock, line, second)
    true_end = time.time()
    with Store.open(cfg.store.path, readonly=True) as store:
        stamps = [r.at for r in store.rounds(0, true_end + 60)]
        spans = store.clock_spans(0, true_end + 60)
        sessions = store.sessions(0, true_end + 60)
        assert store.verify().ok
    assert len(stamps) == a.rounds + b.rounds
    assert true_start - 0.1 <= stamps[0] and stamps[-1] <= true_end
    assert all(y > x for x, y in itertools.pairwise(stamps))
    assert [s.delta_ms is not None for s in spans] == [True, True]
    assert len(sessions) == 2 and sessions[0].end <= sessions[1].start


def test_a_step_of_a_trusted_clock_splits_the_session_and_is_recorded(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, "trust")
    clock, line = SettableClock(0.0, synced=True), Line()

    async def scenario(daemon: Daemon) -> None:
        await rounds(daemon, 6)
        line.down = True
        await rounds(daemon, 5)
        clock.offset = -600.0  # someone sets the clock back ten minutes in the middle of an outage
        await rounds(daemon, 5)
        line.down = False
        await rounds(daemon, 5)

    daemon = run(cfg, clock, line, scenario)
    with Store.open(cfg.store.path, readonly=True) as store:
        everything = store.incidents(0, time.time() + 60)
        sessions = store.sessions(0, time.time() + 60)
        [event] = store.clock_events(0, time.time() + 60)
        assert store.verify().ok
    assert daemon.clock_steps == 1
    assert event.kind is EventKind.STEP and event.step == pytest.approx(-600.0, abs=1.0)
    assert len(sessions) == 2
    assert all(i.duration() >= 0 and i.duration() < 2.0 for i in everything)  # never 10 minutes, never negative
    assert [i.kind for i in everything] == [Kind.OUTAGE, Kind.OUTAGE]  # closed before the step, reopened after


def paused_sessions(cfg: config.Config) -> list[tuple[int | None, str | None]]:
    conn = sqlite3.connect(cfg.store.path)
    try:
        return [(c, r) for c, r in conn.execute("SELECT clean, end_reason FROM sessions ORDER BY id")]
    finally:
        conn.close()


def test_probes_that_raise_never_stop_the_loop_nor_make_an_outage(tmp_path: Path) -> None:
    """A DNS probe that fails as a whole leaves DNS unmeasured; an echo probe that fails as a whole measures
    nothing: monitoring pauses (the session ends with the reason, the time is unmonitored) and resumes in a new
    session once it works. Neither ever makes an outage."""
    cfg = make_config(tmp_path, "trust")
    clock, line = SettableClock(0.0, synced=True), Line()
    names = Names(raises=RuntimeError("resolver exploded"))

    async def scenario(daemon: Daemon) -> None:
        await rounds(daemon, 5)
        line.broken = ValueError("unexpected bug in the echo probe")
        await rounds(daemon, 5, "unprobed")
        line.broken = None
        await rounds(daemon, 5)

    daemon = run(cfg, clock, line, scenario, names)
    with Store.open(cfg.store.path, readonly=True) as store:
        stored = list(store.rounds(0, time.time() + 60))
        assert store.incidents(0, time.time() + 60) == []
        assert store.verify().ok
    assert len(stored) == daemon.rounds >= 10  # every round that measured something, and only those
    assert all(s.ok and s.target.role is Role.ANCHOR for r in stored for s in r.samples)
    assert paused_sessions(cfg) == [
        (1, "netwatch itself: probe error: unexpected bug in the echo probe"),
        (1, None),
    ]


def test_running_out_of_descriptors_is_unmonitored_time_never_a_dns_outage(tmp_path: Path) -> None:
    """The attack of the review: a local client takes every file descriptor, the DNS probe cannot open its socket.
    That time is unmonitored, with the reason, and blames nobody."""
    cfg = make_config(tmp_path, "trust")
    clock, line = SettableClock(0.0, synced=True), Line()
    names = Names()

    async def scenario(daemon: Daemon) -> None:
        await rounds(daemon, 5)
        names.raises = own_fault(OSError(errno.EMFILE, "Too many open files"), "opening a DNS socket")
        await rounds(daemon, 8, "unprobed")  # more than detect.confirm rounds: an outage, were they counted as failed
        names.raises = None
        await rounds(daemon, 5)

    run(cfg, clock, line, scenario, names)
    with Store.open(cfg.store.path, readonly=True) as store:
        assert store.incidents(0, time.time() + 60) == []
        [before, after] = store.sessions(0, time.time() + 60)
        assert before.end < after.start  # the gap between them is unmonitored
        assert store.verify().ok
    assert paused_sessions(cfg)[0] == (
        1,
        "netwatch itself could not probe (opening a DNS socket): too many open files (EMFILE)",
    )


def test_a_run_that_starts_synchronised_retimes_an_earlier_run_of_the_boot(tmp_path: Path) -> None:
    """Run A stops before NTP answers (say the watchdog restarted it); NTP sets the clock; run B starts trusted and
    corrects A's provisional stamps from the same monotonic clock."""
    cfg = make_config(tmp_path, "ntp")
    true_start = time.time()
    clock, line = SettableClock(-1800.0, synced=False), Line()

    async def some_rounds(daemon: Daemon) -> None:
        await rounds(daemon, 6)

    a = run(cfg, clock, line, some_rounds)
    clock.offset, clock.synced = 0.0, True
    b = run(cfg, clock, line, some_rounds)
    with Store.open(cfg.store.path, readonly=True) as store:
        stamps = [r.at for r in store.rounds(0, time.time() + 60)]
        [span] = store.clock_spans(0, time.time() + 60)
        events = store.clock_events(0, time.time() + 60)
        assert store.verify().ok
    assert len(stamps) == a.rounds + b.rounds
    assert true_start - 0.1 <= stamps[0] and all(y > x for x, y in itertools.pairwise(stamps))
    assert span.delta_ms is not None and abs(span.delta_ms - 1_800_000) < 500
    assert [e.kind for e in events] == [EventKind.UNSYNCED, EventKind.SYNCED]
    assert events[1].detail.startswith(f"the clock is synchronised: {a.rounds} rounds of an earlier run")


def test_the_line_state_is_in_ram_after_every_round_and_gone_after_a_clean_stop(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, "trust")
    env = {"RUNTIME_DIRECTORY": str(tmp_path / "run")}
    (tmp_path / "run").mkdir()
    line = Line()
    seen: list[Live | None] = []

    async def scenario(daemon: Daemon) -> None:
        await rounds(daemon, 3)
        seen.append(live.read(cfg.store.path, env))
        line.down = True
        await rounds(daemon, 4)  # confirm = 2: the outage is open
        seen.append(live.read(cfg.store.path, env))

    async def main() -> None:
        stop = asyncio.Event()
        daemon = Daemon(cfg, stop, clock=SettableClock(0.0, True), probes=(line, Names()), env=env)
        task = asyncio.ensure_future(daemon.run())
        try:
            await scenario(daemon)
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)

    asyncio.run(main())
    up, down = seen
    assert up is not None and down is not None
    assert up.pid == os.getpid() and up.interval == INTERVAL and up.open_incidents == () and up.trusted
    assert up.last_round is not None and all(s.ok for s in up.last_round.samples)
    assert [s.target.address for s in up.last_round.samples] == list(ANCHORS)
    assert down.last_round is not None and not any(s.ok for s in down.last_round.samples)
    assert [i.kind for i in down.open_incidents] == [Kind.OUTAGE]
    assert down.written > up.written and down.session_start == up.session_start
    assert live.read(cfg.store.path, env) is None  # removed at the clean stop
    assert list((tmp_path / "run").iterdir()) == []
