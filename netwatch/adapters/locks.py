"""Locks between netwatch's processes: one file beside the store per purpose, held with ``flock``.

Owns the one way netwatch locks (``acquire``, ``held``, ``holder``), telling whether a lock is held, and by which
process, without taking it (``is_locked``, ``locker``, from the kernel's /proc/locks), and the lock files' names
(``<store>.lock`` for the daemon, ``<store>.speed.lock`` for speed tests, ``<store>.campaign.lock`` for a campaign
run). The kernel releases a lock when its file is closed, also when the process dies, so a crash never leaves one
held. Must not decide what a busy lock means: the callers say (the daemon refuses to start, a scheduled speed test
is skipped, a campaign run is refused).

The speed test lock keeps two speed tests from running at once across processes (the daemon's scheduled tests and
those of `netwatch campaign run` share the line, and each would halve the other's figures): the daemon does not
wait for it, a campaign waits up to a deadline (a daemon test ends within a minute or two). A speed test lock file
that cannot be opened (permissions) is logged and the test runs without it: a missed lock costs accuracy, a
skipped test costs data.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("netwatch")

POLL_S = 0.2
PROC_LOCKS = Path("/proc/locks")


def path_for(store: Path, purpose: str = "") -> Path:
    """The lock file of ``purpose`` ("" for the daemon's, "speed", "campaign") beside ``store``."""
    return store.with_name(f"{store.name}.{purpose}.lock" if purpose else f"{store.name}.lock")


def acquire(path: Path, *, wait: float = 0.0, cancel: threading.Event | None = None) -> int | None:
    """The descriptor of ``path`` (created if missing) with its lock held: closing it releases the lock. None when
    another process still held it after ``wait`` seconds, or ``cancel`` was set while waiting. Raises OSError when
    the file cannot be opened."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline or (cancel is not None and cancel.wait(POLL_S)):
                os.close(fd)
                return None
            if cancel is None:
                time.sleep(POLL_S)


def mark(fd: int) -> None:
    """Write this process's id into the held lock file, for ``holder``."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


def holder(path: Path) -> str:
    """The process id written into ``path`` by its holder ("" when none is known)."""
    try:
        text = path.read_text().strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""


def is_locked(path: Path, table: Path = PROC_LOCKS) -> bool | None:
    """Whether a process holds the flock of ``path`` now, read from the kernel's lock table without touching the
    lock (taking it to see would make a daemon that starts at that instant refuse to run). False when ``path``
    does not exist; None when the table cannot be read (not Linux, /proc not mounted)."""
    found = _lockers(path, table)
    return None if found is None else bool(found)


def locker(path: Path, table: Path = PROC_LOCKS) -> int | None:
    """The id of the process holding the flock of ``path`` now, from the kernel's lock table (as ``is_locked``);
    None when none holds it or the table cannot be read."""
    found = _lockers(path, table)
    return found[0] if found else None


def _lockers(path: Path, table: Path) -> list[int] | None:
    """The ids of the processes holding the flock of ``path`` (none when it does not exist); None when unknown."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return []
    except OSError:
        return None
    try:
        text = table.read_text()
    except OSError:
        return None
    # "3: FLOCK  ADVISORY  WRITE 13364 fe:00:2147077 0 EOF"; a waiter's line has "->" after the number.
    wanted = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted and fields[4].isdigit():
            found.append(int(fields[4]))
    return found


@contextlib.contextmanager
def held(path: Path, *, wait: float = 0.0, cancel: threading.Event | None = None) -> Iterator[bool]:
    """Hold the lock of ``path`` for the block: yields True when taken, False when another process held it (see
    ``acquire``). Raises OSError when the file cannot be opened."""
    with _holding(acquire(path, wait=wait, cancel=cancel)) as taken:
        yield taken


@contextlib.contextmanager
def _holding(fd: int | None) -> Iterator[bool]:
    if fd is None:
        yield False
        return
    try:
        yield True
    finally:
        os.close(fd)


@contextlib.contextmanager
def speed_test(path: Path, wait: float = 0.0, cancel: threading.Event | None = None) -> Iterator[bool]:
    """The speed test lock ``path`` (``path_for(store, "speed")``) for the block: True when taken or when its file
    cannot be opened (logged), False when another process's test still held it after ``wait`` seconds."""
    try:
        fd = acquire(path, wait=wait, cancel=cancel)
    except OSError as err:
        log.warning("cannot open the speed test lock %s (%s): testing without it", path, err)
        yield True
        return
    with _holding(fd) as taken:
        yield taken
