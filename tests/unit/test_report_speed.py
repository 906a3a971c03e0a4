"""Speed figures of a report (``report.speed``) and their JSON, from plain values and Hypothesis properties."""

from __future__ import annotations

import json
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwatch.adapters.probes.speed.result import failure
from netwatch.config.records import PlanConfig
from netwatch.core.model import CANCELLED, Period, SpeedResult
from netwatch.core.schedule import BusinessHours
from netwatch.report.compute import compute
from netwatch.report.jsonout import to_json
from netwatch.report.speed import EVENING_PEAK, NO_SPEED, Percentiles, percentile, speed_figures
from tests.support.instants import local, ts
from tests.support.speeds import measured

BUSINESS = BusinessHours.from_config({"timezone": "Europe/London", "week": {"mon": "09:00-17:30"}})
PLAN = PlanConfig("Example Broadband", "EB-1", 30.0, 99.9, 100.0, 20.0, 50.0)
NO_SPEEDS = PlanConfig("Example Broadband", "EB-1", 30.0, 99.9, 0.0, 0.0, 50.0)


ok = partial(measured, tool_version="2.1.3")


def skipped(at: float) -> SpeedResult:
    return failure("speedtest", "netwatch", "skipped: line down (outage since 2026-11-23T19:58:00Z)", at=at)


# Monday 23 November 2026, GMT (local time is UTC); open 09:00-17:30.
TESTS = [
    ok(local("2026-11-23T09:30"), 10.0, 20.0, latency_ms=12.0, loaded_latency_ms=80.0, bytes_used=100),
    ok(local("2026-11-23T10:30"), 20.0, 20.0, latency_ms=14.0, loaded_latency_ms=120.0, bytes_used=100),
    ok(local("2026-11-23T19:15"), 30.0, 20.0, latency_ms=11.0, bytes_used=100),
    ok(local("2026-11-23T20:00"), 40.0, 20.0, jitter_ms=2.0, bytes_used=100),
    ok(local("2026-11-23T22:59"), 50.0, 5.0, bytes_used=100),  # download fine, upload under half of 20
    ok(
        local("2026-11-23T23:00"),
        60.0,
        None,
        backend="cloudflare",
        tool="netwatch-http",
        tool_version="",
        bytes_used=100,
    ),
    failure(
        "speedtest",
        "speedtest-cli",
        "HTTP 403 from the speedtest.net configuration",
        at=local("2026-11-23T19:30"),
        bytes_used=7,
    ),
    skipped(local("2026-11-23T20:30")),
    failure("speedtest", "speedtest-cli", CANCELLED, at=local("2026-11-23T21:00")),
]


def test_percentiles_interpolate_between_the_closest_ranks() -> None:
    assert Percentiles.of([50.0, 10.0, 40.0, 20.0, 30.0]) == Percentiles(14.0, 30.0, 46.0, 10.0, 50.0)
    assert Percentiles.of([7.0]) == Percentiles(7.0, 7.0, 7.0, 7.0, 7.0)
    assert Percentiles.of([]) is None
    xs = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    assert [percentile(xs, q) for q in (0.0, 0.1, 0.5, 0.9, 1.0)] == [10.0, 15.0, 35.0, 55.0, 60.0]


def test_counts_percentiles_and_shares_against_the_plan() -> None:
    s = speed_figures(TESTS, BUSINESS, PLAN)
    assert (s.tests, s.ok, s.failed, s.skipped) == (9, 6, 2, 1)
    assert s.threshold_percent == 50.0
    d = s.download
    assert (d.measured, d.plan_mbps, d.threshold_mbps) == (6, 100.0, 50.0)
    assert d.mbps == Percentiles(15.0, 35.0, 55.0, 10.0, 60.0)
    assert d.of_plan == Percentiles(15.0, 35.0, 55.0, 10.0, 60.0)  # the plan is 100 Mbit/s
    assert (d.under, d.under_percent) == (4, pytest.approx(400 / 6))  # 50 is not *under* 50
    u = s.upload
    assert (u.measured, u.plan_mbps, u.threshold_mbps, u.under, u.under_percent) == (5, 20.0, 10.0, 1, 20.0)
    assert u.mbps == Percentiles(11.0, 20.0, 20.0, 5.0, 20.0)  # 5, 20, 20, 20, 20
    assert u.of_plan is not None and u.of_plan.min == 25.0
    # slow, as the slow incidents count it: the download, or the upload the plan states, under half the plan
    assert (s.slow, s.slow_percent) == (5, pytest.approx(500 / 6))
    assert s.bytes_used == 6 * 100 + 7
    assert (s.latency_ms, s.loaded_latency_ms, s.jitter_ms) == (12.0, 100.0, 2.0)
    assert s.tools == ("speedtest-cli 2.1.3 (speedtest)", "netwatch-http (cloudflare)")


