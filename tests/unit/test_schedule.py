"""The business-hours calendar: plain examples, exact error messages, and Hypothesis properties against a
brute-force oracle that walks UTC minute by minute."""

from __future__ import annotations

import functools
import itertools
import math
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays as pyholidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netwatch.config import parse
from netwatch.config import toml as tomlout
from netwatch.core.schedule import DAYS, BusinessHours
from netwatch.errors import ConfigError, Problem

H = 3600.0
LONDON = ZoneInfo("Europe/London")
EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "netwatch.example.toml"


def at(
    zone: tzinfo | str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone) if isinstance(zone, str) else zone)


def day_seconds(hours: BusinessHours, day: date) -> float:
    """Business seconds of the local calendar day ``day``."""
    zone = hours.timezone
    following = day + timedelta(days=1)
    return hours.seconds(
        at(zone, day.year, day.month, day.day), at(zone, following.year, following.month, following.day)
    )


def problems_of(table: dict[str, Any]) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        BusinessHours.from_config(table)
    return list(caught.value.problems)


# --- plain examples -----------------------------------------------------------------------------------------


def test_defaults_are_weekdays_nine_to_five_in_utc() -> None:
    hours = BusinessHours.from_config({})
    assert hours == BusinessHours()
    assert hours.timezone == ZoneInfo("UTC")
    assert hours.timezone_name == "UTC"
    # 2026-03-02 is a Monday
    assert hours.seconds(at(UTC, 2026, 3, 2), at(UTC, 2026, 3, 9)) == 5 * 8 * H
    assert hours.seconds(at(UTC, 2026, 3, 7), at(UTC, 2026, 3, 9)) == 0.0
    assert hours.is_open(at(UTC, 2026, 3, 2, 9).timestamp())
    assert not hours.is_open(at(UTC, 2026, 3, 2, 17).timestamp())
    assert not hours.is_open(at(UTC, 2026, 3, 2, 8, 59, 59).timestamp())


def test_a_normal_week_in_london() -> None:
    week = {day: "09:00-17:30" for day in ("mon", "tue", "wed", "thu", "fri")}
    hours = BusinessHours.from_config({"timezone": "Europe/London", "week": week})
    assert hours.seconds(at(LONDON, 2026, 6, 1), at(LONDON, 2026, 6, 8)) == 5 * 8.5 * H
    # in summer 09:00 BST is 08:00 UTC
    assert hours.is_open(at(UTC, 2026, 6, 1, 8).timestamp())
    assert not hours.is_open(at(UTC, 2026, 6, 1, 7, 59).timestamp())
    # a period given in another time zone is the same instants
    assert hours.seconds(at("America/New_York", 2026, 6, 1, 4), at(UTC, 2026, 6, 1, 12)) == 4 * H


def test_a_split_day_gives_two_intervals() -> None:
    hours = BusinessHours.from_config({"week": {"tue": "13:30-17:30, 09:00-12:30"}})  # order does not matter
    tuesday = at(UTC, 2026, 3, 3).timestamp()
    assert list(hours.intervals(tuesday, tuesday + 24 * H)) == [
        (tuesday + 9 * H, tuesday + 12.5 * H),
        (tuesday + 13.5 * H, tuesday + 17.5 * H),
    ]
    assert hours.seconds_ts(tuesday, tuesday + 24 * H) == 7.5 * H
    assert not hours.is_open(tuesday + 13 * H)
    # clipped to the period
    assert list(hours.intervals(tuesday + 10 * H, tuesday + 14 * H)) == [
        (tuesday + 10 * H, tuesday + 12.5 * H),
        (tuesday + 13.5 * H, tuesday + 14 * H),
    ]


def test_an_overnight_range_runs_into_the_next_day() -> None:
    hours = BusinessHours.from_config({"week": {"fri": "22:00-02:00"}})
    friday = at(UTC, 2026, 3, 6).timestamp()
    assert list(hours.intervals(friday, friday + 3 * 24 * H)) == [(friday + 22 * H, friday + 26 * H)]
    assert hours.seconds_ts(friday + 24 * H, friday + 48 * H) == 2 * H  # Saturday's share
    assert hours.is_open(friday + 25 * H)


