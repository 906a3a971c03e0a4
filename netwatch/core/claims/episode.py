"""What the measurements say about the fault a ticket reports: one *episode* from the report to the repair.

Owns the single rule every figure about a ticket rests on (the report's "down after the report", the claims' counted
days, the letter's "came back at"). The time from the report on is a timeline of three states: **down** (inside an
outage the provider answers for: causes isp, upstream, isp_or_upstream, dns), **up** (monitored, and not down) and
**unknown** (netwatch was not running: an outage never counts as down where netwatch did not see it). The episode
starts at the report and ends at the repair:

- the first *up* stretch that lasts ``FLAP_GAP`` (the line came back for good), or that contains the owner's
  ``fixed``, or after which nothing more was measured, or after which netwatch stopped and found the line up when
  it started again: the repair is where it begins ("measured");
- the owner's ``fixed`` inside an *unknown* stretch: the repair is ``fixed`` ("ticket");
- otherwise the end: "open" while the line is still down there, "unmonitored" when monitoring had stopped with
  the line down.

Shorter *up* stretches are flaps of the same fault. An episode without any *down* time has nothing to claim
("none"). A local day of the episode is *down* for a rule when the line was measured down in it from a cause the
rule counts (any second of it), *uncounted* when it was down only from other causes (a name-service failure is not a
total loss of service), *unknown* when only unmonitored time kept the fault open; each day also carries the seconds
measured down from the counted causes and the measured seconds that were not (``Day``), so that a rule can tell a
day of complete loss from a partial one (``netwatch.core.claims.days``). Rules pay only *down* days and list the
others. A day belongs to the period holding its first such instant, so reports of adjacent periods add up to the
report of both. Must not read a clock or the store: instants and coverage come from the caller.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from netwatch.core.calendar import day_start, local_date
from netwatch.core.model import Cause, Coverage, Incident, Kind, Ticket
from netwatch.core.schedule import BusinessHours
from netwatch.core.text import when

__all__ = [
    "FAULT_CAUSES",
    "FLAP_GAP",
    "Basis",
    "Day",
    "DayState",
    "Episode",
    "Measured",
    "Span",
    "State",
    "episode_in",
    "timeline",
]

FLAP_GAP = 3600.0  # seconds up between two outages that still make them one fault (a flapping line)
TOLERANCE = 15 * 60.0  # seconds the owner's ``fixed`` may differ from the measured repair before we say so
FAULT_CAUSES = frozenset({Cause.ISP, Cause.UPSTREAM, Cause.ISP_OR_UPSTREAM, Cause.DNS})  # the provider answers for
Interval = tuple[float, float]


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
    DOWN = "down"  # measured down from a cause the rule counts
    UNCOUNTED = "uncounted"  # measured down, but only from causes the rule does not count
    UNKNOWN = "unknown"  # not measured down; unmonitored time kept the fault open


@dataclass(frozen=True)
class Day:
    """One local day of an episode: its ``state`` for a rule, the seconds measured down from the causes the rule
    counts (``counted``), and the seconds of the fault's part of the day that were measured but were not such a
    loss (``other``: the line up between flaps, or down only from other causes). Time netwatch did not see is in
    neither."""

    day: date
    state: DayState
    counted: float = 0.0
    other: float = 0.0

    @property
    def whole(self) -> bool:
        """Whether every measured second of the fault's part of the day was a counted loss of service."""
        return self.counted > 0 and self.other <= 0


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
    """One ticket's fault as measured: ``spans`` cover [ticket.reported, end) in order; ``counted`` are the
    intervals of it down from the causes the rule counts. ``provisional``: the line was back at ``end`` for less
    than ``FLAP_GAP`` when the measurements end (a later report may find it a flap)."""

    ticket: Ticket
    outages: tuple[Incident, ...]  # the outages of the episode (they may begin before the report)
    spans: tuple[Span, ...]
    counted: tuple[Interval, ...]
    end: float
    basis: Basis
    note: str = ""
    provisional: bool = False
    down_seconds: float = 0.0  # down from the report to the end
    business_seconds: float = 0.0  # of that, in business hours (when measured with them)

    @property
    def restored(self) -> float | None:
        """When the line was measured back, or None (still down, unmonitored, or nothing measured)."""
        return self.end if self.basis is Basis.MEASURED else None

    def days(self, first: date, zone: ZoneInfo, since: float, until: float) -> list[Day]:
        """The local days from ``first`` on whose first down (else unknown) instant of the episode lies in
        [since, until), with their state and what was measured in the part of the day the fault lasted; days the
        line was up throughout are left out. One pass: the days and the spans advance together."""

        out: list[Day] = []
        if self.basis is Basis.NONE:
            return out
        day = max(first, local_date(max(since, self.ticket.reported), zone) - timedelta(days=1))
        stop = min(self.end, until)
        opening = day_start(day, zone)
        si = bisect.bisect_right(self.spans, opening, key=lambda sp: sp.end)
        ci = bisect.bisect_right(self.counted, opening, key=_end)
        while (begin := day_start(day, zone)) < stop:
            end = day_start(day + timedelta(days=1), zone)
            while ci < len(self.counted) and self.counted[ci][1] <= begin:
                ci += 1
            while si < len(self.spans) and self.spans[si].end <= begin:
                si += 1
            counted_at, counted = None, 0.0
            j = ci
            while j < len(self.counted) and (c := self.counted[j])[0] < end:
                counted_at = max(c[0], begin) if counted_at is None else counted_at
                counted += min(c[1], end) - max(c[0], begin)
                j += 1
            down = unknown = None
            up = down_seconds = 0.0
            k = si
            while k < len(self.spans) and (s := self.spans[k]).start < end:
                at = max(s.start, begin)
                seconds = min(s.end, end) - at
                if s.state is State.DOWN:
                    down = at if down is None else down
                    down_seconds += seconds
                elif s.state is State.UNKNOWN:
                    unknown = at if unknown is None else unknown
                else:
                    up += seconds
                k += 1
            if counted_at is not None:
                state, at = DayState.DOWN, counted_at
            elif down is not None:
                state, at = DayState.UNCOUNTED, down
            elif unknown is not None:
                state, at = DayState.UNKNOWN, unknown
            else:
                day += timedelta(days=1)
                continue
            if since <= at < until:
                out.append(Day(day, state, counted, up + max(0.0, down_seconds - counted)))
            day += timedelta(days=1)
        return out

    def phrase(self, zone: ZoneInfo, since: str = "the report") -> str:
        """How the episode ended, for an explanation: "service back Sat 7 Nov 2026 08:00 (measured; …)";
        ``since`` names where it began ("the report", "the agreed time")."""

        at = when(self.end, zone)
        if self.basis is Basis.MEASURED and self.provisional:
            return (
                f"service back {at} (measured; back for less than an hour when the measurements end, so a "
                "later report may find the fault went on)"
            )
        return {
            Basis.MEASURED: f"service back {at} (measured; {_outages(len(self.outages))} since {since})",
            Basis.TICKET: f"repaired {at} according to the ticket (netwatch was not running then)",
            Basis.OPEN: f"still down at {at}: the claim is still accruing",
            Basis.UNMONITORED: f"still down when monitoring stopped at {at}: nothing after that is counted",
            Basis.NONE: f"no loss of service was measured after {since}",
        }[self.basis]


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, overlapping and touching intervals merged."""
    out: list[Interval] = []
    for lo, hi in sorted(i for i in intervals if i[1] > i[0]):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """The intersection of two sorted lists of disjoint intervals."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _end(interval: Interval) -> float:
    return interval[1]