def test_failed_and_skipped_attempts_are_listed_with_their_reasons() -> None:
    s = speed_figures(TESTS, BUSINESS, PLAN)
    assert [(a.at, a.reason, a.skipped, a.bytes_used) for a in s.failures] == [
        (local("2026-11-23T19:30"), "HTTP 403 from the speedtest.net configuration", False, 7),
        (local("2026-11-23T20:30"), "skipped: line down (outage since 2026-11-23T19:58:00Z)", True, 0),
        (local("2026-11-23T21:00"), "cancelled", False, 0),
    ]
    assert [h.failed for h in s.hours if h.failed] == [1, 1, 1]  # 19, 20 and 21 h


def test_hours_of_the_day_and_windows() -> None:
    s = speed_figures(TESTS, BUSINESS, PLAN)
    assert [h.hour for h in s.hours] == list(range(24))
    got = {h.hour: (h.tests, h.median_mbps, h.median_percent, h.slow) for h in s.hours if h.tests}
    assert got == {
        9: (1, 10.0, 10.0, 1),
        10: (1, 20.0, 20.0, 1),
        19: (1, 30.0, 30.0, 1),
        20: (1, 40.0, 40.0, 1),
        22: (1, 50.0, 50.0, 1),
        23: (1, 60.0, 60.0, 0),
    }
    assert [h.hour for h in s.hours if h.evening_peak] == list(range(*EVENING_PEAK)) == [19, 20, 21, 22]
    windows = {w.key: (w.tests, w.median_mbps, w.median_percent, w.slow, w.slow_percent) for w in s.windows}
    assert windows == {
        "business_hours": (2, 15.0, 15.0, 2, 100.0),
        "outside_business_hours": (4, 45.0, 45.0, 3, 75.0),
        "evening_peak": (3, 40.0, 40.0, 3, 100.0),  # 19:15, 20:00, 22:59; 23:00 is off peak
        "off_peak": (3, 20.0, 20.0, 2, pytest.approx(200 / 3)),
    }
    assert s.window("evening_peak") is s.windows[2] and s.window("nope") is None


def test_only_attempts_inside_the_period_count() -> None:
    since, until = local("2026-11-23T10:30"), local("2026-11-23T22:59")
    s = speed_figures(TESTS, BUSINESS, PLAN, since=since, until=until)
    assert (s.tests, s.ok) == (6, 3)  # 10:30 in, 22:59 out
    report = compute(Period(since, until), [], [], BUSINESS, plan=PLAN, speeds=TESTS)
    assert report.speed == s


def test_unknown_plan_speeds_compare_nothing() -> None:
    for plan in (NO_SPEEDS, None):
        s = speed_figures(TESTS, BUSINESS, plan)
        assert s.threshold_percent == 50.0
        for d in (s.download, s.upload):
            assert d.plan_mbps is d.threshold_mbps is d.of_plan is d.under is d.under_percent is None
        assert s.download.mbps == Percentiles(15.0, 35.0, 55.0, 10.0, 60.0)  # the speeds themselves stay
        assert s.slow is None and s.slow_percent is None
        assert all(h.median_percent is None and h.slow is None for h in s.hours)
        assert all(w.median_percent is None and w.slow is None and w.slow_percent is None for w in s.windows)
        assert s.window("business_hours").median_mbps == 15.0  # type: ignore[union-attr]


