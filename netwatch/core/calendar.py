"""Local calendar days: which day an instant falls on in a zone, and when a local day begins.

Owns the one definition of a local day (from its first existing instant to the next day's, so a DST change makes
it 23 or 25 hours long). Must not format anything (``netwatch.core.text``) or read a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_date(at: float, zone: ZoneInfo) -> date:
    """The local calendar date of the instant ``at`` in ``zone``."""
    return datetime.fromtimestamp(at, zone).date()


def day_start(day: date, zone: ZoneInfo) -> float:
    """The Unix instant local ``day`` begins (its first existing instant when midnight is in a DST gap)."""
    return datetime.combine(day, time(), tzinfo=zone).timestamp()


def local_days(since: float, until: float, zone: ZoneInfo) -> list[tuple[date, float, float]]:
    """(local date, its start, the next day's start) of every local day that [since, until) touches."""
    days: list[tuple[date, float, float]] = []
    day = local_date(since, zone)
    while (start := day_start(day, zone)) < until:
        days.append((day, start, day_start(day + timedelta(days=1), zone)))
        day += timedelta(days=1)
    return days


def months_touched(spans: Iterable[tuple[float, float]], zone: ZoneInfo) -> list[date]:
    """The first day of every local month that one of the [start, end] spans touches, newest first."""
    months: set[date] = set()
    for start, end in spans:
        month = local_date(start, zone).replace(day=1)
        last = local_date(max(start, end), zone).replace(day=1)
        while month <= last:
            months.add(month)
            month = (month + timedelta(days=31)).replace(day=1)
    return sorted(months, reverse=True)
