"""Clock honesty: which instant a round is stamped with, and what the wall clock did meanwhile.

Owns the pure tracker (``start``, ``observe``) that turns readings of the wall clock, the monotonic clock and the
kernel's NTP status into round stamps and clock events (``ClockEvent``, a record of ``netwatch.core.model``), and
the policy of when the wall clock is trusted. Reading the real clocks is ``netwatch.adapters.clock``'s. The rules:

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

Must not read a clock, the store or the network: readings are given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from netwatch.core.model import ClockEvent, EventKind
from netwatch.core.text import utc

STEP_SECONDS = 1.0  # wall-clock disagreement with the monotonic clock, round to round, that counts as a step
STEP_SHARE = 0.01  # ... or this share of the monotonic time between the two readings, whichever is larger
SYNC_MODES = ("auto", "ntp", "trust")


@dataclass(frozen=True)
class Reading:
    """One look at the clocks: wall (Unix seconds), monotonic (seconds) and the kernel's NTP status."""

    wall: float
    mono: float
    synced: bool | None  # None: unknown (not Linux, or adjtimex failed)


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
                f"the clock read {utc(reading.wall)}, before the last record in the store ({utc(floor)}): stamps"
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


def _step_detail(prev: Reading, now: Reading) -> str:
    return f"wall clock stepped between {utc(prev.wall)} and {utc(now.wall)}"


class Clock(Protocol):
    """The clocks the daemon reads; tests substitute a clock whose wall time they step."""

    def read(self, status: bool = True) -> Reading:
        """Both clocks; the NTP status too with ``status`` (else ``synced`` is None): it costs a system call and
        matters only while the clock is not trusted."""
        ...

    def boot_id(self) -> str: ...
