"""Deadlines: when a rule's clock runs out for a fault ticket, so that the owner knows on the day.

Owns ``deadlines`` (the deadlines of one ticket under one rule pack) and one small function per pack that has any:
uk-ofcom, compensation for a delayed repair from the end of the second full working day after the report (bank
holidays of the nation skipped, as ``ofcom`` counts them); de-tkg, compensation from day 3, the report day being
day 0 (as ``tkg`` counts them). More deadlines (a speeds code's exit right, an ombudsman's waiting time) are
added as one function each in ``_RULES``. Must not decide what is paid (``ofcom``, ``tkg``) nor read a clock: the
ticket carries its instant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from netwatch.core.calendar import day_start, local_date
from netwatch.core.claims.loader import Pack, load
from netwatch.core.claims.model import Deadline
from netwatch.core.claims.ofcom import NATIONS, working_days_after
from netwatch.core.model import Ticket
from netwatch.core.text import weekday_date

COMPENSATION = "compensation"


def _ofcom(pack: Pack, ticket: Ticket, zone: ZoneInfo, region: str) -> tuple[Deadline, ...]:
    count = int(pack.section("repair")["working_days"])
    nation = region if region in NATIONS else "ENG"
    working, at = working_days_after(ticket.reported, count, nation, zone)
    days = " and ".join(weekday_date(day) for day in working)
    basis = f"{count} full working days after the report: {days}"
    return (Deadline(ticket.ref, COMPENSATION, "Ofcom automatic compensation", at, working[-1], basis),)


def _tkg(pack: Pack, ticket: Ticket, zone: ZoneInfo, region: str) -> tuple[Deadline, ...]:
    grace = int(pack.section("outage")["grace_days"])
    reported = local_date(ticket.reported, zone)
    first = reported + timedelta(days=grace + 1)
    basis = f"the report day ({weekday_date(reported)}) is day 0; compensation from day {grace + 1}"
    rule = "§ 58 TKG compensation"
    return (Deadline(ticket.ref, COMPENSATION, rule, day_start(first, zone), first - timedelta(days=1), basis),)


_RULES: dict[str, Callable[[Pack, Ticket, ZoneInfo, str], tuple[Deadline, ...]]] = {
    "uk-ofcom": _ofcom,
    "de-tkg": _tkg,
}


def deadlines(rules: str, ticket: Ticket, *, timezone: str, region: str = "") -> tuple[Deadline, ...]:
    """The deadlines of ``ticket`` under pack ``rules`` (``[claims] rules``), earliest first; none for a pack
    without any ("none", "us-fcc") or a ticket reported before the pack took effect. ``region`` is the UK nation
    whose bank holidays are not working days (anything else means England). Raises PackError for a broken pack."""
    rule = _RULES.get(rules)
    if rule is None:
        return ()
    pack = load(rules)
    zone = ZoneInfo(timezone)
    if local_date(ticket.reported, zone) < pack.effective_from:
        return ()
    return tuple(sorted(rule(pack, ticket, zone, region), key=lambda d: d.at))
