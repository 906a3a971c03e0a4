"""What the campaign commands print: the schedule (one line per slot under day headers), the status line, the
evaluation as a table with the three criteria per direction, and the evaluation as a JSON document.

Owns the wording and layout of `netwatch campaign plan|status|evaluate` output and the JSON fields of
``evaluate --json`` (additive changes only: scripts read them). Every text ends with the disclaimer that the
regulator's app is the legally recognised measurement. Must not read a clock: "now" comes from the caller.
"""

from __future__ import annotations

from typing import Any

from netwatch.core.calendar import local_date
from netwatch.core.campaign import DISCLAIMER, planner, progress
from netwatch.core.campaign.evaluate import Criterion, DayFigures, Direction, Evaluation
from netwatch.core.model import Campaign, SlotStatus, StoredSlot
from netwatch.core.text import clock_time, slot_time, weekday_iso


def _figures(down: float | None, up: float | None) -> str:
    def one(v: float | None) -> str:
        return "-" if v is None else f"{v:.1f}"

    return f"{one(down)}/{one(up)} Mbit/s"


def _slot_line(campaign: Campaign, slot: StoredSlot) -> str:
    head = f"  {slot.index + 1:>2}  {clock_time(slot.planned, campaign.zone):<8}"
    r = slot.result
    if slot.status is SlotStatus.DONE and r is not None:
        at = clock_time(r.at, campaign.zone)
        return f"{head}  measured at {at}: {_figures(r.download_mbps, r.upload_mbps)}"
    if slot.status is SlotStatus.FAILED:
        return f"{head}  failed ({slot.attempts} of {progress.MAX_ATTEMPTS} attempts): {slot.detail}"
    if slot.status is SlotStatus.MISSED:
        return f"{head}  missed: {slot.detail}"
    return head.rstrip()


def schedule_lines(campaign: Campaign) -> list[str]:
    """The slots under one header per local day, each with its state once it has one."""
    zone = campaign.zone
    window = campaign.window.replace("-", " and ")
    lines = [
        f"Speed campaign {campaign.id}: {len(campaign.slots)} measurements on {planner.DAYS} days in "
        f"{campaign.timezone}, between {window} (seed {campaign.seed})"
    ]
    day = None
    for slot in campaign.slots:
        local = local_date(slot.planned, zone)
        if local != day:
            day = local
            lines.append(weekday_iso(local))
        lines.append(_slot_line(campaign, slot))
    return lines


def plan_lines(campaign: Campaign) -> list[str]:
    last = slot_time(campaign.slots[-1].planned, campaign.zone)
    return [
        *schedule_lines(campaign),
        f"Leave `netwatch campaign run` running on this machine until the last measurement ({last}), on a "
        "computer connected to the router by cable; then `netwatch campaign evaluate`.",
        DISCLAIMER,
    ]


def status_line(campaign: Campaign, now: float, hint: bool = True) -> str:
    """One line: how far the campaign is and what comes next (``hint``: with the command that does it)."""
    done, missed = len(campaign.done), len(campaign.missed)
    head = f"Campaign {campaign.id}: {done} of {len(campaign.slots)} measured"
    head += f", {missed} missed" if missed else ""
    action = progress.decide(campaign, now)
    if isinstance(action, progress.Complete):
        return f"{head}; complete: see `netwatch campaign evaluate`"
    if isinstance(action, progress.Broken | progress.Miss):
        return f"{head}; can no longer follow the procedure: plan a new one with `netwatch campaign plan --replace`"
    slot = action.slot
    if isinstance(action, progress.Run):
        state = " due now"
    else:
        state = "" if action.until == slot.planned else f" at {slot_time(action.until, campaign.zone)}"
    return f"{head}; next: {progress.label(campaign, slot)}{state}" + (
        " (needs `netwatch campaign run`)" if hint else ""
    )


def _verdict(c: Criterion) -> str:
    if c.deviation is True:
        return "DEVIATION"
    if c.deviation is False:
        return "no deviation"
    return "not stated" if not c.threshold else "not decided"


