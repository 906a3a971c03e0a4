"""How netwatch writes durations and instants for people: logs, `netwatch status` and the reports.

Owns the one duration format ("1h 02m 03s") and the UTC / local instant formats. Pure: no clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


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


def utc(at: float) -> str:
    """'2026-11-24 01:00:00 UTC'."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def local(at: float, tz: ZoneInfo) -> str:
    """'2026-11-24 01:00:00 GMT' in ``tz``."""
    return datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d %H:%M:%S %Z")