def _start(incident: Incident) -> float:
    return incident.start


def _intervals(outages: Iterable[Incident], until: float, watched: Sequence[Interval]) -> list[Interval]:
    return _intersect(_union((o.start, o.end if o.end is not None else until) for o in outages), watched)


@dataclass(frozen=True)
class Measured:
    """What netwatch measured up to ``until``, prepared once for the episodes of many tickets: the provider's
    outages, the timeline from ``since`` on (materialised: episodes bisect into it), the intervals down from the
    causes a rule counts, and running sums over the timeline (down seconds, their business seconds, the next span
    that ends a fault), so that an episode costs a few bisections however long the fault."""

    losses: tuple[Incident, ...]
    timeline: tuple[Span, ...]
    counted: tuple[Interval, ...]
    since: float
    until: float
    ends: tuple[float, ...]  # span ends, for bisection
    down_sum: tuple[float, ...]  # down seconds of timeline[:k]
    business_sum: tuple[float, ...]  # of those, inside business hours (0 without ``hours``)
    next_end: tuple[int, ...]  # the first k' >= k whose up span ends a fault (len(timeline): none)
    hours: BusinessHours | None = None

    @classmethod
    def of(
        cls,
        incidents: Sequence[Incident],
        coverage: Sequence[Coverage] | None,
        until: float,
        since: float,
        counted: Collection[Cause] = FAULT_CAUSES,
        hours: BusinessHours | None = None,
    ) -> Measured:
        """``coverage``: when netwatch was running (None: throughout); ``since``: the earliest report of interest
        (the timeline starts there); ``counted``: the causes a rule pays for; ``hours``: for business seconds."""
        outages = [i for i in incidents if i.kind is Kind.OUTAGE]
        losses = tuple(sorted((i for i in outages if i.cause in FAULT_CAUSES), key=_start))
        watched = [(-math.inf, math.inf)] if coverage is None else _union((c.start, c.end) for c in coverage)
        down = _intervals(losses, until, watched)
        paid = _intervals((i for i in outages if i.cause in counted), until, watched)
        spans = tuple(_spans(down, watched, since, until))
        down_sum, business_sum = [0.0], [0.0]
        for sp in spans:
            is_down = sp.state is State.DOWN
            down_sum.append(down_sum[-1] + (sp.seconds if is_down else 0.0))
            extra = hours.seconds_ts(sp.start, sp.end) if is_down and hours is not None else 0.0
            business_sum.append(business_sum[-1] + extra)
        next_end = [len(spans)] * (len(spans) + 1)
        for k in range(len(spans) - 1, -1, -1):
            sp = spans[k]
            ends_fault = sp.state is State.UP and (sp.seconds >= FLAP_GAP or sp.end >= until or _seen_up(spans, k))
            next_end[k] = k if ends_fault else next_end[k + 1]
        return cls(
            losses,
            spans,
            tuple(paid),
            since,
            until,
            tuple(sp.end for sp in spans),
            tuple(down_sum),
            tuple(business_sum),
            tuple(next_end),
            hours,
        )

    def index(self, at: float) -> int:
        """The index of the span holding ``at`` (len(timeline) past the end)."""
        return bisect.bisect_right(self.ends, at)

    def down_between(self, lo: float, k_lo: int, k_hi: int) -> tuple[float, float]:
        """(down seconds, business seconds) of timeline[k_lo:k_hi] with the first span cut at ``lo``."""
        if k_hi <= k_lo:
            return 0.0, 0.0
        down = self.down_sum[k_hi] - self.down_sum[k_lo + 1]
        business = self.business_sum[k_hi] - self.business_sum[k_lo + 1]
        first = self.timeline[k_lo]
        if first.state is State.DOWN:
            start = max(first.start, lo)
            down += first.end - start
            business += self.hours.seconds_ts(start, first.end) if self.hours is not None else 0.0
        return down, business


