"""A campaign run, whole, in moments: the real runner and store with a fake clock and a fake speed backend
(both implement our Protocols): every slot measured on time, stop and resume, a machine that was off, failed
tests retried, a stop during a test, and the evidence chain intact afterwards; and a run that stops when another
process replaced its campaign or measured its slot meanwhile, and the run lock that keeps a second run out."""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from netwatch.adapters import locks
from netwatch.adapters.store.sqlite import Store
from netwatch.app import campaign as runner
from netwatch.core.calendar import local_date
from netwatch.core.campaign import planner, progress
from netwatch.core.model import CANCELLED, Campaign, SlotStatus, SpeedResult
from netwatch.core.text import slot_time, span
from netwatch.errors import CampaignError

ZONE = "Europe/Berlin"
START = date(2026, 5, 4)
TEST_S = 40.0  # how long each fake test takes


class FakeClock:
    """Time moves only when the runner waits or a test runs; ``stop_at`` asks the run to stop from then on."""

    def __init__(self, now: float, stop_at: float | None = None) -> None:
        self.t, self.stop_at = now, stop_at

    def now(self) -> float:
        return self.t

    def wait(self, seconds: float) -> bool:
        self.t += seconds
        return self.stop_at is not None and self.t >= self.stop_at


class MeddlingClock(FakeClock):
    """A FakeClock that, in the runner's first wait, lets another process (a second Store handle) do ``meddle``."""

    def __init__(self, now: float, path: Path, meddle: Callable[[Store], None]) -> None:
        super().__init__(now)
        self.path, self.meddle = path, meddle

    def wait(self, seconds: float) -> bool:
        if self.meddle is not None:
            with Store.open(self.path) as other:
                self.meddle(other)
            self.meddle = None
        return super().wait(seconds)


class FakeBackend:
    """A SpeedBackend on the fake clock: fails ``failures`` times first, sets ``cancel`` on run ``cancel_on``."""

    name = "fake"

    def __init__(self, clock: FakeClock, failures: int = 0, cancel_on: int | None = None) -> None:
        self.clock, self.failures, self.cancel_on = clock, failures, cancel_on
        self.runs = 0

    def run(self, cancel: threading.Event) -> SpeedResult:
        self.runs += 1
        at = self.clock.t
        self.clock.t += TEST_S
        if self.runs == self.cancel_on:
            cancel.set()
            return SpeedResult(at=at, backend=self.name, tool="fake", error=CANCELLED)
        if self.runs <= self.failures:
            return SpeedResult(at=at, backend=self.name, tool="fake", error="server unreachable")
        return SpeedResult(
            at=at, backend=self.name, tool="fake", download_mbps=90.0 + self.runs % 7, upload_mbps=38.5, ok=True
        )


def planned(store: Store) -> Campaign:
    schedule = planner.plan(START, ZONE, planner.DEFAULT_WINDOW, random.Random(7))
    made = store.plan_campaign(schedule, 7, START, schedule.slots[0].at - 86400)
    campaign = store.campaign(made)
    assert campaign is not None
    return campaign


def go(store: Store, campaign: Campaign, clock: FakeClock, backend: FakeBackend) -> tuple[runner.Finished, list[str]]:
    lines: list[str] = []
    cancel = threading.Event()
    lock = locks.path_for(store.path, "speed")
    return runner.run(store, campaign.id, [backend], clock, cancel, lines.append, lock), lines


def test_every_slot_is_measured_at_its_time_and_chained(store: Store) -> None:
    campaign = planned(store)
    clock = FakeClock(campaign.slots[0].planned - 3600)
    done, lines = go(store, campaign, clock, FakeBackend(clock))
    assert done == runner.Finished(runner.Outcome.COMPLETE)
    after = store.campaign()
    assert after is not None and len(after.done) == 30
    assert all(s.result is not None and s.result.at == s.planned for s in after.slots)
    assert planner.check([m.at for m in progress.measurements(after)], ZONE) == []
    first = campaign.slots[0]
    assert lines[0] == f"next: {progress.label(campaign, first)}, in 1 h"
    assert lines[1] == f"{progress.label(campaign, first)}: speed test via fake: 91.0/38.5 Mbit/s"
    assert lines[-1] == f"campaign {campaign.id} complete: 30 measurements; see `netwatch campaign evaluate`"
    check = store.verify()
    assert check.ok, check.breaks
    assert check.records == 1 + 30 + 30  # the campaign, its slots, the speed results
    assert len(store.speed_results(0, 1e12)) == 30


