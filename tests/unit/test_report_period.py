"""Named report periods in the configured timezone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from netwatch.errors import ReportError
from netwatch.report.compute import Period
from netwatch.report.period import PERIODS, named

LONDON = ZoneInfo("Europe/London")


def local(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).timestamp()


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
    with pytest.raises(ReportError) as err:
        named("lastweek", LONDON, now=NOW)
    assert str(err.value) == (
        '--period: "lastweek" is not a period; use one of today, yesterday, this-week, last-week, this-month, '
        "last-month"
    )
    assert PERIODS[0] == "today"
