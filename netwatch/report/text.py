"""Text formats of a report's values: durations, percentages, local times, money, periods, and escaping.

Owns how a figure reads in every format (the Jinja2 filters of ``render`` are these functions), and making a
string literal in Markdown or in a CSS string. Pure: no clock, no files; local times need the zone passed in.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup


def percent(value: float | None, digits: int = 3) -> str:
    """Truncated, never rounded up: 99.99996 % of availability is "99.999%", not "100.000%"."""
    if value is None:
        return "—"
    scale = 10**digits
    return f"{math.floor(round(value * scale, 6)) / scale:.{digits}f}%"


def mbps(value: float | None) -> str:
    """A speed in Mbit/s to 0.1 (a line's speed varies more than that between two tests)."""
    return "—" if value is None else f"{value:,.1f} Mbit/s"


_STYLES = {
    "datetime": "%Y-%m-%d %H:%M:%S %Z",
    "minute": "%Y-%m-%d %H:%M %Z",
    "date": "%a %d %b %Y",
    "short": "%a %d %b",
    "time": "%H:%M:%S %Z",
}


def local_time(at: float | None, zone: ZoneInfo, style: str = "datetime") -> str:
    """``at`` (Unix seconds) in the report's time zone; the zone's abbreviation tells GMT from BST."""
    if at is None:
        return "—"
    moment = datetime.fromtimestamp(at, zone)
    return _long(moment) if style == "long" else moment.strftime(_STYLES[style])


_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹"}


def money(amount: float | None, currency: str) -> str:
    if amount is None:
        return "—"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}".strip()


_SPACES = re.compile(r"\s{2,}|[^\S ]")  # line breaks, tabs and runs of blanks: one space, so a value stays inline
_MD_ANYWHERE = re.compile(r"([\\`*_\[\]<>|~&])")
# What makes a line a heading, quote, list item or setext underline (only at the start of a line).
_MD_LINE_START = re.compile(r"^ ?(?:[-+](?=\s|$)|#{1,6}(?=\s|$)|>|=+$|(\d{1,9})[.)](?=\s|$))")


def md_escape(value: Any) -> Any:
    """A string made literal in Markdown: specials backslash-escaped, line breaks flattened; Markup and
    non-strings pass through. Applied by the letter's environment to everything a template prints."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    flat = _MD_ANYWHERE.sub(r"\\\1", _SPACES.sub(" ", value))
    if match := _MD_LINE_START.match(flat):  # "- x", "# x", "1. x" would start a list or a heading
        cut = match.end(1) if match.group(1) else match.end() - 1
        flat = flat[:cut] + "\\" + flat[cut:]
    return Markup(flat)


def css_string(value: Any) -> Markup:
    """A value for a CSS string in the inline stylesheet (e.g. the page footer), escaped for CSS and HTML."""
    out = "".join(ch if ch.isalnum() or ch in " .,:;-_/()[]+=#@!?'" else f"\\{ord(ch):x} " for ch in str(value))
    return Markup(out)


def period_text(since: float, until: float, zone: ZoneInfo) -> str:
    """The period in words: whole local days as "19 October 2026 to 1 November 2026" (the last day included),
    anything else to the minute with the zone's abbreviation."""
    start, end = datetime.fromtimestamp(since, zone), datetime.fromtimestamp(until, zone)
    if start.time() == end.time() == time(0):
        last = end.date() - timedelta(days=1)
        return _long(start) if last == start.date() else f"{_long(start)} to {_long(last)}"
    return f"{_long(start)} {start:%H:%M %Z} to {_long(end)} {end:%H:%M %Z}"


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
