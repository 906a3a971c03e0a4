"""Report periods: turning the user's ``--since`` / ``--until`` words into UTC instants.

Owns the named periods (today, last-month, ...), the defaults of a period and the names of report files; WHEN itself
is read by ``netwatch.core.when``. Must not read the clock or the store: the caller passes "now" and the start of
the recorded history.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from netwatch.core.calendar import day_start, local_date
from netwatch.core.model import Period
from netwatch.core.text import iso_month, local
from netwatch.core.when import bound
from netwatch.errors import InputError, PeriodEmpty, ReportError

PERIODS = ("today", "yesterday", "this-week", "last-week", "this-month", "last-month")


def named(word: str, tz: ZoneInfo, *, now: float) -> Period:
    """A calendar period in ``tz`` by name (PERIODS); the current ones end now. Weeks start on Monday."""
    today = local_date(now, tz)
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    previous_first = (first - timedelta(days=1)).replace(day=1)
    bounds = {
        "today": (today, None),
        "yesterday": (today - timedelta(days=1), today),
        "this-week": (monday, None),
        "last-week": (monday - timedelta(days=7), monday),
        "this-month": (first, None),
        "last-month": (previous_first, first),
    }
    if word not in bounds:
        raise InputError(f'"{word}" is not a period; use one of {", ".join(PERIODS)}', "period")
    start, end = bounds[word]
    return Period(day_start(start, tz), now if end is None else day_start(end, tz))


def resolve(since: str | None, until: str | None, tz: ZoneInfo, *, now: float, history_start: float | None) -> Period:
    """The period to report on: ``since`` defaults to the start of the recorded history, ``until`` to now, and
    the end is clipped to now (nothing is known about the future). Raises InputError for words that are not an
    instant, PeriodEmpty for an empty period, ReportError when there is no start."""
    start = bound("since", since, tz, end_of_day=False) if since else history_start
    end = bound("until", until, tz, end_of_day=True) if until else now
    if start is None:
        raise ReportError("the store holds no monitoring session yet: run `netwatch run` first, or pass --since")
    if min(end, now) <= start:
        said = since.strip() if since else local(start, tz)
        if start >= now:
            raise PeriodEmpty(said, None, given=bool(since))
        assert until is not None  # else the end is now, after the start
        day = len(until.strip()) == 10
        raise PeriodEmpty(said, until.strip(), given=bool(since), whole_day=day, before=end < start)
    return Period(start, min(end, now))


def file_stem(word: str | None, period: Period, tz: ZoneInfo) -> str:
    """The name (without extension) of a report file for ``period`` in ``tz``, for ``--output-dir``:
    "netwatch-2026-11" for a month (``word`` this-month or last-month), "netwatch-2026-W45" for an ISO week,
    "netwatch-2026-11-03" for a day, else "netwatch-FIRST_LAST" from the local dates of the first and the last
    instant of the period ("netwatch-2026-11-03" when both fall on one day)."""
    first = local_date(period.since, tz)
    if word in ("this-month", "last-month"):
        return f"netwatch-{iso_month(first)}"
    if word in ("this-week", "last-week"):
        year, week, _ = first.isocalendar()
        return f"netwatch-{year}-W{week:02d}"
    last = local_date(max(period.since, period.until - 1e-3), tz)
    if word in ("today", "yesterday") or last == first:
        return f"netwatch-{first.isoformat()}"
    return f"netwatch-{first.isoformat()}_{last.isoformat()}"
