"""The HTML report's pictures as plain geometry: timeline rows, downtime bars, the latency and loss chart.

Owns the layout arithmetic the templates should not do: which local days get a timeline row, where an incident,
a gap or a business-hours band falls on a day that may last 23 or 25 hours (incidents close together stacked in
lanes, so that none hides another), the scales and tick labels of the charts. Must not read a clock or files, or
compute a figure of the report: every value comes from the :class:`Report` and the schedule passed in. The
templates only draw what this module computes (SVG user units, rounded to 0.01).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from netwatch.core.calendar import local_days
from netwatch.core.model import Cause, Kind, SeriesPoint
from netwatch.core.schedule import BusinessHours
from netwatch.core.text import local_time, short_date, short_duration
from netwatch.report.compute import Bucket, Report
from netwatch.report.hatch import Box

MAX_TIMELINE_DAYS = 62  # one row per local day up to about two months; longer periods get week/month bars
MAX_WEEK_BARS = 60
MAX_SERIES_POINTS = 1200  # the latency chart merges neighbouring points beyond this
ROW_WIDTH = 960.0  # a timeline row, whatever the day's real length
MIN_MARK = 3.0  # narrowest incident mark, so that a 20-second outage stays visible on a 24-hour row

# Drawing order and greyscale-safe styles: each cause has a colour *and* a hatch (see hatch.py).
CAUSES: tuple[Cause, ...] = (
    Cause.ISP,
    Cause.ISP_OR_UPSTREAM,
    Cause.UPSTREAM,
    Cause.DNS,
    Cause.LOCAL,
    Cause.UNKNOWN,
)


@dataclass(frozen=True)
class Span:
    """A horizontal piece of a row or chart: ``x`` and ``w`` in SVG user units."""

    x: float
    w: float
    css: str  # "gap", "business" or "outside"
    title: str = ""


@dataclass(frozen=True)
class Mark:
    """An incident on a timeline row; ``ref`` is its row in the incident table ("i3"). Marks of one kind that would
    overlap (incidents minutes apart, each drawn at least ``MIN_MARK`` wide) share their band in ``lanes`` stacked
    lanes, this one in ``lane`` (0 at the top), so that none hides another."""

    x: float
    w: float
    kind: str  # "outage", "degraded", "slow"
    cause: str
    title: str
    ref: str
    lane: int = 0
    lanes: int = 1

    @property
    def css(self) -> str:
        return f"incident {self.kind} cause-{self.cause}"

    def box(self, height: float) -> Box:
        """Where the mark is drawn on a row ``height`` units high, in its lane: an outage full height, degraded
        service a band along the bottom, a slow speed test a band along the top."""
        if self.kind == "outage":
            top, band = 2.0, height - 4
        elif self.kind == "degraded":
            top, band = height - 7, 6.0
        else:
            top, band = 1.0, 5.0
        return self.x, _r(top + self.lane * band / self.lanes), self.w, _r(band / self.lanes)


@dataclass(frozen=True)
class DayRow:
    day: date
    label: str  # "Mon 23 Nov"
    hours: float  # the local day's real length: 23, 24 or 25 around DST changes
    outside: tuple[Span, ...]  # parts of the day outside the report period
    business: tuple[Span, ...]
    gaps: tuple[Span, ...]
    marks: tuple[Mark, ...]  # incidents, outages last so they are drawn on top
    ticks: tuple[float, ...]  # x of local 00:00, 03:00 ... 21:00 (moved by a DST change)
    downtime_seconds: float
    business_downtime_seconds: float

    def ticks_path(self, height: float) -> str:
        """The row's hour lines after midnight (03:00 ... 21:00) as the data of one SVG path."""
        return "".join(f"M{x:g} 0V{height:g}" for x in self.ticks[1:])

    def hatched(self, kind: str, height: float) -> tuple[tuple[str, tuple[Box, ...]], ...]:
        """The boxes of this row's ``kind`` marks, by cause in drawing order: each cause's hatch is one path."""
        boxes = {
            c.value: tuple(m.box(height) for m in self.marks if m.kind == kind and m.cause == c.value) for c in CAUSES
        }
        return tuple((cause, found) for cause, found in boxes.items() if found)


