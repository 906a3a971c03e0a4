"""Clock honesty: which instant a round is stamped with, and what the wall clock did meanwhile.

Owns the pure tracker (``observe``) that turns readings of the wall clock, the monotonic clock and the kernel's
NTP status into round stamps and clock events, and the system side (``SystemClock``: ``adjtimex`` for the
synchronisation status, the boot id that tells whether two monotonic readings share one timeline, whether an RTC
exists). The rules:

- Durations follow the monotonic clock. While the wall clock is trusted a round is stamped with it, and a jump
  between two rounds that the monotonic clock did not see is a **step** (the daemon closes what is open at the
  last round before it and starts a new session, so a step never becomes a fake outage or a negative duration).
- A clock that is **not yet synchronised** (a Raspberry Pi boots with the time it had at shutdown, or 1970) is not
  trusted: rounds get *provisional* stamps, monotonic time plus a fixed offset, so their spacing stays true, and
  never earlier than the last instant already in the store (a stale clock must not overlap history). When the clock
  is synchronised (the kernel says so, or it is stepped while unsynchronised: that is NTP setting it), the
  provisional stamps are **re-timed** by the difference between the true offset and the provisional one: exact,
  because the monotonic clock ran on unchanged. Synchronisation is sticky for a process: a line down for hours
  makes the kernel drop its NTP status, but a clock once set keeps good time.

Must not touch the store or the network; the tracker reads no clock itself (readings are given).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import time
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Protocol

log = logging.getLogger("netwatch")

STEP_SECONDS = 1.0  # wall-clock disagreement with the monotonic clock, round to round, that counts as a step
STEP_SHARE = 0.01  # ... or this share of the monotonic time between the two readings, whichever is larger
SYNC_MODES = ("auto", "ntp", "trust")


class EventKind(StrEnum):
    STEP = "step"  # the trusted wall clock jumped; incidents and the session were split there
    UNSYNCED = "unsynced"  # monitoring started with a clock that is not synchronised: stamps are provisional
    BEHIND = "behind"  # the unsynchronised clock was earlier than the store's last record: stamps moved after it
    SYNCED = "synced"  # the clock became synchronised; provisional stamps are re-timed by ``step``
    UNVERIFIED = "unverified"  # not synchronised, but no time service runs that could ever fix it: trusted as set


@dataclass(frozen=True)
class Reading:
    """One look at the clocks: wall (Unix seconds), monotonic (seconds) and the kernel's NTP status."""

    wall: float
    mono: float
    synced: bool | None  # None: unknown (not Linux, or adjtimex failed)


@dataclass(frozen=True)
class ClockEvent:
    """What the clock did, stamped with the (corrected) instant it was noticed. ``step`` is the jump in seconds
    (STEP), the re-timing applied to provisional stamps (SYNCED) or the shift of provisional stamps (BEHIND)."""

    kind: EventKind
    at: float
    step: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class Policy:
    """When the wall clock is trusted: ``mode`` "trust" (always), "ntp" (once the kernel reports NTP
    synchronisation, or the clock is stepped), "auto" ("ntp" on a machine without a real-time clock that runs a
    time service, such as a Raspberry Pi; otherwise trusted from the start: an RTC kept the time while the machine
    was off, and without a time service nothing would ever synchronise the clock)."""

    mode: str = "auto"
    has_rtc: bool = False
    time_service: str = ""  # the time service found running ("" for none)

    def trusted_at_start(self, synced: bool | None) -> bool:
        if self.mode == "trust" or synced is True:
            return True
        return self.mode == "auto" and (self.has_rtc or not self.time_service)


@dataclass(frozen=True)
class State:
    """The tracker between two readings. ``offset`` is wall minus monotonic of the provisional stamps (None once
    the clock is trusted); ``last`` the previous reading."""

    offset: float | None = None
    last: Reading | None = None


def _step(prev: Reading, now: Reading) -> float:
    """Seconds the wall clock jumped between two readings, 0.0 when within the step threshold."""
    elapsed = now.mono - prev.mono
    jump = (now.wall - prev.wall) - elapsed
    return jump if abs(jump) > max(STEP_SECONDS, STEP_SHARE * abs(elapsed)) else 0.0


