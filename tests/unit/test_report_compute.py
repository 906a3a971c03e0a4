"""Report figures and the JSON contract, from plain values."""

from __future__ import annotations

import itertools
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwatch import config
from netwatch.cli.inputs import said
from netwatch.config.records import CostConfig, DetectConfig, PlanConfig, ProbeConfig
from netwatch.core.model import Cause, Coverage, Incident, Kind, Period, Role, SeriesPoint, Target
from netwatch.core.schedule import BusinessHours
from netwatch.core.when import bound
from netwatch.errors import InputError, ReportError
from netwatch.report.compute import CLOCK, compute, method_from_config, series_bucket_seconds, series_points
from netwatch.report.jsonout import to_json
from netwatch.report.period import resolve
from tests.support.incidents import outage
from tests.support.instants import DAY, H, local, ts

LONDON = BusinessHours.from_config({"timezone": "Europe/London", "week": {"mon": "09:00-17:00", "tue": "09:00-17:00"}})


# Monday 2026-11-23 (GMT, so local time is UTC).
MON = ts("2026-11-23T00:00:00")


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
        "traceroutes": [],
        "witness": None,
        "claimed_from_provider": True,
        "dns_resolver": None,
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
    assert bound("since", "2026-07-01", tz, end_of_day=False) == ts("2026-06-30T23:00:00")
    assert bound("until", "2026-07-01", tz, end_of_day=True) == ts("2026-07-01T23:00:00")
    assert bound("since", "2026-07-01T09:30", tz, end_of_day=False) == ts("2026-07-01T08:30:00")
    assert bound("since", "2026-07-01T09:30:00+00:00", tz, end_of_day=False) == ts("2026-07-01T09:30:00")


def test_a_period_edge_in_a_clock_change_is_refused_with_the_offsets() -> None:
    tz = ZoneInfo("Europe/London")
    with pytest.raises(InputError) as err:
        bound("since", "2026-03-29T01:30", tz, end_of_day=False)
    assert said(err.value) == (
        '--since: "2026-03-29T01:30" does not exist in Europe/London (the clocks went forward then); give the time '
        "with its offset, e.g. 2026-03-29 01:30+00:00"
    )
    with pytest.raises(InputError) as err:
        bound("until", "2026-10-25T01:30", tz, end_of_day=True)
    assert said(err.value) == (
        '--until: "2026-10-25T01:30" happened twice in Europe/London (the clocks went back then); add the offset: '
        "+01:00 for the first, +00:00 for the second"
    )
    assert bound("until", "2026-10-25T01:30+00:00", tz, end_of_day=True) == ts("2026-10-25T01:30:00")


def test_a_bare_date_is_the_start_of_that_local_day_also_when_its_midnight_was_skipped() -> None:
    """A day is a day: where the clocks jump from 00:00 to 01:00 (Asunción, 3 October 2021) its first instant is
    01:00, as for a named period and every day of a report (core.calendar.day_start)."""
    tz = ZoneInfo("America/Asuncion")
    assert bound("--since", "2021-10-03", tz, end_of_day=False) == ts("2021-10-03T01:00:00-03:00")
    assert bound("--until", "2021-10-02", tz, end_of_day=True) == ts("2021-10-03T01:00:00-03:00")
    assert bound("--since", "2021-10-02", tz, end_of_day=False) == ts("2021-10-02T00:00:00-04:00")