def test_the_threshold_comes_from_the_plan() -> None:
    s = speed_figures(TESTS, BUSINESS, PlanConfig("", "", 0.0, 0.0, 100.0, 0.0, 25.0))
    assert s.threshold_percent == 25.0 and s.download.threshold_mbps == 25.0
    assert s.slow == s.download.under == 2  # 10 and 20; the upload is not in the plan


def test_no_attempt_gives_zeros_and_nones() -> None:
    s = speed_figures([], BUSINESS, PLAN)
    assert (s.tests, s.ok, s.failed, s.skipped, s.bytes_used, s.failures) == (0, 0, 0, 0, 0, ())
    assert s.download.mbps is None and s.download.under_percent is None and s.slow_percent is None
    assert s.slow == 0 and len(s.hours) == 24 and len(s.windows) == 4
    assert compute(Period(0.0, 1.0), [], [], BUSINESS).speed == NO_SPEED


def test_hours_are_local_across_both_dst_changes() -> None:
    everyday = BusinessHours.from_config({"timezone": "Europe/London"})
    # Spring: 01:00 GMT becomes 02:00 BST on 29 March 2026; one test every 30 minutes from 23:00 UTC on the 28th.
    spring = [ok(ts("2026-03-28T23:00") + i * 1800, 50.0) for i in range(10)]
    s = speed_figures(spring, everyday, PLAN)
    assert {h.hour: h.tests for h in s.hours if h.tests} == {23: 2, 0: 2, 2: 2, 3: 2, 4: 2}  # no 01:xx that day
    # Autumn: 01:00-02:00 comes twice on 25 October 2026 (BST, then GMT).
    autumn = [ok(ts("2026-10-24T23:30") + i * 1800, 50.0) for i in range(6)]
    s = speed_figures(autumn, everyday, PLAN)
    assert {h.hour: h.tests for h in s.hours if h.tests} == {0: 1, 1: 4, 2: 1}
    # The evening peak follows local time: 18:30 UTC is 18:30 GMT on the 28th, 19:30 BST on the 29th.
    s = speed_figures([ok(ts("2026-03-28T18:30"), 10.0), ok(ts("2026-03-29T18:30"), 90.0)], everyday, PLAN)
    assert s.window("evening_peak").median_mbps == 90.0  # type: ignore[union-attr]
    assert s.window("off_peak").median_mbps == 10.0  # type: ignore[union-attr]


def test_business_hours_follow_the_schedule_and_its_holidays() -> None:
    week = {d: "09:00-17:30" for d in ("mon", "tue", "wed", "thu", "fri")}
    gb = BusinessHours.from_config({"timezone": "Europe/London", "holidays": "GB", "week": week})
    tests = [
        ok(local("2026-12-24T10:00"), 10.0),
        ok(local("2026-12-25T10:00"), 20.0),  # Christmas: closed
        ok(local("2026-12-24T17:30"), 30.0),
        ok(local("2026-12-24T17:29"), 40.0),
    ]
    s = speed_figures(tests, gb, PLAN)
    assert s.window("business_hours").tests == 2  # type: ignore[union-attr]
    assert s.window("business_hours").median_mbps == 25.0  # type: ignore[union-attr]


