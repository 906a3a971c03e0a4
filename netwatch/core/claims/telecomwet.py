"""nl-telecomwet: Telecommunicatiewet art. 7.1a, compensation for a complete interruption of more than 12 hours.

Owns the rule's arithmetic: an interruption longer than the pack's ``min_hours`` earns, for each started 24 hours,
one ``fee_divisor``-th of the monthly fee (rounded to the cent, per period), and at least the pack's minimum per
interruption (1 euro; the minimum alone when the fee is unknown). Only a continuous interruption is claimed; a run
that a short return of service or unmonitored time split in parts is contestable for what it would add as one. No
fault report is needed. ``priced`` (which parts are claimed, what a run in parts would add) is shared with be-ecl,
which prices by its own amounts. Which interruptions there were is ``interruptions``'. Must not read a clock or do
I/O: instants come from the caller.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from netwatch.core.claims import days as d
from netwatch.core.claims import interruptions as runs
from netwatch.core.claims.interruptions import Interruption
from netwatch.core.claims.loader import Pack
from netwatch.core.claims.model import ClaimItem
from netwatch.core.model import Coverage, Incident
from netwatch.core.money import cents, times
from netwatch.core.text import duration, money, when


def qualifies(seconds: float, section: Mapping[str, Any]) -> bool:
    """Whether an interruption this long earns anything: more than ``min_hours`` (at least, when ``inclusive``)."""
    limit = float(section["min_hours"]) * 3600
    return seconds >= limit if section.get("inclusive") else seconds > limit


def span_words(start: float, end: float, zone: ZoneInfo) -> str:
    return f"{when(start, zone)} to {when(end, zone)}"


Price = Callable[[float, float, bool], list[ClaimItem]]  # (start, end, still down at the end) → its money lines


def compensation(
    pack: Pack,
    *,
    since: float,
    until: float,
    incidents: Sequence[Incident],
    coverage: Sequence[Coverage] | None,
    zone: ZoneInfo,
    fee: float,
    overrides: Mapping[str, Any],
    notes: list[str],
) -> tuple[list[ClaimItem], list[ClaimItem]]:
    """The money lines of the interruptions of the period, and the contestable ones."""

    def price(start: float, end: float, still: bool) -> list[ClaimItem]:
        return [line(pack, start, end, fee, overrides, zone, still, until)]

    return priced(pack, price, since=since, until=until, incidents=incidents, coverage=coverage, zone=zone, notes=notes)


def priced(
    pack: Pack,
    price: Price,
    *,
    since: float,
    until: float,
    incidents: Sequence[Incident],
    coverage: Sequence[Coverage] | None,
    zone: ZoneInfo,
    notes: list[str],
) -> tuple[list[ClaimItem], list[ClaimItem]]:
    """The interruptions of the period priced by ``price`` (a rule's amounts): each continuous part that qualifies
    is claimed; a run in parts is contestable for what it would add as one."""
    section = pack.section("interruption")
    later: list[Interruption] = []
    items: list[ClaimItem] = []
    contestable: list[ClaimItem] = []
    for run in runs.of(incidents, coverage, pack.causes, since, until, later):
        paid = 0.0
        for start, end in run.parts:
            if qualifies(end - start, section):
                found = price(start, end, run.open and end == run.end)
                items += found
                paid += math.fsum(i.amount for i in found)
        if len(run.parts) > 1 and qualifies(run.end - run.start, section):
            whole = price(run.start, run.end, run.open)
            total = cents(math.fsum(i.amount for i in whole))
            extra = cents(total - paid)
            if extra > 0:
                contestable.append(split_line(pack, run, whole[0], total, extra, zone))
    said_later(later, zone, notes)
    return items, contestable


def line(
    pack: Pack,
    start: float,
    end: float,
    fee: float,
    overrides: Mapping[str, Any],
    zone: ZoneInfo,
    still: bool,
    until: float,
) -> ClaimItem:
    """The money line of one continuous interruption [start, end)."""
    section = pack.section("interruption")
    minimum_key = section["minimum"]
    overridden = minimum_key in overrides
    minimum = float(overrides[minimum_key]) if overridden else pack.amounts[minimum_key].rates[-1].amount
    periods = runs.started_periods(end - start)
    share = cents(fee / section["fee_divisor"]) if fee > 0 else 0.0
    total = times(periods, share)
    lasted = f"{span_words(start, end, zone)}, {duration(end - start)} measured"
    if still:
        lasted += f"; still down at {when(until, zone)}: still accruing"
    plural = "s" if periods != 1 else ""
    if total >= minimum:
        quantity, rate = periods, share
        text = (
            f"Complete interruption ({lasted}): {periods} started period{plural} of 24 hours {d.TIMES} "
            f"{money(share, pack.currency)} (one {section['fee_divisor']}th of the monthly fee "
            f"{money(fee, pack.currency)}) = {money(total, pack.currency)}."
        )
    else:
        quantity, rate, total = 1, minimum, minimum
        why = (
            f"{periods} started period{plural} of 24 hours {d.TIMES} {money(share, pack.currency)} is less"
            if fee > 0
            else "the monthly fee is unknown"
        )
        text = f"Complete interruption ({lasted}): the minimum {money(minimum, pack.currency)} ({why})."
    return ClaimItem(
        section["title"],
        minimum_key,
        pack.id,
        pack.source_of("interruption"),
        "",
        start,
        end,
        quantity,
        rate,
        total,
        pack.currency,
        text,
        overridden,
        end - start,
    )


def split_line(pack: Pack, run: Interruption, one: ClaimItem, whole: float, extra: float, zone: ZoneInfo) -> ClaimItem:
    """The contestable line of a run in parts: what it would add if counted as one interruption (``whole``)."""
    parts = len(run.parts)
    between = []
    if run.up > 0:
        between.append(f"back for {duration(run.up)} in all")
    if run.unseen > 0:
        between.append(f"not monitored for {duration(run.unseen)}")
    text = (
        f"Contestable (interruption in {parts} parts), {span_words(run.start, run.end, zone)}: the line was down "
        f"{duration(run.down)} in {parts} parts ({', '.join(between)} between them). Counted as one interruption "
        f"it would pay {money(whole, pack.currency)}, {money(extra, pack.currency)} more than its parts."
    )
    return ClaimItem(
        one.rule,
        one.item,
        pack.id,
        one.source,
        "",
        run.start,
        run.end,
        1,
        extra,
        extra,
        pack.currency,
        text,
        one.overridden,
        run.down,
    )


def said_later(later: Sequence[Interruption], zone: ZoneInfo, notes: list[str]) -> None:
    for run in later:
        notes.append(
            f"The interruption that began {when(run.start, zone)} went on after the end of the period: it is "
            "counted in the period it ended in."
        )
