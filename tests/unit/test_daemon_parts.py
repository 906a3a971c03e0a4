"""Pieces of the daemon's shell that can be exercised without a network: probe isolation, the store lock and the
discovery thread."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from netwatch import config
from netwatch.adapters.store import Store
from netwatch.app.daemon.loop import Daemon
from netwatch.app.daemon.targets import Targets
from netwatch.app.daemon.writer import Writer, exclusive_lock, in_daemon_thread
from netwatch.core.model import Role, Round, Sample, Target
from netwatch.errors import StoreError
from tests.support.instants import T0
from tests.support.rounds import Line
from tests.support.targets import DOC_DNS as NAME
from tests.support.targets import DOC_GW as GW

LINE = Line.of(GW)


def test_a_failing_dns_probe_measures_nothing_rather_than_dns_down(tmp_path: Path) -> None:
    """A DNS probe that fails as a whole (a bug of netwatch's) leaves DNS unmeasured: no sample, so never a DNS
    outage blamed on the resolver; the echo samples of the round are kept."""
    daemon = Daemon(config.parse("", source=None, env={"NETWATCH_STATE_DIR": str(tmp_path)}), asyncio.Event())
    answered = (Sample(NAME, 12.0),)
    assert daemon._names(answered) == answered
    assert daemon._names(OSError("Address family not supported")) == ()


def test_one_daemon_per_store(tmp_path: Path) -> None:
    store = tmp_path / "netwatch.db"
    first = exclusive_lock(store)
    try:
        with pytest.raises(StoreError) as err:
            exclusive_lock(store)
        assert str(err.value) == (
            f"another netwatch is already recording into {store}: stop it first, or give this one its own store.path"
        )
    finally:
        os.close(first)
    os.close(exclusive_lock(store))  # released with the descriptor


def test_discovery_thread_returns_results_and_errors_without_blocking_exit() -> None:
    release = threading.Event()

    def slow() -> str:
        release.wait(30)
        return "never awaited"

    async def scenario() -> tuple[str, str]:
        ok = await in_daemon_thread(lambda x: x * 2, "ab")
        try:
            await in_daemon_thread(int, "not a number")
        except ValueError as err:
            failed = str(err)
        # A discovery still running when the loop stops is abandoned, not joined.
        task = asyncio.ensure_future(in_daemon_thread(slow))
        await asyncio.sleep(0)
        task.cancel()
        return ok, failed

    ok, failed = asyncio.run(scenario())
    release.set()
    assert ok == "abab"
    assert failed == "invalid literal for int() with base 10: 'not a number'"


def _round(i: int) -> Round:
    return LINE.answers(T0 + i, 0.4)


def test_a_hanging_disk_holds_a_bounded_number_of_rounds(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The writer thread stuck in a write (an SD card that stalls): rounds wait in a bounded buffer, the oldest are
    dropped and counted, and the newest reach the store in order once the disk answers."""
    with Store.open(tmp_path / "netwatch.db") as store:
        writer = Writer(store, max_waiting=4)
        stuck = threading.Event()
        writer.submit(stuck.wait, 30)
        for i in range(10):
            writer.add_round(_round(i))
        assert writer.dropped == 6
        stuck.set()
        writer.submit(store.commit).result(10)
        writer.close()
        assert [r.at for r in store.rounds(0, 2e9)] == [_round(i).at for i in range(6, 10)]
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "the store has not taken a round for 4 rounds (is the disk hanging?); dropping the oldest until it does"
    ]


def test_a_lasting_store_problem_is_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with Store.open(tmp_path / "netwatch.db") as store:
        writer = Writer(store)

        def full(n: int) -> None:
            raise StoreError(f"disk is full ({n} rounds kept in memory and retried)", condition="disk is full")

        for n in (1, 2, 3):
            with contextlib.suppress(StoreError):
                writer.submit(full, n).result(10)
        writer.submit(store.commit).result(10)
        writer.close()
    messages = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "netwatch"]
    assert messages == [
        ("ERROR", "disk is full (1 rounds kept in memory and retried)"),
        ("WARNING", "store writable again: backlog written"),
    ]