def test_bad_when_and_empty_period_are_exact_errors() -> None:
    tz = ZoneInfo("Europe/London")
    with pytest.raises(InputError) as err:
        bound("since", "2026-13-01", tz, end_of_day=False)
    assert said(err.value) == (
        '--since: "2026-13-01" is not a date or date-time; use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] '
        "(local time in Europe/London, or with an offset such as +01:00)"
    )
    with pytest.raises(InputError) as err:
        resolve("2026-11-20", "2026-11-19", tz, now=MON, history_start=None)
    # In the owner's words, as typed: the end of the 19th is the start of the 20th.
    assert str(err.value) == "the period is empty: until 2026-11-19 (the end of that day) is not after since 2026-11-20"
    assert said(err.value) == (
        "the period is empty: --until 2026-11-19 (the end of that day) is not after --since 2026-11-20"
    )
    with pytest.raises(InputError) as err:
        resolve("2026-11-20 10:00", "2026-11-20 09:00", tz, now=MON, history_start=None)
    assert said(err.value) == "the period is empty: --until 2026-11-20 09:00 is before --since 2026-11-20 10:00"
    # No --until given: nothing about it, only that the start lies ahead.
    with pytest.raises(InputError) as err:
        resolve("2027-01-01", None, tz, now=MON, history_start=None)
    assert said(err.value) == "--since 2027-01-01 is in the future: nothing is recorded yet after it"
    with pytest.raises(InputError) as err:
        resolve(None, "2026-11-01", tz, now=MON, history_start=MON - 3600)
    assert said(err.value) == (
        "the period is empty: --until 2026-11-01 (the end of that day) is before the first record "
        "(2026-11-22 23:00:00 GMT)"
    )
    with pytest.raises(ReportError) as err:
        resolve(None, None, tz, now=MON, history_start=None)
    assert str(err.value) == "the store holds no monitoring session yet: run `netwatch run` first, or pass --since"


def test_until_is_clipped_to_now() -> None:
    period = resolve("2026-11-01", "2026-12-31", ZoneInfo("UTC"), now=MON, history_start=None)
    assert period == Period(ts("2026-11-01T00:00:00"), MON)


# --- metrics, buckets, money, series, method (issue 3) ------------------------------------------------------------

LONDON_ALL = BusinessHours.from_config(
    {"timezone": "Europe/London", "week": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}}
)


def test_outage_statistics_and_causes() -> None:
    # Monday 2026-11-23, fully monitored: outages of 10 min (isp), 30 min (local), 1 h (upstream), 2 h (dns).
    incidents = [
        outage(MON + 1 * H, MON + 1 * H + 600, Cause.ISP),
        outage(MON + 10 * H, MON + 10.5 * H, Cause.LOCAL),  # in business hours
        outage(MON + 16.5 * H, MON + 17.5 * H, Cause.UPSTREAM),  # half in business hours
        outage(MON + 20 * H, MON + 22 * H, Cause.DNS),
        Incident(Kind.DEGRADED, Cause.UPSTREAM, MON + 12 * H, MON + 13 * H),
    ]
    report = compute(Period(MON, MON + DAY), incidents, [Coverage(MON, MON + DAY)], LONDON)
    assert report.downtime_seconds == 600 + 1800 + 3600 + 7200
    assert report.longest_outage_seconds == 7200.0
    assert report.median_outage_seconds == (1800 + 3600) / 2
    assert report.mttr_seconds == 13200 / 4
    assert report.mtbf_seconds == (DAY - 13200) / 4
    # No method recorded which resolvers the names went to: the dns outage is set apart, never the provider's.
    assert report.isp_attributable_seconds == 600 + 3600
    assert [f.incident.cause for f in report.own_dns] == [Cause.DNS] and report.own_dns_seconds == 7200.0
    assert report.local_seconds == 1800.0
    assert report.business_downtime_seconds == 1800 + 1800
    assert report.degraded_seconds == 3600.0
    assert [(c.cause, c.count, c.seconds, c.business_seconds) for c in report.by_cause] == [
        (Cause.LOCAL, 1, 1800.0, 1800.0),
        (Cause.ISP, 1, 600.0, 0.0),
        (Cause.UPSTREAM, 1, 3600.0, 1800.0),
        (Cause.DNS, 1, 7200.0, 0.0),
        (Cause.UNKNOWN, 0, 0.0, 0.0),
        (Cause.ISP_OR_UPSTREAM, 0, 0.0, 0.0),  # the JSON contract's causes only grow: appended
    ]
    out = to_json(report)
    assert out["metrics"] == {
        "median_outage_seconds": 2700.0,
        "mtbf_seconds": 18300.0,
        "mttr_seconds": 3300.0,
        "isp_attributable_seconds": 4200.0,
        "local_seconds": 1800.0,
        "dns_not_claimed_seconds": 7200.0,
    }
    assert out["by_cause"][2] == {"cause": "upstream", "count": 1, "seconds": 3600.0, "business_seconds": 1800.0}


