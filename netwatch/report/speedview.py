"""The speed chart of the HTML report as plain geometry: one bar per local hour of the day.

Owns the layout arithmetic of the "speed by hour of day" chart: the scale (percent of the plan's download speed,
or Mbit/s when the plan speed is unknown), the bars of the median of each hour, the threshold and plan lines, and
the shaded evening peak. Must not compute a speed figure (every value comes from the :class:`SpeedFigures`
passed in) or draw per row: one SVG for the whole chart, as WeasyPrint lays out every inline SVG as an image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from netwatch.report.speed import EVENING_PEAK, SpeedFigures
from netwatch.report.view import Frame, Tick

SPEED = Frame(720, 206, 58, 712, 24, 166)  # SVG user units, like view.BARS
_PERCENT_STEPS = (10, 20, 25, 50, 100)
_MBPS_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000)


@dataclass(frozen=True)
class HourBar:
    hour: int
    x: float
    w: float
    y: float  # top of the bar; the bottom is the frame's
    value: float  # the median drawn: percent of the plan, or Mbit/s
    tests: int
    under: bool  # the median is below the threshold
    title: str


@dataclass(frozen=True)
class HourChart:
    unit: str  # "percent" (of the plan's download) or "mbps"
    bars: tuple[HourBar, ...]  # hours with at least one completed test
    counts: tuple[Tick, ...]  # the number of tests of every hour, under the axis (at = slot centre)
    x_ticks: tuple[Tick, ...]  # hour boundaries 00:00, 03:00 ... 21:00
    y_ticks: tuple[Tick, ...]
    threshold_y: float | None  # the slow threshold (percent scale only)
    plan_y: float | None  # 100 % of the plan (percent scale only)
    peak_x: float  # the shaded evening peak
    peak_w: float
    slot: float  # width of one hour


def _r(x: float) -> float:
    return round(x, 2)


def _step(top: float, steps: tuple[float, ...], most: int = 5) -> float:
    for step in steps:
        if top <= step * most:
            return step
    return steps[-1] * math.ceil(top / (steps[-1] * most))


def _num(x: float) -> str:
    return f"{x:g}"


def hour_chart(speed: SpeedFigures) -> HourChart:
    """The chart of ``speed.hours``: bars of the median download of each local hour (see ``report.speed``)."""
    f = SPEED
    percent = speed.download.plan_mbps is not None
    values = [h.median_percent if percent else h.median_mbps for h in speed.hours]
    top = max([v for v in values if v is not None] + ([100.0] if percent else [0.0]))
    step = _step(top, _PERCENT_STEPS if percent else _MBPS_STEPS)
    ymax = step * max(1, math.ceil(top / step - 1e-9))
    height = f.bottom - f.top

    def y(v: float) -> float:
        return _r(f.bottom - height * min(v, ymax) / ymax)

    slot = (f.right - f.left) / 24
    bars = []
    for h, v in zip(speed.hours, values, strict=True):
        if v is None or h.median_mbps is None:
            continue
        shown = f"{h.median_mbps:.1f} Mbit/s" + (f", {v:.1f}% of the plan" if percent else "")
        count = f"{h.tests} test{'' if h.tests == 1 else 's'}" + (f", {h.slow} slow" if h.slow is not None else "")
        title = f"{h.hour:02d}:00-{h.hour + 1:02d}:00: median {shown}; {count}"
        bars.append(
            HourBar(
                hour=h.hour,
                x=_r(f.left + slot * h.hour + slot * 0.14),
                w=_r(slot * 0.72),
                y=y(v),
                value=v,
                tests=h.tests,
                under=percent and v < speed.threshold_percent,
                title=title,
            )
        )
    n = max(1, round(ymax / step))
    return HourChart(
        unit="percent" if percent else "mbps",
        bars=tuple(bars),
        counts=tuple(Tick(_r(f.left + slot * (h.hour + 0.5)), str(h.tests)) for h in speed.hours),
        x_ticks=tuple(Tick(_r(f.left + slot * hour), f"{hour:02d}:00") for hour in range(0, 24, 3)),
        y_ticks=tuple(Tick(y(i * step), _num(i * step) + ("%" if percent else "")) for i in range(n + 1)),
        threshold_y=y(speed.threshold_percent) if percent else None,
        plan_y=y(100.0) if percent else None,
        peak_x=_r(f.left + slot * EVENING_PEAK[0]),
        peak_w=_r(slot * (EVENING_PEAK[1] - EVENING_PEAK[0])),
        slot=_r(slot),
    )
