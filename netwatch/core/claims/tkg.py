"""de-tkg: § 58 Abs. 3 and 4 TKG, compensation for a complete outage not repaired within two calendar days after
the report, and for missed service or installation appointments.

Owns the statute's day numbering (the report day is day 0, § 187 Abs. 1 BGB; compensation from day 3) and its
amounts: the larger of a fixed amount and a share of the monthly fee. Must not read a clock or do I/O: instants
come from the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from netwatch.core.calendar import day_start, local_date
from netwatch.core.claims import days as d
from netwatch.core.claims.loader import Pack
from netwatch.core.claims.model import ClaimItem
from netwatch.core.model import Coverage, Incident, Ticket
from netwatch.core.money import cents, times
from netwatch.core.text import money, weekday_date, when


def daily_rate(pack: Pack, item: str, day_number: int, fee: float, overrides: Mapping[str, Any]) -> tuple[float, bool]:
    """(amount for that day, overridden): the larger of the fixed amount and the pack's share of ``fee``."""
    if item in overrides:
        return float(overrides[item]), True
    amount = pack.amounts[item]
    rate = amount.rates[-1].amount  # fixed by statute: one rate
    share = cents(fee * amount.percent_of_fee / 100) if fee > 0 else 0.0
    return max(rate, share), False


def step_of(pack: Pack, day_number: int) -> str | None:
    found = None
    for first, item in pack.section("outage")["steps"]:
        if day_number >= first:
            found = item
    return found


def outages(
    pack: Pack,
    *,
    since: float,
    until: float,
    incidents: Sequence[Incident],
    tickets: Sequence[Ticket],
    zone: ZoneInfo,
    fee: float,
    overrides: Mapping[str, Any],
    notes: list[str],
    coverage: Sequence[Coverage] | None = None,
) -> list[ClaimItem]:
    """One line per ticket and step: the days from day 3 after the report on which the line was measured down
    (``netwatch.core.claims.episode``); a day is paid once, to the earliest ticket that reaches it."""
    section = pack.section("outage")
    source = pack.source_of("outage")
    items: list[ClaimItem] = []
    paid: dict[date, str] = {}  # day → the ticket it was paid to
    for found in d.episodes(tickets, incidents, coverage, until, pack.causes, zone, notes):
        ticket = found.ticket
        report_day = local_date(ticket.reported, zone)
        first = max(report_day + timedelta(days=section["grace_days"] + 1), pack.effective_from)
        counted = d.payable_days(found, first, zone, since=since, until=until, paid=paid, notes=notes)
        keyed = []
        for day in counted:
            number = (day - report_day).days
            item = step_of(pack, number)
            if item is not None:
                keyed.append((day, (item, *daily_rate(pack, item, number, fee, overrides))))
        by_day = dict(keyed)
        for run in d.runs(keyed):
            item, rate, overridden = by_day[run[0]]
            amount = pack.amounts[item]
            quantity = len(run)
            total = times(quantity, rate)
            first_n, last_n = (run[0] - report_day).days, (run[-1] - report_day).days
            if overridden:
                basis = "the amount overridden in [claims.amounts]"
            elif fee > 0:
                basis = (
                    f"the larger of {money(amount.rates[-1].amount, pack.currency)} and "
                    f"{amount.percent_of_fee:g} % of the monthly fee {money(fee, pack.currency)}"
                )
            else:
                basis = f"the fixed {money(amount.rates[-1].amount, pack.currency)}: the monthly fee is unknown"
            numbers = f"day {first_n}" if first_n == last_n else f"days {first_n} to {last_n}"
            text = (
                f"Complete outage, ticket {ticket.ref}: {numbers} after the report, "
                f"{quantity} calendar day{'s' if quantity != 1 else ''} {d.TIMES} {money(rate, pack.currency)} = "
                f"{money(total, pack.currency)} ({weekday_date(run[0])} to {weekday_date(run[-1])}; {basis}). Reported "
                f"{when(ticket.reported, zone)} (day 0); {found.phrase(zone)}."
            )
            start, end = (
                day_start(run[0], zone),
                min(day_start(run[-1] + timedelta(days=1), zone), found.end),
            )
            items.append(
                ClaimItem(
                    section["title"],
                    item,
                    pack.id,
                    source,
                    ticket.ref,
                    start,
                    end,
                    quantity,
                    rate,
                    total,
                    pack.currency,
                    text,
                    overridden,
                )
            )
    return items