def test_no_outage_has_no_median_mtbf_or_mttr_and_zero_causes() -> None:
    report = compute(Period(MON, MON + DAY), [], [Coverage(MON, MON + DAY)], LONDON)
    assert (report.median_outage_seconds, report.mtbf_seconds, report.mttr_seconds) == (None, None, None)
    assert [c.cause for c in report.by_cause] == list(Cause)
    assert all(c.count == 0 and c.seconds == 0.0 for c in report.by_cause)
    assert to_json(report)["metrics"]["mtbf_seconds"] is None


def test_gaps_are_the_unmonitored_time_inside_the_period() -> None:
    sessions = [Coverage(MON - H, MON + 2 * H), Coverage(MON + 5 * H, MON + 6 * H)]
    report = compute(Period(MON, MON + DAY), [], sessions, LONDON)
    assert report.gaps == ((MON + 2 * H, MON + 5 * H), (MON + 6 * H, MON + DAY))
    assert to_json(report)["gaps"][0] == {
        "start": "2026-11-23T02:00:00Z",
        "end": "2026-11-23T05:00:00Z",
        "seconds": 10800.0,
    }
    assert compute(Period(MON, MON + DAY), [], [], LONDON).gaps == ((MON, MON + DAY),)


def test_buckets_follow_local_days_across_the_autumn_dst_change_and_a_month_boundary() -> None:
    # Saturday 2026-10-24 to Monday 2026-11-02 in London: Sunday 25 October has 25 hours (BST ends at 02:00).
    since, until = local("2026-10-24T00:00"), local("2026-11-02T00:00")
    incidents = [
        outage(local("2026-10-24T23:30"), local("2026-10-25T03:00"), Cause.ISP),  # 23:30 BST to 03:00 GMT: 4.5 h
        outage(local("2026-10-30T16:00"), local("2026-10-30T18:00"), Cause.UPSTREAM),  # Friday, 1 h in hours
        outage(local("2026-10-31T23:00"), local("2026-11-01T01:00"), Cause.LOCAL),  # across the month boundary
    ]
    report = compute(Period(since, until), incidents, [Coverage(since, until)], LONDON_ALL)
    days = {b.label: b for b in report.days}
    assert len(report.days) == 9
    assert days["2026-10-24"].monitored_seconds == 24 * H
    assert days["2026-10-25"].monitored_seconds == 25 * H
    assert days["2026-10-24"].downtime_seconds == 0.5 * H
    assert days["2026-10-25"].downtime_seconds == 4 * H  # 00:00 BST to 03:00 GMT
    assert days["2026-10-30"].business_downtime_seconds == 1 * H
    assert (days["2026-10-31"].downtime_seconds, days["2026-11-01"].downtime_seconds) == (H, H)
    assert [(b.label, b.seconds / H, b.downtime_seconds / H) for b in report.weeks] == [
        ("2026-W43", 49.0, 4.5),
        ("2026-W44", 168.0, 4.0),
    ]
    assert [(b.label, b.seconds / H, b.downtime_seconds / H) for b in report.months] == [
        ("2026-10", 193.0, 7.5),
        ("2026-11", 24.0, 1.0),
    ]
    assert to_json(report)["days"][1] == {
        "label": "2026-10-25",
        "start": "2026-10-24T23:00:00Z",
        "end": "2026-10-26T00:00:00Z",
        "monitored_seconds": 90000.0,
        "downtime_seconds": 14400.0,
        "business_downtime_seconds": 0.0,
        "degraded_seconds": 0.0,
    }