def test_rounds_reach_the_store_in_order_with_the_tasks_around_them(tmp_path: Path) -> None:
    """A round added after a task (the re-timing at a synchronisation) must not overtake it, even while an
    earlier batch of rounds is still waiting for the writer thread."""
    with Store.open(tmp_path / "netwatch.db") as store:
        writer = Writer(store)
        stuck = threading.Event()
        writer.submit(stuck.wait, 30)
        writer.add_round(_round(0))
        writer.add_round(_round(1))
        seen = writer.submit(store.pending)  # what the store holds when this task runs
        writer.add_round(_round(2))
        stuck.set()
        assert seen.result(10) == 2
        writer.submit(store.commit).result(10)
        writer.close()
        assert [r.at for r in store.rounds(0, 2e9)] == [_round(i).at for i in range(3)]


def test_the_targets_of_a_round_are_built_again_only_when_the_gateway_or_the_isp_hop_changes(tmp_path: Path) -> None:
    """The daemon asks for the round's targets several times a round: the same tuple until a target changes."""
    targets = Targets(config.parse("", source=None, env={"NETWATCH_STATE_DIR": str(tmp_path)}))
    targets.gateway = GW.address
    first = targets.icmp_targets()
    assert targets.icmp_targets() is first
    assert [t.role for t in first] == [Role.GATEWAY] + [Role.ANCHOR] * len(targets.anchors)
    targets.isp = "198.51.100.1"
    second = targets.icmp_targets()
    assert second[:2] == (GW, Target(Role.ISP, "198.51.100.1"))
    assert second[2:] == first[1:]
    targets.gateway = None
    assert targets.icmp_targets()[0] == Target(Role.ISP, "198.51.100.1")


def test_a_name_probe_with_no_names_is_not_asked(tmp_path: Path) -> None:
    """With `[dns] names = []` a round is its echoes alone: the name probe is not run (a task of its own every
    round, for nothing)."""
    cfg = config.parse("", source=None, env={"NETWATCH_STATE_DIR": str(tmp_path)})

    class Echoes:
        async def probe(self, targets: Sequence[Target]) -> tuple[Sample, ...]:
            return tuple(Sample(t, 1.0) for t in targets)

        def close(self) -> None:
            pass

    class Names:
        targets: tuple[Target, ...] = ()
        asked = 0

        async def probe(self) -> tuple[Sample, ...]:
            self.asked += 1
            return ()

    names = Names()
    daemon = Daemon(cfg, asyncio.Event(), probes=(Echoes(), names))
    found = asyncio.run(daemon._probe_round(Echoes(), names))
    assert isinstance(found, Round)
    assert [s.target.role for s in found.samples] == [Role.ANCHOR] * len(cfg.targets.anchors)
    assert names.asked == 0
    names.targets = (NAME,)
    asyncio.run(daemon._probe_round(Echoes(), names))
    assert names.asked == 1


def test_a_stop_cancels_the_work_awaited_in_the_callers_own_task(tmp_path: Path) -> None:
    """A round is awaited in the loop's own task (a task and a wait of its own every round cost two more turns of
    the event loop): a stop cancels the work at once, and leaves the caller's task running, not cancelled."""
    stop = asyncio.Event()
    daemon = Daemon(config.parse("", source=None, env={"NETWATCH_STATE_DIR": str(tmp_path)}), stop)

    async def main() -> tuple[int | None, int | None, int, list[str], int]:
        started = asyncio.Event()
        seen: list[str] = []

        async def answer() -> int:
            return 5

        async def forever() -> int:
            started.set()
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                seen.append("cancelled")
                raise
            return 6

        async def stopper() -> int:
            await started.wait()
            tasks = len(asyncio.all_tasks())
            stop.set()
            return tasks

        answered = await daemon.until_stopped(answer())
        stopping = asyncio.ensure_future(stopper())
        stopped = await daemon.until_stopped(forever())
        tasks = await stopping
        never = answer()
        assert await daemon.until_stopped(never) is None  # stopped already: not even begun
        task = asyncio.current_task()
        assert task is not None
        await asyncio.sleep(0)  # still running: no cancellation left pending for this task
        return answered, stopped, tasks, seen, task.cancelling()

    answered, stopped, tasks, seen, cancelling = asyncio.run(main())
    assert (answered, stopped, seen, cancelling) == (5, None, ["cancelled"], 0)
    assert tasks == 3  # this test's, the stopper's and the one waiting for the stop event: none for the work
