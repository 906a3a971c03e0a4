"""The real clocks: the wall clock, the monotonic clock, the kernel's NTP status and what this machine has.

Owns ``SystemClock`` (``adjtimex`` for the synchronisation status and its maximum error, the boot id that tells
whether two monotonic readings share one timeline), finding a running time service and a real-time clock, and
``policy``: the rules of ``netwatch.core.clock`` for this machine. Must not decide how rounds are stamped: the
core's tracker does.
"""

from __future__ import annotations

import ctypes
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netwatch.core.clock import Policy, Reading

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
        # The C library is already in the process: its symbols are found without looking for the file
        # (ctypes.util.find_library would load shutil, tempfile and the compressors into the daemon).
        self._adjtimex: Callable[[Any], int] | None
        try:
            self._adjtimex = ctypes.CDLL(None, use_errno=True).adjtimex
        except (OSError, AttributeError):
            self._adjtimex = None
        self._boot_id = _read("/proc/sys/kernel/random/boot_id") or f"pid-{os.getpid()}-{time.time():.0f}"

    def synced(self) -> bool | None:
        if Path(TIMESYNCD_FLAG).exists():
            return True
        if self._adjtimex is None:
            return None
        tx = _Timex()
        state = self._adjtimex(ctypes.byref(tx))
        return None if state < 0 else state != _TIME_ERROR

    def max_error(self) -> float | None:
        """The kernel's maximum error of the wall clock in seconds (adjtimex's ``maxerror``), or None when it
        cannot be read."""
        if self._adjtimex is None:
            return None
        tx = _Timex()
        if self._adjtimex(ctypes.byref(tx)) < 0:
            return None
        return float(tx.maxerror) / 1e6

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
