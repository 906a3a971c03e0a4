"""Report figures and the JSON contract, from plain values."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwatch.errors import ReportError
from netwatch.model import Cause, Coverage, Incident, Kind
from netwatch.report.compute import Period, compute, to_json
from netwatch.report.period import parse_when, resolve
from netwatch.schedule import BusinessHours

LONDON = BusinessHours.from_config({"timezone": "Europe/London", "week": {"mon": "09:00-17:00", "tue": "09:00-17:00"}})


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


# Monday 2026-11-23 (GMT, so local time is UTC).
MON = ts("2026-11-23T00:00:00")
DAY = 86400.0


def test_nothing_monitored_has_no_availability_but_every_field() -> None:
    report = compute(Period(MON, MON + DAY), [], [], LONDON)
    out = to_json(report)
    assert out["summary"] == {
        "availability_percent": None,
        "outage_count": 0,
        "downtime_seconds": 0.0,
        "business_downtime_seconds": 0.0,
        "longest_outage_seconds": 0.0,
        "degraded_count": 0,
        "degraded_seconds": 0.0,
    }
    assert out["coverage"] == {"monitored_seconds": 0.0, "unmonitored_seconds": DAY, "sessions": []}
    assert out["period"] == {
        "since": "2026-11-23T00:00:00+00:00",
        "until": "2026-11-24T00:00:00+00:00",
        "timezone": "Europe/London",
    }
    assert out["incidents"] == []


def test_outage_inside_business_hours_and_partly_outside() -> None:
    # 08:30-09:30 on Monday: 30 min before opening, 30 min inside.
    evidence = "gateway answered 3600/3600; ISP hop 0/3600"
    outage = Incident(Kind.OUTAGE, Cause.ISP, MON + 8.5 * 3600, MON + 9.5 * 3600, 3600, ((Cause.ISP, 3600),), evidence)
    degraded = Incident(Kind.DEGRADED, Cause.UPSTREAM, MON + 12 * 3600, MON + 12.25 * 3600)
    report = compute(Period(MON, MON + DAY), [degraded, outage], [Coverage(MON, MON + DAY)], LONDON)
    out = to_json(report)
    assert out["summary"]["outage_count"] == 1
    assert out["summary"]["downtime_seconds"] == 3600.0
    assert out["summary"]["business_downtime_seconds"] == 1800.0
    assert out["summary"]["longest_outage_seconds"] == 3600.0
    assert out["summary"]["availability_percent"] == round(100 * (DAY - 3600) / DAY, 4)
    assert out["summary"]["degraded_seconds"] == 900.0
    first = out["incidents"][0]
    assert first == {
        "kind": "outage",
        "cause": "isp",
        "start": "2026-11-23T08:30:00Z",
        "end": "2026-11-23T09:30:00Z",
        "duration_seconds": 3600.0,
        "business_seconds": 1800.0,
        "clipped_to_period": False,
        "rounds": 3600,
        "cause_rounds": {"isp": 3600},
        "evidence": "gateway answered 3600/3600; ISP hop 0/3600",
    }
    assert [i["kind"] for i in out["incidents"]] == ["outage", "degraded"]


def test_outage_crossing_the_period_is_clipped_and_flagged() -> None:
    outage = Incident(Kind.OUTAGE, Cause.LOCAL, MON - 600, MON + 600)
    out = to_json(compute(Period(MON, MON + DAY), [outage], [Coverage(MON - DAY, MON + DAY)], LONDON))
    (inc,) = out["incidents"]
    assert inc["duration_seconds"] == 600.0
    assert inc["clipped_to_period"] is True
    # The incident keeps its true start; only the figures are clipped.
    assert inc["start"] == "2026-11-22T23:50:00Z"


def test_open_outage_runs_to_the_last_monitored_instant_not_to_the_period_end() -> None:
    outage = Incident(Kind.OUTAGE, Cause.UPSTREAM, MON + 3600)
    sessions = [Coverage(MON, MON + 7200, clean=False)]
    out = to_json(compute(Period(MON, MON + DAY), [outage], sessions, LONDON))
    assert out["incidents"][0]["end"] is None
    assert out["incidents"][0]["duration_seconds"] == 3600.0
    assert out["coverage"]["monitored_seconds"] == 7200.0
    assert out["coverage"]["unmonitored_seconds"] == DAY - 7200
    assert out["coverage"]["sessions"][0]["clean"] is False


def test_overlapping_sessions_are_merged_not_counted_twice() -> None:
    sessions = [Coverage(MON, MON + 3600), Coverage(MON + 1800, MON + 5400), Coverage(MON + 7200, MON + 9000)]
    report = compute(Period(MON, MON + DAY), [], sessions, LONDON)
    assert report.monitored_seconds == 5400 + 1800
    assert len(report.sessions) == 2


intervals = st.lists(
    st.tuples(st.floats(0, DAY, allow_nan=False), st.floats(0, 6 * 3600, allow_nan=False)), max_size=6
).map(lambda xs: sorted(xs))


@settings(max_examples=150, deadline=None)
@given(intervals, intervals, st.floats(0, DAY / 2), st.floats(DAY / 2, DAY))
def test_figures_stay_within_their_bounds(
    outages: list[tuple[float, float]], runs: list[tuple[float, float]], since: float, until: float
) -> None:
    incidents = [Incident(Kind.OUTAGE, Cause.ISP, MON + s, MON + s + d) for s, d in outages]
    sessions = [Coverage(MON + s, MON + s + d) for s, d in runs]
    report = compute(Period(MON + since, MON + until), incidents, sessions, LONDON)
    assert 0 <= report.monitored_seconds <= until - since + 1e-6
    for f in report.incidents:
        assert MON + since <= f.start <= f.end <= MON + until
        assert 0 <= f.business_seconds <= f.seconds + 1e-6
    if report.availability_percent is not None:
        assert 0.0 <= report.availability_percent <= 100.0


def test_when_words_in_the_configured_timezone() -> None:
    tz = ZoneInfo("Europe/London")
    # Summer time: local midnight is 23:00 UTC the day before.
    assert parse_when("--since", "2026-07-01", tz, end_of_day=False) == ts("2026-06-30T23:00:00")
    assert parse_when("--until", "2026-07-01", tz, end_of_day=True) == ts("2026-07-01T23:00:00")
    assert parse_when("--since", "2026-07-01T09:30", tz, end_of_day=False) == ts("2026-07-01T08:30:00")
    assert parse_when("--since", "2026-07-01T09:30:00+00:00", tz, end_of_day=False) == ts("2026-07-01T09:30:00")


def test_bad_when_and_empty_period_are_exact_errors() -> None:
    tz = ZoneInfo("Europe/London")
    with pytest.raises(ReportError) as err:
        parse_when("--since", "2026-13-01", tz, end_of_day=False)
    assert str(err.value) == (
        '--since: "2026-13-01" is not a date or date-time; use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] '
        "(local time in Europe/London, or with an offset such as +01:00)"
    )
    with pytest.raises(ReportError) as err:
        resolve("2026-11-20", "2026-11-19", tz, now=MON, history_start=None)
    assert str(err.value) == (
        "the period from 2026-11-20T00:00:00+00:00 to 2026-11-20T00:00:00+00:00 is empty; "
        "pass a --since earlier than --until"
    )
    with pytest.raises(ReportError) as err:
        resolve(None, None, tz, now=MON, history_start=None)
    assert str(err.value) == "the store holds no monitoring session yet: run `netwatch run` first, or pass --since"


def test_until_is_clipped_to_now() -> None:
    period = resolve("2026-11-01", "2026-12-31", ZoneInfo("UTC"), now=MON, history_start=None)
    assert period == Period(ts("2026-11-01T00:00:00"), MON)