def _last_seen(spans: Sequence[Span], k: int) -> bool:
    """Whether only unmonitored time follows span ``k`` to the end: the line was back when monitoring stopped."""
    return k + 2 == len(spans) and spans[k + 1].state is State.UNKNOWN


def _seen_up(spans: Sequence[Span], k: int) -> bool:
    """Whether monitoring stopped after span ``k`` and, when it resumed (if it did), found the line up: nothing
    measured says the fault went on, and the time netwatch did not see never does."""
    return (
        k + 1 < len(spans)
        and spans[k + 1].state is State.UNKNOWN
        and (k + 2 == len(spans) or spans[k + 2].state is State.UP)
    )


def _spans(down: Sequence[Interval], watched: Sequence[Interval], since: float, until: float) -> Iterator[Span]:
    """The states over [since, until) from sorted disjoint ``down`` and ``watched`` intervals, in one pass."""
    i = bisect.bisect_right(down, since, key=_end)
    j = bisect.bisect_right(watched, since, key=_end)
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


def timeline(
    outages: Sequence[Incident], coverage: Sequence[Coverage] | None, since: float, until: float
) -> list[Span]:
    """Every span over [since, until) of ``outages`` (all counted) and ``coverage`` (None: monitored throughout)."""
    watched = [(-math.inf, math.inf)] if coverage is None else _union((c.start, c.end) for c in coverage)
    return list(_spans(_intervals(outages, until, watched), watched, since, until))


