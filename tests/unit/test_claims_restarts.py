"""A ticket's fault around a restart of netwatch (netwatch.core.claims.episode, through the report's ticket figures and
the uk-ofcom claims): time netwatch did not see is never an outage, so a repair followed by a stop of netwatch is
not "the line went down again", and the fault ends where the line was measured back.

The line (Monday 4 November 2024, London): down 09:00 to 13:00 from the provider's access network, reported 09:30;
back up at 13:00; netwatch stopped at 13:10 (an upgrade) and started again at 15:10.
"""

from __future__ import annotations

from netwatch.config.records import PlanConfig
from netwatch.core.claims import claims_for
from netwatch.core.claims.episode import Basis
from netwatch.core.model import Coverage, Incident, Ticket
from netwatch.core.schedule import BusinessHours
from netwatch.report.tickets import TicketFigures, ticket_figures
from tests.support.incidents import outage
from tests.support.instants import local

HOURS = BusinessHours.from_config(
    {"timezone": "Europe/London", "week": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}}
)
PLAN = PlanConfig("Example ISP", "A-1", 30.0, 0.0, 80.0, 20.0)


DOWN = outage(local("2024-11-04 09:00"), local("2024-11-04 13:00"))
REPORTED = local("2024-11-04 09:30")
STOPPED, STARTED = local("2024-11-04 13:10"), local("2024-11-04 15:10")
COVERAGE = [Coverage(local("2024-11-01 00:00"), STOPPED), Coverage(STARTED, local("2024-11-08 00:00"))]
UNTIL = local("2024-11-08 00:00")


def figures(ticket: Ticket, incidents: list[Incident], coverage: list[Coverage] = COVERAGE) -> TicketFigures:
    (found,) = ticket_figures([ticket], incidents, coverage, UNTIL, HOURS)
    return found


def notes(ticket: Ticket, incidents: list[Incident]) -> tuple[str, ...]:
    claims = claims_for(
        "uk-ofcom",
        since=local("2024-11-01 00:00"),
        until=UNTIL,
        incidents=incidents,
        tickets=[ticket],
        speeds=[],
        plan=PLAN,
        timezone="Europe/London",
        region="ENG",
        overrides={},
        coverage=COVERAGE,
    )
    assert claims is not None
    return claims.notes


def test_a_repair_followed_by_a_restart_is_not_an_outage() -> None:
    ticket = Ticket("T", REPORTED, fixed=local("2024-11-04 13:05"))
    found = figures(ticket, [DOWN])
    assert (found.episode.basis, found.restored, found.episode.note) == (Basis.MEASURED, DOWN.end, "")
    assert found.down_after_report == 3.5 * 3600
    assert not any("down again" in note or "not counted under this ticket" in note for note in notes(ticket, [DOWN]))


def test_without_the_owners_repair_time_the_fault_ends_where_the_line_was_measured_back() -> None:
    # Ten minutes up, then netwatch stopped: the line was up again when it started, so nothing measured says the
    # fault went on through the two hours it did not see.
    found = figures(Ticket("T", REPORTED), [DOWN])
    assert (found.episode.basis, found.restored, found.episode.end) == (Basis.MEASURED, DOWN.end, DOWN.end)
    assert found.down_after_report == 3.5 * 3600


def test_a_line_found_down_when_monitoring_resumed_is_said_so_not_that_it_went_down() -> None:
    again = outage(STARTED, local("2024-11-04 16:00"))
    ticket = Ticket("T", REPORTED, fixed=local("2024-11-04 13:05"))
    found = figures(ticket, [DOWN, again])
    assert (found.episode.basis, found.restored) == (Basis.MEASURED, DOWN.end)
    assert found.episode.note == (
        "Ticket T: the ticket says fixed Mon 4 Nov 2024 13:05, and the line was down when monitoring resumed "
        "Mon 4 Nov 2024 15:10 (netwatch was not running from Mon 4 Nov 2024 13:10); that outage is not counted under "
        "this ticket: if it is the same fault, correct the repair time with `netwatch ticket close` and --correct."
    )


def test_without_a_repair_time_a_line_found_down_after_the_restart_is_still_the_same_fault() -> None:
    again = outage(STARTED, local("2024-11-04 16:00"))
    found = figures(Ticket("T", REPORTED), [DOWN, again])
    # Up ten minutes is a flap: the fault runs on to 16:00, and only the measured down time counts.
    assert (found.episode.basis, found.restored) == (Basis.MEASURED, again.end)
    assert found.down_after_report == 3.5 * 3600 + 50 * 60


def test_a_line_that_really_went_down_again_within_the_hour_is_still_noted() -> None:
    again = outage(local("2024-11-04 13:08"), local("2024-11-04 13:09"))
    found = figures(Ticket("T", REPORTED, fixed=local("2024-11-04 13:05")), [DOWN, again])
    assert found.episode.note.startswith(
        "Ticket T: the ticket says fixed Mon 4 Nov 2024 13:05, and the line went down again Mon 4 Nov 2024 13:08, "
        "within an hour; that outage is not counted under this ticket"
    )
