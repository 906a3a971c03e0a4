"""What the measurements say about the fault a ticket reports: one *episode* from the report to the repair.

Owns the single rule every figure about a ticket rests on (the report's "down after the report", the claims'
counted days, the letter's "came back at"). The time from the report on is a timeline of three states: **down**
(inside an outage of a cause the provider answers for), **up** (monitored, and not down) and **unknown** (netwatch
was not running). The episode starts at the report and ends at the repair:

- the first *up* stretch that lasts ``FLAP_GAP`` (the line came back for good), or that contains the owner's
  ``fixed``, or that reaches the end of what was measured: the repair is where it begins ("measured");
- the owner's ``fixed`` inside an *unknown* stretch: the repair is ``fixed`` ("ticket");
- otherwise the end of what was measured: "open" while the line is still down there, "unmonitored" when
  monitoring had stopped with the line down.

Shorter *up* stretches are flaps of the same fault. An episode without any *down* time has nothing to claim
("none"): the line was up when the provider was told, or it was never measured down after. A local day of the
episode is *down* when the line was measured down in it, *unknown* when only unmonitored time kept the fault open;
rules pay only *down* days and list the others. Pure: instants and coverage come from the caller.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from netwatch.model import Cause, Coverage, Incident, Kind, Ticket

__all__ = ["FLAP_GAP", "Basis", "DayState", "Episode", "Measured", "Span", "State", "episode", "episode_in", "timeline"]

FLAP_GAP = 3600.0  # seconds up between two outages that still make them one fault (a flapping line)
TOLERANCE = 15 * 60.0  # seconds the owner's ``fixed`` may differ from the measured repair before we say so


class State(StrEnum):
    DOWN = "down"
    UP = "up"
    UNKNOWN = "unknown"


class Basis(StrEnum):
    MEASURED = "measured"  # the line was measured back up at ``end``
    TICKET = "ticket"  # the owner's ``fixed``, inside unmonitored time
    OPEN = "open"  # still measured down at ``end`` (the end of what was measured): still accruing
    UNMONITORED = "unmonitored"  # monitoring stopped at ``end`` with the line down; nothing after is known
    NONE = "none"  # no down time after the report: nothing to claim


class DayState(StrEnum):
    DOWN = "down"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    state: State

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Episode:
    """One ticket's fault as measured: ``spans`` cover [ticket.reported, end) in order."""

    ticket: Ticket
    outages: tuple[Incident, ...]  # the outages of the episode (they may begin before the report)
    spans: tuple[Span, ...]
    end: float
    basis: Basis
    note: str = ""

    @property
    def down_seconds(self) -> float:
        return sum(s.seconds for s in self.spans if s.state is State.DOWN)

    def down_intervals(self) -> list[tuple[float, float]]:
        return [(s.start, s.end) for s in self.spans if s.state is State.DOWN]

    @property
    def restored(self) -> float | None:
        """When the line was measured back, or None (still down, unmonitored, or nothing measured)."""
        return self.end if self.basis is Basis.MEASURED else None

    def day_state(self, begin: float, end: float) -> DayState | None:
        """How [begin, end) (a local day) stands in the episode: down when measured down in it, unknown when only
        unmonitored time kept the fault open, None when it is outside the episode or the line was up."""
        found = None
        for s in self.spans:
            if s.end <= begin or s.start >= end:
                continue
            if s.state is State.DOWN:
                return DayState.DOWN
            if s.state is State.UNKNOWN:
                found = DayState.UNKNOWN
        return found

    def days(self, first: date, zone: ZoneInfo, since: float, until: float) -> list[tuple[date, DayState]]:
        """The local days from ``first`` on that begin inside [since, until) and before the episode's end, with
        their state (days the line was up throughout are left out)."""
        from netwatch.claims.days import day_start

        out: list[tuple[date, DayState]] = []
        day = first
        while (begin := day_start(day, zone)) < min(self.end, until):
            state = self.day_state(begin, day_start(day + timedelta(days=1), zone))
            if begin >= since and state is not None:
                out.append((day, state))
            day += timedelta(days=1)
        return out

    def phrase(self, zone: ZoneInfo) -> str:
        """How the episode ended, for an explanation: "service back Sat 7 Nov 2026 08:00 (measured)"."""
        from netwatch.claims.days import when

        at = when(self.end, zone)
        return {
            Basis.MEASURED: f"service back {at} (measured; {len(self.outages)} outage(s) since the report)",
            Basis.TICKET: f"repaired {at} according to the ticket (netwatch was not running then)",
            Basis.OPEN: f"still down at {at}: the claim is still accruing",
            Basis.UNMONITORED: f"still down when monitoring stopped at {at}: nothing after that is counted",
            Basis.NONE: "no loss of service was measured after the report",
        }[self.basis]


