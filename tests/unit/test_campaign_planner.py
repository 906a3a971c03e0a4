"""The campaign planner keeps every rule of the BNetzA procedure in any zone, year and window; the checker says
which rule a schedule breaks, in words."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from netwatch.core.calendar import local_date
from netwatch.core.campaign import planner
from netwatch.core.campaign.planner import check, parse_window, plan, violations
from netwatch.core.model import Schedule, Slot, Window
from netwatch.core.text import span
from netwatch.errors import CampaignError

ZONES = (
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Santiago",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "Pacific/Apia",
    "Africa/Casablanca",
    "Asia/Tehran",
    "Pacific/Kiritimati",
)
BERLIN = ZoneInfo("Europe/Berlin")


@st.composite
def windows(draw: st.DrawFn) -> Window:
    start = draw(st.integers(0, 24 * 60 - 1 - 220))
    end = draw(st.integers(start + 220, 24 * 60 - 1))
    return Window(time(start // 60, start % 60), time(end // 60, end % 60))


def _independently_valid(schedule: Schedule, window: Window, not_before: float | None) -> None:
    """The rules, checked again without the checker."""
    zone = ZoneInfo(schedule.timezone)
    slots = schedule.slots
    assert len(slots) == 30
    assert [s.index for s in slots] == list(range(30))
    assert [s.at for s in slots] == sorted(s.at for s in slots)
    for s in slots:
        local = datetime.fromtimestamp(s.at, UTC).astimezone(zone)
        assert local.date() == s.day
        assert datetime.combine(s.day, window.start, tzinfo=zone).timestamp() <= s.at
        assert s.at <= datetime.combine(s.day, window.end, tzinfo=zone).timestamp()
        assert s.at % 60 == 0
        if not_before is not None:
            assert s.at >= not_before
    days = sorted({s.day for s in slots})
    assert len(days) == 3
    for day in days:
        starts = [s.at for s in slots if s.day == day]
        assert len(starts) == 10
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert all(g >= 300 for g in gaps)
        assert gaps[4] >= 3 * 3600
    assert (days[1] - days[0]).days >= 2 and (days[2] - days[1]).days >= 2
    assert (days[2] - days[0]).days <= 13


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(date(1990, 1, 1), date(2090, 12, 31)),
    zone=st.sampled_from(ZONES),
    window=windows(),
    seed=st.integers(0, 2**32),
)
@example(date(2026, 3, 27), "Europe/Berlin", Window(time(1, 0), time(4, 40)), 0)  # the shortest window over DST
@example(date(2026, 10, 23), "Europe/Berlin", Window(time(0, 0), time(3, 40)), 1)  # fall back: an hour longer
@example(date(2011, 12, 28), "Pacific/Apia", Window(time(8, 0), time(22, 0)), 2)  # 2011-12-30 does not exist there
@example(date(2026, 4, 3), "Australia/Lord_Howe", Window(time(0, 0), time(3, 40)), 3)  # a 30-minute DST change
def test_the_planner_never_breaks_the_procedure(start: date, zone: str, window: Window, seed: int) -> None:
    schedule = plan(start, zone, window, random.Random(seed))
    assert violations(schedule) == []
    _independently_valid(schedule, window, None)
    assert schedule.days[0] >= start


@settings(max_examples=100, deadline=None)
@given(
    now=st.integers(1_600_000_000, 2_000_000_000),
    zone=st.sampled_from(ZONES),
    window=windows(),
    seed=st.integers(0, 2**32),
)
def test_a_plan_starting_today_begins_after_now(now: int, zone: str, window: Window, seed: int) -> None:
    today = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(zone)).date()
    schedule = plan(today, zone, window, random.Random(seed), not_before=float(now))
    assert violations(schedule) == []
    _independently_valid(schedule, window, float(now))


def test_the_same_seed_gives_the_same_plan() -> None:
    one = plan(date(2026, 5, 4), "Europe/Berlin", planner.DEFAULT_WINDOW, random.Random(42))
    two = plan(date(2026, 5, 4), "Europe/Berlin", planner.DEFAULT_WINDOW, random.Random(42))
    assert one == two
    assert one.days == (date(2026, 5, 4), date(2026, 5, 6), date(2026, 5, 8))


def test_a_day_whose_window_dst_makes_too_short_is_skipped() -> None:
    # 01:00-04:40 holds exactly 3 h 40 min, except on 2026-03-29 (spring forward): 2 h 40 min of real time.
    schedule = plan(date(2026, 3, 27), "Europe/Berlin", parse_window("01:00-04:40"), random.Random(0))
    assert schedule.days == (date(2026, 3, 27), date(2026, 3, 30), date(2026, 4, 1))


def test_no_three_days_within_fourteen_is_an_error() -> None:
    with pytest.raises(CampaignError) as err:
        plan(date(2026, 5, 4), "UTC", planner.DEFAULT_WINDOW, random.Random(0), not_before=2e9)  # in 2033
    assert str(err.value) == (
        "no 3 days from 2026-05-04 within 14 calendar days have a window 08:00-22:00 long enough for 10 "
        "measurements (3 h 40 min of real time): widen --window or choose another --start"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8-22", "--window '8-22' is not a time range: give it as HH:MM-HH:MM in local time, e.g. 08:00-22:00"),
        (
            "08:00-24:00",
            "--window '08:00-24:00' has a time that does not exist (24:00 and later): give it as "
            "HH:MM-HH:MM in local time, e.g. 08:00-22:00",
        ),
        (
            "08:00-11:39",
            "--window 08:00-11:39 is 3 h 39 min long; 10 measurements a day need at least 3 h 40 min "
            "(5 minutes apart, 3 hours between the 5th and the 6th): widen --window",
        ),
        (
            "22:00-08:00",
            "--window 22:00-08:00 is 0 s long; 10 measurements a day need at least 3 h 40 min "
            "(5 minutes apart, 3 hours between the 5th and the 6th): widen --window",
        ),
    ],
)
def test_window_errors(text: str, message: str) -> None:
    with pytest.raises(CampaignError) as err:
        parse_window(text)
    assert str(err.value) == message


def test_window_parse_accepts_the_shortest_window() -> None:
    assert str(parse_window(" 08:00 - 11:40 ")) == "08:00-11:40"


# --- hand-made schedules -------------------------------------------------------------------------------------

DAYS = (date(2026, 5, 4), date(2026, 5, 6), date(2026, 5, 8))
TIGHT = ("08:00", "08:05", "08:10", "08:15", "08:20", "11:20", "11:25", "11:30", "11:35", "11:40")


def at(day: date, hhmmss: str, zone: ZoneInfo = BERLIN) -> float:
    parts = [int(p) for p in hhmmss.split(":")]
    return datetime.combine(day, time(*parts), tzinfo=zone).timestamp()


def tight(days: tuple[date, ...] = DAYS) -> list[float]:
    """Every gap at its minimum: valid, with nothing to spare."""
    return [at(d, t) for d in days for t in TIGHT]


def test_the_tightest_valid_schedule_passes() -> None:
    assert check(tight(), "Europe/Berlin") == []
    schedule = Schedule(
        "Europe/Berlin",
        planner.DEFAULT_WINDOW,
        tuple(Slot(i, local_date(a, BERLIN), a) for i, a in enumerate(tight())),
    )
    assert violations(schedule) == []


def test_a_missing_measurement() -> None:
    times = tight()
    del times[3]
    assert check(times, "Europe/Berlin") == [
        "29 measurements; the procedure needs 30 (10 on each of 3 days)",
        "2026-05-04: 9 measurements; a measurement day needs 10",
    ]


def test_measurements_less_than_five_minutes_apart() -> None:
    times = tight()
    times[2] = at(DAYS[0], "08:09:59")
    assert check(times, "Europe/Berlin") == [
        "2026-05-04: the 2nd (08:05) and the 3rd (08:09:59) measurement are 4 min 59 s apart; at least 5 min are needed"
    ]


def test_less_than_three_hours_between_the_fifth_and_the_sixth() -> None:
    times = tight()
    times[15:20] = [t - 60 for t in times[15:20]]
    assert check(times, "Europe/Berlin") == [
        "2026-05-06: the 5th (08:20) and the 6th (11:19) measurement are 2 h 59 min apart; at least 3 h are needed"
    ]


def test_consecutive_measurement_days() -> None:
    assert check(tight((date(2026, 5, 4), date(2026, 5, 5), date(2026, 5, 7))), "Europe/Berlin") == [
        "2026-05-04 and 2026-05-05 are consecutive measurement days; a free calendar day must separate them"
    ]


def test_fourteen_calendar_days_at_most() -> None:
    assert check(tight((date(2026, 5, 4), date(2026, 5, 10), date(2026, 5, 17))), "Europe/Berlin") == []
    assert check(tight((date(2026, 5, 4), date(2026, 5, 10), date(2026, 5, 18))), "Europe/Berlin") == [
        "the measurement days span 15 calendar days (2026-05-04 to 2026-05-18); all must lie within 14"
    ]


def test_a_fourth_day() -> None:
    times = tight()
    times[29] = at(date(2026, 5, 10), "09:00")
    assert check(times, "Europe/Berlin") == [
        "the measurements fall on 4 calendar days; the procedure needs 3",
        "2026-05-08: 9 measurements; a measurement day needs 10",
        "2026-05-10: 1 measurements; a measurement day needs 10",
    ]


def test_spacing_is_real_elapsed_time_across_a_dst_change() -> None:
    # 01:58 and 03:02 on the spring-forward day are 4 minutes apart, not 64.
    spring = date(2026, 3, 29)
    day = [at(spring, t) for t in ("01:58", "03:02", "03:07", "03:12", "03:17")]
    day += [day[-1] + 3 * 3600 + 300 * i for i in range(5)]
    times = day + tight((date(2026, 3, 31), date(2026, 4, 2)))
    assert check(times, "Europe/Berlin") == [
        "2026-03-29: the 1st (01:58) and the 2nd (03:02) measurement are 4 min apart; at least 5 min are needed"
    ]


def test_days_are_local_calendar_days() -> None:
    # 23:30 UTC on 2026-05-03 is 01:30 on 2026-05-04 in Berlin: the same day as the rest.
    times = tight()
    times[0] = datetime(2026, 5, 3, 23, 30, tzinfo=UTC).timestamp()
    assert check(times, "Europe/Berlin") == []
    assert check(times, "UTC")[:2] == [
        "the measurements fall on 4 calendar days; the procedure needs 3",
        "2026-05-03: 1 measurements; a measurement day needs 10",
    ]


def test_span_in_words() -> None:
    assert [span(s) for s in (0, 59.6, 300, 3 * 3600 - 60, 3 * 3600, 86400 + 1)] == [
        "0 s",
        "1 min",
        "5 min",
        "2 h 59 min",
        "3 h",
        "24 h 1 s",
    ]
    assert span(-timedelta(minutes=2).total_seconds()) == "-2 min"
