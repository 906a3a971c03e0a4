"""Speed figures of a report: what the speed tests of a period delivered against the plan.

Owns the speed rules of a report: which attempts count (ok, failed, skipped), the percentiles of the delivered
download and upload speeds in Mbit/s and as a share of the plan, the share of tests under the slow threshold,
the figures by local hour of day and by window of the week (business hours or not, evening peak or not), and the
list of failed attempts with their reasons, which is never hidden. Must not read the store, the clock or files,
or import a speed backend: the caller passes the attempts, the plan and the business schedule.

Rules:

- A test is *slow* by the rule that opens slow incidents (``speedcheck.shortfall``): it completed and its
  download, or its upload when the plan states one, is below ``slow_below_percent`` of the plan's speed. Each
  direction is also reported on its own (``Direction.under``). With no plan speed (0 = unknown) nothing is
  compared: those figures are None, never a guess.
- Percentiles interpolate linearly between the closest ranks (numpy's default, Excel's PERCENTILE.INC), so p50
  is the median and p10 of 10, 20, 30, 40, 50 is 14.
- Hours are the local wall-clock hour of each test's start in the business timezone; on a DST change the skipped
  hour has no tests and the repeated hour collects both of its passes.
- Evening peak is ``EVENING_PEAK`` local time, every day: when residential demand peaks and a contended line
  slows down (the FCC's Measuring Broadband America takes 19:00-23:00 as its peak period, Ofcom 20:00-22:00).
  Business hours come from the schedule: when the line matters to the business. Each splits the tests in two.
- Skipped attempts (the daemon did not run the test, e.g. while the line was down; the ``error`` starts with
  "skipped") and failed ones never count as slow, and are listed with their reasons.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from netwatch.core.schedule import BusinessHours
from netwatch.core.speedcheck import SlowRules, shortfall

if TYPE_CHECKING:
    from netwatch.config.records import PlanConfig
    from netwatch.core.model import SpeedResult

__all__ = [
    "DEFAULT_SLOW_BELOW_PERCENT",
    "EVENING_PEAK",
    "NO_SPEED",
    "Attempt",
    "Direction",
    "HourFigures",
    "Percentiles",
    "SpeedFigures",
    "WindowFigures",
    "percentile",
    "speed_figures",
]

DEFAULT_SLOW_BELOW_PERCENT = 50.0  # [plan] slow_below_percent when the configuration does not say
EVENING_PEAK = (19, 23)  # local hours [19:00, 23:00): the evening peak of residential demand
SKIPPED = "skipped"  # the start of the ``error`` of an attempt the daemon did not run


@dataclass(frozen=True)
class Percentiles:
    """Percentiles of a non-empty set of values (see the module's rule)."""

    p10: float
    p50: float
    p90: float
    min: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Percentiles | None:
        """None for no values."""
        if not values:
            return None
        xs = sorted(values)
        return cls(percentile(xs, 0.1), percentile(xs, 0.5), percentile(xs, 0.9), xs[0], xs[-1])


@dataclass(frozen=True)
class Direction:
    """Download or upload over the period's completed tests.

    ``measured`` counts the ok tests that measured this direction. ``plan_mbps`` is None when the plan's speed is
    unknown; then ``of_plan``, ``under`` and ``under_percent`` are None too. ``under`` counts the measured tests
    strictly below ``threshold_mbps``; ``under_percent`` is its share of ``measured`` (None when none was).
    """

    measured: int
    plan_mbps: float | None
    threshold_mbps: float | None
    mbps: Percentiles | None
    of_plan: Percentiles | None  # percent of the plan speed
    under: int | None
    under_percent: float | None


@dataclass(frozen=True)
class HourFigures:
    """The tests that started in one local hour of the day (``hour`` 0-23), over every day of the period."""

    hour: int
    tests: int  # completed tests with a download speed
    failed: int  # failed and skipped attempts
    median_mbps: float | None
    median_percent: float | None  # of the plan's download; None when unknown or no test
    slow: int | None  # slow tests; None when the plan states no speed

    @property
    def evening_peak(self) -> bool:
        return EVENING_PEAK[0] <= self.hour < EVENING_PEAK[1]


@dataclass(frozen=True)
class WindowFigures:
    """The completed tests inside (or outside) a window of the week: median download and slow tests."""

    key: str  # "business_hours", "outside_business_hours", "evening_peak", "off_peak"
    label: str
    tests: int
    median_mbps: float | None
    median_percent: float | None  # of the plan's download
    slow: int | None  # None when the plan states no speed
    slow_percent: float | None  # of ``tests``; None also when there was no test


@dataclass(frozen=True)
class Attempt:
    """A failed or skipped attempt, kept with its reason."""

    at: float
    backend: str
    tool: str
    server: str
    reason: str
    skipped: bool
    bytes_used: int


@dataclass(frozen=True)
class SpeedFigures:
    """Every speed figure of a report, built by ``speed_figures``.

    ``tests`` counts every attempt in the period: ``ok + failed + skipped``. ``slow`` counts the completed tests
    with a download that are slow (None when the plan states no speed) and ``slow_percent`` is their share of
    ``download.measured``: the headline "share of tests under the threshold". ``failures`` lists the failed and
    skipped ones in time order. ``latency_ms``, ``loaded_latency_ms`` and ``jitter_ms`` are medians over the
    completed tests that measured them (None when none did). ``windows`` holds business hours, outside them,
    evening peak and off peak, in that order; each pair adds up to the completed tests.
    """

    threshold_percent: float
    tests: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    slow: int | None = None
    slow_percent: float | None = None
    download: Direction = Direction(0, None, None, None, None, None, None)
    upload: Direction = Direction(0, None, None, None, None, None, None)
    hours: tuple[HourFigures, ...] = ()
    windows: tuple[WindowFigures, ...] = ()
    failures: tuple[Attempt, ...] = ()
    bytes_used: int = 0
    latency_ms: float | None = None
    loaded_latency_ms: float | None = None
    jitter_ms: float | None = None
    tools: tuple[str, ...] = ()  # what measured the completed tests, e.g. "speedtest-cli 2.1.3 (speedtest)"

    def window(self, key: str) -> WindowFigures | None:
        return next((w for w in self.windows if w.key == key), None)


def percentile(xs: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted, non-empty ``xs``, interpolated linearly between the closest ranks."""
    h = (len(xs) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _share(part: int | None, whole: int) -> float | None:
    return None if part is None or whole == 0 else 100.0 * part / whole


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x >= 0


def _direction(values: Sequence[float], plan_mbps: float, threshold: float) -> Direction:
    if plan_mbps <= 0:
        return Direction(len(values), None, None, Percentiles.of(values), None, None, None)
    under = sum(1 for v in values if 100.0 * v / plan_mbps < threshold)  # speedcheck.shortfall's comparison
    return Direction(
        measured=len(values),
        plan_mbps=plan_mbps,
        threshold_mbps=plan_mbps * threshold / 100.0,
        mbps=Percentiles.of(values),
        of_plan=Percentiles.of([100.0 * v / plan_mbps for v in values]),
        under=under,
        under_percent=_share(under, len(values)),
    )


def _open_test(business: BusinessHours, ats: Sequence[float]) -> Callable[[float], bool]:
    """A fast ``business.is_open`` for instants within ``ats``: one walk over the schedule, then bisection."""
    if not ats:
        return lambda at: False
    spans = list(business.intervals(min(ats), math.nextafter(max(ats), math.inf)))
    starts = [a for a, _ in spans]

    def is_open(at: float) -> bool:
        i = bisect_right(starts, at) - 1
        return i >= 0 and at < spans[i][1]

    return is_open


def _window(key: str, label: str, tests: Sequence[tuple[float, bool]], plan_mbps: float, known: bool) -> WindowFigures:
    """``tests``: (download, slow) of the completed tests inside the window."""
    speeds = [v for v, _ in tests]
    slow = sum(1 for _, s in tests if s) if known else None
    return WindowFigures(
        key=key,
        label=label,
        tests=len(tests),
        median_mbps=_median(speeds),
        median_percent=_median([100.0 * v / plan_mbps for v in speeds]) if plan_mbps > 0 else None,
        slow=slow,
        slow_percent=_share(slow, len(tests)),
    )


def _tool(r: SpeedResult) -> str:
    name = f"{r.tool} {r.tool_version}".strip()
    return f"{name} ({r.backend})" if r.backend and r.backend != r.tool else name


def speed_figures(
    results: Sequence[SpeedResult],
    business: BusinessHours,
    plan: PlanConfig | None = None,
    *,
    since: float = -math.inf,
    until: float = math.inf,
) -> SpeedFigures:
    """The speed figures of the attempts that started in [since, until).

    ``plan`` gives the plan's speeds (0 or None: unknown) and ``slow_below_percent`` (default 50). Work grows
    with the number of attempts.
    """
    threshold = plan.slow_below_percent if plan is not None else DEFAULT_SLOW_BELOW_PERCENT
    plan_down = plan.download_mbps if plan is not None else 0.0
    plan_up = plan.upload_mbps if plan is not None else 0.0
    rules = SlowRules(plan_down, plan_up, threshold)
    attempts = sorted((r for r in results if since <= r.at < until), key=lambda r: r.at)
    done = [r for r in attempts if r.ok and _finite(r.download_mbps)]
    downs = [r.download_mbps or 0.0 for r in done]
    ups = [r.upload_mbps for r in done if r.upload_mbps is not None and _finite(r.upload_mbps)]
    slow = [shortfall(r, rules) is not None for r in done]
    failures = tuple(
        Attempt(
            r.at,
            r.backend,
            r.tool,
            r.server,
            r.error or "failed without a reason",
            r.error.startswith(SKIPPED),
            r.bytes_used,
        )
        for r in attempts
        if not r.ok
    )
    skipped = sum(1 for a in failures if a.skipped)
    zone = business.timezone
    hour_of = [datetime.fromtimestamp(r.at, zone).hour for r in done]
    failed_hours = [datetime.fromtimestamp(a.at, zone).hour for a in failures]
    is_open = _open_test(business, [r.at for r in done])
    tests = list(zip(downs, slow, strict=True))
    in_business = [is_open(r.at) for r in done]
    in_peak = [EVENING_PEAK[0] <= h < EVENING_PEAK[1] for h in hour_of]
    peak = f"Evening peak ({EVENING_PEAK[0]:02d}:00-{EVENING_PEAK[1]:02d}:00)"
    windows = tuple(
        _window(
            key, label, [t for t, inside in zip(tests, flags, strict=True) if inside is want], plan_down, rules.known
        )
        for key, label, flags, want in (
            ("business_hours", "In business hours", in_business, True),
            ("outside_business_hours", "Outside business hours", in_business, False),
            ("evening_peak", peak, in_peak, True),
            ("off_peak", "Off peak", in_peak, False),
        )
    )
    hours = []
    for hour in range(24):
        w = _window("", "", [t for t, h in zip(tests, hour_of, strict=True) if h == hour], plan_down, rules.known)
        hours.append(HourFigures(hour, w.tests, failed_hours.count(hour), w.median_mbps, w.median_percent, w.slow))
    tools: dict[str, int] = {}
    for r in done:
        tools[_tool(r)] = tools.get(_tool(r), 0) + 1
    slow_count = sum(slow) if rules.known else None
    return SpeedFigures(
        threshold_percent=threshold,
        tests=len(attempts),
        ok=sum(1 for r in attempts if r.ok),
        failed=len(failures) - skipped,
        skipped=skipped,
        slow=slow_count,
        slow_percent=_share(slow_count, len(done)),
        download=_direction(downs, plan_down, threshold),
        upload=_direction(ups, plan_up, threshold),
        hours=tuple(hours),
        windows=windows,
        failures=failures,
        bytes_used=sum(r.bytes_used for r in attempts),
        latency_ms=_median([r.latency_ms for r in done if r.latency_ms is not None]),
        loaded_latency_ms=_median([r.loaded_latency_ms for r in done if r.loaded_latency_ms is not None]),
        jitter_ms=_median([r.jitter_ms for r in done if r.jitter_ms is not None]),
        tools=tuple(sorted(tools, key=lambda t: -tools[t])),
    )


NO_SPEED = speed_figures((), BusinessHours())  # no test and no plan: 24 empty hours, 4 empty windows
