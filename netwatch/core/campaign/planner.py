"""Planning a speed campaign, and checking any set of measurement times against the regulator's procedure.

Owns the procedure's rules (30 measurements on 3 local calendar days, 10 a day, at least 5 minutes apart, at least 3
hours between the 5th and the 6th of a day, a free calendar day between measurement days, all within 14 calendar
days), ``plan`` (a random schedule that keeps them, from a seeded ``random.Random``) and ``check`` (every broken
rule, in words, for planned or actual instants). Must not read a clock (the caller says what "now" is) or files.
DST: spacing is real elapsed time between UTC instants; days are calendar days in the zone; a window's local bounds
become instants as ``schedule.py`` does (``fold=0``: an ambiguous time is its first occurrence, a time in a
spring-forward gap maps forward), so a window crossing a transition is an hour longer or shorter.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from netwatch.core.calendar import local_date
from netwatch.core.model import Schedule, Slot, Window
from netwatch.core.text import clock_time, span
from netwatch.errors import CampaignError

MEASUREMENTS = 30
DAYS = 3
PER_DAY = 10
MIN_GAP_S = 5 * 60
MIDDAY_GAP_S = 3 * 3600  # between the 5th and the 6th measurement of a day
SPAN_DAYS = 14  # the first and the last measurement day lie within this many calendar days
DAY_NEEDS_S = (PER_DAY - 2) * MIN_GAP_S + MIDDAY_GAP_S  # the shortest day that fits 10 measurements: 3 h 40 min
SEARCH_DAYS = 31  # how far after the start date the first measurement day is looked for

_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


DEFAULT_WINDOW = Window(time(8, 0), time(22, 0))


def parse_window(text: str) -> Window:
    """``HH:MM-HH:MM``; raises CampaignError saying what is wrong and the fix."""
    match = _WINDOW.fullmatch(text)
    hint = "give it as HH:MM-HH:MM in local time, e.g. 08:00-22:00"
    if match is None:
        raise CampaignError(f"--window {text!r} is not a time range: {hint}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise CampaignError(f"--window {text!r} has a time that does not exist (24:00 and later): {hint}")
    window = Window(time(h1, m1), time(h2, m2))
    length = (h2 * 60 + m2 - h1 * 60 - m1) * 60
    if length < DAY_NEEDS_S:
        raise CampaignError(
            f"--window {window} is {span(max(0, length))} long; 10 measurements a day need at least "
            f"{span(DAY_NEEDS_S)} (5 minutes apart, 3 hours between the 5th and the 6th): widen --window"
        )
    return window


def _bounds(day: date, window: Window, zone: ZoneInfo, not_before: float | None) -> tuple[int, int]:
    """The day's window as whole UTC minutes (inclusive), starting no earlier than ``not_before``."""
    first = datetime.combine(day, window.start, tzinfo=zone).timestamp()
    last = datetime.combine(day, window.end, tzinfo=zone).timestamp()
    if not_before is not None:
        first = max(first, not_before)
    if local_date(first, zone) != day or local_date(last, zone) != day:
        return 0, -1  # the zone skipped the day (Pacific/Apia, 2011-12-30): no window at all
    return math.ceil(first / 60), math.floor(last / 60)


def _fits(bounds: tuple[int, int]) -> bool:
    return (bounds[1] - bounds[0]) * 60 >= DAY_NEEDS_S


def plan(start: date, zone_name: str, window: Window, rng: random.Random, not_before: float | None = None) -> Schedule:
    """A schedule keeping every rule: the earliest three days from ``start`` whose window fits 10 measurements
    (after ``not_before``, when given: "now"), each day's 10 starts at random whole minutes within its window.

    Raises CampaignError when no three such days lie within 14 calendar days (only a window barely long enough,
    shortened by DST changes on several days, can do that)."""
    zone = ZoneInfo(zone_name)
    chosen: list[tuple[date, tuple[int, int]]] = []
    day = start
    while len(chosen) < DAYS:
        limit = start + timedelta(days=SEARCH_DAYS) if not chosen else chosen[0][0] + timedelta(days=SPAN_DAYS - 1)
        if day > limit:
            raise CampaignError(
                f"no 3 days from {start} within {SPAN_DAYS} calendar days have a window {window} long enough for "
                f"10 measurements ({span(DAY_NEEDS_S)} of real time): widen --window or choose another --start"
            )
        bounds = _bounds(day, window, zone, not_before)
        if _fits(bounds):
            chosen.append((day, bounds))
            day += timedelta(days=2)  # the free calendar day
        else:
            day += timedelta(days=1)
    slots: list[Slot] = []
    for day, (first, last) in chosen:
        # Minimum offsets (minutes) of the 10 starts, then the day's slack spread as 10 sorted random draws.
        offsets = [i * MIN_GAP_S // 60 for i in range(PER_DAY)]
        offsets[PER_DAY // 2 :] = [o + (MIDDAY_GAP_S - MIN_GAP_S) // 60 for o in offsets[PER_DAY // 2 :]]
        slack = last - first - DAY_NEEDS_S // 60
        draws = sorted(rng.randint(0, slack) for _ in range(PER_DAY))
        for offset, draw in zip(offsets, draws, strict=True):
            slots.append(Slot(len(slots), day, float((first + offset + draw) * 60)))
    return Schedule(zone_name, window, tuple(slots))


def violations(schedule: Schedule) -> list[str]:
    """Every rule the schedule breaks, in words (empty: it follows the procedure)."""
    return check([s.at for s in schedule.slots], schedule.timezone)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def check(instants: Sequence[float], zone_name: str) -> list[str]:
    """Every rule of the procedure that measurements starting at ``instants`` (UTC Unix seconds, any order)
    break, one sentence each, in the order of the rules; empty when they follow it."""
    zone = ZoneInfo(zone_name)
    times = sorted(instants)
    problems: list[str] = []
    if len(times) != MEASUREMENTS:
        problems.append(f"{len(times)} measurements; the procedure needs {MEASUREMENTS} (10 on each of 3 days)")
    by_day: dict[date, list[float]] = {}
    for at in times:
        by_day.setdefault(local_date(at, zone), []).append(at)
    days = sorted(by_day)
    if len(days) != DAYS:
        problems.append(f"the measurements fall on {len(days)} calendar days; the procedure needs {DAYS}")
    for day in days:
        starts = by_day[day]
        if len(starts) != PER_DAY:
            problems.append(f"{day}: {len(starts)} measurements; a measurement day needs {PER_DAY}")
        for i in range(1, len(starts)):
            gap = starts[i] - starts[i - 1]
            # Which ones are "the 5th and the 6th" is only meaningful on a day with its 10: another count is
            # already a broken rule, and shifted positions would add a second, misleading one.
            midday = i == PER_DAY // 2 and len(starts) == PER_DAY
            need = MIDDAY_GAP_S if midday else MIN_GAP_S
            if gap < need:
                problems.append(
                    f"{day}: the {_ordinal(i)} ({clock_time(starts[i - 1], zone)}) and the {_ordinal(i + 1)} "
                    f"({clock_time(starts[i], zone)}) measurement are {span(gap)} apart; at least {span(need)} "
                    "are needed"
                )
    for before, after in itertools.pairwise(days):
        if (after - before).days < 2:
            problems.append(
                f"{before} and {after} are consecutive measurement days; a free calendar day must separate them"
            )
    if days and (days[-1] - days[0]).days + 1 > SPAN_DAYS:
        problems.append(
            f"the measurement days span {(days[-1] - days[0]).days + 1} calendar days ({days[0]} to {days[-1]}); "
            f"all must lie within {SPAN_DAYS}"
        )
    return problems
