"""Deadlines: when a rule's clock runs out for a ticket, so that the owner knows on the day.

Owns ``deadlines`` (the deadlines of one ticket under one rule pack, in the owner's situation) and one small function
per pack that has any. uk-ofcom: for a fault, compensation for a delayed repair from the end of the second full
working day after the day of the report (bank holidays of the nation skipped, as ``ofcom`` counts them); for slow
speed reported, the speeds code's right to exit once its 30 days are over; for any ticket, the point from which the
complaint may go to alternative dispute resolution (8 weeks, 6 for complaints from 8 April 2026; earlier at
deadlock). de-tkg: for a fault, compensation from day 3, the report day being day 0 (as ``tkg`` counts them); for a
switch or a move, compensation for each working day after the first the service is interrupted; for a port, from
the end of the working day after the agreed day (as ``switching`` counts them). Germany's Schlichtungsstelle has no
waiting period: no deadline. A rule that does not cover the owner, and planned work a rule pays nothing for, give
none. Must not decide what is paid (``ofcom``, ``tkg``, ``switching``) nor read a clock: the ticket carries its
instant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from netwatch.core.calendar import day_start, local_date
from netwatch.core.claims.loader import Pack, load
from netwatch.core.claims.model import Deadline, Situation
from netwatch.core.claims.ofcom import NATIONS, working_days_after
from netwatch.core.claims.switching import is_working_day, land_of, next_working_day
from netwatch.core.model import Ticket, TicketKind
from netwatch.core.text import weekday_date

WITH_DEADLINES = ("uk-ofcom", "de-tkg")  # the packs whose tickets have deadlines
COMPENSATION = "compensation"
EXIT = "exit"
ADR = "adr"
PORT = "port"


def _covers(pack: Pack, section: str, who: Situation) -> bool:
    return pack.scope(section).covers(who) is not False


def _ofcom(pack: Pack, ticket: Ticket, zone: ZoneInfo, region: str, who: Situation) -> list[Deadline]:
    found: list[Deadline] = []
    reported = local_date(ticket.reported, zone)
    if ticket.kind is TicketKind.FAULT and not ticket.planned and _covers(pack, "repair", who):
        count = int(pack.section("repair")["working_days"])
        nation = region if region in NATIONS else "ENG"
        working, at = working_days_after(ticket.reported, count, nation, zone)
        days = " and ".join(weekday_date(day) for day in working)
        basis = f"{count} full working days after the day of the report: {days}"
        found.append(Deadline(ticket.ref, COMPENSATION, "Ofcom automatic compensation", at, working[-1], basis))
    if ticket.kind is TicketKind.SPEED and _covers(pack, "speeds", who):
        length = int(pack.section("speeds")["exit_after_days"])
        last = reported + timedelta(days=length)
        basis = f"{length} calendar days after the day slow speed was reported ({weekday_date(reported)})"
        rule = "The speeds code's right to exit"
        found.append(Deadline(ticket.ref, EXIT, rule, day_start(last + timedelta(days=1), zone), last, basis))
    if _covers(pack, "adr", who):
        weeks = _weeks(pack.section("adr")["waits"], reported)
        first = reported + timedelta(weeks=weeks)
        basis = (
            f"{weeks} weeks after the report of {weekday_date(reported)}, if it was a complaint; earlier if the "
            "provider says the complaint is at deadlock"
        )
        rule = "Alternative dispute resolution (the Communications Ombudsman or CISAS)"
        found.append(Deadline(ticket.ref, ADR, rule, day_start(first, zone), first - timedelta(days=1), basis))
    return found


def _weeks(waits: tuple[tuple[date, int], ...], day: date) -> int:
    weeks = waits[0][1]
    for start, count in waits:
        if start <= day:
            weeks = count
    return weeks


def _tkg(pack: Pack, ticket: Ticket, zone: ZoneInfo, holidays: str, who: Situation) -> list[Deadline]:
    reported = local_date(ticket.reported, zone)
    land = land_of(holidays)
    if ticket.kind is TicketKind.FAULT and not ticket.planned and _covers(pack, "outage", who):
        grace = int(pack.section("outage")["grace_days"])
        first = reported + timedelta(days=grace + 1)
        basis = f"the report day ({weekday_date(reported)}) is day 0; compensation from day {grace + 1}"
        rule = "§ 58 TKG compensation"
        return [Deadline(ticket.ref, COMPENSATION, rule, day_start(first, zone), first - timedelta(days=1), basis)]
    kinds = {TicketKind.SWITCH: ("switch", "§ 59 Abs. 4 TKG"), TicketKind.MOVE: ("move", "§ 60 Abs. 3 TKG")}
    if ticket.kind in kinds and _covers(pack, kinds[ticket.kind][0], who):
        section, law = kinds[ticket.kind]
        free = int(pack.section(section)["free_working_days"])
        last = reported if is_working_day(reported, land) else next_working_day(reported, land)
        for _ in range(free - 1):
            last = next_working_day(last, land)
        basis = (
            f"agreed for {weekday_date(reported)}: the first {free} working day(s) of an interruption "
            f"({weekday_date(last)}) are not paid, each further one is"
        )
        at = day_start(next_working_day(last, land), zone)
        return [Deadline(ticket.ref, COMPENSATION, f"{law} compensation", at, last, basis)]
    if ticket.kind is TicketKind.PORT and _covers(pack, "port", who):
        due = reported
        for _ in range(int(pack.section("port")["grace_working_days"])):
            due = next_working_day(due, land)
        basis = f"agreed for {weekday_date(reported)}; due by the end of the following working day"
        rule = "§ 59 Abs. 6 TKG compensation"
        return [Deadline(ticket.ref, PORT, rule, day_start(due + timedelta(days=1), zone), due, basis)]
    return []


def deadlines(
    rules: str,
    ticket: Ticket,
    *,
    timezone: str,
    region: str = "",
    situation: Situation = Situation(),  # noqa: B008 (frozen)
    holidays: str = "",
) -> tuple[Deadline, ...]:
    """The deadlines of ``ticket`` under pack ``rules`` (``[claims] rules``), earliest first; none for a pack
    without any ("none", "nl-telecomwet", "be-ecl", "us-fcc") or a ticket reported before the pack took effect.
    ``region`` is the UK nation whose bank holidays are not working days (anything else means England);
    ``holidays`` the ``business_hours.holidays`` code whose German Land decides de-tkg's working days. Raises
    PackError for a broken pack."""
    zone = ZoneInfo(timezone)
    rule: Callable[[Pack, Ticket, ZoneInfo, str, Situation], list[Deadline]]
    if rules == "uk-ofcom":
        rule, place = _ofcom, region
    elif rules == "de-tkg":
        rule, place = _tkg, holidays
    else:
        return ()
    pack = load(rules)
    if local_date(ticket.reported, zone) < pack.effective_from:
        return ()
    return tuple(sorted(rule(pack, ticket, zone, place, situation), key=lambda d: d.at))