def test_an_overnight_range_crosses_the_week_boundary_and_belongs_to_its_start_day() -> None:
    week = {"sun": "22:00-06:00", "mon": "09:00-17:00"}
    monday = date(2026, 3, 9)
    assert day_seconds(BusinessHours.from_config({"week": week}), monday) == (6 + 8) * H
    # closing Sunday removes the whole night; closing Monday keeps the early hours that started on Sunday
    assert day_seconds(BusinessHours.from_config({"week": week, "closed": ["2026-03-08"]}), monday) == 8 * H
    assert day_seconds(BusinessHours.from_config({"week": week, "closed": ["2026-03-09"]}), monday) == 6 * H


def test_24_00_ends_the_day_and_adjacent_ranges_merge() -> None:
    hours = BusinessHours.from_config({"week": {"sat": "18:00-24:00", "sun": "00:00-24:00"}})
    saturday = at(UTC, 2026, 3, 7).timestamp()
    assert list(hours.intervals(saturday, saturday + 3 * 24 * H)) == [(saturday + 18 * H, saturday + 48 * H)]
    assert hours.is_open(saturday + 47.99 * H)
    assert not hours.is_open(saturday + 48 * H)
    # "22:00-00:00" is the same range as "22:00-24:00"
    assert BusinessHours.from_config({"week": {"mon": "22:00-00:00"}}) == BusinessHours.from_config(
        {"week": {"mon": "22:00-24:00"}}
    )


def test_gb_holidays_include_christmas_and_the_substitute_boxing_day() -> None:
    hours = BusinessHours.from_config({"timezone": "Europe/London", "holidays": "GB"})
    assert day_seconds(hours, date(2026, 12, 24)) == 8 * H
    assert day_seconds(hours, date(2026, 12, 25)) == 0.0  # Christmas Day, a Friday
    assert day_seconds(hours, date(2026, 12, 28)) == 0.0  # Boxing Day falls on Saturday; Monday is the substitute
    assert day_seconds(hours, date(2026, 12, 29)) == 8 * H
    assert hours.is_closed(date(2026, 12, 28))
    assert not hours.is_open(at(LONDON, 2026, 12, 25, 12).timestamp())


def test_us_ca_holidays_include_californian_state_holidays() -> None:
    california = BusinessHours.from_config({"timezone": "America/Los_Angeles", "holidays": "US-CA"})
    federal = BusinessHours.from_config({"timezone": "America/Los_Angeles", "holidays": "US"})
    assert day_seconds(california, date(2026, 3, 31)) == 0.0  # Cesar Chavez Day
    assert day_seconds(federal, date(2026, 3, 31)) == 8 * H
    assert day_seconds(california, date(2026, 7, 3)) == 0.0  # Independence Day (observed), a Friday


def test_de_by_holidays_include_bavarian_ones() -> None:
    bavaria = BusinessHours.from_config({"timezone": "Europe/Berlin", "holidays": "DE-BY"})
    germany = BusinessHours.from_config({"timezone": "Europe/Berlin", "holidays": "DE"})
    for bavarian in (date(2026, 1, 6), date(2026, 6, 4)):  # Epiphany, Corpus Christi
        assert day_seconds(bavaria, bavarian) == 0.0
        assert day_seconds(germany, bavarian) == 8 * H
    assert day_seconds(germany, date(2026, 10, 5)) == 8 * H  # a Monday
    assert day_seconds(germany, date(2026, 12, 25)) == 0.0


def test_closed_days_accept_strings_and_toml_dates() -> None:
    hours = BusinessHours.from_config({"closed": ["2026-03-03", date(2026, 3, 5)]})
    week = [day_seconds(hours, date(2026, 3, 2) + timedelta(days=i)) for i in range(7)]
    assert week == [8 * H, 0.0, 8 * H, 0.0, 8 * H, 0.0, 0.0]
    assert hours.closed == frozenset({date(2026, 3, 3), date(2026, 3, 5)})