@dataclass(frozen=True)
class Tick:
    at: float  # x or y in user units
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    w: float
    y_total: float  # top of the whole downtime bar
    y_business: float  # top of its business-hours part
    unmonitored_w: float  # width of the "not monitored" mark under the axis
    title: str


@dataclass(frozen=True)
class BarChart:
    unit: str  # "day", "week" or "month"
    bars: tuple[Bar, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    empty: bool  # no downtime at all in the period

    def gap_boxes(self, top: float, height: float) -> tuple[Box, ...]:
        """The marks under the axis of the bars with unmonitored time, drawn from ``top``, ``height`` high."""
        return tuple((b.x, top, b.unmonitored_w, height) for b in self.bars if b.unmonitored_w > 0)


@dataclass(frozen=True)
class LossBar:
    x: float
    w: float
    y: float  # top of the bar
    title: str


@dataclass(frozen=True)
class LineChart:
    """The latency and loss chart. It spans [``since``, ``until``): the period, or only the part of it with
    measurements when that is less than half of it (``cropped``), so that a short history can be read."""

    rtt_lines: tuple[str, ...]  # SVG polyline "points" of the average round-trip time, broken at gaps
    peak_lines: tuple[str, ...]  # the same for the worst round trip of each point
    loss_bars: tuple[LossBar, ...]
    gaps: tuple[Span, ...]
    rtt_ticks: tuple[Tick, ...]
    loss_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    points: int
    since: float = 0.0
    until: float = 0.0
    cropped: bool = False

    def loss_boxes(self, bottom: float) -> tuple[Box, ...]:
        """The loss bars as boxes standing on ``bottom``."""
        return tuple((b.x, b.y, b.w, _r(bottom - b.y)) for b in self.loss_bars)


# Chart frames (SVG user units): shared by the templates, which draw axes on these coordinates.
@dataclass(frozen=True)
class Frame:
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float


BARS = Frame(720, 210, 58, 712, 12, 172)
RTT = Frame(720, 170, 58, 712, 18, 158)
LOSS = Frame(720, 118, 58, 712, 16, 90)


def _r(x: float) -> float:
    return round(x, 2)


def boxes(spans: Iterable[Span], top: float, height: float) -> tuple[Box, ...]:
    """The boxes of horizontal ``spans`` drawn from ``top``, ``height`` high (a picture's unmonitored time)."""
    return tuple((s.x, top, s.w, height) for s in spans)


def _clip(a: float, b: float, lo: float, hi: float) -> tuple[float, float] | None:
    a, b = max(a, lo), min(b, hi)
    return (a, b) if b > a else None


def timeline(report: Report, business: BusinessHours) -> tuple[DayRow, ...]:
    """One row per local day of the period, or () when the period touches more than MAX_TIMELINE_DAYS days."""
    zone = ZoneInfo(report.timezone)
    since, until = report.period.since, report.period.until
    days = local_days(since, until, zone)
    if len(days) > MAX_TIMELINE_DAYS:
        return ()
    return tuple(_row(report, business, zone, day, start, end) for day, start, end in days)


def _row(report: Report, business: BusinessHours, zone: ZoneInfo, day: date, start: float, end: float) -> DayRow:
    length = end - start
    scale = ROW_WIDTH / length

    def place(a: float, b: float, least: float = 0.0) -> tuple[float, float]:
        x, w = (a - start) * scale, max((b - a) * scale, least)
        return _r(min(x, ROW_WIDTH - w)), _r(w)  # a widened mark at the end of the day stays inside the row

    def span(a: float, b: float, css: str, title: str = "") -> Span:
        return Span(*place(a, b), css, title)

    since, until = report.period.since, report.period.until
    outside = [span(a, b, "outside", "outside the report period") for a, b in ((start, since), (until, end)) if b > a]
    business_spans = [span(a, b, "business", "business hours") for a, b in business.intervals(start, end)]
    gaps = [
        span(*piece, "gap", f"not monitored {local_time(piece[0], zone, 'day')} to {local_time(piece[1], zone, 'day')}")
        for a, b in report.gaps
        if (piece := _clip(a, b, start, end))
    ]
    marks: list[Mark] = []
    down = business_down = 0.0
    order = {Kind.SLOW: 0, Kind.DEGRADED: 1, Kind.OUTAGE: 2}
    numbered = sorted(enumerate(report.incidents, 1), key=lambda item: order[item[1].incident.kind])
    for number, f in numbered:
        piece = _clip(f.start, f.end, start, end) or ((f.start, f.start) if start <= f.start < end else None)
        if piece is None:
            continue
        kind, cause = f.incident.kind, f.incident.cause
        shown = f"{local_time(piece[0], zone, 'day')} to {local_time(piece[1], zone, 'day')}"
        title = f"#{number} {kind.value}, cause {cause.value}: {shown}"
        marks.append(Mark(*place(*piece, MIN_MARK), kind.value, cause.value, title, f"i{number}"))
        if kind is Kind.OUTAGE:
            down += piece[1] - piece[0]
            business_down += business.seconds_ts(*piece)
    ticks = tuple(_r((_at(day, hour, zone) - start) * scale) for hour in range(0, 24, 3))
    marks = [m for kind in order for m in _stacked([m for m in marks if m.kind == kind.value])]
    return DayRow(
        day=day,
        label=short_date(day),
        hours=round(length / 3600, 2),
        outside=tuple(outside),
        business=tuple(business_spans),
        gaps=tuple(gaps),
        marks=tuple(marks),
        ticks=ticks,
        downtime_seconds=down,
        business_downtime_seconds=business_down,
    )


def _stacked(marks: Sequence[Mark]) -> list[Mark]:
    """``marks`` (of one kind, so of one band) in lanes: each group of marks that overlap one another, however
    they chain, gets as many lanes as it needs, each mark the first lane free at its left edge."""
    out: list[Mark] = []
    group: list[tuple[Mark, int]] = []
    ends: list[float] = []  # the right edge of the last mark of each lane of the group
    for mark in sorted(marks, key=lambda m: m.x):
        if group and mark.x >= max(ends):  # clear of the whole group: it ends, a new one begins
            out += [replace(m, lane=lane, lanes=len(ends)) for m, lane in group]
            group, ends = [], []
        lane = next((i for i, end in enumerate(ends) if end <= mark.x), len(ends))
        if lane == len(ends):
            ends.append(0.0)
        ends[lane] = mark.x + mark.w
        group.append((mark, lane))
    return out + [replace(m, lane=lane, lanes=len(ends)) for m, lane in group]


def _at(day: date, hour: int, zone: ZoneInfo) -> float:
    return datetime.combine(day, time(hour), tzinfo=zone).timestamp()


# --- downtime bars -------------------------------------------------------------------------------------------

_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 432000, 864000)


