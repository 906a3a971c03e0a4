"""de-tkg: § 58 Abs. 3 and 4 TKG, compensation for a complete outage not repaired within two calendar days after the
report, and for missed service or installation appointments.

Owns the statute's day numbering (the report day is day 0, § 187 Abs. 1 BGB; compensation from day 3) and its
amounts: the larger of a fixed amount and a share of the monthly fee. Only days of complete outage ("für jeden Tag
des vollständigen Ausfalls": down for every measured second of the fault's part of the day) are claimed; the others
are contestable. A switch, a move and a number port are ``switching``'s. Must not read a clock or do I/O: instants
come from the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from netwatch.core.calendar import day_start, local_date
from netwatch.core.claims import days as d
from netwatch.core.claims import limits
from netwatch.core.claims.loader import Pack
from netwatch.core.claims.model import ClaimItem
from netwatch.core.model import Coverage, Incident, Ticket
from netwatch.core.money import cents, times
from netwatch.core.text import money, weekday_date, when


def daily_rate(pack: Pack, item: str, fee: float, overrides: Mapping[str, Any]) -> tuple[float, bool]:
    """(amount for that day, overridden): the larger of the fixed amount and the pack's share of ``fee``."""
    if item in overrides:
        return float(overrides[item]), True
    amount = pack.amounts[item]
    rate = amount.rates[-1].amount  # fixed by statute: one rate
    share = cents(fee * amount.percent_of_fee / 100) if fee > 0 else 0.0
    return max(rate, share), False


def fee_basis(pack: Pack, item: str, fee: float, overridden: bool) -> str:
    """How a fee-linked amount was chosen: "the larger of €10.00 and 20 % of the monthly fee €60.00"."""
    amount = pack.amounts[item]
    fixed = money(amount.rates[-1].amount, pack.currency)
    if overridden:
        return "the amount overridden in [claims.amounts]"
    if not amount.percent_of_fee:
        return f"the fixed {fixed}"
    if fee > 0:
        return f"the larger of {fixed} and {amount.percent_of_fee:g} % of the monthly fee {money(fee, pack.currency)}"
    return f"the fixed {fixed}: the monthly fee is unknown"


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
) -> tuple[list[ClaimItem], list[ClaimItem]]:
    """The money lines of fault tickets, and the contestable ones: one line per ticket and step for the days from
    day 3 after the report on which the line was down for every measured second of the fault's part of the day
    (``netwatch.core.claims.episode``), one contestable line per day of partial loss; a day is counted once, for
    the earliest ticket that reaches it."""
    section = pack.section("outage")
    source = pack.source_of("outage")
    test = pack.day_test("outage")
    items: list[ClaimItem] = []
    contestable: list[ClaimItem] = []
    paid: dict[date, d.Taken] = {}  # day → the ticket it was counted for
    for found in d.episodes(tickets, incidents, coverage, until, pack.causes, zone, notes):
        ticket = found.ticket
        report_day = local_date(ticket.reported, zone)
        if ticket.planned and section.get("planned") == "excluded":
            d.payable_days(found, report_day, zone, since=since, until=until, paid=paid, notes=notes)
            notes.append(
                f"Ticket {ticket.ref} is planned work notified in advance: it is not claimed under {section['title']}."
            )
            continue
        first = max(report_day + timedelta(days=section["grace_days"] + 1), pack.effective_from)
        counted = d.payable_days(found, first, zone, since=since, until=until, paid=paid, notes=notes)
        if section.get("pause_declined"):
            counted = limits.paused(counted, ticket, zone, notes)
        whole, partial = d.split(counted, test)
        keyed = []
        for day in whole:
            item = step_of(pack, (day.day - report_day).days)
            if item is not None:
                keyed.append((day.day, (item, *daily_rate(pack, item, fee, overrides))))
        by_day = dict(keyed)
        for run in d.runs(keyed):
            item, rate, overridden = by_day[run[0]]
            quantity = len(run)
            total = times(quantity, rate)
            first_n, last_n = (run[0] - report_day).days, (run[-1] - report_day).days
            numbers = f"day {first_n}" if first_n == last_n else f"days {first_n} to {last_n}"
            text = (
                f"Complete outage, ticket {ticket.ref}: {numbers} after the report, "
                f"{quantity} calendar day{'s' if quantity != 1 else ''} {d.TIMES} {money(rate, pack.currency)} = "
                f"{money(total, pack.currency)} ({weekday_date(run[0])} to {weekday_date(run[-1])}; "
                f"{fee_basis(pack, item, fee, overridden)}). Reported {when(ticket.reported, zone)} (day 0); "
                f"{found.phrase(zone)}."
            )
            start, end = day_start(run[0], zone), min(day_start(run[-1] + timedelta(days=1), zone), found.end)
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
        for day in partial:
            item = step_of(pack, (day.day - report_day).days)
            if item is None:
                continue
            rate, overridden = daily_rate(pack, item, fee, overrides)
            contestable.append(
                d.contestable_item(
                    day,
                    ticket=ticket,
                    rule=section["title"],
                    item=item,
                    pack=pack.id,
                    source=source,
                    rate=rate,
                    currency=pack.currency,
                    zone=zone,
                    test=test,
                    overridden=overridden,
                )
            )
    return items, contestable
