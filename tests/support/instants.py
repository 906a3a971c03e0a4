"""Instants and zones as the tests write them: Unix seconds (UTC floats), the way netwatch keeps every instant.

Owns the shared reference instant ``T0``, the units ``H`` and ``DAY``, the zones the tests use, and turning a wall
clock reading in a zone (``ts("2026-11-23T09:00:00")``, ``local(...)``, ``at(2024, 3, 4, 10, zone=LONDON)``,
``local_at(2026, 3, 24, 10, 15)``) into Unix seconds. Must not read the clock (a test that needs "now" says so
itself) or round anything.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC: a Thursday, a public holiday in GB, a whole minute
H = 3600.0
DAY = 86400.0

LONDON = ZoneInfo("Europe/London")
BERLIN = ZoneInfo("Europe/Berlin")


def _zone(zone: tzinfo | str) -> tzinfo:
    return ZoneInfo(zone) if isinstance(zone, str) else zone


def ts(text: str, zone: tzinfo | str = UTC) -> float:
    """Unix seconds of an ISO 8601 wall-clock reading in ``zone`` ("2026-11-23T09:00:00", "2026-11-02 08:30").
    A reading that carries its own offset ("...Z", "...+01:00") keeps it."""
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=_zone(zone))).timestamp()


def local(text: str) -> float:
    """``ts`` in London, the zone of most report tests."""
    return ts(text, LONDON)


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, *, zone: tzinfo | str = UTC
) -> float:
    """Unix seconds of a wall-clock reading given as numbers, in ``zone``."""
    return datetime(year, month, day, hour, minute, second, tzinfo=_zone(zone)).timestamp()


def local_at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    """``at`` in London, the zone of most report and dashboard tests."""
    return at(year, month, day, hour, minute, second, zone=LONDON)