def _nice_step(top: float, steps: Sequence[float], most: int = 5) -> float:
    """The smallest step that divides [0, top] into at most ``most`` intervals."""
    for step in steps:
        if top <= step * most:
            return step
    return steps[-1] * math.ceil(top / (steps[-1] * most))


def buckets_for(report: Report) -> tuple[str, tuple[Bucket, ...]]:
    """The granularity of the downtime bars: days up to MAX_TIMELINE_DAYS, then weeks, then months."""
    if len(report.days) <= MAX_TIMELINE_DAYS:
        return "day", tuple(report.days)
    if len(report.weeks) <= MAX_WEEK_BARS:
        return "week", tuple(report.weeks)
    return "month", tuple(report.months)


def downtime_bars(report: Report) -> BarChart:
    unit, buckets = buckets_for(report)
    f = BARS
    top = max((b.downtime_seconds for b in buckets), default=0.0)
    step = _nice_step(top, _STEPS)
    ymax = step * max(1, math.ceil(top / step))
    height = f.bottom - f.top

    def y(seconds: float) -> float:
        return _r(f.bottom - height * seconds / ymax)

    slot = (f.right - f.left) / max(1, len(buckets))
    width = max(1.0, slot * 0.72)
    bars = []
    for i, b in enumerate(buckets):
        span = max(0.0, b.end - b.start)
        unmonitored = max(0.0, span - b.monitored_seconds) / span if span else 0.0
        x = f.left + i * slot + (slot - width) / 2
        title = (
            f"{b.label}: down {short_duration(b.downtime_seconds)}, in business hours "
            f"{short_duration(b.business_downtime_seconds)}, not monitored {round(unmonitored * 100)}%"
        )
        bars.append(
            Bar(_r(x), _r(width), y(b.downtime_seconds), y(b.business_downtime_seconds), _r(width * unmonitored), title)
        )
    y_ticks = tuple(Tick(y(v), short_duration(v)) for v in _range(0, ymax, step))
    every = max(1, math.ceil(len(buckets) / 12))
    style = {"day": "day_month", "week": "day_month", "month": "month"}[unit]
    zone = ZoneInfo(report.timezone)
    x_ticks = tuple(
        Tick(_r(f.left + (i + 0.5) * slot), local_time(b.start, zone, style))
        for i, b in enumerate(buckets)
        if i % every == 0
    )
    return BarChart(unit, tuple(bars), y_ticks, x_ticks, top <= 0)