def test_json_speed_key() -> None:
    since = local("2026-11-23T00:00")
    out = to_json(compute(Period(since, since + 86400), [], [], BUSINESS, plan=PLAN, speeds=TESTS))
    speed = json.loads(json.dumps(out["speed"], allow_nan=False))
    assert {k: speed[k] for k in ("tests", "ok", "failed", "skipped", "slow", "bytes_used")} == {
        "tests": 9,
        "ok": 6,
        "failed": 2,
        "skipped": 1,
        "slow": 5,
        "bytes_used": 607,
    }
    assert speed["slow_percent"] == 83.3333 and speed["threshold_percent"] == 50.0
    assert speed["download"]["mbps"] == {"p10": 15.0, "p50": 35.0, "p90": 55.0, "min": 10.0, "max": 60.0}
    assert speed["download"]["percent_of_plan"]["p50"] == 35.0
    assert speed["download"]["under_threshold"] == 4 and speed["upload"]["under_threshold_percent"] == 20.0
    assert speed["evening_peak"] == {"start": "19:00", "end": "23:00"}
    assert len(speed["hours"]) == 24 and speed["hours"][9]["median_download_mbps"] == 10.0
    assert speed["hours"][21] == {
        "hour": 21,
        "tests": 0,
        "failed": 1,
        "median_download_mbps": None,
        "median_percent_of_plan": None,
        "slow": 0,
        "evening_peak": True,
    }
    assert [w["window"] for w in speed["windows"]] == [
        "business_hours",
        "outside_business_hours",
        "evening_peak",
        "off_peak",
    ]
    assert speed["failures"][1] == {
        "at": "2026-11-23T20:30:00Z",
        "backend": "speedtest",
        "tool": "netwatch",
        "server": "",
        "reason": "skipped: line down (outage since 2026-11-23T19:58:00Z)",
        "skipped": True,
        "bytes_used": 0,
    }
    empty = to_json(compute(Period(since, since + 86400), [], [], BUSINESS))["speed"]
    assert (empty["tests"], empty["download"]["mbps"], empty["failures"]) == (0, None, [])


# --- properties ----------------------------------------------------------------------------------------------

SPAN_START = ts("2026-10-20T00:00")  # a fortnight around London's autumn change
speeds = st.one_of(st.just(0.0), st.floats(0.01, 2000, allow_nan=False))
REASONS = {"failed": "timed out", "skipped": "skipped: daily data budget of 100 MB used (100.2 MB today)"}
attempts = st.lists(
    st.builds(
        lambda at, down, up, kind: (
            ok(SPAN_START + at, down, up)
            if kind == "ok"
            else failure("http", "netwatch-http", REASONS[kind], at=SPAN_START + at)
        ),
        st.integers(0, 14 * 86400),
        speeds,
        st.none() | speeds,
        st.sampled_from(["ok", "ok", "ok", "failed", "skipped"]),
    ),
    max_size=40,
)
plans = st.builds(
    lambda down, up, threshold: PlanConfig("", "", 0.0, 0.0, down, up, threshold),
    st.sampled_from([0.0, 80.0, 1000.0]),
    st.sampled_from([0.0, 20.0]),
    st.floats(1.0, 100.0),
)


@settings(max_examples=150, deadline=None)
@given(attempts, plans)
def test_counts_add_up_shares_are_percentages_and_percentiles_are_ordered(
    results: list[SpeedResult], plan: PlanConfig
) -> None:
    s = speed_figures(results, BUSINESS, plan)
    assert s.tests == len(results) == s.ok + s.failed + s.skipped
    assert len(s.failures) == s.failed + s.skipped == sum(h.failed for h in s.hours)
    assert [a.at for a in s.failures] == sorted(a.at for a in s.failures)
    assert s.download.measured == s.ok == sum(h.tests for h in s.hours)
    for a, b in (("business_hours", "outside_business_hours"), ("evening_peak", "off_peak")):
        wa, wb = s.window(a), s.window(b)
        assert wa is not None and wb is not None
        assert wa.tests + wb.tests == s.ok
        if s.slow is not None:
            assert wa.slow is not None and wb.slow is not None and wa.slow + wb.slow == s.slow
    if s.slow is not None:
        assert sum(h.slow or 0 for h in s.hours) == s.slow <= s.ok
        assert s.download.under is None or s.download.under <= s.slow  # a slow download makes a slow test
    shares = [s.slow_percent, s.download.under_percent, s.upload.under_percent]
    shares += [w.slow_percent for w in s.windows]
    assert all(0.0 <= x <= 100.0 for x in shares if x is not None)
    for p in (s.download.mbps, s.download.of_plan, s.upload.mbps, s.upload.of_plan):
        if p is not None:
            assert p.min <= p.p10 <= p.p50 <= p.p90 <= p.max
    for h in s.hours:
        assert (h.median_mbps is None) == (h.tests == 0)
    assert s.bytes_used == sum(r.bytes_used for r in results)