@pytest.mark.parametrize(
    ("zone", "day", "hours", "expected"),
    [
        ("Europe/London", date(2026, 3, 29), "00:30-03:00", 1.5),  # spring forward: 01:00 GMT → 02:00 BST
        ("Europe/London", date(2026, 10, 25), "00:30-03:00", 3.5),  # fall back: 02:00 BST → 01:00 GMT
        ("Europe/London", date(2026, 3, 29), "09:00-17:00", 8.0),
        ("Europe/London", date(2026, 10, 25), "09:00-17:00", 8.0),
        ("Europe/London", date(2026, 3, 29), "01:30-05:00", 2.5),  # 01:30 does not exist: it maps to 02:30 BST
        ("Europe/London", date(2026, 3, 29), "01:10-01:50", 40 / 60),  # both ends in the gap, both mapped forward
        ("Europe/London", date(2026, 3, 29), "01:50-02:10", 0.0),  # 01:50 maps past 02:10 BST: nothing left
        ("Europe/London", date(2026, 10, 25), "00:00-01:30", 1.5),  # 01:30 twice: the first one (fold=0) ends it
        ("Europe/London", date(2026, 10, 24), "22:00-06:00", 9.0),  # overnight across the fall-back
        ("America/New_York", date(2026, 3, 8), "00:00-24:00", 23.0),
        ("America/New_York", date(2026, 11, 1), "00:00-24:00", 25.0),
        ("Australia/Lord_Howe", date(2026, 10, 4), "00:00-06:00", 5.5),  # 02:00 → 02:30
        ("Australia/Lord_Howe", date(2026, 4, 5), "00:00-06:00", 6.5),  # 02:00 → 01:30
        ("Asia/Kolkata", date(2026, 3, 29), "00:30-03:00", 2.5),
    ],
)
def test_dst_days_count_the_real_elapsed_time(zone: str, day: date, hours: str, expected: float) -> None:
    schedule = BusinessHours.from_config({"timezone": zone, "week": {DAYS[day.weekday()]: hours}})
    start = at(zone, day.year, day.month, day.day) - timedelta(days=1)
    assert schedule.seconds(start, start + timedelta(days=4)) == pytest.approx(expected * H, abs=1e-6)


def test_a_range_can_reach_two_local_dates_past_its_start_day() -> None:
    # Nuuk skips 2026-03-28 23:00-24:00; Friday's range ends at 23:30 on Saturday, which maps forward to 00:30 on
    # Sunday, so a period starting on Sunday must still look at Friday.
    hours = BusinessHours.from_config({"timezone": "America/Nuuk", "week": {"fri": "23:45-23:30"}})
    sunday = at("America/Nuuk", 2026, 3, 29)
    assert hours.seconds(sunday, sunday + timedelta(hours=6)) == 1800.0
    assert hours.is_open((sunday + timedelta(minutes=29)).timestamp())


def test_a_range_can_start_before_the_local_date_of_the_period_end() -> None:
    # St. John's fell back from 00:01 NDT to 23:01 NST on 2009-11-01: Saturday 23:30 NST came after Sunday began.
    hours = BusinessHours.from_config({"timezone": "America/St_Johns", "week": {"sun": "00:00-01:00"}})
    end = at(UTC, 2009, 11, 1, 3)
    assert end.astimezone(ZoneInfo("America/St_Johns")).date() == date(2009, 10, 31)
    assert hours.seconds(at(UTC, 2009, 11, 1), end) == 1800.0


def test_a_year_is_counted_fast() -> None:
    hours = BusinessHours.from_config({"timezone": "Europe/London", "holidays": "GB"})
    began = time.perf_counter()
    total = hours.seconds(at(LONDON, 2026, 1, 1), at(LONDON, 2027, 1, 1))
    decade = hours.seconds(at(LONDON, 2020, 1, 1), at(LONDON, 2030, 1, 1))
    assert time.perf_counter() - began < 1.0
    # 261 weekdays minus the six GB-wide holidays on weekdays (Boxing Day 2026 is a Saturday)
    assert total == (261 - 6) * 8 * H
    assert 2400 * 8 * H < decade < 2610 * 8 * H


def test_naive_datetimes_and_non_finite_seconds_are_rejected() -> None:
    hours = BusinessHours()
    with pytest.raises(ValueError, match=r"^start must be timezone-aware, got naive 2026-03-02T00:00:00$"):
        hours.seconds(datetime(2026, 3, 2), at(UTC, 2026, 3, 3))
    with pytest.raises(ValueError, match=r"^end must be timezone-aware"):
        hours.seconds(at(UTC, 2026, 3, 2), datetime(2026, 3, 3))
    with pytest.raises(ValueError, match="must be finite"):
        hours.seconds_ts(0.0, math.inf)
    assert hours.seconds(at(UTC, 2026, 3, 3), at(UTC, 2026, 3, 2)) == 0.0