def _range(lo: float, hi: float, step: float) -> Iterable[float]:
    n = round((hi - lo) / step)
    return (lo + i * step for i in range(n + 1))


# --- latency and loss ----------------------------------------------------------------------------------------


def _merged(points: Sequence[SeriesPoint], most: int) -> list[SeriesPoint]:
    """Neighbouring points merged so that at most ``most`` remain (sums, weighted means, maxima)."""
    if len(points) <= most:
        return list(points)
    size = math.ceil(len(points) / most)
    out = []
    for i in range(0, len(points), size):
        group = points[i : i + size]
        answered = [(p.rtt_avg_ms, p.sent - p.lost) for p in group if p.rtt_avg_ms is not None and p.sent > p.lost]
        weight = sum(n for _, n in answered)
        peaks = [p.rtt_max_ms for p in group if p.rtt_max_ms is not None]
        out.append(
            SeriesPoint(
                start=group[0].start,
                seconds=group[-1].start + group[-1].seconds - group[0].start,
                sent=sum(p.sent for p in group),
                lost=sum(p.lost for p in group),
                rtt_avg_ms=sum(v * n for v, n in answered) / weight if weight else None,
                rtt_max_ms=max(peaks) if peaks else None,
            )
        )
    return out


_MS_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)
_PCT_STEPS = (0.2, 0.5, 1, 2, 5, 10, 20, 25)
_CLOCK_STEPS = (5, 10, 15, 30, 60, 120, 180, 360)  # minutes between the time ticks of a day or two
CROP_BELOW = 0.5  # the latency chart spans only the measured part when it is less than this share of the period