def test_spring_forward_day_has_23_hours_and_a_week_label_across_the_year() -> None:
    since, until = local("2026-03-28T12:00"), local("2026-03-30T06:00")
    report = compute(Period(since, until), [], [Coverage(since, until)], LONDON_ALL)
    assert [(b.label, b.monitored_seconds / H) for b in report.days] == [
        ("2026-03-28", 12.0),  # clipped to the period
        ("2026-03-29", 23.0),
        ("2026-03-30", 6.0),
    ]
    assert [b.label for b in report.weeks] == ["2026-W13", "2026-W14"]
    new_year = compute(Period(local("2026-12-31T00:00"), local("2027-01-05T00:00")), [], [], LONDON_ALL)
    assert [b.label for b in new_year.weeks] == ["2026-W53", "2027-W01"]
    assert [b.label for b in new_year.months] == ["2026-12", "2027-01"]


# The names were resolved through the provider's resolvers (public addresses, not the router): dns is claimed.
ANCHORED = method_from_config(ProbeConfig(), DetectConfig(), [Target(Role.ANCHOR, "192.0.2.1")])
THROUGH_ISP_RESOLVERS = replace(ANCHORED, settings=replace(ANCHORED.settings, resolvers=("81.2.69.160",)))


def plans(fee: float, contracted: float = 99.9) -> PlanConfig:
    return PlanConfig("Example Broadband", "AC-1", fee, contracted, 0.0, 0.0, 50.0)


def test_money_cost_and_credit_per_calendar_month() -> None:
    since, until = local("2026-10-30T00:00"), local("2026-11-03T00:00")
    incidents = [
        outage(local("2026-10-30T10:00"), local("2026-10-30T11:00"), Cause.ISP),  # Friday, business hours
        outage(local("2026-11-02T10:00"), local("2026-11-02T10:30"), Cause.DNS),  # Monday, business hours
        outage(local("2026-11-02T12:00"), local("2026-11-02T13:00"), Cause.LOCAL),  # never claimed
    ]
    # October 2026 lasts 745 h in London (31 days and the extra hour), November 720 h.
    report = compute(
        Period(since, until),
        incidents,
        [Coverage(since, until)],
        LONDON_ALL,
        cost=CostConfig(80.0, "GBP"),
        plan=plans(745.0),
        method=THROUGH_ISP_RESOLVERS,
    )
    money = report.money
    assert money.business_downtime_cost == 200.0  # 2.5 business hours at 80
    assert money.credit == round(745 * 3600 / (745 * H) + 745 * 1800 / (720 * H), 2) == 1.52
    assert (money.currency, money.hourly, money.monthly_fee, money.contracted_availability) == (
        "GBP",
        80.0,
        745.0,
        99.9,
    )
    isp_availability = 100 * (4 * DAY - 5400) / (4 * DAY)
    assert money.isp_availability_percent == pytest.approx(isp_availability)
    # Four days say nothing about a contract's monthly availability: no verdict, and the reason.
    assert money.breached is None
    short = "the period is shorter than a month, the shortest period an availability commitment is measured over"
    assert money.not_comparable == short
    assert money.credit_basis == (
        "Pro-rata share of the 745.00 GBP monthly fee (a request; not a rule) for the 5,400 s (1.50 h) of outage"
        " attributable to the provider (causes isp, upstream, isp_or_upstream and dns through the provider's"
        " resolvers; local faults, names not resolved by your own router and unmonitored time are not claimed),"
        " each second valued at the fee divided by the length of its calendar month;"
        " availability excluding local faults (their time counted as the provider's uptime) was 98.437 %, not"
        f" comparable with the contracted 99.9 %: {short}."
    )
    assert to_json(report)["money"] == {
        "currency": "GBP",
        "hourly": 80.0,
        "business_downtime_cost": 200.0,
        "monthly_fee": 745.0,
        "contracted_availability": 99.9,
        "credit": 1.52,
        "credit_basis": money.credit_basis,
        "isp_availability_percent": round(isp_availability, 4),
        "breached": None,
        "not_comparable": short,
    }