def test_a_stopped_run_resumes_where_it_stopped(store: Store) -> None:
    campaign = planned(store)
    clock = FakeClock(campaign.slots[0].planned - 60, stop_at=campaign.slots[12].planned - 1)
    backend = FakeBackend(clock)
    assert go(store, campaign, clock, backend)[0].outcome is runner.Outcome.STOPPED
    assert len(store.campaign(campaign.id).done) == 12  # type: ignore[union-attr]
    clock.stop_at = None
    done, lines = go(store, campaign, clock, backend)
    assert done.outcome is runner.Outcome.COMPLETE and backend.runs == 30
    assert lines[0].startswith(f"{progress.label(campaign, campaign.slots[12])}: speed test via fake: ")


def test_a_machine_that_was_off_misses_a_slot_and_the_campaign_says_why(store: Store) -> None:
    campaign = planned(store)
    slots = campaign.slots
    clock = FakeClock(slots[0].planned - 60, stop_at=slots[5].planned - 1)
    backend = FakeBackend(clock)
    go(store, campaign, clock, backend)
    clock.t, clock.stop_at = slots[10].planned - 60, None  # off until the next measurement day
    done, lines = go(store, campaign, clock, backend)
    assert done.outcome is runner.Outcome.BROKEN
    late = span(slots[10].planned - 60 - slots[5].planned)
    missed = f"{progress.label(campaign, slots[5])} missed: measuring it {late} late would break the procedure ("
    assert lines[0].startswith(missed)
    assert done.reasons[0].startswith(f"{progress.label(campaign, slots[5])} was missed: measuring it {late} late")
    first_day = local_date(slots[0].planned, campaign.zone)
    assert done.reasons[1:] == (
        "29 measurements; the procedure needs 30 (10 on each of 3 days)",
        f"{first_day}: 9 measurements; a measurement day needs 10",
    )
    assert store.campaign().missed[0].index == 5  # type: ignore[union-attr]
    assert store.verify().ok
    # Restarting says the same and measures nothing.
    again, lines = go(store, campaign, clock, backend)
    assert (again, lines, backend.runs) == (done, [], 5)


def test_a_late_start_is_still_measured_when_the_rules_allow_it(store: Store) -> None:
    campaign = planned(store)
    first = campaign.slots[0]
    clock = FakeClock(first.planned + 90, stop_at=first.planned + 100)
    backend = FakeBackend(clock)
    _, lines = go(store, campaign, clock, backend)
    assert lines[0] == f"{progress.label(campaign, first)} (1 min 30 s late): speed test via fake: 91.0/38.5 Mbit/s"
    assert store.campaign().slots[0].status is SlotStatus.DONE  # type: ignore[union-attr]


def test_a_failed_test_is_retried_five_minutes_later(store: Store) -> None:
    campaign = planned(store)
    first = campaign.slots[0]
    clock = FakeClock(first.planned, stop_at=campaign.slots[1].planned - 1)
    backend = FakeBackend(clock, failures=2)
    go(store, campaign, clock, backend)
    slot = store.campaign().slots[0]  # type: ignore[union-attr]
    assert (slot.status, slot.attempts, backend.runs) == (SlotStatus.DONE, 3, 3)
    assert slot.result is not None and slot.result.at == first.planned + 600
    assert len(store.speed_results(0, 1e12)) == 3  # the failed attempts are kept as evidence


