"""Speed tests against the plan: when to run the next one, when to skip it, and when the line is slow. Pure.

Owns the scheduling decisions of the daemon's speed test task (``first_delay``/``next_delay`` with injected
randomness, ``skip_reason`` for an open outage or a spent daily data budget, ``budget_left``) and the ``slow``
detector: a state machine over speed test results, ``step(state, result, rules, line_ok) -> (state, events)``,
which opens one ``Kind.SLOW`` incident per run of consecutive slow tests. Must not run tests, read a clock or
touch the store: the daemon does all three and passes every instant in.

Rules (README "Speed tests"):

- A test is *slow* when it succeeded and its download is below ``below_percent`` % of the plan's download, or
  (when the plan states an upload speed and the test measured one) its upload is below that share of it.
  Without a plan speed nothing is ever slow.
- A slow incident opens at the first slow test's ``at`` and closes at the ``at`` of the first successful test
  at or above the threshold. Failed, skipped and cancelled tests neither open nor close one: they say nothing
  about the speed of the line.
- Cause: ``isp`` when the test ran while the monitoring rounds saw the gateway and the anchors answering (the
  line was up and the local network fine, so the shortfall is the line's); otherwise ``unknown``. ``rounds``
  counts the slow tests, and ``detail`` describes the slowest of them (lowest share of the plan).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

from netwatch.core.detect import Closed, Opened, Updated
from netwatch.core.model import Cause, Incident, Kind, SpeedResult
from netwatch.core.text import utc

Event = Opened | Updated | Closed
MB = 1_000_000  # bytes in the megabyte of ``daily_budget_mb``


@dataclass(frozen=True)
class SlowRules:
    download_mbps: float  # the plan's; 0 = unknown
    upload_mbps: float  # the plan's; 0 = unknown
    below_percent: float  # slow below this share of the plan

    @property
    def known(self) -> bool:
        return self.download_mbps > 0 or self.upload_mbps > 0


class Shortfall(NamedTuple):
    share: float  # percent of the plan delivered, in the worse direction
    detail: str


@dataclass(frozen=True)
class SlowState:
    incident: Incident | None = None  # the open slow incident
    worst: float = 100.0  # the lowest share of the plan among its tests


def _mbit(value: float) -> str:
    return f"{value:.1f}"


def shortfall(result: SpeedResult, rules: SlowRules) -> Shortfall | None:
    """Why ``result`` is slow (the worse direction), or None when it is not slow or cannot be judged (failed)."""
    if not result.ok:
        return None
    worst: Shortfall | None = None
    for direction, measured, plan in (
        ("download", result.download_mbps, rules.download_mbps),
        ("upload", result.upload_mbps, rules.upload_mbps),
    ):
        if measured is None or plan <= 0:
            continue
        share = 100.0 * measured / plan
        if share < rules.below_percent and (worst is None or share < worst.share):
            via = f"via {result.backend}" + (f" server {result.server}" if result.server else "")
            detail = (
                f"{direction} {_mbit(measured)} Mbit/s = {share:.0f} % of the plan's {plan:g}"
                f" (threshold {rules.below_percent:g} %) {via}"
            )
            worst = Shortfall(share, detail)
    return worst


def step(state: SlowState, result: SpeedResult, rules: SlowRules, line_ok: bool) -> tuple[SlowState, list[Event]]:
    """Feed one attempt. ``line_ok``: the monitoring rounds saw the gateway and the anchors answering while it
    ran (decides the cause, see the module docstring)."""
    if not result.ok:
        return state, []
    slow = shortfall(result, rules)
    inc = state.incident
    if slow is None:
        if inc is None:
            return state, []
        return SlowState(), [Closed(inc.closed_at(result.at))]
    cause = Cause.ISP if line_ok else Cause.UNKNOWN
    if inc is None:
        opened = Incident(Kind.SLOW, cause, result.at, rounds=1, cause_rounds=((cause, 1),), detail=slow.detail)
        return SlowState(opened, slow.share), [Opened(opened)]
    counts = dict(inc.cause_rounds)
    counts[cause] = counts.get(cause, 0) + 1
    ordered = tuple((c, counts[c]) for c in dict.fromkeys([*(c for c, _ in inc.cause_rounds), cause]))
    majority = max(ordered, key=lambda item: item[1])[0]  # ties: the earliest seen (max keeps the first)
    worse = slow.share < state.worst
    updated = replace(
        inc,
        cause=majority,
        rounds=inc.rounds + 1,
        cause_rounds=ordered,
        detail=slow.detail if worse else inc.detail,
    )
    return SlowState(updated, min(state.worst, slow.share)), [Updated(updated)]


def close_all(state: SlowState, at: float) -> tuple[SlowState, list[Event]]:
    """Close the open slow incident at ``at`` (shutdown: the last round seen)."""
    if state.incident is None:
        return state, []
    return SlowState(), [Closed(state.incident.closed_at(at))]


def shifted(state: SlowState, delta: float) -> SlowState:
    """The state with its open incident moved by ``delta`` seconds (its tests were re-timed)."""
    inc = state.incident
    if inc is None:
        return state
    return replace(
        state, incident=replace(inc, start=inc.start + delta, end=None if inc.end is None else inc.end + delta)
    )


# --- scheduling -------------------------------------------------------------------------------------------------


def first_delay(interval: float, rand: float) -> float:
    """Seconds from start to the first test: uniform within the interval (``rand`` uniform in [0, 1)), so that
    restarts and many probes do not all test at once; never right at start."""
    return max(1.0, min(max(rand, 0.0), 1.0) * interval)


def next_delay(interval: float, jitter: float, rand: float) -> float:
    """Seconds from the end of one test to the start of the next: ``interval`` ± up to ``jitter``."""
    return max(1.0, interval + (2.0 * min(max(rand, 0.0), 1.0) - 1.0) * jitter)


def utc_day_start(at: float) -> float:
    """The UTC midnight starting the day of ``at``: the daily data budget is per UTC day."""
    return at - at % 86400.0


def budget_left(budget_mb: float, used_bytes: int) -> int | None:
    """Bytes the tests may still use today; None when the budget is unlimited (0)."""
    if budget_mb <= 0:
        return None
    return max(0, int(budget_mb * MB) - used_bytes)


def skip_reason(outage: Incident | None, budget_mb: float, used_bytes: int) -> str | None:
    """Why the test due now must not run (an open outage, the daily budget spent), or None to run it."""
    if outage is not None:
        return f"skipped: line down (outage since {utc(outage.start)})"
    left = budget_left(budget_mb, used_bytes)
    if left is not None and left <= 0:
        return f"skipped: daily data budget of {budget_mb:g} MB used ({used_bytes / MB:.1f} MB today)"
    return None


def skipped(at: float, backend: str, reason: str) -> SpeedResult:
    """The record of a test not run, stored like any failed attempt so that reports show it with the reason."""
    return SpeedResult(at=at, backend=backend, tool="netwatch", ok=False, error=reason)
