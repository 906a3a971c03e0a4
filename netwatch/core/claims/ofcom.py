"""uk-ofcom: Ofcom's automatic compensation scheme (delayed repair, missed engineer appointments).

Owns the scheme's clock: two full working days (Monday to Friday, not a bank holiday of the nation) after the day of
the report, whatever its time, after which each calendar day the fault is not repaired, the repair day included,
earns the daily amount in force; only days the line was down for every measured second of the fault's part of the
day are claimed (a total loss of service), the others are contestable. Its limits (an appointment the customer
declined, the provider's notice, planned work) are ``limits``'; which rate applies and whether it is published,
computed by the uprating rule or stale is ``rate_for``. The missed appointments' lines are shared with de-tkg. Must
not judge speeds (the speeds code is ``speedcode``'s) or read a clock: holidays come from the ``holidays`` package,
instants from the caller.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays as pyholidays

from netwatch.core.calendar import day_start, local_date
from netwatch.core.claims import days as d
from netwatch.core.claims import limits
from netwatch.core.claims.loader import Amount, Pack
from netwatch.core.claims.model import ClaimItem
from netwatch.core.model import Coverage, Incident, Ticket, TicketKind
from netwatch.core.money import cents, times
from netwatch.core.text import money, weekday_date, when

NATIONS = ("ENG", "WLS", "SCT", "NIR")


@cache
def _bank_holidays(nation: str, year: int) -> frozenset[date]:
    return frozenset(pyholidays.country_holidays("GB", subdiv=nation, years=year))


def is_working_day(day: date, nation: str) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(nation, day.year)


def working_days_after(reported: float, count: int, nation: str, zone: ZoneInfo) -> tuple[list[date], float]:
    """The first ``count`` full working days after the day of ``reported`` (a report at 00:00:00 included: the
    report's own day never counts), and the deadline: the start of the day after the last of them (the first
    instant compensation can accrue from)."""
    day = local_date(reported, zone) + timedelta(days=1)
    found: list[date] = []
    while len(found) < count:
        if is_working_day(day, nation):
            found.append(day)
        day += timedelta(days=1)
    return found, day_start(day, zone)


@dataclass(frozen=True)
class Priced:
    """The rate of an amount on a day: ``status`` "published", "computed" (by the uprating rule) or "stale" (the
    last figure, after a later one should have taken effect); ``effective`` None when overridden."""

    rate: float
    overridden: bool
    effective: date | None
    status: str = "published"
    basis: str = ""  # where it comes from, for an explanation


def rate_for(amount: Amount, day: date, overrides: Mapping[str, Any]) -> Priced | None:
    """The rate of ``amount`` on ``day``; None when no rate is in force."""
    if amount.key in overrides:
        return Priced(float(overrides[amount.key]), True, None, "published", "overridden in [claims.amounts]")
    rate = amount.rate_on(day)
    if rate is None:
        return None
    if amount.unverified_on(day):
        basis = f"in force from {weekday_date(rate.effective_from)} ({rate.source.title}; the last in this rule pack)"
        return Priced(rate.amount, False, rate.effective_from, "stale", basis)
    if rate.computed:
        basis = (
            f"from {weekday_date(rate.effective_from)}, computed by netwatch with the published uprating rule and not "
            f"yet published: {rate.formula}"
        )
        return Priced(rate.amount, False, rate.effective_from, "computed", basis)
    basis = f"in force from {weekday_date(rate.effective_from)} ({rate.source.title})"
    return Priced(rate.amount, False, rate.effective_from, "published", basis)


def rate_note(amount: Amount, day: date, currency: str, priced: Priced) -> str:
    """What a report must say about a rate not published: computed by the rule, or the last one (stale)."""
    if priced.status == "computed":
        return (
            f"The {amount.key} rate from {weekday_date(priced.effective or day)} ({money(priced.rate, currency)}) is "
            "computed by netwatch with the published uprating rule: no published figure for it was found."
        )
    if priced.status == "stale":
        rate = amount.rate_on(day)
        shown = money(rate.amount, currency) if rate is not None else "none"
        return (
            f"No uprating of {amount.key} from {weekday_date(amount.unverified_from or day)} is in this rule pack: "
            f"the last figure ({shown}) is used and may be lower than the one in force."
        )
    return ""


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
) -> tuple[list[ClaimItem], list[ClaimItem]]:
    """The money lines of fault tickets, and the contestable ones: one line per ticket and rate for the calendar
    days after the two full working days on which the line was down for every measured second of the fault's part
    of the day (``netwatch.core.claims.episode``), one contestable line per day of partial loss; a day is counted
    once, for the earliest ticket that reaches it."""
    section = pack.section("repair")
    amount = pack.amounts[section["amount"]]
    source = pack.source_of("repair")
    test = pack.day_test("repair")
    nation = region if region in NATIONS else "ENG"
    items: list[ClaimItem] = []
    contestable: list[ClaimItem] = []
    paid: dict[date, d.Taken] = {}  # day → the ticket it was counted for
    for found in d.episodes(tickets, incidents, coverage, until, pack.causes, zone, notes):
        ticket = found.ticket
        if ticket.planned and section.get("planned") == "excluded":
            d.payable_days(
                found, local_date(ticket.reported, zone), zone, since=since, until=until, paid=paid, notes=notes
            )
            notes.append(
                f"Ticket {ticket.ref} is planned work notified in advance: {section['title']} pays nothing for it."
            )
            continue
        working, deadline = working_days_after(ticket.reported, section["working_days"], nation, zone)
        first = max(local_date(deadline, zone), pack.effective_from)
        counted = d.payable_days(found, first, zone, since=since, until=until, paid=paid, notes=notes)
        if section.get("pause_declined"):
            counted = limits.paused(counted, ticket, zone, notes)
        counted = limits.notice_stop(counted, ticket, first, section, zone, notes)
        whole, partial = d.split(counted, test)
        price_day = local_date(ticket.reported, zone) if pack.rate_date == "reported" else None
        priced = {
            day.day: found_rate for day in whole if (found_rate := rate_for(amount, price_day or day.day, overrides))
        }
        for run in d.runs(list(priced.items())):
            rate = priced[run[0]]
            quantity = len(run)
            total = times(quantity, rate.rate)
            start, end = day_start(run[0], zone), min(day_start(run[-1] + timedelta(days=1), zone), found.end)
            plural = "s" if quantity != 1 else ""
            days = " and ".join(weekday_date(w) for w in working)
            text = (
                f"Delayed repair, ticket {ticket.ref}: {quantity} calendar day{plural} {d.TIMES} "
                f"{money(rate.rate, pack.currency)} = {money(total, pack.currency)} ({weekday_date(run[0])} to "
                f"{weekday_date(run[-1])}; the rate {rate.basis}). Reported {when(ticket.reported, zone)}; two full "
                f"working days after the day of the report: {days}; {found.phrase(zone)}."
            )
            note = rate_note(amount, price_day or run[-1], pack.currency, rate)
            if note and note not in notes:
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
                    rate.rate,
                    total,
                    pack.currency,
                    text,
                    rate.overridden,
                    rate_status=rate.status,
                )
            )
        for day in partial:
            maybe = rate_for(amount, price_day or day.day, overrides)
            if maybe is not None:
                contestable.append(
                    d.contestable_item(
                        day,
                        ticket=ticket,
                        rule=section["title"],
                        item=amount.key,
                        pack=pack.id,
                        source=source,
                        rate=maybe.rate,
                        currency=pack.currency,
                        zone=zone,
                        test=test,
                        overridden=maybe.overridden,
                    )
                )
    return items, contestable


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
    section_name: str = "appointment",
    kinds: Collection[TicketKind] = tuple(TicketKind),
) -> list[ClaimItem]:
    """One line per ticket and rate: the missed appointments within [since, until) of the tickets of ``kinds``,
    under the pack's ``section_name``. ``floor_of_fee`` (de-tkg): the monthly fee the amount's ``percent_of_fee``
    applies to."""
    section = pack.section(section_name)
    amount = pack.amounts[section["amount"]]
    source = pack.source_of(section_name)
    items: list[ClaimItem] = []
    seen: set[float] = set()  # one appointment recorded on two tickets is paid once
    for ticket in sorted(tickets, key=lambda t: t.reported):
        if ticket.kind not in kinds:
            continue
        missed = sorted(at for at in ticket.missed_appointments if since <= at < until and at not in seen)
        seen.update(missed)
        groups: dict[tuple[float, bool, str], list[float]] = {}
        for at in missed:
            day = local_date(at, zone)
            if day < pack.effective_from:
                continue
            found = rate_for(amount, day, overrides)
            if found is None:
                continue
            rate = found.rate
            if not found.overridden and amount.percent_of_fee and floor_of_fee:
                rate = max(rate, cents(floor_of_fee * amount.percent_of_fee / 100))
            note = rate_note(amount, day, pack.currency, found)
            if note and note not in notes:
                notes.append(note)
            groups.setdefault((rate, found.overridden, found.status), []).append(at)
        for (rate, overridden, status), instants in groups.items():
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
                    rate_status=status,
                )
            )
    return items