def _down_again(ticket: Ticket, spans: Sequence[Span], k: int, fixed: float, zone: ZoneInfo) -> str:
    """The note on a repair followed within an hour by an outage (not counted under the ticket); "" when only
    unmonitored time followed it: time netwatch did not see is never an outage."""
    after = spans[k + 1] if k + 1 < len(spans) else None
    fix = (
        "that outage is not counted under this ticket: if it is the same fault, correct the repair time with "
        "`netwatch ticket close` and --correct."
    )
    said = f"Ticket {ticket.ref}: the ticket says fixed {when(fixed, zone)}, and the line"
    if after is not None and after.state is State.DOWN:
        return f"{said} went down again {when(after.start, zone)}, within an hour; {fix}"
    resumed = spans[k + 2] if k + 2 < len(spans) else None
    if after is not None and resumed is not None and resumed.state is State.DOWN:
        return (
            f"{said} was down when monitoring resumed {when(resumed.start, zone)} (netwatch was not running from "
            f"{when(after.start, zone)}); {fix}"
        )
    return ""


def episode_in(measured: Measured, ticket: Ticket, zone: ZoneInfo) -> Episode:
    """The episode of ``ticket`` in ``measured`` (prepared from at most its report on)."""

    m, r, fixed = measured, ticket.reported, ticket.fixed
    timeline, until, count = m.timeline, m.until, len(m.timeline)
    k0 = m.index(r)
    if k0 >= count:
        return Episode(ticket, (), (), (), r, Basis.NONE)
    first = timeline[k0]
    # The first span is cut at the report: an up stretch the report falls into lasts what is left of it.
    if first.state is State.UP and (first.end - r >= FLAP_GAP or first.end >= until or _seen_up(timeline, k0)):
        stop = k0
    else:
        stop = m.next_end[k0 + 1] if k0 + 1 <= count else count
    k_fixed = m.index(fixed) if fixed is not None and fixed >= r else count
    basis, provisional, note = Basis.OPEN, False, ""
    if k_fixed < stop and timeline[k_fixed].state is not State.DOWN:  # the owner's word ends it first
        stop = k_fixed
    if stop < count:
        ending = timeline[stop]
        start = max(ending.start, r)
        if ending.state is State.UNKNOWN:  # --fixed while netwatch was not running
            end, basis = fixed if fixed is not None else start, Basis.TICKET
        else:
            end, basis = start, Basis.MEASURED
            lasting = ending.end - start >= FLAP_GAP
            provisional = not lasting and (ending.end >= until or _last_seen(timeline, stop))
            if stop == k_fixed and not lasting and not provisional:
                note = _down_again(ticket, timeline, stop, fixed or start, zone)
    else:
        end = until
        last = timeline[-1]
        if last.state is State.UNKNOWN:  # monitoring stopped before the end, the line down
            end, basis = max(last.start, r), Basis.UNMONITORED
            stop = count - 1
    kept = list(timeline[k0:stop])  # a slice: a long fault costs no Python loop here
    if kept:
        kept[0] = Span(max(kept[0].start, r), kept[0].end, kept[0].state)
    if basis is Basis.TICKET and kept and stop < count:
        kept.append(Span(max(timeline[stop].start, r), end, State.UNKNOWN))
    down, business = m.down_between(r, k0, stop)
    if down <= 0:
        return Episode(ticket, (), (), (), r, Basis.NONE)
    losses = m.losses
    before_end = losses[: bisect.bisect_left(losses, end, key=_start)]
    covered = tuple(o for o in before_end if (o.end if o.end is not None else until) > r)
    lo_k = bisect.bisect_right(m.counted, r, key=_end)
    hi_k = bisect.bisect_left(m.counted, end, key=lambda x: x[0])
    paid = tuple((max(lo, r), min(hi, end)) for lo, hi in m.counted[lo_k:hi_k])
    if not note and fixed is not None and basis is not Basis.TICKET and abs(fixed - end) > TOLERANCE:
        shown = "still down" if basis is not Basis.MEASURED else "measured back"
        note = (
            f"Ticket {ticket.ref}: the ticket says fixed {when(fixed, zone)}, but the line was {shown} at "
            f"{when(end, zone)}; the measurement is used."
        )
    return Episode(ticket, covered, tuple(kept), paid, end, basis, note, provisional, down, business)


def _outages(n: int) -> str:
    """ "1 outage", "3 outages"."""
    return f"{n} outage{'' if n == 1 else 's'}"
