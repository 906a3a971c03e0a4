"""A campaign as stored, and what its run does next: wait, measure, give a slot up, or stop.

Owns what a stored ``Campaign`` (a record of ``netwatch.core.model``) says: its measurements, its slots' labels, its
evaluation, and ``decide``: given the campaign and "now", the next action. A slot is measured at its planned
instant, or later when the previous measurement started late (the gaps are kept from the actual starts) or its test
failed (retried 5 minutes after the failed start, up to ``MAX_ATTEMPTS``); it is measured late only when the
measurements done, this one now and the slots still planned (pushed back as far as the gaps need) would together
follow the procedure (``planner.check``), else it is missed, and a missed slot means the procedure can no longer be
met. Must not read a clock ("now" comes from the caller), sleep or run a test (``netwatch.app.campaign``
does).
"""

from __future__ import annotations

from dataclasses import dataclass

from netwatch.core.calendar import local_date
from netwatch.core.campaign import planner
from netwatch.core.campaign.evaluate import Contract, Evaluation, Measurement, evaluate
from netwatch.core.model import Campaign, Plan, SlotStatus, StoredSlot
from netwatch.core.text import slot_time, span

MAX_ATTEMPTS = 3  # failed tests per slot before it is given up
RETRY_S = planner.MIN_GAP_S


def measurements(campaign: Campaign) -> list[Measurement]:
    """The counted measurements, with their local calendar day."""
    return [
        Measurement(local_date(r.at, campaign.zone), r.at, r.download_mbps, r.upload_mbps)
        for r in (s.result for s in campaign.done)
        if r is not None
    ]


def label(campaign: Campaign, slot: StoredSlot) -> str:
    """ "slot 5/30 (Mon 2026-05-04 11:40)": the slot's number and planned local time."""
    return f"slot {slot.index + 1}/{len(campaign.slots)} ({slot_time(slot.planned, campaign.zone)})"


def evaluation_of(campaign: Campaign, plan: Plan) -> Evaluation:
    """The three criteria of ``campaign`` against the contract speeds of ``[plan]``. The procedure is judged once
    no slot is left to measure (or one was missed); before that the figures stand and nothing is decided."""
    measured = measurements(campaign)
    finished = not campaign.open or bool(campaign.missed)
    procedure = planner.check([m.at for m in measured], campaign.timezone) if finished else []
    return evaluate(
        measured,
        Contract(plan.download_mbps, plan.normal_download_mbps, plan.minimum_download_mbps),
        Contract(plan.upload_mbps, plan.normal_upload_mbps, plan.minimum_upload_mbps),
        procedure,
    )


@dataclass(frozen=True)
class Wait:
    slot: StoredSlot
    until: float


@dataclass(frozen=True)
class Run:
    slot: StoredSlot


@dataclass(frozen=True)
class Miss:
    """Give ``slot`` up for ``reason``; the campaign is then ``Broken``."""

    slot: StoredSlot
    reason: str


@dataclass(frozen=True)
class Broken:
    """The procedure can no longer be met: every rule broken, missed slots first."""

    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Complete:
    pass


Action = Wait | Run | Miss | Broken | Complete


def _gap_before(index: int) -> float:
    return planner.MIDDAY_GAP_S if index % planner.PER_DAY == planner.PER_DAY // 2 else planner.MIN_GAP_S


def decide(campaign: Campaign, now: float) -> Action:
    """The next action of a run at ``now`` (see the module docstring for the rules)."""
    done = [s.result.at for s in campaign.done if s.result is not None]
    pending = campaign.open
    if campaign.missed:
        missed = [f"{label(campaign, s)} was missed: {s.detail}" for s in campaign.missed]
        rest = planner.check(done + [s.planned for s in pending], campaign.timezone)
        return Broken(tuple(missed + rest))
    if not pending:
        problems = planner.check(done, campaign.timezone)
        return Broken(tuple(problems)) if problems else Complete()
    slot = pending[0]
    if slot.status is SlotStatus.FAILED and slot.attempts >= MAX_ATTEMPTS:
        error = slot.result.error if slot.result is not None else ""
        return Miss(slot, f"its {slot.attempts} speed tests failed (the last: {error})")
    earliest = slot.planned
    if done:
        earliest = max(earliest, max(done) + _gap_before(slot.index))
    if slot.status is SlotStatus.FAILED and slot.result is not None:
        earliest = max(earliest, slot.result.at + RETRY_S)
    at = max(earliest, now)
    # The slots after this one as early as they can then be: planned, or pushed by the gaps from this start.
    later, previous = [], at
    for s in pending[1:]:
        previous = max(s.planned, previous + _gap_before(s.index))
        later.append(previous)
    problems = planner.check([*done, at, *later], campaign.timezone)
    if problems:
        late = f"{span(at - slot.planned)} late" if at > slot.planned else "at its time"
        return Miss(slot, f"measuring it {late} would break the procedure ({problems[0]})")
    return Wait(slot, at) if at > now else Run(slot)