def test_money_without_hourly_or_fee_or_plan() -> None:
    incidents = [outage(MON + 10 * H, MON + 11 * H, Cause.ISP)]
    args = (Period(MON, MON + DAY), incidents, [Coverage(MON, MON + DAY)], LONDON)
    unset = compute(*args, cost=CostConfig(0.0, "EUR"), plan=plans(0.0, 95.0)).money
    assert (unset.currency, unset.hourly, unset.business_downtime_cost, unset.monthly_fee, unset.credit) == (
        "EUR",
        None,
        None,
        None,
        None,
    )
    assert unset.credit_basis == "No credit computed: the monthly fee was not given."
    assert (unset.contracted_availability, unset.breached) == (95.0, None)  # a day: not comparable
    none = compute(*args).money
    assert (none.hourly, none.business_downtime_cost, none.contracted_availability, none.breached) == (
        None,
        None,
        None,
        None,
    )
    assert none.credit_basis == "No credit computed: the terms of the contract were not given."
    assert to_json(compute(*args))["money"]["credit"] is None


def test_series_points_from_store_rows_are_clipped_to_the_period() -> None:
    rows = [
        (int(MON - 300), 600, 0, 11.0, 20.0),
        (int(MON), 600, 600, None, None),
        (int(MON + DAY), 600, 6, 12.5, 40.1),
    ]
    points = series_points(rows, 300)
    assert points[1] == SeriesPoint(MON, 300.0, 600, 600, None, None)
    assert points[1].loss_percent == 100.0
    report = compute(Period(MON, MON + DAY), [], [], LONDON, series=points)
    assert report.series == (points[1],)
    assert to_json(report)["series"] == [
        {
            "start": "2026-11-23T00:00:00Z",
            "seconds": 300.0,
            "sent": 600,
            "lost": 600,
            "loss_percent": 100.0,
            "rtt_avg_ms": None,
            "rtt_max_ms": None,
        }
    ]
    assert [series_bucket_seconds(Period(0, days * DAY)) for days in (1, 7, 31, 365)] == [300, 1800, 7200, 86400]


def test_method_from_configuration_and_targets() -> None:
    cfg = config.parse("[detect]\nconfirm = 5\n", source=None, env={"HOME": "/home/user"})
    targets = [Target(Role.GATEWAY, "192.168.1.1"), Target(Role.ANCHOR, "1.1.1.1"), Target(Role.GATEWAY, "192.168.1.1")]
    method = method_from_config(cfg.probe, cfg.detect, targets)
    assert (method.interval, method.timeout, method.confirm, method.window) == (1.0, 0.8, 5, 60)
    assert (method.loss_percent, method.latency_ms, method.clock) == (5.0, 250.0, CLOCK)
    assert method.targets == (targets[0], targets[1])
    out = to_json(compute(Period(MON, MON + DAY), [], [], LONDON, method=method))
    assert out["method"]["targets"] == [
        {"role": "gateway", "address": "192.168.1.1"},
        {"role": "anchor", "address": "1.1.1.1"},
    ]
    assert out["method"]["confirm"] == 5
    assert to_json(compute(Period(MON, MON + DAY), [], [], LONDON))["method"] is None