# --- errors -------------------------------------------------------------------------------------------------

_DATE_FIX = 'write dates as "YYYY-MM-DD" strings or TOML dates, e.g. 2026-12-24'
_RANGE_FIX = 'write "HH:MM-HH:MM" ranges separated by commas, e.g. "09:00-12:30, 13:30-17:30", or "" for closed'


@pytest.mark.parametrize(
    ("table", "key", "message", "fix"),
    [
        (
            {"timezone": "Europe/Londn"},
            "business_hours.timezone",
            '"Europe/Londn" is not an IANA time zone',
            'use a name like "Europe/London"; did you mean "Europe/London"?',
        ),
        (
            {"timezone": "utc"},
            "business_hours.timezone",
            '"utc" is not an IANA time zone',
            'use a name like "Europe/London"; did you mean "UTC"?',
        ),
        (
            {"timezone": "localtime"},
            "business_hours.timezone",
            '"localtime" is not an IANA time zone',
            'use a name like "Europe/London"',
        ),
        (
            {"timezone": 1},
            "business_hours.timezone",
            "must be a string, not an integer (1)",
            'write e.g. "Europe/London"',
        ),
        ({"timzone": "UTC"}, "business_hours.timzone", "unknown key", 'did you mean "timezone"?'),
        ({"colour": "red"}, "business_hours.colour", "unknown key", "valid keys are: timezone, holidays, closed, week"),
        ({"mon": "09:00-17:00"}, "business_hours.mon", "unknown key", "move it into the [business_hours.week] table"),
        (
            {"holidays": "XX"},
            "business_hours.holidays",
            '"XX" is not a country with a public holiday calendar',
            'use an ISO 3166 country code like "GB", optionally with a subdivision like "US-CA"',
        ),
        (
            {"holidays": "us-ca"},
            "business_hours.holidays",
            '"us" is not a country with a public holiday calendar',
            'use an ISO 3166 country code like "GB", optionally with a subdivision like "US-CA"; did you mean "US-CA"?',
        ),
        (
            {"holidays": "DE-by"},
            "business_hours.holidays",
            '"by" is not a subdivision of DE',
            'did you mean "DE-BY"? (or "DE" for the nationwide holidays only)',
        ),
        (
            {"holidays": "GB-XX"},
            "business_hours.holidays",
            '"XX" is not a subdivision of GB',
            'use one of: ENG, NIR, SCT, WLS (or "GB" for the nationwide holidays only)',
        ),
        (
            {"closed": ["2026-12-24", "2026-02-30"]},
            "business_hours.closed[1]",
            '"2026-02-30" is not a date in the calendar',
            _DATE_FIX,
        ),
        (
            {"closed": ["24/12/2026"]},
            "business_hours.closed[0]",
            '"24/12/2026" is not a date in the form YYYY-MM-DD',
            _DATE_FIX,
        ),
        (
            {"closed": [datetime(2026, 12, 24, 9)]},
            "business_hours.closed[0]",
            "must be a date, not a date-time (2026-12-24T09:00:00)",
            _DATE_FIX,
        ),
        (
            {"closed": "2026-12-24"},
            "business_hours.closed",
            "must be a list of dates, not a string ('2026-12-24')",
            'write e.g. ["2026-12-24"]',
        ),
        (
            {"week": "09:00-17:00"},
            "business_hours.week",
            "must be a table, not a string ('09:00-17:00')",
            'write it as a [business_hours.week] table of days mon to sun, e.g. mon = "09:00-17:00"',
        ),
        ({"week": {"tues": "09:00-17:00"}}, "business_hours.week.tues", "unknown key", 'did you mean "tue"?'),
        ({"week": {"monday": "09:00-17:00"}}, "business_hours.week.monday", "unknown key", 'did you mean "mon"?'),
        ({"week": {"tue": "9-17"}}, "business_hours.week.tue", '"9-17" is not a time range', _RANGE_FIX),
        ({"week": {"tue": "09:00-12:00,"}}, "business_hours.week.tue", "has an empty range between commas", _RANGE_FIX),
        (
            {"week": {"tue": "09:00-24:30"}},
            "business_hours.week.tue",
            '"24:30" is not a time of day',
            "use 00:00 to 23:59, or 24:00 as an end",
        ),
        (
            {"week": {"tue": "09:60-12:00"}},
            "business_hours.week.tue",
            '"09:60" is not a time of day',
            "use 00:00 to 23:59, or 24:00 as an end",
        ),
        (
            {"week": {"tue": "09:00-09:00"}},
            "business_hours.week.tue",
            '"09:00-09:00" is empty: it starts and ends at 09:00',
            'for a whole day write "00:00-24:00"; otherwise remove the range',
        ),
        (
            {"week": {"tue": "24:00-02:00"}},
            "business_hours.week.tue",
            '"24:00-02:00" starts at 24:00, the end of the day',
            'start the range at "00:00" on the next day instead',
        ),
        (
            {"week": {"tue": "13:00-17:00, 09:00-13:30"}},
            "business_hours.week.tue",
            '"09:00-13:30" overlaps "13:00-17:00"',
            "merge them into one range, or make one end before the other starts",
        ),
        (
            {"week": {"tue": "22:00-02:00, 00:00-23:00"}},
            "business_hours.week.tue",
            '"00:00-23:00" overlaps "22:00-02:00"',
            "merge them into one range, or make one end before the other starts",
        ),
        (
            {"week": {"tue": 9}},
            "business_hours.week.tue",
            "must be a string, not an integer (9)",
            'write ranges in quotes, e.g. "09:00-17:00", or "" for a closed day',
        ),
    ],
)
def test_error_messages(table: dict[str, Any], key: str, message: str, fix: str) -> None:
    assert problems_of(table) == [Problem(key, message, fix)]