def _union(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted, overlapping and touching intervals merged."""
    out: list[tuple[float, float]] = []
    for lo, hi in sorted(i for i in intervals if i[1] > i[0]):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


@dataclass(frozen=True)
class Measured:
    """What netwatch measured up to ``until``, prepared once for the episodes of many tickets: the provider's
    outages (of ``causes``) and the monitored time, each as sorted disjoint intervals."""

    losses: tuple[Incident, ...]
    down: tuple[tuple[float, float], ...]
    watched: tuple[tuple[float, float], ...]
    until: float

    @classmethod
    def of(
        cls, incidents: Sequence[Incident], coverage: Sequence[Coverage] | None, until: float, causes: Collection[Cause]
    ) -> Measured:
        losses = tuple(sorted((i for i in incidents if i.kind is Kind.OUTAGE and i.cause in causes), key=_start))
        down = _union((o.start, o.end if o.end is not None else until) for o in losses)
        watched = [(-math.inf, math.inf)] if coverage is None else _union((c.start, c.end) for c in coverage)
        return cls(losses, tuple(down), tuple(watched), until)

    def spans(self, since: float) -> Iterator[Span]:
        """The states over [since, until), in order and lazily (an episode stops reading at its repair): down
        inside an outage (open ones run to ``until``), else up where netwatch was running, else unknown."""
        down, watched, until = self.down, self.watched, self.until
        i = bisect.bisect_right(down, since, key=lambda x: x[1])
        j = bisect.bisect_right(watched, since, key=lambda x: x[1])
        t, pending = since, None
        while t < until:
            while i < len(down) and down[i][1] <= t:
                i += 1
            while j < len(watched) and watched[j][1] <= t:
                j += 1
            next_down = down[i][0] if i < len(down) else math.inf
            if next_down <= t:
                state, stop = State.DOWN, down[i][1]
            elif j < len(watched) and watched[j][0] <= t:
                state, stop = State.UP, min(watched[j][1], next_down)
            else:
                state, stop = State.UNKNOWN, min(watched[j][0] if j < len(watched) else math.inf, next_down)
            stop = min(stop, until)
            if pending is not None and pending.state is state:
                pending = Span(pending.start, stop, state)
            else:
                if pending is not None:
                    yield pending
                pending = Span(t, stop, state)
            t = stop
        if pending is not None:
            yield pending


def _start(incident: Incident) -> float:
    return incident.start


def timeline(
    outages: Sequence[Incident], coverage: Sequence[Coverage] | None, since: float, until: float
) -> list[Span]:
    """Every span over [since, until) of ``outages`` (all counted) and ``coverage`` (None: monitored throughout)."""
    return list(Measured.of(outages, coverage, until, set(Cause)).spans(since))


def episode(
    ticket: Ticket,
    incidents: Sequence[Incident],
    coverage: Sequence[Coverage] | None,
    until: float,
    causes: Collection[Cause],
    zone: ZoneInfo,
) -> Episode:
    """The episode of ``ticket`` as measured up to ``until`` (the end of what netwatch measured): see the module
    docstring. ``causes`` are the outage causes that count as the provider's loss of service. For many tickets,
    prepare the measurements once with ``Measured.of`` and call ``episode_in``."""
    return episode_in(Measured.of(incidents, coverage, until, causes), ticket, zone)


def episode_in(measured: Measured, ticket: Ticket, zone: ZoneInfo) -> Episode:
    """The episode of ``ticket`` in ``measured``."""
    from netwatch.claims.days import when

    losses, until = measured.losses, measured.until
    r = ticket.reported
    kept: list[Span] = []
    end, basis = until, Basis.OPEN
    fixed = ticket.fixed
    for s in measured.spans(r):
        if s.state is State.UP and (s.seconds >= FLAP_GAP or s.end >= until or (fixed is not None and
                                                                                s.start <= fixed < s.end)):  # fmt: skip
            end, basis = s.start, Basis.MEASURED
            break
        if s.state is State.UNKNOWN and fixed is not None and s.start <= fixed < s.end:
            kept.append(Span(s.start, fixed, s.state))
            end, basis = fixed, Basis.TICKET
            break
        kept.append(s)
    else:
        if kept and kept[-1].state is State.UNKNOWN:
            end, basis = kept[-1].start, Basis.UNMONITORED
            kept.pop()
    if not any(s.state is State.DOWN for s in kept):
        return Episode(ticket, (), (), r, Basis.NONE)
    before_end = losses[: bisect.bisect_left(losses, end, key=_start)]
    covered = tuple(o for o in before_end if (o.end if o.end is not None else until) > r)
    note = ""
    if fixed is not None and basis in (Basis.MEASURED, Basis.OPEN, Basis.UNMONITORED) and abs(fixed - end) > TOLERANCE:
        shown = "still down" if basis is not Basis.MEASURED else "measured back"
        note = (f"Ticket {ticket.ref}: the ticket says fixed {when(fixed, zone)}, but the line was {shown} at "
                f"{when(end, zone)}; the measurement is used.")  # fmt: skip
    return Episode(ticket, covered, tuple(kept), end, basis, note)
