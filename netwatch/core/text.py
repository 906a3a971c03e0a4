"""How netwatch writes time, durations, speeds, shares and money for people: logs, the CLI, reports, letters,
notifications and charts.

Owns every format of those values, each named for its use: durations ("1h 02m 03s", the compact axis label
"1h 30m", the campaign's "4 min 30 s"), instants (UTC and local, with the zone's abbreviation that tells GMT from
BST; ISO 8601; the owner's "Mon 1 Apr 2024 10:00"), periods in words, percentages (truncated, never rounded up),
speeds and money; and text that came from the owner or a file made safe to show (``visible``: no control or
bidirectional override character, which would ring the terminal, rewrite it, or reverse a signer's name in a PDF;
``quoted``: a value cut to a length fit for one line of a message). Must not read a clock or the environment:
every instant and zone is passed in.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# --- durations ---------------------------------------------------------------------------------------------


def duration(seconds: float | None) -> str:
    """'1h 02m 03s', '2m 03s', '45s', '3d 01h 02m 03s'; rounded to the second; '—' for None."""
    if seconds is None:
        return "—"
    s = round(max(0.0, seconds))
    d, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    if d:
        return f"{d}d {h:02d}h {m:02d}m {sec:02d}s"
    if h:
        return f"{h}h {m:02d}m {sec:02d}s"
    return f"{m}m {sec:02d}s" if m else f"{sec}s"


def short_duration(seconds: float) -> str:
    """A compact axis label: "0", "45s", "30m", "1h", "1h 30m", "2d"."""
    s = round(seconds)
    if s == 0:
        return "0"
    d, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    parts = [f"{d}d"] * bool(d) + [f"{h}h"] * bool(h) + [f"{m}m"] * bool(m) + [f"{sec}s"] * bool(sec)
    return " ".join(parts[:2])


def span(seconds: float) -> str:
    """A duration in words: "4 min 30 s", "2 h 59 min", "3 h"."""
    total = round(seconds)
    sign, total = ("-", -total) if total < 0 else ("", total)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{v} {unit}" for v, unit in ((h, "h"), (m, "min"), (s, "s")) if v]
    return sign + (" ".join(parts) or "0 s")


# --- instants ----------------------------------------------------------------------------------------------


def utc(at: float) -> str:
    """'2026-11-24 01:00:00 UTC'."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def local(at: float, tz: ZoneInfo) -> str:
    """'2026-11-24 01:00:00 GMT' in ``tz``."""
    return datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d %H:%M:%S %Z")


_STYLES = {
    "datetime": "%Y-%m-%d %H:%M:%S %Z",  # 2026-11-24 01:00:00 GMT
    "minute": "%Y-%m-%d %H:%M %Z",  # 2026-11-24 01:00 GMT
    "date": "%a %d %b %Y",  # Tue 24 Nov 2026
    "iso_date": "%Y-%m-%d",  # 2026-11-24
    "short": "%a %d %b",  # Tue 24 Nov
    "time": "%H:%M:%S %Z",  # 01:00:00 GMT
    "day": "%a %d %b %H:%M:%S %Z",  # Tue 24 Nov 01:00:00 GMT
    "day_clock": "%a %d %b %H:%M:%S",  # Tue 24 Nov 01:00:00 (where the zone follows: "... to 02:00:00 GMT")
    "full": "%a %d %b %Y %H:%M:%S %Z",  # Tue 24 Nov 2026 01:00:00 GMT
    "clock": "%H:%M",  # 01:00 (a chart's axis)
    "day_month": "%d %b",  # 24 Nov (a chart's axis)
    "month": "%b %Y",  # Nov 2026 (a chart's axis)
}


def local_time(at: float | None, zone: ZoneInfo, style: str = "datetime") -> str:
    """``at`` (Unix seconds) in ``zone``, in one of the styles above, "long" ("24 November 2026") or "dated" (a
    letter's: "Tue 4 Nov 2026 01:00:00 GMT", the day as its rules write it); '—' for None. The zone's
    abbreviation tells GMT from BST."""
    if at is None:
        return "—"
    moment = datetime.fromtimestamp(at, zone)
    if style == "dated":
        return f"{weekday_date(moment)} {moment:%H:%M:%S %Z}"
    return long_date(moment) if style == "long" else moment.strftime(_STYLES[style])


def when(at: float, zone: ZoneInfo) -> str:
    """An instant as the owner reads it: "Mon 1 Apr 2024 10:00"."""
    moment = datetime.fromtimestamp(at, zone)
    return f"{moment:%a} {moment.day} {moment:%b %Y %H:%M}"


def recent(at: float, now: float, zone: ZoneInfo, other_day: str | None = None) -> str:
    """An instant near ``now``: "10:15:02 GMT" when it is on the same local day; else as a dashboard shows it,
    "Mon 23 Mar 10:15 GMT" (with the year when it is another year's), or in ``local_time``'s style ``other_day``."""
    moment, today = datetime.fromtimestamp(at, zone), datetime.fromtimestamp(now, zone)
    if moment.date() == today.date():
        return f"{moment:%H:%M:%S %Z}"
    if other_day is not None:
        return moment.strftime(_STYLES[other_day])
    year = f" {moment:%Y}" if moment.year != today.year else ""
    return f"{moment:%a} {moment.day} {moment:%b}{year} {moment:%H:%M %Z}"


def weekday_date(day: date) -> str:
    """ "Mon 1 Apr 2024"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def short_when(at: float, zone: ZoneInfo) -> str:
    """An instant in a page's title: "Mon 1 Apr 10:00" (no year, no zone)."""
    moment = datetime.fromtimestamp(at, zone)
    return f"{weekday_short(moment)} {moment:%H:%M}"


