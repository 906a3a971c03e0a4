"""Tickets against the measurements: which incidents a ticket covers, and the outage time after the report,
with hand-computed figures."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from netwatch.model import Cause, Channel, Incident, Kind, Ticket
from netwatch.report.tickets import linked, ticket_figures
from netwatch.schedule import BusinessHours

LONDON = ZoneInfo("Europe/London")
HOURS = BusinessHours.from_config(
    {"timezone": "Europe/London", "week": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}}
)


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).timestamp()


def outage(start: str, end: str | None, cause: Cause = Cause.ISP) -> Incident:
    return Incident(Kind.OUTAGE, cause, at(start), None if end is None else at(end))


# Monday 2 November 2026: down 08:00-12:00, back, down again 13:00-13:30 (a flap), a local fault 15:00-15:10.
MORNING = outage("2026-11-02 08:00", "2026-11-02 12:00")
FLAP = outage("2026-11-02 13:00", "2026-11-02 13:30")
ROUTER = outage("2026-11-02 15:00", "2026-11-02 15:10", Cause.LOCAL)
EARLIER = outage("2026-11-01 20:00", "2026-11-01 20:05")  # cleared before the report
SLOW = Incident(Kind.SLOW, Cause.ISP, at("2026-11-02 12:30"), at("2026-11-02 14:00"))
ALL = [EARLIER, MORNING, SLOW, FLAP, ROUTER]


def test_a_ticket_covers_what_overlaps_its_report_to_its_repair() -> None:
    ticket = Ticket("T1", at("2026-11-02 08:30"), Channel.PHONE, fixed=at("2026-11-02 14:00"))
    assert linked(ticket, ALL, until=at("2026-11-03 00:00")) == (MORNING, SLOW, FLAP)


def test_an_outage_that_cleared_before_the_report_is_not_covered() -> None:
    ticket = Ticket("T1", at("2026-11-01 20:05"))
    assert EARLIER not in linked(ticket, ALL, until=at("2026-11-03 00:00"))


def test_downtime_after_the_report_counts_only_outages_inside_the_ticket() -> None:
    ticket = Ticket("T1", at("2026-11-02 08:30"), fixed=at("2026-11-02 14:00"))
    (f,) = ticket_figures([ticket], ALL, at("2026-11-03 00:00"), HOURS)
    # 08:30-12:00 (3 h 30) + 13:00-13:30 (30 min) = 4 h; business hours from 09:00: 3 h + 30 min = 3 h 30.
    assert f.down_after_report == 4 * 3600
    assert f.business_after_report == 3.5 * 3600
    assert (f.down_since, f.restored) == (MORNING.start, FLAP.end)
    assert f.outages == (MORNING, FLAP)


def test_an_open_ticket_runs_to_the_end_of_the_period_and_an_open_outage_is_still_down() -> None:
    still = outage("2026-11-02 08:00", None)
    ticket = Ticket("T2", at("2026-11-02 10:00"))
    (f,) = ticket_figures([ticket], [still], at("2026-11-02 18:00"), HOURS)
    assert f.down_after_report == 8 * 3600 and f.business_after_report == 7 * 3600
    assert f.restored is None and f.down_since == still.start and f.window_end == at("2026-11-02 18:00")


def test_nothing_after_the_period_is_counted() -> None:
    ticket = Ticket("T3", at("2026-11-02 08:30"), fixed=at("2026-11-02 14:00"))
    (f,) = ticket_figures([ticket], ALL, at("2026-11-02 11:00"), HOURS)
    assert f.down_after_report == 2.5 * 3600  # 08:30-11:00


def test_tickets_come_oldest_first() -> None:
    late, early = Ticket("B", at("2026-11-02 10:00")), Ticket("A", at("2026-11-02 09:00"))
    assert [f.ticket.ref for f in ticket_figures([late, early], [], at("2026-11-03 00:00"), HOURS)] == ["A", "B"]