def test_every_problem_is_reported_at_once() -> None:
    table = {
        "timezone": "Mars/Olympus",
        "holidays": "ZZ",
        "closed": ["2026-12-24", "someday", 3],
        "week": {"mon": "09:00-17:00, 16:00-18:00", "tue": "9-5", "fri": "00:00-00:00", "caturday": "all"},
        "vacation": True,
    }
    problems = problems_of(table)
    assert [problem.key for problem in problems] == [
        "business_hours.vacation",
        "business_hours.timezone",
        "business_hours.holidays",
        "business_hours.closed[1]",
        "business_hours.closed[2]",
        "business_hours.week.caturday",
        "business_hours.week.mon",
        "business_hours.week.tue",
        "business_hours.week.fri",
    ]
    with pytest.raises(ConfigError, match=r"^9 configuration problems:\n  business_hours.vacation: unknown key; "):
        BusinessHours.from_config(table)


def test_config_parse_reports_business_hours_problems_with_the_others() -> None:
    text = '[probe]\ninterval = -1\n[business_hours]\ntimezone = "Europe/Londn"\n'
    with pytest.raises(ConfigError) as caught:
        parse(text, source="test.toml", env={"HOME": "/nonexistent"})
    assert [problem.key for problem in caught.value.problems] == ["probe.interval", "business_hours.timezone"]


# --- to_table -----------------------------------------------------------------------------------------------


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    return isinstance(value, str)


def test_to_table_of_the_example_file_round_trips_through_toml() -> None:
    table = tomllib.loads(EXAMPLE.read_text())["business_hours"]
    hours = BusinessHours.from_config(table)
    assert hours.holidays == "GB-ENG"
    assert hours.week[1] == ((540, 750), (810, 1050))
    printed = hours.to_table()
    assert _plain(printed)
    assert printed == {
        "timezone": "Europe/London",
        "holidays": "GB-ENG",
        "closed": ["2026-12-24", "2026-12-29", "2026-12-30", "2026-12-31"],
        "week": {
            "mon": "09:00-17:30",
            "tue": "09:00-12:30, 13:30-17:30",
            "wed": "09:00-17:30",
            "thu": "09:00-17:30",
            "fri": "09:00-17:30",
            "sat": "",
            "sun": "",
        },
    }
    assert (
        BusinessHours.from_config(tomllib.loads(tomlout.dumps({"business_hours": printed}))["business_hours"]) == hours
    )


def test_to_table_keeps_overnight_and_24_00_ranges() -> None:
    hours = BusinessHours.from_config(
        {"holidays": "", "week": {"fri": "22:00-00:00, 09:00-17:00", "sat": "22:00-06:00"}}
    )
    assert hours.to_table()["week"]["fri"] == "09:00-17:00, 22:00-24:00"
    assert hours.to_table()["week"]["sat"] == "22:00-06:00"
    assert BusinessHours.from_config(hours.to_table()) == hours
    assert BusinessHours.from_config(BusinessHours().to_table()) == BusinessHours()


