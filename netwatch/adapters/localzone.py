"""The system's time zone, by name, for business hours when the configuration names none.

Owns reading it: the link /etc/localtime points along into the zone database (as timedatectl and Raspberry Pi
Imager make it), else Debian's /etc/timezone; a name Python's zoneinfo does not know counts as none. Must not
decide what a missing zone means (the configuration's default, UTC) nor log.
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOCALTIME = Path("/etc/localtime")
TIMEZONE = Path("/etc/timezone")
# Names the zone database keeps for UTC itself; the configuration's own word for it is "UTC".
_UTC = frozenset({"Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/GMT", "UCT", "Universal", "Zulu"})
NO_ZONE = (
    "this system names no time zone (/etc/localtime), so a configuration without [business_hours] timezone counts "
    'business hours in UTC: set timezone = "Europe/London" (yours) there, or the system\'s: sudo timedatectl '
    "set-timezone Europe/London"
)


def system_zone(localtime: Path | None = None, timezone: Path | None = None) -> str | None:
    """The IANA name of the system's time zone ("Europe/London", "UTC"), or None when it names none we know."""
    name = _linked(localtime or LOCALTIME)
    if name is None:
        try:
            name = (timezone or TIMEZONE).read_text(encoding="utf-8").strip() or None
        except (OSError, UnicodeDecodeError):
            return None
    if name is None:
        return None
    name = name.removeprefix("posix/")
    if name in _UTC:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return name


def _linked(path: Path) -> str | None:
    try:
        target = os.readlink(path)
    except OSError:  # not a link (a copy of the zone file names no zone), or not there
        return None
    _, found, name = target.partition("zoneinfo/")
    return name if found and name else None
