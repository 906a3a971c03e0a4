"""Running a speed campaign: sleep until each slot, run one speed test, store it, link it, say what happened.

Owns the imperative loop of `netwatch campaign run`: it reads the campaign from the store at the start and after
each of its writes (so a restart resumes where the store says, and nothing is kept that the store lacks), asks
``progress.decide`` what to do, and does it: waits (in naps of at most a minute, re-reading the wall clock, so a
suspended machine wakes to the right decision), runs the fallback chain of speed test backends under the speed test
lock shared with the daemon (``netwatch.adapters.locks``), stores every attempt and links the last to its slot, or
gives a slot up. The clock is injected (``Clock``), so tests run a whole campaign in moments; the product has only
the real one. A stop (the ``cancel`` event: SIGTERM, Ctrl-C) ends a wait at once and aborts a running test, which is
stored but not counted; the slot stays open for the next run.

Also owns the run lock (``exclusive``: ``<store path>.campaign.lock``, held by `netwatch campaign run` for its whole
life and by `netwatch campaign plan` while it replaces a campaign), so one run measures a store's campaign and no
plan replaces it under the run. Right before each of its writes (after taking the speed test lock, for a test) the
runner reads its campaign again and stops when it was replaced or its slot changed: a store written by other means
must not get measurements in a campaign nobody runs.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from netwatch.adapters import locks
from netwatch.adapters.probes.speed import SpeedBackend, run_with_fallback
from netwatch.adapters.store.sqlite import Store
from netwatch.app import stores
from netwatch.app.daemon.speed import build_chain
from netwatch.config import Config
from netwatch.core.calendar import local_date
from netwatch.core.campaign import planner, progress
from netwatch.core.campaign.evaluate import Evaluation
from netwatch.core.model import Campaign, StoredSlot
from netwatch.core.text import slot_time, span
from netwatch.errors import CampaignError
from netwatch.report.status import speed_summary as summary

MAX_NAP_S = 60.0
LOCK_WAIT_S = 180.0  # a scheduled daemon test takes a minute or two; waiting longer makes the slot late


@contextlib.contextmanager
def exclusive(store: Path, fix: str) -> Iterator[None]:
    """Hold the run lock of ``store`` for the block, or raise CampaignError at once, naming the run that holds it
    (its pid, written into the lock file) and ending with ``fix``. The kernel releases it when the process dies."""
    path = locks.path_for(store, "campaign")
    try:
        fd = locks.acquire(path)
    except OSError as err:
        raise CampaignError(
            f"cannot open the campaign run lock {path} ({err.strerror}): let this user write to {path.parent}"
        ) from None
    if fd is None:
        pid = locks.holder(path)
        who = f" (pid {pid})" if pid else ""
        raise CampaignError(f"a `netwatch campaign run`{who} is already running the campaign of {store}: {fix}")
    try:
        locks.mark(fd)
        yield
    finally:
        os.close(fd)


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock time, UTC Unix seconds."""
        ...

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when the run is asked to stop (then at once)."""
        ...


class SystemClock:
    """The real clock; ``stop`` (set by a signal handler) ends a wait."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def now(self) -> float:
        return time.time()

    def wait(self, seconds: float) -> bool:
        return self.stop.wait(max(0.0, seconds))


class Outcome(StrEnum):
    COMPLETE = "complete"
    STOPPED = "stopped"
    BROKEN = "broken"  # the procedure can no longer be met: ``reasons`` say which rules


@dataclass(frozen=True)
class Finished:
    outcome: Outcome
    reasons: tuple[str, ...] = ()


def run(
    store: Store,
    campaign_id: int,
    backends: Sequence[SpeedBackend],
    clock: Clock,
    cancel: threading.Event,
    echo: Callable[[str], None],
    lock: Path,
    lock_wait: float = LOCK_WAIT_S,
) -> Finished:
    """Run campaign ``campaign_id`` until it is complete, stopped (``cancel``) or can no longer be met."""
    announced: tuple[int, int] | None = None  # (slot, attempts) of the last wait said
    campaign: Campaign | None = None
    while True:
        if campaign is None:  # read again after each write of ours; ``_recheck`` before each write covers others
            campaign = _recheck(store, campaign_id, None)
        now = clock.now()
        action = progress.decide(campaign, now)
        if isinstance(action, progress.Complete):
            done = len(campaign.done)
            echo(f"campaign {campaign.id} complete: {done} measurements; see `netwatch campaign evaluate`")
            return Finished(Outcome.COMPLETE)
        if isinstance(action, progress.Broken):
            return Finished(Outcome.BROKEN, action.reasons)
        if isinstance(action, progress.Miss):
            _recheck(store, campaign.id, action.slot)
            store.campaign_missed(action.slot.id, action.reason)
            echo(f"{progress.label(campaign, action.slot)} missed: {action.reason}")
            campaign = None
            continue
        if isinstance(action, progress.Wait):
            if announced != (action.slot.id, action.slot.attempts):
                announced = (action.slot.id, action.slot.attempts)
                late = action.until != action.slot.planned
                at = f" at {slot_time(action.until, campaign.zone)}" if late else ""
                echo(f"next: {progress.label(campaign, action.slot)}{at}, in {span(action.until - now)}")
            if clock.wait(min(action.until - now, MAX_NAP_S)):
                return Finished(Outcome.STOPPED)
            continue
        if _measure(store, campaign, action.slot, backends, cancel, echo, lock, lock_wait):
            return Finished(Outcome.STOPPED)
        campaign = None


