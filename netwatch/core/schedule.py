"""Business hours: when the line matters, as a pure calendar.

Owns the ``[business_hours]`` table (weekly opening ranges in a named IANA time zone, a country's public holidays
and extra closed days), its validation with key paths and fixes, and counting the business seconds of a UTC
period exactly across daylight-saving changes. Must not read the clock, files or the environment: every instant
comes from the caller, in UTC (Unix seconds or aware datetimes). Holiday calendars are computed lazily, per year.

DST rule: a range's local wall times are converted to UTC with ``fold=0`` (an ambiguous time means its first
occurrence, a time in a spring-forward gap maps forward as zoneinfo does), and the real elapsed time between the
two instants is counted; so "00:30-03:00" is 1.5 h on Europe/London's spring-forward day and 3.5 h on its
fall-back day.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from netwatch.core import zones
from netwatch.errors import ConfigError, Problem

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KEYS = ("timezone", "holidays", "closed", "week")
DAY_MINUTES = 24 * 60

# Minutes after the local midnight of the day the range starts on: 0 <= start < 1440, start < end <= start + 1440.
Range = tuple[int, int]
Week = tuple[tuple[Range, ...], ...]  # seven days, Monday first; each day's ranges sorted and disjoint
DEFAULT_WEEK: Week = (((9 * 60, 17 * 60),),) * 5 + ((), ())

_TABLE = "business_hours"
_RANGE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})\s*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Loadable by zoneinfo but not a fixed IANA zone: the machine's own setting, or clocks counting leap seconds.
_NOT_ZONES = re.compile(r"localtime|posixrules|right/.*")
_RANGE_FIX = 'write "HH:MM-HH:MM" ranges separated by commas, e.g. "09:00-12:30, 13:30-17:30", or "" for closed'
_COUNTRY_FIX = 'use an ISO 3166 country code like "GB", optionally with a subdivision like "US-CA"'
_DATE_FIX = 'write dates as "YYYY-MM-DD" strings or TOML dates, e.g. 2026-12-24'


@dataclass(frozen=True)
class BusinessHours:
    """A weekly schedule in a time zone, minus public holidays and closed days.

    Build it with :meth:`from_config`, which validates; the constructor trusts its arguments. A day that is
    closed (a holiday or listed in ``closed``) has no ranges *starting* on it: an overnight range belongs to the
    day it starts on. Ranges of consecutive days may overlap; their union counts once.
    """

    timezone_name: str = "UTC"
    holidays: str = ""  # "GB", "US-CA", ...; "" for none
    closed: frozenset[date] = frozenset()
    week: Week = DEFAULT_WEEK
    _years: dict[int, frozenset[date]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_config(cls, table: Mapping[str, Any], *, calendars: bool = True) -> BusinessHours:
        """The schedule of a ``[business_hours]`` table (a dict as tomllib parses it; empty means defaults).

        Without ``week``, Monday to Friday are open 09:00-17:00; with it, the days it leaves out are closed.
        ``calendars`` False checks ``holidays`` for its form only (a country code, a subdivision after a dash),
        without the holiday library: for the daemon, which never reads a calendar, and to which that library,
        which loads every country's to check one, would add more memory than monitoring takes.
        Raises ConfigError carrying every problem found.
        """
        problems: list[Problem] = []
        for name in table:
            if name in DAYS:
                problems.append(Problem(_key(name), "unknown key", f"move it into the [{_TABLE}.week] table"))
            elif name not in KEYS:
                problems.append(_unknown(_key(name), name, KEYS))
        zone = _timezone(table.get("timezone", "UTC"), problems)
        country = _holidays(table.get("holidays", ""), problems, calendars)
        closed = _closed(table.get("closed", []), problems)
        week = _week(table["week"], problems) if "week" in table else DEFAULT_WEEK
        if problems:
            raise ConfigError(problems)
        return cls(timezone_name=zone, holidays=country, closed=closed, week=week)

    def to_table(self) -> dict[str, Any]:
        """The table ``from_config`` turns back into an equal schedule; only str, list and dict values."""
        return {
            "timezone": self.timezone_name,
            "holidays": self.holidays,
            "closed": [day.isoformat() for day in sorted(self.closed)],
            "week": {name: ", ".join(map(_format, ranges)) for name, ranges in zip(DAYS, self.week, strict=True)},
        }

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    def is_closed(self, day: date) -> bool:
        """Whether ``day`` (a local date) is a public holiday or an extra closed day."""
        return day in self.closed or day in self._holidays_of(day.year)

    def seconds(self, start: datetime, end: datetime) -> float:
        """Business seconds in [start, end); 0.0 when end <= start. Raises ValueError for naive datetimes."""
        for name, moment in (("start", start), ("end", end)):
            if moment.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
        return self.seconds_ts(start.timestamp(), end.timestamp())

    def seconds_ts(self, start: float, end: float) -> float:
        """Business seconds in [start, end) of Unix seconds; 0.0 when end <= start."""
        return math.fsum(stop - begin for begin, stop in self.intervals(start, end))

    def intervals(self, start: float, end: float) -> Iterator[tuple[float, float]]:
        """Business intervals [begin, stop) in Unix seconds, clipped to [start, end), sorted, and merged so that
        no two touch. Work grows with the number of days in the period, not its length in seconds."""
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ValueError(f"start and end must be finite, got {start!r} and {end!r}")
        if end <= start:
            return
        zone = self.timezone
        # A range ends before the second local midnight after its day, but a gap just before midnight maps that
        # end past it (America/Nuuk skips 23:00-24:00): look two days back. A fall-back across midnight repeats
        # the previous day's last hour after the next day began (St. John's until 2010): look one day ahead.
        day = datetime.fromtimestamp(start, zone).date() - timedelta(days=2)
        last = datetime.fromtimestamp(end, zone).date() + timedelta(days=1)
        pieces: list[tuple[float, float]] = []
        while day <= last:
            pieces.extend(self._day(day, zone))
            day += timedelta(days=1)
        current: list[float] = []  # [begin, stop] of the interval being merged, if any
        for begin, stop in sorted(pieces):
            begin, stop = max(begin, start), min(stop, end)
            if stop <= begin:
                continue
            if current and begin <= current[1]:
                current[1] = max(current[1], stop)
                continue
            if current:
                yield current[0], current[1]
            current = [begin, stop]
        if current:
            yield current[0], current[1]

    def is_open(self, at: float) -> bool:
        """Whether the instant ``at`` (Unix seconds) is inside business hours."""
        return next(self.intervals(at, math.nextafter(at, math.inf)), None) is not None

    def _day(self, day: date, zone: ZoneInfo) -> Iterator[tuple[float, float]]:
        ranges = self.week[day.weekday()]
        if not ranges or self.is_closed(day):
            return
        midnight = datetime.combine(day, time())
        for first, last in ranges:
            begin = (midnight + timedelta(minutes=first)).replace(tzinfo=zone).timestamp()
            stop = (midnight + timedelta(minutes=last)).replace(tzinfo=zone).timestamp()
            yield begin, stop  # may be empty or reversed around a spring-forward gap: clipping drops those

    def _holidays_of(self, year: int) -> frozenset[date]:
        if not self.holidays:
            return frozenset()
        days = self._years.get(year)
        if days is None:
            country, _, subdiv = self.holidays.partition("-")
            import holidays as pyholidays  # only when a calendar is asked for: the library is large

            days = frozenset(pyholidays.country_holidays(country, subdiv=subdiv or None, years=year))
            self._years[year] = days
        return days


# --- validation ---------------------------------------------------------------------------------------------


def _key(*parts: str) -> str:
    return ".".join((_TABLE, *parts))


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int | float):
        return f"{'a float' if isinstance(value, float) else 'an integer'} ({value!r})"
    if isinstance(value, datetime):
        return f"a date-time ({value.isoformat()})"
    if isinstance(value, date | time):
        return f"a {'date' if isinstance(value, date) else 'time'} ({value.isoformat()})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    return "a table" if isinstance(value, Mapping) else "a list" if isinstance(value, list) else type(value).__name__


def _unknown(key: str, name: str, valid: Sequence[str]) -> Problem:
    import difflib  # only for a suggestion, when a value is wrong

    close = difflib.get_close_matches(name.lower(), valid, n=1) or [v for v in valid if name.lower().startswith(v)]
    fix = f'did you mean "{close[0]}"?' if close else f"valid keys are: {', '.join(valid)}"
    return Problem(key, "unknown key", fix)


def _closest(value: str, choices: Sequence[str]) -> str | None:
    """The choice closest to ``value``, ignoring case, if any is close enough."""
    import difflib  # only for a suggestion, when a value is wrong

    folded = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(value.lower(), list(folded), n=1)
    return folded[close[0]] if close else None


def _timezone(value: Any, problems: list[Problem]) -> str:
    key = _key("timezone")
    if not isinstance(value, str):
        problems.append(Problem(key, f"must be a string, not {_describe(value)}", 'write e.g. "Europe/London"'))
        return "UTC"
    if (abbreviation := zones.lookup(value)) is not None:
        problems.append(
            Problem(
                key,
                f'"{value}" is an abbreviation ({abbreviation.meaning}), not a time zone',
                f"use the IANA name of your place, such as {zones.names(abbreviation)}: it knows when the clocks"
                " change",
            )
        )
        return "UTC"
    try:
        ZoneInfo(value)
        if not _NOT_ZONES.fullmatch(value):
            return value
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    known = sorted(zone for zone in available_timezones() if not _NOT_ZONES.fullmatch(zone))
    close = _closest(value, known)
    fix = 'use a name like "Europe/London"' + (f'; did you mean "{close}"?' if close else "")
    if not known:
        fix += '; no time zone data was found: install the "tzdata" package'
    problems.append(Problem(key, f'"{value}" is not an IANA time zone', fix))
    return "UTC"


_HOLIDAYS_FORM = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,10})?")


def _holidays(value: Any, problems: list[Problem], calendars: bool = True) -> str:
    key = _key("holidays")
    if not isinstance(value, str):
        fix = f'{_COUNTRY_FIX}, in quotes, or "" for none'
        problems.append(Problem(key, f"must be a string, not {_describe(value)}", fix))
        return ""
    if not value:
        return ""
    if not calendars:
        if not _HOLIDAYS_FORM.fullmatch(value):
            problems.append(Problem(key, f"{_describe(value)} is not a country code", _COUNTRY_FIX))
            return ""
        return value
    import holidays as pyholidays  # only when there is a value to check: the library is large

    supported: dict[str, list[str]] = pyholidays.list_supported_countries()
    country, dash, subdiv = value.partition("-")
    if country not in supported:
        hint = f'; did you mean "{value.upper()}"?' if value.upper().partition("-")[0] in supported else ""
        problems.append(
            Problem(key, f'"{country}" is not a country with a public holiday calendar', _COUNTRY_FIX + hint)
        )
        return ""
    if dash and subdiv not in supported[country]:
        subdivs = supported[country]
        if not subdivs:
            fix = f'{country} has no subdivisions in the calendar: write "{country}"'
        else:
            close = _closest(subdiv, subdivs)
            fix = f'did you mean "{country}-{close}"?' if close else f"use one of: {', '.join(subdivs)}"
            fix += f' (or "{country}" for the nationwide holidays only)'
        problems.append(Problem(key, f'"{subdiv}" is not a subdivision of {country}', fix))
        return ""
    try:
        pyholidays.country_holidays(country, subdiv=subdiv or None)
    except NotImplementedError as err:
        problems.append(Problem(key, f'"{value}" has no holiday calendar: {err}', _COUNTRY_FIX))
        return ""
    return value


def _closed(value: Any, problems: list[Problem]) -> frozenset[date]:
    key = _key("closed")
    if not isinstance(value, list):
        problems.append(Problem(key, f"must be a list of dates, not {_describe(value)}", 'write e.g. ["2026-12-24"]'))
        return frozenset()
    days: set[date] = set()
    for i, item in enumerate(value):
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
        elif isinstance(item, str) and _DATE.fullmatch(item.strip()):
            try:
                days.add(date.fromisoformat(item.strip()))
            except ValueError:
                problems.append(Problem(f"{key}[{i}]", f'"{item}" is not a date in the calendar', _DATE_FIX))
        elif isinstance(item, str):
            problems.append(Problem(f"{key}[{i}]", f'"{item}" is not a date in the form YYYY-MM-DD', _DATE_FIX))
        else:
            problems.append(Problem(f"{key}[{i}]", f"must be a date, not {_describe(item)}", _DATE_FIX))
    return frozenset(days)


def _week(value: Any, problems: list[Problem]) -> Week:
    key = _key("week")
    if not isinstance(value, Mapping):
        fix = f'write it as a [{key}] table of days mon to sun, e.g. mon = "09:00-17:00"'
        problems.append(Problem(key, f"must be a table, not {_describe(value)}", fix))
        return DEFAULT_WEEK
    problems += [_unknown(_key("week", name), name, DAYS) for name in value if name not in DAYS]
    days: list[tuple[Range, ...]] = []
    for name in DAYS:
        hours = value.get(name, "")
        if isinstance(hours, str):
            days.append(_day_ranges(_key("week", name), hours, problems))
        else:
            fix = 'write ranges in quotes, e.g. "09:00-17:00", or "" for a closed day'
            problems.append(Problem(_key("week", name), f"must be a string, not {_describe(hours)}", fix))
            days.append(())
    return tuple(days)


def _minutes(hours: str, minutes: str) -> int | None:
    """Minutes after midnight of "HH:MM", None unless it is 00:00 to 24:00."""
    value = int(hours) * 60 + int(minutes)
    return value if int(minutes) < 60 and value <= DAY_MINUTES else None


def _day_ranges(key: str, text: str, problems: list[Problem]) -> tuple[Range, ...]:
    if not text.strip():
        return ()
    found: list[tuple[Range, str]] = []
    for raw in text.split(","):
        piece, match = raw.strip(), _RANGE.fullmatch(raw)
        if match is None:
            message = f'"{piece}" is not a time range' if piece else "has an empty range between commas"
            problems.append(Problem(key, message, _RANGE_FIX))
            continue
        start, end = _minutes(match[1], match[2]), _minutes(match[3], match[4])
        bad = [f"{h}:{m}" for (h, m), v in (((match[1], match[2]), start), ((match[3], match[4]), end)) if v is None]
        if start is None or end is None:
            problems.append(Problem(key, f'"{bad[0]}" is not a time of day', "use 00:00 to 23:59, or 24:00 as an end"))
        elif start == DAY_MINUTES:
            fix = 'start the range at "00:00" on the next day instead'
            problems.append(Problem(key, f'"{piece}" starts at 24:00, the end of the day', fix))
        elif start == end:
            fix = 'for a whole day write "00:00-24:00"; otherwise remove the range'
            problems.append(Problem(key, f'"{piece}" is empty: it starts and ends at {_clock(start)}', fix))
        else:
            found.append(((start, end if end > start else end + DAY_MINUTES), piece))
    found.sort()
    for i, (span, text) in enumerate(found[1:], 1):
        latest, latest_text = max(found[:i], key=lambda item: item[0][1])  # the earlier range ending last
        if span[0] < latest[1]:
            fix = "merge them into one range, or make one end before the other starts"
            problems.append(Problem(key, f'"{latest_text}" overlaps "{text}"', fix))
    return tuple(span for span, _ in found)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _format(span: Range) -> str:
    start, end = span
    return f"{_clock(start)}-{_clock(end if end <= DAY_MINUTES else end - DAY_MINUTES)}"