def _direction_lines(d: Direction) -> list[str]:
    k = d.contract

    def mbps(v: float) -> str:
        return "not stated" if not v else f"{v:.1f}"

    lines = [
        f"{d.name.capitalize()} (contract in Mbit/s: maximum {mbps(k.maximum)}, normally available "
        f"{mbps(k.normal)}, minimum {mbps(k.minimum)})",
        f"  {'Day':<15} {'Tests':>5} {'Highest':>8} {'>= 90 % max':>12} {'< minimum':>10} {'>= normal':>10}",
    ]

    def count(v: int | None) -> str:
        return "-" if v is None else str(v)

    for f in d.days:
        highest = "-" if f.highest is None else f"{f.highest:.1f}"
        lines.append(
            f"  {weekday_iso(f.day)}  {f.count:>5} {highest:>8} {count(f.reaching_90_percent):>12} "
            f"{count(f.below_minimum):>10} {count(f.reaching_normal):>10}"
        )
    for number, c in enumerate(d.criteria, 1):
        lines.append(f"  ({number}) {_verdict(c)}: {c.explanation}" + (f"; {c.advice}" if c.advice else ""))
    return lines


def evaluation_lines(campaign: Campaign, ev: Evaluation) -> list[str]:
    days = [f.day for f in ev.download.days]
    span = f", {days[0]} to {days[-1]}" if days else ""
    lines = [
        f"Speed campaign {campaign.id} ({campaign.timezone}): {ev.measured} of {planner.MEASUREMENTS} "
        f"measurements{span}"
    ]
    for d in (ev.download, ev.upload):
        lines += ["", *_direction_lines(d)]
    lines.append("")
    if ev.procedure:
        lines.append("Procedure: not followed:")
        lines += [f"  - {p}" for p in ev.procedure]
    elif not ev.complete:
        lines.append("Procedure: judged once every slot has been measured")
    else:
        lines.append("Procedure: followed (30 measurements, 3 days, the gaps and the free days kept)")
    lines += [f"Verdict: {ev.verdict}", DISCLAIMER]
    return lines


def _criterion_doc(c: Criterion) -> dict[str, Any]:
    return {
        "criterion": c.name,
        "stated": bool(c.threshold),
        "threshold_mbps": c.threshold,
        "deviation": c.deviation,
        "explanation": c.explanation,
    }


def _day_doc(f: DayFigures) -> dict[str, Any]:
    return {
        "day": f.day.isoformat(),
        "count": f.count,
        "highest_mbps": f.highest,
        "reaching_90_percent_of_maximum": f.reaching_90_percent,
        "below_minimum": f.below_minimum,
        "reaching_normal": f.reaching_normal,
    }


def _direction_doc(d: Direction) -> dict[str, Any]:
    k = d.contract
    return {
        "contract": {"maximum_mbps": k.maximum, "normal_mbps": k.normal, "minimum_mbps": k.minimum},
        "measurements": d.measurements,
        "complete": d.complete,
        "days": [_day_doc(f) for f in d.days],
        "reaching_normal": d.reaching_normal,
        "criteria": [_criterion_doc(c) for c in d.criteria],
        "deviation": d.deviation,
    }


def evaluation_doc(campaign: Campaign, ev: Evaluation) -> dict[str, Any]:
    """The evaluation for scripts. ``significant_deviation`` and ``procedure.followed`` are true, false, or null
    while not decided (slots still to measure)."""
    followed = None if not ev.complete and not ev.procedure else not ev.procedure
    return {
        "campaign": {
            "id": campaign.id,
            "timezone": campaign.timezone,
            "window": campaign.window,
            "start": campaign.start.isoformat(),
            "planned": len(campaign.slots),
            "measured": ev.measured,
            "missed": len(campaign.missed),
        },
        "procedure": {"followed": followed, "violations": list(ev.procedure)},
        "download": _direction_doc(ev.download),
        "upload": _direction_doc(ev.upload),
        "complete": ev.complete,
        "significant_deviation": ev.deviation,
        "verdict": ev.verdict,
        "disclaimer": DISCLAIMER,
    }