def time_ticks(since: float, until: float, zone: ZoneInfo, left: float, right: float) -> tuple[Tick, ...]:
    """Local-time ticks along [since, until]: times of day for a day or two (at most 8, on round minutes),
    days for two weeks, then weeks, months."""
    span = until - since

    def x(at: float) -> float:
        return _r(left + (right - left) * (at - since) / span)

    days = local_days(since, until, zone)
    if span <= 2 * 86400:
        step = next((m for m in _CLOCK_STEPS if span / 60 / m <= 8), _CLOCK_STEPS[-1])
        stamps = [
            datetime.combine(d, time(m // 60, m % 60), tzinfo=zone).timestamp()
            for d, _, _ in days
            for m in range(0, 24 * 60, step)
        ]
        style = "clock"
    elif len(days) <= 16:
        stamps, style = [start for _, start, _ in days], "day_month"
    elif len(days) <= 16 * 7:
        stamps, style = [start for d, start, _ in days if d.weekday() == 0], "day_month"
    else:
        stamps, style = [start for d, start, _ in days if d.day == 1], "month"
        stamps = stamps[:: max(1, math.ceil(len(stamps) / 12))]
    return tuple(Tick(x(t), local_time(t, zone, style)) for t in stamps if since <= t <= until)


def _lines(points: Sequence[tuple[float, float | None, bool]]) -> tuple[str, ...]:
    """Polyline "points" strings from (x, y or None, starts after a gap): broken at None and at gaps."""
    lines: list[str] = []
    current: list[str] = []
    for x, y, broken in points:
        if (y is None or broken) and current:
            lines.append(" ".join(current))
            current = []
        if y is not None:
            current.append(f"{x},{y}")
    if current:
        lines.append(" ".join(current))
    return tuple(lines)


def latency_chart(report: Report) -> LineChart:
    """Average and worst anchor round-trip time, and anchor loss, over the period, or over the part of it with
    measurements when that is less than ``CROP_BELOW`` of it. The round-trip axis is scaled to the averages (the
    highest at most two thirds up): the worst round trips beyond its top are clipped to it."""
    since, until = report.period.since, report.period.until
    points = _merged([p for p in report.series if p.sent > 0], MAX_SERIES_POINTS)
    cropped = False
    if points:
        # The measured part: from the first to the last session, else (no sessions given) the points' own extent.
        watched = [(c.start, c.end) for c in report.sessions] or [
            (points[0].start, points[-1].start + points[-1].seconds)
        ]
        first, last = max(since, watched[0][0]), min(until, watched[-1][1])
        if last > first and last - first < CROP_BELOW * (until - since):
            since, until, cropped = first, last, True
    span = max(until - since, 1e-9)
    averages = [p.rtt_avg_ms for p in points if p.rtt_avg_ms is not None]
    rtt_top = max(averages, default=0.0) * 1.5
    rtt_step = _nice_step(max(rtt_top, 1.0), _MS_STEPS)
    rtt_max = rtt_step * max(1, math.ceil(rtt_top / rtt_step))
    loss = [100.0 * p.lost / p.sent for p in points]
    loss_step = _nice_step(max(max(loss, default=0.0), 1.0), _PCT_STEPS)
    loss_max = min(100.0, loss_step * max(1, math.ceil(max(loss, default=0.0) / loss_step)))

    def x(at: float) -> float:
        return _r(RTT.left + (RTT.right - RTT.left) * (min(max(at, since), until) - since) / span)

    def y_rtt(ms: float | None) -> float | None:
        return None if ms is None else _r(RTT.bottom - (RTT.bottom - RTT.top) * min(ms, rtt_max) / rtt_max)

    def y_loss(pct: float) -> float:
        return _r(LOSS.bottom - (LOSS.bottom - LOSS.top) * min(pct, loss_max) / loss_max)

    avg: list[tuple[float, float | None, bool]] = []
    peak: list[tuple[float, float | None, bool]] = []
    bars: list[LossBar] = []
    previous_end: float | None = None
    for p, pct in zip(points, loss, strict=True):
        mid = x(p.start + p.seconds / 2)
        broken = previous_end is not None and p.start > previous_end + max(1.0, p.seconds * 0.01)
        avg.append((mid, y_rtt(p.rtt_avg_ms), broken))
        peak.append((mid, y_rtt(p.rtt_max_ms), broken))
        if pct > 0:
            left, right = x(p.start), x(p.start + p.seconds)
            bars.append(LossBar(left, _r(max(right - left, 0.8)), y_loss(pct), f"{pct:.1f}% loss"))
        previous_end = p.start + p.seconds
    gaps = tuple(
        Span(x(a), _r(x(b) - x(a)), "gap", "not monitored") for a, b in report.gaps if _clip(a, b, since, until)
    )
    zone = ZoneInfo(report.timezone)
    return LineChart(
        rtt_lines=_lines(avg),
        peak_lines=_lines(peak),
        loss_bars=tuple(bars),
        gaps=gaps,
        rtt_ticks=tuple(Tick(y, f"{v:g} ms") for v in _range(0, rtt_max, rtt_step) if (y := y_rtt(v)) is not None),
        loss_ticks=tuple(Tick(y_loss(v), f"{v:g}%") for v in _range(0, loss_max, loss_step)),
        x_ticks=time_ticks(since, until, zone, RTT.left, RTT.right),
        points=len(points),
        since=since,
        until=until,
        cropped=cropped,
    )


def coverage_strip(report: Report, width: float = ROW_WIDTH) -> tuple[Span, ...]:
    """The unmonitored gaps across the whole period, on a strip ``width`` units wide."""
    since, until = report.period.since, report.period.until
    scale = width / max(until - since, 1e-9)
    return tuple(
        Span(_r((a - since) * scale), _r(max((b - a) * scale, 0.5)), "gap", "not monitored")
        for a, b in report.gaps
        if _clip(a, b, since, until)
    )
