"""Calendar buckets and interval arithmetic for reports: days, ISO weeks and months in the business timezone.

Owns cutting a period at local midnights (every day, every Monday, every first of the month), labelling the
pieces, and spreading sets of intervals (coverage, outages, business hours) over them exactly, whatever the
length of a local day (23 h or 25 h across DST changes). Must not read a clock, the store or files. Local midnights
are converted with ``fold=0``, as the schedule does: an ambiguous midnight means its first occurrence.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

Span = tuple[float, float]  # [start, end) in Unix seconds


class Unit(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO week, Monday to Sunday
    MONTH = "month"


@dataclass(frozen=True)
class Bucket:
    """One calendar day, ISO week or month of the report, clipped to the period. ``label`` is "2026-11-23",
    "2026-W48" or "2026-11"; every figure is in seconds inside [start, end)."""

    start: float
    end: float
    label: str
    monitored_seconds: float
    downtime_seconds: float
    business_downtime_seconds: float
    degraded_seconds: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


def _first(day: date, unit: Unit) -> date:
    """The first local date of the bucket holding ``day``."""
    if unit is Unit.DAY:
        return day
    if unit is Unit.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(day: date, unit: Unit) -> date:
    """The first local date of the bucket after the one starting on ``day``."""
    if unit is Unit.DAY:
        return day + timedelta(days=1)
    if unit is Unit.WEEK:
        return day + timedelta(days=7)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _label(day: date, unit: Unit) -> str:
    if unit is Unit.DAY:
        return day.isoformat()
    if unit is Unit.WEEK:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def midnight(day: date, zone: ZoneInfo) -> float:
    """The local midnight starting ``day``, in Unix seconds."""
    return datetime.combine(day, time(), tzinfo=zone).timestamp()


def calendar(since: float, until: float, zone: ZoneInfo, unit: Unit) -> list[tuple[float, float, str]]:
    """The (start, end, label) of every bucket overlapping [since, until), clipped to it, in order."""
    if until <= since:
        return []
    day = _first(datetime.fromtimestamp(since, zone).date(), unit)
    out: list[tuple[float, float, str]] = []
    while True:
        following = _next(day, unit)
        start, end = max(since, midnight(day, zone)), min(until, midnight(following, zone))
        if end > start:
            out.append((start, end, _label(day, unit)))
        if end >= until:
            return out
        day = following


def months(since: float, until: float, zone: ZoneInfo) -> list[tuple[float, float, float]]:
    """(start, end, whole length of the calendar month) of every local month overlapping [since, until)."""
    out = []
    for start, end, _ in calendar(since, until, zone, Unit.MONTH):
        first = _first(datetime.fromtimestamp(start, zone).date(), Unit.MONTH)
        out.append((start, end, midnight(_next(first, Unit.MONTH), zone) - midnight(first, zone)))
    return out


def pieces(bounds: Sequence[float], spans: Iterable[Span]) -> Iterator[tuple[int, Span]]:
    """Each span cut at the bucket bounds (sorted): (bucket index, piece of the span inside that bucket)."""
    for start, end in spans:
        i = max(0, bisect.bisect_right(bounds, start) - 1)
        while i < len(bounds) - 1 and bounds[i] < end:
            lo, hi = max(start, bounds[i]), min(end, bounds[i + 1])
            if hi > lo:
                yield i, (lo, hi)
            i += 1


def spread(bounds: Sequence[float], spans: Iterable[Span], measure: Measure | None = None) -> list[float]:
    """Seconds of ``spans`` inside each bucket [bounds[i], bounds[i + 1]) — or, with ``measure``, the seconds of
    the measured set inside them. Overlapping spans count each time they appear."""
    totals = [0.0] * max(0, len(bounds) - 1)
    for i, (lo, hi) in pieces(bounds, spans):
        totals[i] += hi - lo if measure is None else measure.seconds(lo, hi)
    return totals


class Measure:
    """The length of a union of sorted, disjoint spans inside any [a, b), in O(log n): built once per report
    from the business-hours intervals of the period, so that no incident or bucket walks the calendar again."""

    def __init__(self, spans: Iterable[Span]) -> None:
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._before: list[float] = [0.0]  # total length of the spans before span i
        for start, end in spans:
            self._starts.append(start)
            self._ends.append(end)
            self._before.append(self._before[-1] + (end - start))

    def _upto(self, at: float) -> float:
        i = bisect.bisect_right(self._starts, at) - 1
        if i < 0:
            return 0.0
        return self._before[i] + (min(at, self._ends[i]) - self._starts[i])

    def seconds(self, start: float, end: float) -> float:
        """Seconds of the spans inside [start, end); 0.0 when end <= start."""
        if end <= start:
            return 0.0
        return min(end - start, max(0.0, self._upto(end) - self._upto(start)))


def gaps(period: Span, covered: Sequence[Span]) -> tuple[Span, ...]:
    """The parts of ``period`` outside the sorted, disjoint ``covered`` spans (all inside the period)."""
    edges = [period[0], *itertools.chain.from_iterable(covered), period[1]]
    return tuple((a, b) for a, b in zip(edges[::2], edges[1::2], strict=True) if b > a)