def start(reading: Reading, policy: Policy, floor: float | None) -> tuple[State, float, list[ClockEvent]]:
    """The first reading of a process: (state, stamp, events). ``floor`` is the last instant in the store (None
    for an empty one): an untrusted clock earlier than that is provisionally moved just after it."""
    events: list[ClockEvent] = []
    if policy.trusted_at_start(reading.synced):
        if reading.synced is False and policy.mode == "auto" and not policy.time_service and not policy.has_rtc:
            events.append(
                ClockEvent(
                    EventKind.UNVERIFIED,
                    reading.wall,
                    0.0,
                    "the kernel reports no NTP synchronisation and no time service runs here: times are the system"
                    " clock's as set (enable systemd-timesyncd or chrony to have them checked)",
                )
            )
        return State(None, reading), reading.wall, events
    offset = reading.wall - reading.mono
    if floor is not None and reading.wall <= floor:
        shift = floor + 1.0 - reading.wall
        offset += shift
        events.append(
            ClockEvent(
                EventKind.BEHIND,
                reading.mono + offset,
                shift,
                f"the clock read {_iso(reading.wall)}, before the last record in the store ({_iso(floor)}): stamps"
                " are provisional, moved to just after it",
            )
        )
    stamp = reading.mono + offset
    why = "the kernel reports no NTP synchronisation" if reading.synced is False else "its status is unknown"
    events.insert(
        0,
        ClockEvent(
            EventKind.UNSYNCED,
            stamp,
            0.0,
            f"monitoring started before the clock was synchronised ({why}); rounds are stamped provisionally and"
            " re-timed once it is",
        ),
    )
    return State(offset, reading), stamp, events


def observe(state: State, reading: Reading) -> tuple[State, float, list[ClockEvent]]:
    """A later reading: (state, stamp for the round taken now, events)."""
    prev = state.last
    if prev is None:
        raise ValueError("observe() before start()")
    jump = _step(prev, reading)
    if state.offset is None:  # trusted
        events = [] if not jump else [ClockEvent(EventKind.STEP, reading.wall, jump, _step_detail(prev, reading))]
        return State(None, reading), reading.wall, events
    if reading.synced is True or jump:
        retime = (reading.wall - reading.mono) - state.offset
        how = "the kernel reports NTP synchronisation" if reading.synced is True else "the clock was stepped"
        event = ClockEvent(
            EventKind.SYNCED,
            reading.wall,
            retime,
            f"clock synchronised ({how}); provisional stamps re-timed by {retime:+.3f} s",
        )
        return State(None, reading), reading.wall, [event]
    stamp = reading.mono + state.offset
    return replace(state, last=reading), stamp, []


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at))


def _step_detail(prev: Reading, now: Reading) -> str:
    return f"wall clock stepped between {_iso(prev.wall)} and {_iso(now.wall)}"


# --- the system side ---------------------------------------------------------------------------------------


class Clock(Protocol):
    """The clocks the daemon reads; tests substitute a clock whose wall time they step."""

    def read(self, status: bool = True) -> Reading:
        """Both clocks; the NTP status too with ``status`` (else ``synced`` is None): it costs a system call and
        matters only while the clock is not trusted."""
        ...

    def boot_id(self) -> str: ...


_TIME_ERROR = 5  # adjtimex(2): the clock is not synchronised (STA_UNSYNC)


class _Timex(ctypes.Structure):
    # struct timex of <sys/timex.h> on Linux: 'long' fields are the platform's long (32 bits on a 32-bit Pi OS).
    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time_sec", ctypes.c_long),
        ("time_usec", ctypes.c_long),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("_reserved", ctypes.c_int * 11),
    ]


class SystemClock:
    """The real clocks. ``adjtimex`` with no modes only reads, so it needs no capability. systemd-timesyncd's
    flag file counts as synchronised too (it is written when timesyncd has set the clock)."""

    def __init__(self) -> None:
        self._adjtimex = None
        name = ctypes.util.find_library("c")
        if name:
            try:
                fn = ctypes.CDLL(name, use_errno=True).adjtimex
            except (OSError, AttributeError):
                fn = None
            self._adjtimex = fn
        self._boot_id = _read("/proc/sys/kernel/random/boot_id") or f"pid-{os.getpid()}-{time.time():.0f}"

    def synced(self) -> bool | None:
        if Path(TIMESYNCD_FLAG).exists():
            return True
        if self._adjtimex is None:
            return None
        tx = _Timex()
        state = self._adjtimex(ctypes.byref(tx))
        return None if state < 0 else state != _TIME_ERROR

    def read(self, status: bool = True) -> Reading:
        return Reading(time.time(), time.monotonic(), self.synced() if status else None)

    def boot_id(self) -> str:
        return self._boot_id


TIMESYNCD_FLAG = "/run/systemd/timesync/synchronized"
# Run-time traces of the usual time services (their RuntimeDirectory or pid file exists while they run).
_TIME_SERVICES = (
    ("systemd-timesyncd", "/run/systemd/timesync"),
    ("chrony", "/run/chrony"),
    ("chrony", "/run/chronyd.pid"),
    ("ntpd", "/run/ntpd.pid"),
    ("ntpd", "/run/ntp.pid"),
    ("openntpd", "/run/openntpd.pid"),
)


def time_service() -> str:
    """The name of the time service running here, or "" when none is found."""
    return next((name for name, path in _TIME_SERVICES if Path(path).exists()), "")


def policy(mode: str) -> Policy:
    """The policy of ``[clock] sync`` on this machine."""
    return Policy(mode, has_rtc(), time_service())


def has_rtc() -> bool:
    """Whether this machine has a real-time clock that kept the time while it was off (/dev/rtc0 exists)."""
    return Path("/dev/rtc0").exists() or Path("/sys/class/rtc/rtc0").exists()


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""