def _measure(
    store: Store,
    campaign: Campaign,
    slot: StoredSlot,
    backends: Sequence[SpeedBackend],
    cancel: threading.Event,
    echo: Callable[[str], None],
    lock: Path,
    lock_wait: float,
) -> bool:
    """One test for ``slot``, stored; returns True when the run was stopped."""
    label = progress.label(campaign, slot)
    with locks.speed_test(lock, lock_wait, cancel) as free:
        if cancel.is_set():
            return True
        if not free:
            echo(f"{label}: another speed test still holds {lock} after {lock_wait:.0f} s; trying again")
            return False
        _recheck(store, campaign.id, slot)  # the lock wait can take minutes: this is the last moment to look
        attempts = run_with_fallback(list(backends), cancel)
    if not attempts:
        raise CampaignError("no speed test backend is configured: set [speedtest] backend")
    last = attempts[-1]
    if last.cancelled or cancel.is_set():
        for attempt in attempts:  # evidence of the attempt, not a measurement: the slot stays open
            store.save_speed(attempt)
        return True
    store.campaign_attempts(slot.id, attempts, done=last.ok)
    late = last.at - slot.planned
    when = f" ({span(late)} late)" if late >= 60 else ""
    retry = ""
    if not last.ok:
        left = progress.MAX_ATTEMPTS - slot.attempts - 1
        retry = f"; tried again in {span(progress.RETRY_S)}" if left > 0 else "; no attempts left"
    echo(f"{label}{when}: {summary(last)}{retry}")
    return False


def _recheck(store: Store, campaign_id: int, slot: StoredSlot | None) -> Campaign:
    """Campaign ``campaign_id`` as stored now; raises CampaignError when it is gone or replaced, or ``slot`` is no
    longer as this run last read it (another process measured it or gave it up)."""
    campaign = store.campaign(campaign_id)
    if campaign is None:
        raise CampaignError(f"campaign {campaign_id} is not in the store {store.path}")
    if campaign.replaced is not None:
        raise CampaignError(
            f"campaign {campaign_id} was replaced by a newer plan while this run waited: run `netwatch campaign "
            "run` again to run the current one"
        )
    if slot is not None:
        stored = next(s for s in campaign.slots if s.id == slot.id)
        if (stored.status, stored.attempts) != (slot.status, slot.attempts):
            raise CampaignError(
                f"{progress.label(campaign, slot)} changed in the store while this run waited (now {stored.status}, "
                f"{stored.attempts} attempts): another process runs this campaign; stop it, then run "
                "`netwatch campaign run` again"
            )
    return campaign


# --- the operations ------------------------------------------------------------------------------------------

NONE_PLANNED = "no speed campaign is planned: run `netwatch campaign plan` first"


def current(cfg: Config) -> Campaign:
    """The current campaign of the configured store. Raises CampaignError when none is planned."""
    with stores.reading(cfg) as store:
        found = store.campaign()
    if found is None:
        raise CampaignError(NONE_PLANNED)
    return found


def start_day(value: str | None, cfg: Config, now: float) -> date:
    """The first day a campaign may start on: ``--start`` (YYYY-MM-DD, not in the past), default today."""
    today = local_date(now, cfg.business_hours.timezone)
    if value is None:
        return today
    try:
        start = date.fromisoformat(value)
    except ValueError:
        raise CampaignError(f"--start {value!r} is not a date: give it as YYYY-MM-DD, e.g. 2026-05-04") from None
    if start < today:
        raise CampaignError(f"--start {start} is in the past (today is {today}): give today or a later date")
    return start


def plan_campaign(
    cfg: Config, *, start: str | None, window: str, seed: int | None, replace: bool, now: float
) -> Campaign:
    """Plan a campaign (30 random times keeping the procedure's rules) and store it; a campaign with measurements
    is replaced only with ``replace`` (it stays in the store as evidence). Refused while a run holds the lock."""
    chosen = planner.parse_window(window)
    first = start_day(start, cfg, now)
    seed = random.SystemRandom().randrange(1_000_000) if seed is None else seed
    schedule = planner.plan(first, cfg.business_hours.timezone_name, chosen, random.Random(seed), not_before=now)
    fix = "stop it first (Ctrl-C in its terminal), then plan the new campaign"
    with stores.adding(cfg, "the campaign") as store, exclusive(cfg.store.path, fix):
        old = store.campaign()
        if old is not None and old.done and not replace:
            raise CampaignError(
                f"campaign {old.id} already has {len(old.done)} measurements: run `netwatch campaign plan "
                "--replace` to plan a new one (the old one stays in the store as evidence)"
            )
        made = store.plan_campaign(schedule, seed, first, now, replace=old.id if old else None)
        stored = store.campaign(made)
    assert stored is not None
    return stored


def run_campaign(
    cfg: Config, stop: threading.Event, echo: Callable[[str], None], started: Callable[[Campaign], None]
) -> tuple[Campaign, Finished]:
    """Run the planned campaign until it is complete, ``stop`` is set or it can no longer follow the procedure;
    ``started`` is told the campaign first, ``echo`` each step. Only one run per store."""
    backends = build_chain(cfg, cfg.speedtest.chain, None)
    only_one = "only one runs per store; stop it (Ctrl-C in its terminal) to restart it"
    with stores.adding(cfg, "the campaign's measurement") as store, exclusive(cfg.store.path, only_one):
        found = store.campaign()
        if found is None:
            raise CampaignError(NONE_PLANNED)
        started(found)
        done = run(
            store,
            found.id,
            backends,
            SystemClock(stop),
            stop,
            echo,
            locks.path_for(cfg.store.path, "speed"),
        )
    return found, done


def evaluate(cfg: Config) -> tuple[Campaign, Evaluation]:
    """The current campaign and its three criteria per direction against ``[plan]``'s speeds."""
    found = current(cfg)
    return found, progress.evaluation_of(found, cfg.plan)
