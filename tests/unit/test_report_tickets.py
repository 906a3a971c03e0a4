"""Tickets against the measurements (netwatch.core.claims.episode through report.tickets): which outages a ticket
covers, the outage time after the report and when the line came back, with hand-computed figures."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from netwatch.core.claims.episode import FLAP_GAP, Basis, Span, State, timeline
from netwatch.core.model import Cause, Channel, Coverage, Incident, Kind, Ticket
from netwatch.core.schedule import BusinessHours
from netwatch.report.tickets import TicketFigures, restored_text, ticket_figures
from tests.support import incidents as build
from tests.support.instants import local

HOURS = BusinessHours.from_config(
    {"timezone": "Europe/London", "week": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}}
)


at = local


def outage(start: str, end: str | None, cause: Cause = Cause.ISP) -> Incident:
    """An outage between two London wall-clock readings (``end`` None: still open)."""
    return build.outage(at(start), None if end is None else at(end), cause)


# Monday 2 November 2026: down 08:00-12:00, back 30 minutes, down 12:30-13:30 (a flap), a local fault 15:00-15:10.
MORNING = outage("2026-11-02 08:00", "2026-11-02 12:00")
FLAP = outage("2026-11-02 12:30", "2026-11-02 13:30")
ROUTER = outage("2026-11-02 15:00", "2026-11-02 15:10", Cause.LOCAL)
EARLIER = outage("2026-11-01 20:00", "2026-11-01 20:05")  # cleared before the report
SLOW = Incident(Kind.SLOW, Cause.ISP, at("2026-11-02 12:10"), at("2026-11-02 14:00"))
ALL = [EARLIER, MORNING, SLOW, FLAP, ROUTER]
END = at("2026-11-03 00:00")


def one(
    ticket: Ticket, incidents: list[Incident], until: float = END, coverage: list[Coverage] | None = None
) -> TicketFigures:
    (figures,) = ticket_figures([ticket], incidents, coverage, until, HOURS)
    return figures


def test_the_fault_runs_from_the_report_through_its_flaps_to_the_line_back_for_good() -> None:
    f = one(Ticket("T1", at("2026-11-02 08:30"), Channel.PHONE, fixed=at("2026-11-02 14:00")), ALL)
    # 08:30-12:00 (3 h 30) + 12:30-13:30 (1 h) = 4 h 30, of it in business hours from 09:00: 3 h + 1 h = 4 h. The
    # slow incident is not an outage, the local fault is the owner's, and 13:30 is when the line came back.
    assert f.outages == (MORNING, FLAP)
    assert (f.down_after_report, f.business_after_report) == (4.5 * 3600, 4 * 3600)
    assert (f.down_since, f.restored) == (MORNING.start, FLAP.end)


def test_an_outage_that_cleared_before_the_report_is_not_covered() -> None:
    f = one(Ticket("T1", at("2026-11-01 20:05")), ALL)
    assert EARLIER not in f.outages and f.episode.basis is Basis.NONE and f.down_after_report == 0


def test_an_open_ticket_with_the_line_still_down_runs_to_the_end_of_what_was_measured() -> None:
    still = outage("2026-11-02 08:00", None)
    f = one(Ticket("T2", at("2026-11-02 10:00")), [still], until=at("2026-11-02 18:00"))
    assert f.down_after_report == 8 * 3600 and f.business_after_report == 7 * 3600
    assert f.restored is None and f.episode.basis is Basis.OPEN and f.down_since == still.start


def test_nothing_after_the_end_is_counted() -> None:
    f = one(Ticket("T3", at("2026-11-02 08:30"), fixed=at("2026-11-02 14:00")), ALL, until=at("2026-11-02 11:00"))
    assert f.down_after_report == 2.5 * 3600  # 08:30-11:00
    assert f.episode.basis is Basis.OPEN


def test_monitoring_stopped_with_the_line_down() -> None:
    # netwatch ran until 10:00 (the outage closed at its last round); the owner never closed the ticket.
    seen = [Coverage(at("2026-11-02 00:00"), at("2026-11-02 10:00"))]
    f = one(Ticket("T4", at("2026-11-02 08:30")), [outage("2026-11-02 08:00", "2026-11-02 10:00")], coverage=seen)
    assert f.episode.basis is Basis.UNMONITORED and f.restored is None
    assert (f.episode.end, f.down_after_report) == (at("2026-11-02 10:00"), 1.5 * 3600)


def test_how_each_ticket_ended_is_worded_in_report() -> None:
    zone = HOURS.timezone
    seen = [Coverage(at("2026-11-02 00:00"), at("2026-11-02 10:00"))]
    ended = {
        Basis.MEASURED: one(Ticket("T1", at("2026-11-02 08:30")), ALL),
        Basis.NONE: one(Ticket("T1", at("2026-11-01 20:05")), ALL),
        Basis.OPEN: one(Ticket("T2", at("2026-11-02 10:00")), [outage("2026-11-02 08:00", None)], until=END),
        Basis.UNMONITORED: one(
            Ticket("T4", at("2026-11-02 08:30")), [outage("2026-11-02 08:00", "2026-11-02 10:00")], coverage=seen
        ),
        Basis.TICKET: one(
            Ticket("T5", at("2026-11-02 08:30"), fixed=at("2026-11-02 11:00")),
            [outage("2026-11-02 08:00", "2026-11-02 10:00")],
            coverage=seen,
        ),
    }
    assert {basis: f.episode.basis for basis, f in ended.items()} == {basis: basis for basis in Basis}
    assert {basis: restored_text(f, zone) for basis, f in ended.items()} == {
        Basis.MEASURED: "restored 2026-11-02 13:30:00 GMT",
        Basis.NONE: "no loss of service measured after the report",
        Basis.OPEN: "still down",
        Basis.UNMONITORED: "still down when monitoring stopped 2026-11-02 10:00:00 GMT",
        Basis.TICKET: "repaired per the ticket while netwatch was not running",
    }


def test_timeline_states() -> None:
    seen = [Coverage(at("2026-11-02 00:00"), at("2026-11-02 12:00"))]
    spans = timeline([MORNING], seen, at("2026-11-02 06:00"), at("2026-11-02 14:00"))
    assert spans == [
        Span(at("2026-11-02 06:00"), at("2026-11-02 08:00"), State.UP),
        Span(at("2026-11-02 08:00"), at("2026-11-02 12:00"), State.DOWN),
        Span(at("2026-11-02 12:00"), at("2026-11-02 14:00"), State.UNKNOWN),
    ]


def test_a_line_back_for_the_flap_gap_is_repaired() -> None:
    back = at("2026-11-02 12:00")
    later = Incident(Kind.OUTAGE, Cause.ISP, back + FLAP_GAP, back + FLAP_GAP + 600)
    f = one(Ticket("T5", at("2026-11-02 09:00")), [MORNING, later])
    assert f.restored == back and f.outages == (MORNING,)
    f = one(Ticket("T5", at("2026-11-02 09:00")), [MORNING, Incident(Kind.OUTAGE, Cause.ISP, later.start - 1, None)])
    assert f.restored is None  # back 59 min 59 s only: the same fault, still down


def test_tickets_come_oldest_first() -> None:
    late, early = Ticket("B", at("2026-11-02 10:00")), Ticket("A", at("2026-11-02 09:00"))
    assert [f.ticket.ref for f in ticket_figures([late, early], [], None, END, HOURS)] == ["A", "B"]


@given(
    st.lists(st.tuples(st.integers(0, 100), st.integers(1, 30), st.booleans()), max_size=12),
    st.one_of(st.none(), st.lists(st.tuples(st.integers(0, 100), st.integers(1, 40)), max_size=6)),
    st.integers(0, 60),
    st.integers(1, 80),
)
def test_the_timeline_is_the_state_at_every_instant(
    raw: list[tuple[int, int, bool]], watched: list[tuple[int, int]] | None, since: int, length: int
) -> None:
    """Against the definition, instant by instant: unknown where not monitored (an outage netwatch did not see is
    not down), else down in an outage (open ones to the end), else up; spans in order, touching, each state
    differing from the next."""
    until = since + length
    outages = [Incident(Kind.OUTAGE, Cause.ISP, float(a), None if still else float(a + n)) for a, n, still in raw]
    coverage = None if watched is None else [Coverage(float(a), float(a + n)) for a, n in watched]
    spans = timeline(outages, coverage, float(since), float(until))

    def state(t: float) -> State:
        if coverage is not None and not any(c.start <= t < c.end for c in coverage):
            return State.UNKNOWN
        if any(o.start <= t < (o.end if o.end is not None else until) for o in outages):
            return State.DOWN
        return State.UP

    assert spans[0].start == since and spans[-1].end == until
    assert all(a.end == b.start and a.state is not b.state for a, b in itertools.pairwise(spans))
    for s in spans:
        for k in range(int(s.start * 2), int(s.end * 2)):  # every half unit inside the span
            assert state(k / 2 + 0.25) is s.state


def reference(spans: list[Span], r: float, fixed: float | None, until: float) -> tuple[Basis, float, float]:
    """The rule as the module docstring states it, walked span by span: (basis, end, down seconds)."""
    down, end, basis = 0.0, until, Basis.OPEN
    walked: list[Span] = []
    for k, s in enumerate(spans):
        lasting = s.seconds >= FLAP_GAP
        # Monitoring stopped after it, and found the line up when it started again (or never did).
        after = [x.state for x in spans[k + 1 : k + 3]]
        seen_up = after in ([State.UNKNOWN], [State.UNKNOWN, State.UP])
        holds_fixed = fixed is not None and s.start <= fixed < s.end
        if s.state is State.UP and (lasting or s.end >= until or seen_up or holds_fixed):
            end, basis = s.start, Basis.MEASURED
            break
        if s.state is State.UNKNOWN and holds_fixed:
            assert fixed is not None
            end, basis = fixed, Basis.TICKET
            break
        walked.append(s)
        down += s.seconds if s.state is State.DOWN else 0.0
    else:
        if walked and walked[-1].state is State.UNKNOWN:
            end, basis = walked[-1].start, Basis.UNMONITORED
    return (Basis.NONE, r, 0.0) if down == 0 else (basis, end, down)


@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(1, 12), st.booleans()), max_size=10),
    st.one_of(st.none(), st.lists(st.tuples(st.integers(0, 40), st.integers(1, 20)), min_size=1, max_size=5)),
    st.integers(0, 40),
    st.one_of(st.none(), st.integers(0, 60)),
)
def test_the_indexed_episode_is_the_rule(
    raw: list[tuple[int, int, bool]], watched: list[tuple[int, int]] | None, report: int, fixed: int | None
) -> None:
    """Units of a quarter hour: a flap gap is 4 units. The episode the report builds from running sums and
    bisections is the one the rule describes, walked span by span."""
    q, until = 900.0, 60 * 900.0
    outages = [Incident(Kind.OUTAGE, Cause.ISP, a * q, None if still else (a + n) * q) for a, n, still in raw]
    coverage = None if watched is None else [Coverage(a * q, (a + n) * q) for a, n in watched]
    ticket = Ticket("T", report * q, fixed=None if fixed is None else fixed * q)
    (f,) = ticket_figures([ticket], outages, coverage, until, HOURS)
    basis, end, down = reference(
        timeline(outages, coverage, ticket.reported, until),
        ticket.reported,
        ticket.fixed if ticket.fixed is not None and ticket.fixed >= ticket.reported else None,
        until,
    )
    assert (f.episode.basis, f.episode.end, f.down_after_report) == (basis, end, down)