def weekday_short(day: date) -> str:
    """ "Mon 1 Apr"."""
    return f"{day:%a} {day.day} {day:%b}"


def weekday_long(day: date) -> str:
    """ "Monday 1 April 2024"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    """ "Mon 01 Apr": a row of the report's timeline (the day of the month in two digits, so the rows align)."""
    return f"{day:%a %d %b}"


def month_long(day: date) -> str:
    """The month ``day`` is in: "April 2024"."""
    return f"{day:%B %Y}"


def month_short(day: date) -> str:
    """The month ``day`` is in: "Apr 2024"."""
    return f"{day:%b %Y}"


def iso_month(day: date) -> str:
    """The month ``day`` is in, as ISO 8601 writes it: "2024-04"."""
    return f"{day:%Y-%m}"


def weekday_iso(day: date) -> str:
    """ "Mon 2026-05-04"."""
    return f"{day:%a %Y-%m-%d}"


def long_date(day: date) -> str:
    """ "1 April 2024"."""
    return f"{day.day} {day:%B %Y}"


def clock_time(at: float, zone: ZoneInfo) -> str:
    """HH:MM, or HH:MM:SS when the instant is not on a whole minute."""
    moment = datetime.fromtimestamp(at, UTC).astimezone(zone)
    return f"{moment:%H:%M}" if moment.second == 0 and moment.microsecond == 0 else f"{moment:%H:%M:%S}"


def slot_time(at: float, zone: ZoneInfo) -> str:
    """ "Mon 2026-05-04 11:40" in ``zone`` (seconds shown when not on a whole minute)."""
    day = datetime.fromtimestamp(at, UTC).astimezone(zone).date()
    return f"{weekday_iso(day)} {clock_time(at, zone)}"


def iso_utc(at: float) -> str:
    """ISO 8601 in UTC to the second: "2026-11-24T01:00:00Z"."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def iso_local(at: float, tz: str) -> str:
    """ISO 8601 in the zone named ``tz``, with its offset: "2026-11-24T01:00:00+00:00"."""
    return datetime.fromtimestamp(at, ZoneInfo(tz)).isoformat(timespec="seconds")


def iso_utc_ms(at: float) -> str:
    """ISO 8601 in UTC to the millisecond: "2026-03-24T12:25:00.250Z" (how the store keys an incident)."""
    moment = datetime.fromtimestamp(round(at * 1000) / 1000, UTC).isoformat(timespec="milliseconds")
    return moment.replace("+00:00", "Z")


def period_text(since: float, until: float, zone: ZoneInfo) -> str:
    """The period in words: whole local days as "19 October 2026 to 1 November 2026" (the last day included),
    anything else to the minute with the zone's abbreviation."""
    start, end = datetime.fromtimestamp(since, zone), datetime.fromtimestamp(until, zone)
    if start.time() == end.time() == time(0):
        last = end.date() - timedelta(days=1)
        return long_date(start) if last == start.date() else f"{long_date(start)} to {long_date(last)}"
    return f"{long_date(start)} {start:%H:%M %Z} to {long_date(end)} {end:%H:%M %Z}"


def period_span(since: float, until: float, zone: ZoneInfo) -> str:
    """The period as a sentence says it: "on 1 November 2026", "from 19 October 2026 to 1 November 2026 (the last
    day included)", else "from ... 09:00 GMT to ... 17:00 GMT" (``period_text``'s words, each zone said once)."""
    text = period_text(since, until, zone)
    if ":" in text:
        return f"from {text}"
    return f"from {text} (the last day included)" if " to " in text else f"on {text}"


# --- shares, speeds and money ------------------------------------------------------------------------------


def percent(value: float | None, digits: int = 3) -> str:
    """Truncated, never rounded up: 99.99996 % of availability is "99.999%", not "100.000%"."""
    if value is None:
        return "—"
    scale = 10**digits
    return f"{math.floor(round(value * scale, 6)) / scale:.{digits}f}%"


def share(part: int, whole: int) -> str:
    """ "42.5 %" of ``part`` in ``whole`` to a tenth; "-" when there is no whole."""
    return f"{100.0 * part / whole:.1f} %" if whole else "-"


def mbps(value: float | None) -> str:
    """A speed in Mbit/s to 0.1 (a line's speed varies more than that between two tests)."""
    return "—" if value is None else f"{value:,.1f} Mbit/s"


_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹"}


def money(amount: float | None, currency: str) -> str:
    """ "£1,234.50", "€9.76", "12.00 CHF"; '—' for None."""
    if amount is None:
        return "—"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}".strip()


# --- text from outside -------------------------------------------------------------------------------------

# Characters that change how the text around them shows rather than showing: C0 and C1 controls but tab and line
# feed (BEL rings, ESC starts terminal escape sequences, CR rewrites a line), DEL, and the bidirectional marks,
# embeddings, overrides and isolates, which can reverse whatever follows them (U+202E in a signer's name).
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` without control and bidirectional formatting characters (tabs and line breaks kept)."""
    return _INVISIBLE.sub("", text)


def quoted(text: str, limit: int = 60) -> str:
    """``text`` in double quotes for a one-line message, escaped as JSON (controls shown as \\uXXXX) and cut at
    ``limit`` characters: '"aaaa…" (130000 characters)'."""
    if len(text) <= limit:
        return json.dumps(text)
    return f'{json.dumps(text[:limit])[:-1]}…" ({len(text)} characters)'
