"""The lock that keeps two speed tests from running at once across processes: the daemon's scheduled tests and
those of `netwatch campaign run` share the line, and each would halve the other's figures.

Owns the lock file (``<store path>.speed.lock``, next to the store both processes write) and taking it with
``flock``: without waiting for the daemon (it skips its test while a campaign test runs), waiting up to a
deadline for a campaign (a daemon test ends within a minute or two). The kernel releases the lock when the file
is closed, also when the process dies, so a crash never leaves it held. A lock file that cannot be opened
(permissions) is logged and the test runs without it: a missed lock costs accuracy, a skipped test costs data.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("netwatch")

POLL_S = 0.2


def lock_path(store: Path) -> Path:
    return store.with_name(store.name + ".speed.lock")


@contextlib.contextmanager
def held(path: Path, wait: float = 0.0, cancel: threading.Event | None = None) -> Iterator[bool]:
    """Hold the lock for the block: yields True when taken (or the file cannot be opened), False when another
    process still held it after ``wait`` seconds (or ``cancel`` was set while waiting)."""
    try:
        handle = path.open("a")
    except OSError as err:
        log.warning("cannot open the speed test lock %s (%s): testing without it", path, err)
        yield True
        return
    with handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline or (cancel is not None and cancel.wait(POLL_S)):
                    yield False
                    return
                if cancel is None:
                    time.sleep(POLL_S)
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
