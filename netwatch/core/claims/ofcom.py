"""uk-ofcom: Ofcom's automatic compensation scheme (delayed repair, missed engineer appointments).

Owns the scheme's clock: two full working days (Monday to Friday, not a bank holiday of the nation, each
beginning at or after the report) after which each calendar day not repaired earns the daily amount in force.
Must not judge speeds (the speeds code is ``speedcode``'s) or read a clock: holidays come from the ``holidays``
package, instants from the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays as pyholidays

from netwatch.core.calendar import day_start, local_date
from netwatch.core.claims import days as d
from netwatch.core.claims.loader import Amount, Pack
from netwatch.core.claims.model import ClaimItem
from netwatch.core.model import Coverage, Incident, Ticket
from netwatch.core.money import cents, times
from netwatch.core.text import money, weekday_date, when

NATIONS = ("ENG", "WLS", "SCT", "NIR")


@cache
def _bank_holidays(nation: str, year: int) -> frozenset[date]:
    return frozenset(pyholidays.country_holidays("GB", subdiv=nation, years=year))


def is_working_day(day: date, nation: str) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(nation, day.year)


def working_days_after(reported: float, count: int, nation: str, zone: ZoneInfo) -> tuple[list[date], float]:
    """The first ``count`` full working days beginning at or after ``reported``, and the deadline: the start of
    the day after the last of them (the first instant compensation can accrue from)."""
    day = local_date(reported, zone)
    found: list[date] = []
    while len(found) < count:
        if day_start(day, zone) >= reported and is_working_day(day, nation):
            found.append(day)
        day += timedelta(days=1)
    last = found[-1] if found else local_date(reported, zone) - timedelta(days=1)
    return found, day_start(last + timedelta(days=1), zone) if found else reported


def rate_for(amount: Amount, day: date, overrides: Mapping[str, Any]) -> tuple[float, bool, date | None] | None:
    """(rate, overridden, effective date) of ``amount`` on ``day``; None when no rate is in force."""
    if amount.key in overrides:
        return float(overrides[amount.key]), True, None
    rate = amount.rate_on(day)
    return (rate.amount, False, rate.effective_from) if rate is not None else None


def _basis(amount: Amount, day: date, effective: date | None) -> str:
    """Where a rate comes from: "in force from Mon 1 Apr 2024 (UKFCF, April 2024: …)", or the override."""
    rate = amount.rate_on(day)
    if effective is None or rate is None:
        return "overridden in [claims.amounts]"
    return f"in force from {weekday_date(effective)} ({rate.source.title})"


def unverified_note(amount: Amount, day: date, currency: str) -> str:
    rate = amount.rate_on(day)
    shown = money(rate.amount, currency) if rate is not None else "none"
    return (
        f"No uprating of {amount.key} published from {weekday_date(amount.unverified_from or day)} was verified; "
        f"the last verified figure ({shown}) is used and may be lower than the one in force."
    )


def delayed_repairs(
    pack: Pack,
    *,
    since: float,
    until: float,
    incidents: Sequence[Incident],
    tickets: Sequence[Ticket],
    zone: ZoneInfo,
    region: str,
    overrides: Mapping[str, Any],
    notes: list[str],
    coverage: Sequence[Coverage] | None = None,
) -> list[ClaimItem]:
    """One line per ticket and rate: the calendar days after the two full working days on which the line was
    measured down (``netwatch.core.claims.episode``); a day is paid once, to the earliest ticket that reaches it."""
    section = pack.section("repair")
    amount = pack.amounts[section["amount"]]
    source = pack.source_of("repair")
    nation = region if region in NATIONS else "ENG"
    items: list[ClaimItem] = []
    paid: dict[date, str] = {}  # day → the ticket it was paid to
    for found in d.episodes(tickets, incidents, coverage, until, pack.causes, zone, notes):
        ticket = found.ticket
        working, deadline = working_days_after(ticket.reported, section["working_days"], nation, zone)
        first = max(local_date(deadline, zone), pack.effective_from)
        counted = d.payable_days(found, first, zone, since=since, until=until, paid=paid, notes=notes)
        price_day = local_date(ticket.reported, zone) if pack.rate_date == "reported" else None
        priced = {day: found_rate for day in counted if (found_rate := rate_for(amount, price_day or day, overrides))}
        for run in d.runs(list(priced.items())):
            rate, overridden, effective = priced[run[0]]
            quantity = len(run)
            total = times(quantity, rate)
            start, end = (
                day_start(run[0], zone),
                min(day_start(run[-1] + timedelta(days=1), zone), found.end),
            )
            basis = _basis(amount, price_day or run[0], effective)
            plural = "s" if quantity != 1 else ""
            text = (
                f"Delayed repair, ticket {ticket.ref}: {quantity} calendar day{plural} {d.TIMES} "
                f"{money(rate, pack.currency)} = {money(total, pack.currency)} ({weekday_date(run[0])} to "
                f"{weekday_date(run[-1])}; the rate {basis}). Reported {when(ticket.reported, zone)}; two full working "
                f"days: {' and '.join(weekday_date(w) for w in working)}; {found.phrase(zone)}."
            )
            if not overridden and amount.unverified_on(price_day or run[-1]):
                note = unverified_note(amount, price_day or run[-1], pack.currency)
                if note not in notes:
                    notes.append(note)
            items.append(
                ClaimItem(
                    section["title"],
                    amount.key,
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


def missed_appointments(
    pack: Pack,
    *,
    since: float,
    until: float,
    tickets: Sequence[Ticket],
    zone: ZoneInfo,
    overrides: Mapping[str, Any],
    notes: list[str],
    floor_of_fee: float | None = None,
) -> list[ClaimItem]:
    """One line per ticket and rate: the missed appointments within [since, until). ``floor_of_fee`` (de-tkg):
    the monthly fee the amount's ``percent_of_fee`` applies to."""
    section = pack.section("appointment")
    amount = pack.amounts[section["amount"]]
    source = pack.source_of("appointment")
    items: list[ClaimItem] = []
    seen: set[float] = set()  # one appointment recorded on two tickets is paid once
    for ticket in sorted(tickets, key=lambda t: t.reported):
        missed = sorted(at for at in ticket.missed_appointments if since <= at < until and at not in seen)
        seen.update(missed)
        groups: dict[tuple[float, bool], list[float]] = {}
        for at in missed:
            day = local_date(at, zone)
            if day < pack.effective_from:
                continue
            found = rate_for(amount, day, overrides)
            if found is None:
                continue
            rate, overridden, _ = found
            if not overridden and amount.percent_of_fee and floor_of_fee:
                rate = max(rate, cents(floor_of_fee * amount.percent_of_fee / 100))
            if not overridden and amount.unverified_on(day):
                note = unverified_note(amount, day, pack.currency)
                if note not in notes:
                    notes.append(note)
            groups.setdefault((rate, overridden), []).append(at)
        for (rate, overridden), instants in groups.items():
            quantity = len(instants)
            total = times(quantity, rate)
            shown = ", ".join(when(at, zone) for at in instants)
            basis = "; the amount overridden in [claims.amounts]" if overridden else ""
            text = (
                f"Missed appointment{'s' if quantity != 1 else ''}, ticket {ticket.ref}: {quantity} {d.TIMES} "
                f"{money(rate, pack.currency)} = {money(total, pack.currency)} ({shown}{basis})."
            )
            items.append(
                ClaimItem(
                    section["title"],
                    amount.key,
                    pack.id,
                    source,
                    ticket.ref,
                    instants[0],
                    instants[-1],
                    quantity,
                    rate,
                    total,
                    pack.currency,
                    text,
                    overridden,
                )
            )
    return items
