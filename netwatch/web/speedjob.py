"""The speed test the dashboard runs: one at a time, on a worker thread, its progress kept for the page.

Owns starting a test (``start``: refused while one runs), running it through the same operation as `netwatch
speedtest` (``netwatch.app.speedtest``, with every attempt stored as evidence) and keeping the latest
``SpeedProgress`` for the live progress on the page, with the reason when it could not run. Must not word the
progress (the templates do, through ``netwatch.report``) nor take the speed test lock itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from netwatch.config import Config
from netwatch.core.model import SpeedProgress
from netwatch.errors import NetwatchError

log = logging.getLogger("netwatch")

Runner = Callable[..., object]


class SpeedJob:
    """At most one speed test of the dashboard at a time. ``run`` is ``netwatch.app.speedtest.run`` (tests may
    hand in another with its signature)."""

    def __init__(self, cfg: Config, run: Runner | None = None) -> None:
        self.cfg, self._run = cfg, run
        self._lock = threading.Lock()
        self._progress: SpeedProgress | None = None
        self._thread: threading.Thread | None = None

    @property
    def progress(self) -> SpeedProgress | None:
        """The running or last test's progress; None before the first."""
        with self._lock:
            return self._progress

    @property
    def running(self) -> bool:
        with self._lock:
            return self._progress is not None and not self._progress.done

    def start(self) -> bool:
        """Start a test on a worker thread; False when one is running already."""
        with self._lock:
            if self._progress is not None and not self._progress.done:
                return False
            self._progress = SpeedProgress(time.time())
            self._thread = threading.Thread(target=self._work, name="netwatch-web-speedtest", daemon=True)
            self._thread.start()
        return True

    def _tell(self, progress: SpeedProgress) -> None:
        with self._lock:
            self._progress = progress

    def _work(self) -> None:
        try:
            if self._run is None:
                # The speed test backends are loaded when a test is first asked for, not by every dashboard.
                from netwatch.app import speedtest

                self._run = speedtest.run
            self._run(self.cfg, store=True, progress=self._tell)
        except NetwatchError as err:
            self._finish(str(err))
        except Exception as err:  # the dashboard must outlive a broken backend; the traceback goes to the log
            log.exception("the dashboard's speed test failed")
            self._finish(f"internal error: {type(err).__name__}: {err}")

    def _finish(self, error: str) -> None:
        with self._lock:
            started = self._progress.started if self._progress is not None else time.time()
            attempts = self._progress.attempts if self._progress is not None else ()
            self._progress = SpeedProgress(started, attempts=attempts, done=True, error=error)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running test (tests and shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
