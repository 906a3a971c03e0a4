"""The time zone abbreviations people write ("BST", "CET", "EST") and the IANA names they mean.

Owns ``ABBREVIATIONS``, ``lookup`` and ``names``: what sends an owner from an abbreviation to the IANA name. An
abbreviation names one side of a clock change (BST is London in summer only), and some are zones of their own
that never change ("EST" is UTC-5 all year, "GMT" UTC), so business hours set with one would be an hour off for
half the year. Must not load time zones or read the clock.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Abbreviation:
    """What an abbreviation stands for, the IANA names to use instead, and its UTC offset when it has one."""

    meaning: str
    zones: tuple[str, ...]
    offset: str | None = None


_EUROPE_CENTRAL = ("Europe/Berlin", "Europe/Paris")
_EUROPE_EAST = ("Europe/Athens", "Europe/Helsinki")
ABBREVIATIONS: dict[str, Abbreviation] = {
    "GMT": Abbreviation("Greenwich Mean Time, the UK's winter time", ("Europe/London", "UTC"), "+00:00"),
    "BST": Abbreviation("British Summer Time", ("Europe/London",), "+01:00"),
    "IST": Abbreviation("Irish or India Standard Time", ("Europe/Dublin", "Asia/Kolkata")),
    "WET": Abbreviation("Western European Time", ("Europe/Lisbon",), "+00:00"),
    "WEST": Abbreviation("Western European Summer Time", ("Europe/Lisbon",), "+01:00"),
    "CET": Abbreviation("Central European Time", _EUROPE_CENTRAL, "+01:00"),
    "CEST": Abbreviation("Central European Summer Time", _EUROPE_CENTRAL, "+02:00"),
    "MET": Abbreviation("Middle European Time", _EUROPE_CENTRAL, "+01:00"),
    "MEST": Abbreviation("Middle European Summer Time", _EUROPE_CENTRAL, "+02:00"),
    "EET": Abbreviation("Eastern European Time", _EUROPE_EAST, "+02:00"),
    "EEST": Abbreviation("Eastern European Summer Time", _EUROPE_EAST, "+03:00"),
    "MSK": Abbreviation("Moscow Time", ("Europe/Moscow",), "+03:00"),
    "EST": Abbreviation("Eastern Standard Time", ("America/New_York",), "-05:00"),
    "EDT": Abbreviation("Eastern Daylight Time", ("America/New_York",), "-04:00"),
    "CST": Abbreviation("Central Standard Time", ("America/Chicago",), "-06:00"),
    "CDT": Abbreviation("Central Daylight Time", ("America/Chicago",), "-05:00"),
    "MST": Abbreviation("Mountain Standard Time", ("America/Denver", "America/Phoenix"), "-07:00"),
    "MDT": Abbreviation("Mountain Daylight Time", ("America/Denver",), "-06:00"),
    "PST": Abbreviation("Pacific Standard Time", ("America/Los_Angeles",), "-08:00"),
    "PDT": Abbreviation("Pacific Daylight Time", ("America/Los_Angeles",), "-07:00"),
    "AKST": Abbreviation("Alaska Standard Time", ("America/Anchorage",), "-09:00"),
    "HST": Abbreviation("Hawaii Standard Time", ("Pacific/Honolulu",), "-10:00"),
    "AEST": Abbreviation("Australian Eastern Standard Time", ("Australia/Sydney", "Australia/Brisbane"), "+10:00"),
    "AEDT": Abbreviation("Australian Eastern Daylight Time", ("Australia/Sydney",), "+11:00"),
    "ACST": Abbreviation("Australian Central Standard Time", ("Australia/Adelaide",), "+09:30"),
    "AWST": Abbreviation("Australian Western Standard Time", ("Australia/Perth",), "+08:00"),
    "NZST": Abbreviation("New Zealand Standard Time", ("Pacific/Auckland",), "+12:00"),
    "NZDT": Abbreviation("New Zealand Daylight Time", ("Pacific/Auckland",), "+13:00"),
    "JST": Abbreviation("Japan Standard Time", ("Asia/Tokyo",), "+09:00"),
    "SAST": Abbreviation("South Africa Standard Time", ("Africa/Johannesburg",), "+02:00"),
    # The POSIX-style zones of the tz database: US rules without a place.
    "EST5EDT": Abbreviation("US Eastern time", ("America/New_York",)),
    "CST6CDT": Abbreviation("US Central time", ("America/Chicago",)),
    "MST7MDT": Abbreviation("US Mountain time", ("America/Denver",)),
    "PST8PDT": Abbreviation("US Pacific time", ("America/Los_Angeles",)),
}


def lookup(word: str) -> Abbreviation | None:
    """The abbreviation ``word`` is (any case), or None."""
    return ABBREVIATIONS.get(word.strip().upper())


def names(found: Abbreviation) -> str:
    """Its IANA names for a sentence: '"Europe/London"', '"Europe/Berlin" or "Europe/Paris"'."""
    quoted = [f'"{zone}"' for zone in found.zones]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