# --- properties ---------------------------------------------------------------------------------------------

ZONES = {  # zone → holiday calendars to draw from
    "Europe/London": ("", "GB"),
    "America/New_York": ("", "US-NY"),
    "Australia/Lord_Howe": ("", "AU-NSW"),
    "Asia/Kolkata": ("", "IN"),
    "America/Havana": ("",),
    "America/Nuuk": ("",),  # skips 23:00-24:00  # DST changes at midnight: 00:00 → 01:00 and 01:00 → 00:00
    "UTC": ("",),
}
YEAR_2025 = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()) // 60
YEAR_2028 = int(datetime(2028, 1, 1, tzinfo=UTC).timestamp()) // 60


@functools.cache
def transitions(zone: str) -> tuple[int, ...]:
    """UTC minutes (to within half an hour) at which ``zone``'s offset changes in 2025-2027."""
    tz = ZoneInfo(zone)
    found: list[int] = []
    previous = datetime.fromtimestamp(YEAR_2025 * 60, tz).utcoffset()
    for minute in range(YEAR_2025, YEAR_2028, 30):
        offset = datetime.fromtimestamp(minute * 60, tz).utcoffset()
        if offset != previous:
            found.append(minute)
        previous = offset
    return tuple(found)


@dataclass(frozen=True)
class Spec:
    """A schedule as the test itself understands it: ranges in minutes, the end past 1440 when overnight."""

    zone: str
    country: str
    closed: frozenset[date]
    week: tuple[tuple[tuple[int, int], ...], ...]

    def table(self) -> dict[str, Any]:
        def clock(minutes: int) -> str:
            return f"{minutes // 60:02d}:{minutes % 60:02d}"

        days = {
            name: ", ".join(f"{clock(s)}-{clock(e if e <= 1440 else e - 1440)}" for s, e in ranges)
            for name, ranges in zip(DAYS, self.week, strict=True)
            if ranges or name == "sun"
        }
        return {"timezone": self.zone, "holidays": self.country, "closed": sorted(self.closed), "week": days}


MINUTE = st.one_of(st.integers(0, 48).map(lambda half_hours: half_hours * 30), st.integers(0, 1440))


