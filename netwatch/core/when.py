"""The owner's words for an instant (WHEN): "now", a date, or a date and time in the configured timezone.

Owns the one way every command reads WHEN: ISO dates and date-times (``2026-11-30``, ``2026-11-30 09:15``,
``2026-11-30T09:15:00+01:00``), local in the configured zone unless an offset is given, and strict where local time
is ambiguous: a time the clocks skipped (spring forward) or passed twice (fall back) is refused with the offsets
that make it exact. ``instant`` is for events the owner reports (a time of day is needed, and the future is
refused); ``bound`` is for the edges of a period (a bare date means the start of that local day, as
``core.calendar`` defines it, or of the next one at the end).
Must not read a clock: "now" is passed in.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from netwatch.core import zones
from netwatch.core.calendar import day_start
from netwatch.core.text import local, quoted
from netwatch.errors import InputError, NetwatchError

_ABBREVIATED = re.compile(r"(.*\d)\s*([A-Za-z]{3,4}|[A-Za-z]{3}\d[A-Za-z]{3})")  # "2026-11-01 09:00 BST"
_CLOCK = re.compile(r"\d:\d\d")  # a time of day: "09:15", "9:15"; "T091500" is not accepted
_EVENT_FORMS = 'write "now" or a date and time such as "2026-11-30 09:15" (in {tz}, or with an offset)'
_BOUND_FORMS = "use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (local time in {tz}, or with an offset such as +01:00)"
FUTURE_SLACK = 60.0  # seconds: a clock read on another device may run a little ahead
LATEST = 253_402_214_400.0  # 9999-12-31 00:00 UTC: the edges of a period are computed in whole days past it


def _kept(option: str, text: str, at: float, error: type[NetwatchError]) -> float:
    """``at``, refused before 1970 (no line was monitored then, and the store's instants start there) or past
    year 9999 (days after it cannot be computed)."""
    if at < 0:
        raise error(f"{option}: {quoted(text)} is before 1970, when nothing was monitored; give a date from 1970 on")
    if at >= LATEST:
        raise error(f"{option}: {quoted(text)} is too far in the future; give a date before 9999-12-31")
    return at


def exact(option: str, text: str, moment: datetime, tz: ZoneInfo, error: type[NetwatchError] = InputError) -> float:
    """Unix seconds of ``moment``, local in ``tz`` when it has no offset; refused when the clocks skipped that local
    time or passed it twice (the message gives the offsets that make it exact)."""
    if moment.tzinfo is not None:
        return moment.timestamp()
    first, second = moment.replace(tzinfo=tz, fold=0), moment.replace(tzinfo=tz, fold=1)
    if datetime.fromtimestamp(first.timestamp(), tz).replace(tzinfo=None) != moment:
        raise error(
            f"{option}: {quoted(text)} does not exist in {tz.key} (the clocks went forward then); give the time with"
            f" its offset, e.g. {moment.isoformat(sep=' ', timespec='minutes')}{_offset(first)}"
        )
    if first.utcoffset() != second.utcoffset():
        raise error(
            f"{option}: {quoted(text)} happened twice in {tz.key} (the clocks went back then); add the offset: "
            f"{_offset(first)} for the first, {_offset(second)} for the second"
        )
    return first.timestamp()


def instant(option: str, text: str, tz: ZoneInfo, now: float, *, ahead: bool = False) -> float:
    """Unix seconds of an event the owner reports: "now", or a date and time (the rules count from the hour the
    provider was told, so a bare date is refused), never in the future unless ``ahead`` (an appointment to come).
    Raises InputError."""
    word = text.strip()
    if word.lower() == "now":
        return now
    try:
        moment = datetime.fromisoformat(word)
    except ValueError:
        hint = _abbreviated(option, text, tz)
        raise InputError(
            hint or f"{option}: {quoted(text)} is not a date and time; {_EVENT_FORMS.format(tz=tz.key)}"
        ) from None
    if not _CLOCK.search(word):
        raise InputError(
            f"{option}: {quoted(text)} has no time of day, and the compensation clock starts at the hour the provider"
            f" was told; {_EVENT_FORMS.format(tz=tz.key)}"
        )
    at = _kept(option, text, _exact_or_out(option, text, moment, tz, InputError), InputError)
    if at > now + FUTURE_SLACK and not ahead:
        raise InputError(f"{option}: {local(at, tz)} is in the future; give the time it happened")
    return at


def bound(option: str, text: str, tz: ZoneInfo, *, end_of_day: bool, error: type[NetwatchError] = InputError) -> float:
    """Unix seconds of a period's edge. A bare date means the start of that local day, or of the next one when
    ``end_of_day`` (so ``--until 2026-11-30`` includes the whole 30th): its first instant, also where the clocks
    skipped its midnight; a date-time without offset is local time in ``tz``."""
    word = text.strip()
    try:
        moment: date = date.fromisoformat(word) if len(word) == 10 else datetime.fromisoformat(word)
    except ValueError:
        hint = _abbreviated(option, text, tz)
        raise error(
            hint or f"{option}: {quoted(text)} is not a date or date-time; {_BOUND_FORMS.format(tz=tz.key)}"
        ) from None
    if isinstance(moment, datetime):
        return _kept(option, text, _exact_or_out(option, text, moment, tz, error), error)
    day = moment + timedelta(days=1) if end_of_day and moment < date.max else moment
    return _kept(option, text, _day_start_or_out(day, tz), error)


def _day_start_or_out(day: date, tz: ZoneInfo) -> float:
    """When local ``day`` begins, with a day no clock can give (the years 1 and 9999 at the edges of a time zone)
    said as out of range rather than failing."""
    try:
        return day_start(day, tz)
    except (OverflowError, ValueError):
        return -1.0 if day.year < 1970 else LATEST


def _exact_or_out(option: str, text: str, moment: datetime, tz: ZoneInfo, error: type[NetwatchError]) -> float:
    """``exact``, with an instant no clock can give (the years 1 and 9999 at the edges of a time zone) said as out
    of range rather than failing."""
    try:
        return exact(option, text, moment, tz, error)
    except (OverflowError, ValueError):
        return -1.0 if moment.year < 1970 else LATEST


def _abbreviated(option: str, text: str, tz: ZoneInfo) -> str | None:
    """The refusal of a time followed by a zone abbreviation ("09:00 BST"), naming the way to write it; None when
    ``text`` does not end with one."""
    found = _ABBREVIATED.fullmatch(text.strip())
    abbreviation = zones.lookup(found[2]) if found else None
    if found is None or abbreviation is None:
        return None
    head = f'{option}: {quoted(text)} ends with the zone abbreviation "{found[2]}", which netwatch does not read'
    if not _CLOCK.search(found[1]):
        return f"{head}; leave it out: a date is that day in {tz.key}"
    offset = f": {found[1]}{abbreviation.offset}" if abbreviation.offset else f", e.g. {found[1]}+01:00"
    return f"{head}; leave it out (the time is then read in {tz.key}) or give the offset instead{offset}"


def _offset(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")[-6:]
