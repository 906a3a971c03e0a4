"""de-tkg: § 59 Abs. 4 and 6 and § 60 Abs. 3 TKG, a provider switch, a move and a number port that go wrong.

Owns the working days of Germany (Monday to Friday, not a public holiday of the Land of ``business_hours.holidays``,
else the nationwide ones), the interruption of a switch or a move (the ticket's ``reported`` is when it was agreed
to happen; the measured outages from then on; the first working day it reached is free, each further working day on
which the line was down for every measured second is claimed, the others are contestable) and a late number port
(days of delay from the end of the working day after the agreed day to the port, which netwatch cannot measure: the
ticket's ``fixed`` says when it was done). Must not read a clock or do I/O: holidays come from the ``holidays``
package, instants from the caller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays as pyholidays

from netwatch.core.calendar import day_start, local_date
from netwatch.core.claims import days as d
from netwatch.core.claims.episode import DayState
from netwatch.core.claims.loader import Pack
from netwatch.core.claims.model import ClaimItem
from netwatch.core.claims.tkg import daily_rate, fee_basis
from netwatch.core.model import Coverage, Incident, Ticket, TicketKind
from netwatch.core.money import times
from netwatch.core.text import money, weekday_date, when


@cache
def _holidays(land: str, year: int) -> frozenset[date]:
    return frozenset(pyholidays.country_holidays("DE", subdiv=land or None, years=year))


def land_of(holidays: str) -> str:
    """The Land of ``business_hours.holidays`` ("DE-BY" → "BY"); "" for the nationwide holidays."""
    country, _, land = holidays.upper().partition("-")
    return land if country == "DE" else ""


def is_working_day(day: date, land: str) -> bool:
    return day.weekday() < 5 and day not in _holidays(land, day.year)


def next_working_day(day: date, land: str) -> date:
    """The first working day after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day, land):
        day += timedelta(days=1)
    return day


def interruptions(
    pack: Pack,
    kind: TicketKind,
    *,
    since: float,
    until: float,
    incidents: Sequence[Incident],
    tickets: Sequence[Ticket],
    zone: ZoneInfo,
    land: str,
    fee: float,
    overrides: Mapping[str, Any],
    notes: list[str],
    coverage: Sequence[Coverage] | None = None,
) -> tuple[list[ClaimItem], list[ClaimItem]]:
    """The money lines of switch (``kind`` SWITCH, section "switch") or move tickets (MOVE, "move"), and the
    contestable ones."""
    name = "switch" if kind is TicketKind.SWITCH else "move"
    section = pack.section(name)
    source = pack.source_of(name)
    test = pack.day_test(name)
    item = section["amount"]
    free = section["free_working_days"]
    rate, overridden = daily_rate(pack, item, fee, overrides)
    what = "Provider switch" if kind is TicketKind.SWITCH else "Move"
    owed = "owed by the provider left" if kind is TicketKind.SWITCH else "owed by the provider"
    items: list[ClaimItem] = []
    contestable: list[ClaimItem] = []
    paid: dict[date, d.Taken] = {}
    for found in d.episodes(tickets, incidents, coverage, until, pack.causes, zone, notes, kinds=(kind,)):
        ticket = found.ticket
        agreed = local_date(ticket.reported, zone)
        down = [day for day in found.days(agreed, zone, -math.inf, math.inf) if day.state is DayState.DOWN]
        working = [day.day for day in down if is_working_day(day.day, land)]
        free_days = working[:free]
        counted = d.payable_days(found, agreed, zone, since=since, until=until, paid=paid, notes=notes)
        counted = [day for day in counted if is_working_day(day.day, land) and day.day not in free_days]
        if not counted:
            if found.ticket.reported < until and down and len(working) <= free:
                notes.append(
                    f"Ticket {ticket.ref}: the interruption reached {len(working)} working day(s); "
                    f"{section['title']} pays only from the {_ordinal(free + 1)}."
                )
            continue
        whole, partial = d.split(counted, test)
        first_free = ", ".join(weekday_date(day) for day in free_days)
        for run in d.runs([(day.day, None) for day in whole]):
            quantity = len(run)
            total = times(quantity, rate)
            plural = "s" if quantity != 1 else ""
            text = (
                f"{what} interrupting the service, ticket {ticket.ref}: {quantity} working day{plural} {d.TIMES} "
                f"{money(rate, pack.currency)} = {money(total, pack.currency)} "
                f"({d.listed(run)}; {fee_basis(pack, item, fee, overridden)}; {owed}). Agreed for "
                f"{when(ticket.reported, zone)}; the first working day of the interruption ({first_free}) is not "
                f"paid; {found.phrase(zone, 'the agreed time')}."
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
        contestable += [
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
            for day in partial
        ]
    return items, contestable


def ports(
    pack: Pack,
    *,
    since: float,
    until: float,
    tickets: Sequence[Ticket],
    zone: ZoneInfo,
    land: str,
    overrides: Mapping[str, Any],
) -> list[ClaimItem]:
    """The money lines of port tickets: each calendar day from the end of the working day after the agreed day
    that began before the port was done (the ticket's ``fixed``; still accruing at ``until`` without one)."""
    section = pack.section("port")
    source = pack.source_of("port")
    item = section["amount"]
    rate, overridden = daily_rate(pack, item, 0.0, overrides)
    items: list[ClaimItem] = []
    for ticket in sorted(tickets, key=lambda t: t.reported):
        if ticket.kind is not TicketKind.PORT or ticket.reported >= until:
            continue
        agreed = local_date(ticket.reported, zone)
        due = agreed
        for _ in range(section["grace_working_days"]):
            due = next_working_day(due, land)
        end = min(ticket.fixed, until) if ticket.fixed is not None else until
        day, delayed = due + timedelta(days=1), []
        while (begin := day_start(day, zone)) < end:
            if since <= begin < until:
                delayed.append(day)
            day += timedelta(days=1)
        if not delayed:
            continue
        quantity = len(delayed)
        total = times(quantity, rate)
        done = (
            f"ported {when(ticket.fixed, zone)} according to the ticket"
            if ticket.fixed is not None and ticket.fixed <= until
            else f"not ported at {when(until, zone)} according to the ticket: still accruing"
        )
        text = (
            f"Number port late, ticket {ticket.ref}: {quantity} day{'s' if quantity != 1 else ''} {d.TIMES} "
            f"{money(rate, pack.currency)} = {money(total, pack.currency)} ({d.listed(delayed)}; "
            f"{fee_basis(pack, item, 0.0, overridden)}). Agreed for {weekday_date(agreed)}, due by the end of "
            f"{weekday_date(due)}; {done} (netwatch cannot measure a port)."
        )
        items.append(
            ClaimItem(
                section["title"],
                item,
                pack.id,
                source,
                ticket.ref,
                day_start(delayed[0], zone),
                min(day_start(delayed[-1] + timedelta(days=1), zone), end),
                quantity,
                rate,
                total,
                pack.currency,
                text,
                overridden,
            )
        )
    return items


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")