@st.composite
def day_ranges(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    cuts = sorted(draw(st.sets(MINUTE, max_size=4)))
    ranges = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    last_end = ranges[-1][1] if ranges else 0
    if last_end < 1439 and draw(st.booleans()):  # an overnight range after the others
        start = draw(st.integers(max(last_end, 1), 1439))
        ranges.append((start, 1440 + draw(st.integers(0, start - 1))))
    return tuple(ranges)


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    zone = draw(st.sampled_from(sorted(ZONES)))
    country = draw(st.sampled_from(ZONES[zone]))
    closed = draw(st.frozensets(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=3))
    week = tuple(draw(day_ranges()) for _ in DAYS)
    return Spec(zone, country, closed, week)


@st.composite
def periods(draw: st.DrawFn, zone: str, max_days: int = 4) -> tuple[int, int]:
    """(start, end) in UTC minutes, often around one of the zone's DST changes."""
    anchors = transitions(zone)
    if len(anchors) > 0 and draw(st.booleans()):
        anchor = draw(st.sampled_from(anchors)) + draw(st.integers(-3 * 1440, 1440))
    else:
        anchor = draw(st.integers(YEAR_2025 + 4 * 1440, YEAR_2028 - 8 * 1440))
    return anchor, anchor + draw(st.integers(0, max_days * 1440))


def oracle_spans(spec: Spec, start: int, end: int) -> list[tuple[int, int]]:
    """Every range reaching into [start, end) as UTC minutes, converted on its own, fold=0, unmerged."""
    zone = ZoneInfo(spec.zone)
    country, _, subdiv = spec.country.partition("-")
    calendar = pyholidays.country_holidays(country, subdiv=subdiv or None) if country else {}
    spans = []
    day = datetime.fromtimestamp(start * 60, zone).date() - timedelta(days=3)
    while day <= datetime.fromtimestamp(end * 60, zone).date() + timedelta(days=1):
        if day not in spec.closed and day not in calendar:
            for first, last in spec.week[day.weekday()]:
                ends = []
                for minutes in (first, last):
                    local = day + timedelta(days=minutes // 1440)
                    wall = datetime(local.year, local.month, local.day, minutes % 1440 // 60, minutes % 60, tzinfo=zone)
                    ends.append(int(wall.astimezone(UTC).timestamp()) // 60)
                spans.append((ends[0], ends[1]))
        day += timedelta(days=1)
    return spans


def oracle_seconds(spec: Spec, start: int, end: int) -> float:
    spans = oracle_spans(spec, start, end)
    return 60.0 * sum(1 for minute in range(start, end) if any(a <= minute < b for a, b in spans))


FAST = settings(deadline=None, max_examples=120, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.data())
def test_seconds_match_a_minute_by_minute_oracle(data: st.DataObject) -> None:
    spec = data.draw(specs())
    start, end = data.draw(periods(spec.zone))
    hours = BusinessHours.from_config(spec.table())
    assert hours.seconds_ts(start * 60.0, end * 60.0) == oracle_seconds(spec, start, end)


@FAST
@given(st.data())
def test_intervals_are_sorted_merged_clipped_and_agree_with_is_open(data: st.DataObject) -> None:
    spec = data.draw(specs())
    start, end = data.draw(periods(spec.zone, max_days=3))
    hours = BusinessHours.from_config(spec.table())
    found = list(hours.intervals(start * 60.0, end * 60.0))
    assert all(start * 60 <= a < b <= end * 60 for a, b in found)
    assert all(b < c for (_, b), (c, _) in itertools.pairwise(found))  # sorted, apart, never touching
    assert math.fsum(b - a for a, b in found) == hours.seconds_ts(start * 60.0, end * 60.0)
    spans = oracle_spans(spec, start, end)
    for minute in data.draw(st.lists(st.integers(start, max(start, end - 1)), max_size=10)):
        instant = minute * 60.0 + data.draw(st.sampled_from([0.0, 30.0, 59.5]))
        expected = any(a <= minute < b for a, b in spans)
        assert hours.is_open(instant) == expected
        assert any(a <= instant < b for a, b in found) == (expected and minute < end)


@settings(deadline=None, max_examples=150)
@given(st.data())
def test_seconds_are_additive(data: st.DataObject) -> None:
    spec = data.draw(specs())
    a, c = data.draw(periods(spec.zone, max_days=20))
    b = data.draw(st.integers(a, c))
    hours = BusinessHours.from_config(spec.table())
    assert hours.seconds_ts(a * 60.0, c * 60.0) == hours.seconds_ts(a * 60.0, b * 60.0) + hours.seconds_ts(
        b * 60.0, c * 60.0
    )
    # at any instant, not just whole minutes, up to float rounding
    x, z = a * 60.0 + data.draw(st.floats(0, 59.999)), c * 60.0 + data.draw(st.floats(0, 59.999))
    y = data.draw(st.floats(x, max(x, z)))
    assert hours.seconds_ts(x, z) == pytest.approx(hours.seconds_ts(x, y) + hours.seconds_ts(y, z), abs=1e-5)


@settings(deadline=None, max_examples=150)
@given(specs(), st.floats(1.6e9, 1.9e9), st.floats(-1e7, 1e8))
def test_seconds_are_between_zero_and_the_elapsed_time(spec: Spec, start: float, length: float) -> None:
    hours = BusinessHours.from_config(spec.table())
    counted = hours.seconds_ts(start, start + length)
    assert 0.0 <= counted <= max(0.0, length) + 1e-6
    aware = datetime.fromtimestamp(start, ZoneInfo("Asia/Tokyo")), datetime.fromtimestamp(start + length, UTC)
    assert hours.seconds(*aware) == pytest.approx(counted, abs=1e-5)


@settings(deadline=None, max_examples=60)
@given(specs())
def test_to_table_round_trips(spec: Spec) -> None:
    hours = BusinessHours.from_config(spec.table())
    assert _plain(hours.to_table())
    assert BusinessHours.from_config(hours.to_table()) == hours
    text = tomlout.dumps({"business_hours": hours.to_table()})
    assert BusinessHours.from_config(tomllib.loads(text)["business_hours"]) == hours