def test_three_failed_tests_give_the_slot_up(store: Store) -> None:
    campaign = planned(store)
    clock = FakeClock(campaign.slots[0].planned)
    done, lines = go(store, campaign, clock, FakeBackend(clock, failures=3))
    label = progress.label(campaign, campaign.slots[0])
    retry = slot_time(campaign.slots[0].planned + 300, campaign.zone)
    assert lines == [
        f"{label}: speed test via fake failed: server unreachable; tried again in 5 min",
        f"next: {label} at {retry}, in 4 min 20 s",
        f"{label} (5 min late): speed test via fake failed: server unreachable; tried again in 5 min",
        f"next: {label} at {slot_time(campaign.slots[0].planned + 600, campaign.zone)}, in 4 min 20 s",
        f"{label} (10 min late): speed test via fake failed: server unreachable; no attempts left",
        f"{label} missed: its 3 speed tests failed (the last: server unreachable)",
    ]
    assert done.outcome is runner.Outcome.BROKEN


def test_a_stop_during_a_test_keeps_the_attempt_but_not_the_measurement(store: Store) -> None:
    campaign = planned(store)
    clock = FakeClock(campaign.slots[0].planned)
    done, _ = go(store, campaign, clock, FakeBackend(clock, cancel_on=1))
    assert done.outcome is runner.Outcome.STOPPED
    assert store.campaign().slots[0].status is SlotStatus.PENDING  # type: ignore[union-attr]
    assert [r.error for r in store.speed_results(0, 1e12)] == [CANCELLED]


def test_the_speed_lock_is_exclusive_across_open_files(tmp_path: Path) -> None:
    path = locks.path_for(tmp_path / "netwatch.db", "speed")
    assert path.name == "netwatch.db.speed.lock"
    with locks.speed_test(path) as first:
        assert first
        with locks.speed_test(path, wait=0.3) as second:
            assert not second
    with locks.speed_test(path) as again:
        assert again


def test_a_run_whose_campaign_was_replaced_while_it_waited_stops_without_measuring(store: Store) -> None:
    campaign = planned(store)
    schedule = planner.plan(START, ZONE, planner.DEFAULT_WINDOW, random.Random(8))

    def replace(other: Store) -> None:
        other.plan_campaign(schedule, 8, START, campaign.slots[0].planned - 1800, replace=campaign.id)

    clock = MeddlingClock(campaign.slots[0].planned - 3600, store.path, replace)
    backend = FakeBackend(clock)
    with pytest.raises(CampaignError) as err:
        go(store, campaign, clock, backend)
    assert str(err.value) == (
        f"campaign {campaign.id} was replaced by a newer plan while this run waited: run `netwatch campaign run` "
        "again to run the current one"
    )
    assert backend.runs == 0 and store.speed_results(0, 1e12) == []
    old, current = store.campaign(campaign.id), store.campaign()
    assert old is not None and old.replaced == campaign.slots[0].planned - 1800
    assert current is not None and current.id != campaign.id
    assert all(s.status is SlotStatus.PENDING for c in (old, current) for s in c.slots)
    assert store.verify().ok


def test_a_run_whose_slot_another_process_measured_stops_without_measuring_it_again(store: Store) -> None:
    campaign = planned(store)
    first = campaign.slots[0]
    theirs = SpeedResult(
        at=first.planned - 600, backend="other", tool="fake", download_mbps=80.0, upload_mbps=30.0, ok=True
    )
    clock = MeddlingClock(
        first.planned - 3600, store.path, lambda other: other.campaign_attempts(first.id, [theirs], done=True)
    )
    backend = FakeBackend(clock)
    with pytest.raises(CampaignError) as err:
        go(store, campaign, clock, backend)
    assert str(err.value) == (
        f"{progress.label(campaign, first)} changed in the store while this run waited (now done, 1 attempts): another "
        "process runs this campaign; stop it, then run `netwatch campaign run` again"
    )
    after = store.campaign(campaign.id)
    assert backend.runs == 0 and after is not None and [s.result for s in after.done] == [theirs]
    assert len(store.speed_results(0, 1e12)) == 1


def test_a_second_run_of_a_store_is_refused_while_the_first_holds_the_run_lock(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    assert locks.path_for(path, "campaign").name == "netwatch.db.campaign.lock"
    with runner.exclusive(path, "the fix"):
        with pytest.raises(CampaignError) as err, runner.exclusive(path, "the fix"):
            pass
        assert str(err.value) == (
            f"a `netwatch campaign run` (pid {os.getpid()}) is already running the campaign of {path}: the fix"
        )
    with runner.exclusive(path, "the fix"):  # released with the block
        pass
