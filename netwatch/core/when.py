"""The owner's words for an instant (WHEN): "now", a date, or a date and time in the configured timezone.

Owns the one way every command reads WHEN: ISO dates and date-times (``2026-11-30``, ``2026-11-30 09:15``,
``2026-11-30T09:15:00+01:00``), local in the configured zone unless an offset is given, and strict where local time
is ambiguous: a time the clocks skipped (spring forward) or passed twice (fall back) is refused with the offsets
that make it exact. ``instant`` is for events the owner reports (a time of day is needed, and the future is refused
unless it is an appointment to come); ``bound`` is for the edges of a period (a bare date means the start of that
local day, as ``core.calendar`` defines it, or of the next one at the end). Both refuse an instant before
``EARLIEST``, from ``LATEST`` on and a year the calendar cannot reach with one line saying to check the year. Errors
are face-neutral: they name the input by its ``field`` ("reported", "since"), and each face words it
(``netwatch.errors.InputError``). Must not read a clock: "now" is passed in.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from netwatch.core import zones
from netwatch.core.calendar import day_start
from netwatch.core.text import local
from netwatch.errors import InputError, TimeSkipped, TimeTwice

_ABBREVIATED = re.compile(r"(.*\d)\s*([A-Za-z]{3,4}|[A-Za-z]{3}\d[A-Za-z]{3})")  # "2026-11-01 09:00 BST"
_CLOCK = re.compile(r"\d:\d\d")  # a time of day: "09:15", "9:15"; "T091500" is not accepted
_EVENT_FORMS = 'write "now" or a date and time such as "2026-11-30 09:15" (in {tz}, or with an offset)'
_BOOKED_FORMS = 'give the time it was booked for, such as "2026-11-30 09:00" (in {tz}, or with an offset)'
_BOUND_FORMS = "use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (local time in {tz}, or with an offset such as +01:00)"
FUTURE_SLACK = 60.0  # seconds: a clock read on another device may run a little ahead
EARLIEST = date(2000, 1, 1)  # no instant before it is a real one: a year mistyped ("0001-01-01", "1026-11-30")
LATEST = 253_402_214_400.0  # 9999-12-31 00:00 UTC: the edges of a period are computed in whole days past it
_UNREADABLE = '"{text}" is not a date netwatch can use; check the year'


def exact(field: str, text: str, moment: datetime, tz: ZoneInfo) -> float:
    """Unix seconds of ``moment``, local in ``tz`` when it has no offset; refused when the clocks skipped that local
    time (TimeSkipped) or passed it twice (TimeTwice: the message gives the offsets that make it exact, the error
    the two instants)."""
    try:
        if moment.tzinfo is not None:
            return _checked(field, text, moment.timestamp(), tz)
        first, second = moment.replace(tzinfo=tz, fold=0), moment.replace(tzinfo=tz, fold=1)
        if datetime.fromtimestamp(first.timestamp(), tz).replace(tzinfo=None) != moment:
            raise TimeSkipped(
                f'"{text}" does not exist in {tz.key} (the clocks went forward then)',
                f"give the time with its offset, e.g. {moment.isoformat(sep=' ', timespec='minutes')}{_offset(first)}",
                field,
            )
        if first.utcoffset() != second.utcoffset():
            raise TimeTwice(
                f'"{text}" happened twice in {tz.key} (the clocks went back then)',
                f"add the offset: {_offset(first)} for the first, {_offset(second)} for the second",
                field,
                ((_offset(first), first.timestamp()), (_offset(second), second.timestamp())),
            )
        return _checked(field, text, first.timestamp(), tz)
    except (OverflowError, ValueError):  # a year the calendar arithmetic cannot reach
        raise InputError(_UNREADABLE.format(text=text), field) from None


def instant(field: str, text: str, tz: ZoneInfo, now: float, *, ahead: bool = False, booked: bool = False) -> float:
    """Unix seconds of an event the owner reports (``field`` names the input, e.g. "reported"): "now", or a date
    and time (the rules count from the hour the provider was told, so a bare date is refused), never in the future
    unless ``ahead`` (an appointment to come), nor before ``EARLIEST``. A ``booked`` time (an appointment) is never
    "now" and every refusal asks for the time it was booked for. Raises InputError."""
    word = text.strip()
    forms = (_BOOKED_FORMS if booked else _EVENT_FORMS).format(tz=tz.key)
    if booked and not word:
        raise InputError(f"no time was given; {forms}", field)
    if booked and word.lower() == "now":
        raise InputError(f'an appointment is a booked time, not "now"; {forms}', field)
    if word.lower() == "now":
        return now
    try:
        moment = datetime.fromisoformat(word)
    except ValueError:
        hint = _abbreviated(text, tz)
        raise InputError(hint or f'"{text}" is not a date and time; {forms}', field) from None
    if not _CLOCK.search(word):
        why = "" if booked else ", and the compensation clock starts at the hour the provider was told"
        raise InputError(f'"{text}" has no time of day{why}; {forms}', field)
    at = exact(field, text, moment, tz)
    if at > now + FUTURE_SLACK and not ahead:
        raise InputError(f"{local(at, tz)} is in the future; give the time it happened", field)
    return at


def bound(field: str, text: str, tz: ZoneInfo, *, end_of_day: bool) -> float:
    """Unix seconds of a period's edge (``field`` names the input, e.g. "since"). A bare date means the start of
    that local day, or of the next one when ``end_of_day`` (so ``--until 2026-11-30`` includes the whole 30th): its
    first instant, also where the clocks skipped its midnight; a date-time without offset is local time in ``tz``;
    never before ``EARLIEST``. Raises InputError."""
    word = text.strip()
    try:
        if len(word) == 10:
            day = date.fromisoformat(word)
            if end_of_day:
                day += timedelta(days=1)
            return _checked(field, text, day_start(day, tz), tz)
        moment = datetime.fromisoformat(word)
    except ValueError:
        hint = _abbreviated(text, tz)
        raise InputError(
            hint or f'"{text}" is not a date or date-time; {_BOUND_FORMS.format(tz=tz.key)}', field
        ) from None
    except OverflowError:
        raise InputError(_UNREADABLE.format(text=text), field) from None
    return exact(field, text, moment, tz)


def _checked(field: str, text: str, at: float, tz: ZoneInfo) -> float:
    """``at``, refused when it is before ``EARLIEST`` in ``tz`` (a year mistyped: nothing netwatch measured is that
    old) or from ``LATEST`` on (the days after it cannot be computed)."""
    if at < datetime.combine(EARLIEST, time(0), tzinfo=tz).timestamp():
        raise InputError(too_old(text), field)
    if at >= LATEST:
        raise InputError(_UNREADABLE.format(text=text), field)
    return at


def too_old(text: str) -> str:
    """The refusal of ``text``, a date or instant before ``EARLIEST``."""
    return f'"{text}" is before {EARLIEST.isoformat()}, older than anything netwatch measured; check the year'


def _abbreviated(text: str, tz: ZoneInfo) -> str | None:
    """The refusal of a time followed by a zone abbreviation ("09:00 BST"), naming the way to write it; None when
    ``text`` does not end with one."""
    found = _ABBREVIATED.fullmatch(text.strip())
    abbreviation = zones.lookup(found[2]) if found else None
    if found is None or abbreviation is None:
        return None
    head = f'"{text}" ends with the zone abbreviation "{found[2]}", which netwatch does not read'
    if not _CLOCK.search(found[1]):
        return f"{head}; leave it out: a date is that day in {tz.key}"
    offset = f": {found[1]}{abbreviation.offset}" if abbreviation.offset else f", e.g. {found[1]}+01:00"
    return f"{head}; leave it out (the time is then read in {tz.key}) or give the offset instead{offset}"


def _offset(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")[-6:]
