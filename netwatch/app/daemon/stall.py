"""A stalled probe loop, reported from a thread of its own: where the loop's thread is stuck, before the watchdog
kills it.

Owns noticing that the loop has made no round (no ``beat``) for longer than a healthy one ever takes, and logging,
once per stall, the Python stack of the loop's thread at the error priority (`journalctl -p err` shows every line),
then a warning when it beats again. The stack is read with ``sys._current_frames`` under the GIL, from Python: unlike
faulthandler's dump of every thread at the watchdog's SIGABRT, which reads other threads' frames while they run and
can crash half-way (a limitation CPython documents), it cannot take the process down. Must not stop, restart or
signal anything, nor touch the loop's state: it reads the time of the last beat and the stalled thread's frames.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable

log = logging.getLogger("netwatch")


def report(stalled_for: float, limit: float, stack: list[str]) -> str:
    """The error logged for a stall: a headline, then the stack (most recent call last), as Python prints one."""
    head = (
        f"the probe loop has made no round for {stalled_for:.1f} s (a round ends at most {limit:g} s after the one "
        "before); it is stuck here (most recent call last):"
    )
    return "\n".join([head, *(line.rstrip("\n") for line in stack)])


class StallReporter:
    """Started on the loop's own thread when rounds begin (start-up steps may legitimately take long, and extend
    systemd's start timeout instead), beaten after every round, stopped before the final flush (likewise).
    ``limit`` is the longest healthy gap between beats: half of ``service.watchdog_needed``, so that the report
    comes no later than systemd's watchdog."""

    def __init__(self, limit: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self.reports = 0
        self._last = clock()
        self._reported: float | None = None  # the beat whose stall was reported
        self._target = 0
        self._lock = threading.Lock()  # a beat and a check never interleave: no report of a stall that just ended
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def follow(self) -> None:
        """The calling thread is the loop's, beaten from now on (``start`` does this, then starts watching)."""
        self._target = threading.get_ident()
        self._last = self.clock()

    def start(self) -> None:
        """Watch the calling thread from now on, from a thread of its own."""
        self.follow()
        self._thread = threading.Thread(target=self._watch, name="netwatch-stall", daemon=True)
        self._thread.start()

    def beat(self) -> None:
        """The loop made a round: cheap, called from the loop's thread."""
        with self._lock:
            now = self.clock()
            stalled = self._reported
            self._reported = None
            self._last = now
        if stalled is not None:
            log.warning("the probe loop is running again, after a stall of %.1f s", now - stalled)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def check(self) -> str | None:
        """The report of the current stall, once; None while the loop is healthy or its stall was reported."""
        with self._lock:
            last = self._last
            stalled_for = self.clock() - last
            if stalled_for <= self.limit or self._reported is not None:
                return None
            frame = sys._current_frames().get(self._target)
            if frame is None:  # the loop's thread has ended: nothing is stalled
                return None
            self._reported = last
            self.reports += 1
            stack = traceback.format_stack(frame)
        return report(stalled_for, self.limit, stack)

    def _next_check(self) -> float:
        """Seconds until the last beat is overdue (a little after, so that the gap is then over the limit); a
        whole limit while a reported stall lasts."""
        if self._reported is not None:
            return self.limit
        return max(self._last + self.limit - self.clock(), 0.0) + 0.05

    def _watch(self) -> None:
        # Wakes when a beat is overdue, not on a fixed tick: about once per limit while the loop is healthy.
        while not self._stop.wait(self._next_check()):
            text = self.check()
            if text is not None:
                log.error("%s", text)