def test_json_is_extended_additively() -> None:
    out = to_json(compute(Period(MON, MON + DAY), [], [], LONDON))
    assert list(out)[:4] == ["period", "coverage", "summary", "incidents"]
    assert set(out) == {
        "period",
        "coverage",
        "summary",
        "incidents",
        "metrics",
        "by_cause",
        "days",
        "weeks",
        "months",
        "gaps",
        "series",
        "method",
        "money",
        "speed",
        "clock_events",
        "unsynchronised",
        "seal",
        "verification",
        "tickets",
        "claims",
        "witness",
        "neighbourhood",
    }
    assert out["neighbourhood"] is None  # no [pool]
    assert (out["clock_events"], out["unsynchronised"], out["seal"], out["tickets"]) == ([], [], None, [])
    assert out["verification"] is None  # not verified for this report: it does not say it was
    assert out["witness"] == {
        "probe": None,
        "asked": False,
        "reason": None,
        "anchors": [],
        "threshold_percent": 90,
        "own_line_percent": 50,
    }
    assert set(out["coverage"]) == {"monitored_seconds", "unmonitored_seconds", "sessions"}
    assert [d["label"] for d in out["days"]] == ["2026-11-23"]
    assert [w["label"] for w in out["weeks"]] == ["2026-W48"]
    assert [m["label"] for m in out["months"]] == ["2026-11"]


# Whole seconds over 9 local days around London's autumn change and the October/November boundary.
SPAN_START = local("2026-10-24T00:00")
SPAN = 9 * DAY + H
spans = st.lists(st.tuples(st.integers(0, int(SPAN)), st.integers(0, 30 * 3600)), max_size=8).map(sorted)


def disjoint(pairs: list[tuple[int, int]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for start, length in pairs:
        begin = max(float(start), out[-1][1] if out else 0.0)
        out.append((begin, max(begin, float(start + length))))
    return out


@settings(max_examples=100, deadline=None)
@given(
    spans,
    spans,
    st.lists(st.sampled_from(list(Cause)), min_size=8, max_size=8),
    st.integers(0, int(DAY)),
    st.integers(0, int(DAY)),
)
def test_buckets_and_causes_add_up(
    outs: list[tuple[int, int]], runs: list[tuple[int, int]], causes: list[Cause], cut_start: int, cut_end: int
) -> None:
    period = Period(SPAN_START + cut_start, SPAN_START + SPAN - cut_end)
    incidents = [outage(SPAN_START + a, SPAN_START + b, c) for (a, b), c in zip(disjoint(outs), causes, strict=False)]
    sessions = [Coverage(SPAN_START + s, SPAN_START + s + d) for s, d in runs]
    report = compute(period, incidents, sessions, LONDON_ALL)
    approx = lambda x: pytest.approx(x, abs=1e-6)  # noqa: E731
    for buckets in (report.days, report.weeks, report.months):
        assert buckets[0].start == period.since and buckets[-1].end == period.until
        assert all(a.end == b.start for a, b in itertools.pairwise(buckets))
        assert sum(b.downtime_seconds for b in buckets) == approx(report.downtime_seconds)
        assert sum(b.business_downtime_seconds for b in buckets) == approx(report.business_downtime_seconds)
        assert sum(b.monitored_seconds for b in buckets) == approx(report.monitored_seconds)
        assert all(b.business_downtime_seconds <= b.downtime_seconds + 1e-6 for b in buckets)
        assert all(b.monitored_seconds <= b.seconds + 1e-6 for b in buckets)
    assert sum(c.seconds for c in report.by_cause) == approx(report.downtime_seconds)
    assert sum(c.count for c in report.by_cause) == len(report.outages)
    assert sum(c.business_seconds for c in report.by_cause) == approx(report.business_downtime_seconds)
    assert all(c.business_seconds <= c.seconds + 1e-6 for c in report.by_cause)
    assert sum(b - a for a, b in report.gaps) + report.monitored_seconds == approx(period.seconds)
    assert report.isp_attributable_seconds + report.local_seconds <= report.downtime_seconds + 1e-6
    for f in report.outages:  # the fast business-hours measure agrees with the schedule's own count
        assert f.business_seconds == approx(LONDON_ALL.seconds_ts(f.start, f.end))
