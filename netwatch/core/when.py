"""The owner's words for an instant (WHEN): "now", a date, or a date and time in the configured timezone.

Owns the one way every command reads WHEN: ISO dates and date-times (``2026-11-30``, ``2026-11-30 09:15``,
``2026-11-30T09:15:00+01:00``), local in the configured zone unless an offset is given, and strict where local time
is ambiguous: a time the clocks skipped (spring forward) or passed twice (fall back) is refused with the offsets
that make it exact. ``instant`` is for events the owner reports (a time of day is needed, and the future is
refused); ``bound`` is for the edges of a period (a bare date means its local midnight, or the next one at the end).
Must not read a clock: "now" is passed in.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from netwatch.core.text import local
from netwatch.errors import InputError, NetwatchError

_CLOCK = re.compile(r"\d:\d\d")  # a time of day: "09:15", "9:15"; "T091500" is not accepted
_EVENT_FORMS = 'write "now" or a date and time such as "2026-11-30 09:15" (in {tz}, or with an offset)'
_BOUND_FORMS = "use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (local time in {tz}, or with an offset such as +01:00)"
FUTURE_SLACK = 60.0  # seconds: a clock read on another device may run a little ahead


def exact(option: str, text: str, moment: datetime, tz: ZoneInfo, error: type[NetwatchError] = InputError) -> float:
    """Unix seconds of ``moment``, local in ``tz`` when it has no offset; refused when the clocks skipped that local
    time or passed it twice (the message gives the offsets that make it exact)."""
    if moment.tzinfo is not None:
        return moment.timestamp()
    first, second = moment.replace(tzinfo=tz, fold=0), moment.replace(tzinfo=tz, fold=1)
    if datetime.fromtimestamp(first.timestamp(), tz).replace(tzinfo=None) != moment:
        raise error(
            f'{option}: "{text}" does not exist in {tz.key} (the clocks went forward then); give the time with its '
            f"offset, e.g. {moment.isoformat(sep=' ', timespec='minutes')}{_offset(first)}"
        )
    if first.utcoffset() != second.utcoffset():
        raise error(
            f'{option}: "{text}" happened twice in {tz.key} (the clocks went back then); add the offset: '
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
        raise InputError(f'{option}: "{text}" is not a date and time; {_EVENT_FORMS.format(tz=tz.key)}') from None
    if not _CLOCK.search(word):
        raise InputError(
            f'{option}: "{text}" has no time of day, and the compensation clock starts at the hour the provider was '
            f"told; {_EVENT_FORMS.format(tz=tz.key)}"
        )
    at = exact(option, text, moment, tz)
    if at > now + FUTURE_SLACK and not ahead:
        raise InputError(f"{option}: {local(at, tz)} is in the future; give the time it happened")
    return at


def bound(option: str, text: str, tz: ZoneInfo, *, end_of_day: bool, error: type[NetwatchError] = InputError) -> float:
    """Unix seconds of a period's edge. A bare date means its local midnight, or the next one when ``end_of_day``
    (so ``--until 2026-11-30`` includes the whole 30th); a date-time without offset is local time in ``tz``."""
    word = text.strip()
    try:
        if len(word) == 10:
            day = date.fromisoformat(word)
            if end_of_day:
                day += timedelta(days=1)
            return datetime.combine(day, time(0), tzinfo=tz).timestamp()
        moment = datetime.fromisoformat(word)
    except ValueError:
        raise error(f'{option}: "{text}" is not a date or date-time; {_BOUND_FORMS.format(tz=tz.key)}') from None
    return exact(option, text, moment, tz, error)


def _offset(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")[-6:]
