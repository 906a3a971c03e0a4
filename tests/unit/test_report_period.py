"""Named report periods in the configured timezone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from netwatch.cli.inputs import said
from netwatch.core.model import Period
from netwatch.errors import InputError
from netwatch.report.period import PERIODS, file_stem, named
from tests.support.instants import LONDON, local

# Tuesday 2026-11-03 10:00 local; the clocks went back on Sunday 2026-10-25.
NOW = local("2026-11-03T10:00:00")


@pytest.mark.parametrize(
    ("word", "since", "until"),
    [
        ("today", "2026-11-03T00:00:00", None),
        ("yesterday", "2026-11-02T00:00:00", "2026-11-03T00:00:00"),
        ("this-week", "2026-11-02T00:00:00", None),
        ("last-week", "2026-10-26T00:00:00", "2026-11-02T00:00:00"),
        ("this-month", "2026-11-01T00:00:00", None),
        ("last-month", "2026-10-01T00:00:00", "2026-11-01T00:00:00"),
    ],
)
def test_named_periods(word: str, since: str, until: str | None) -> None:
    assert named(word, LONDON, now=NOW) == Period(local(since), NOW if until is None else local(until))


def test_last_month_across_the_dst_change_is_its_real_length() -> None:
    period = named("last-month", LONDON, now=NOW)
    assert period.seconds == 31 * 86400 + 3600  # October 2026 has the extra hour of the fall-back


def test_january_last_month_is_december() -> None:
    now = local("2027-01-15T12:00:00")
    assert named("last-month", LONDON, now=now) == Period(local("2026-12-01T00:00:00"), local("2027-01-01T00:00:00"))


def test_unknown_period_is_an_exact_error() -> None:
    with pytest.raises(InputError) as err:
        named("lastweek", LONDON, now=NOW)
    assert (err.value.field, said(err.value)) == (
        "period",
        '--period: "lastweek" is not a period; use one of today, yesterday, this-week, last-week, this-month, '
        "last-month",
    )
    assert PERIODS[0] == "today"


@pytest.mark.parametrize(
    ("word", "now", "stem"),
    [
        ("last-month", NOW, "netwatch-2026-10"),
        ("this-month", NOW, "netwatch-2026-11"),
        ("last-month", local("2027-01-01T00:30:00"), "netwatch-2026-12"),
        ("last-week", NOW, "netwatch-2026-W44"),
        ("this-week", NOW, "netwatch-2026-W45"),
        ("this-week", local("2027-01-01T12:00:00"), "netwatch-2026-W53"),  # ISO week of the Monday, 2026-12-28
        ("yesterday", NOW, "netwatch-2026-11-02"),
        ("today", NOW, "netwatch-2026-11-03"),
    ],
)
def test_report_files_are_named_after_their_period(word: str, now: float, stem: str) -> None:
    assert file_stem(word, named(word, LONDON, now=now), LONDON) == stem


def test_report_files_of_explicit_periods_are_named_after_their_first_and_last_day() -> None:
    # --until 2026-11-30 ends at the next midnight, which belongs to no day of the report.
    november = Period(local("2026-11-01T00:00:00"), local("2026-12-01T00:00:00"))
    assert file_stem(None, november, LONDON) == "netwatch-2026-11-01_2026-11-30"
    morning = Period(local("2026-11-03T09:00:00"), local("2026-11-03T12:30:00"))
    assert file_stem(None, morning, LONDON) == "netwatch-2026-11-03"
    # Local dates: 23:30 UTC on 31 October is already 1 November in Berlin.
    berlin = ZoneInfo("Europe/Berlin")
    utc_month = Period(datetime.fromisoformat("2026-10-31T23:30:00+00:00").timestamp(), local("2026-11-05T00:00:00"))
    assert file_stem(None, utc_month, berlin) == "netwatch-2026-11-01_2026-11-05"
