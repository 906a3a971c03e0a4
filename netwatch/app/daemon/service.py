"""What the daemon tells systemd, and when: readiness, the watchdog, a status line, stopping, slow phases.

Owns the daemon's side of ``Type=notify`` (the wire is ``sdnotify``): STATUS while starting, EXTEND_TIMEOUT_USEC
while a start-up step (opening, migrating or recovering a big store on an SD card) or the final flush runs long,
READY=1 once monitoring really starts (or, with a STATUS saying so, once it waits for the network before the
first route to an anchor, which may take as long as the network does), WATCHDOG=1 after probe rounds (and while
waiting), throttled to half the watchdog timeout,
a one-line STATUS whenever the line's state changes, and STOPPING=1 when shutdown begins.

The keep-alive is sent from the probe loop itself, never from a thread of its own: a hung loop stops the pings
and systemd restarts the service. The watchdog rule lives here (``watchdog_needed``). Must not probe, store or
decide anything about the line; it only reads the daemon's state. Without $NOTIFY_SOCKET everything is a no-op.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from netwatch.adapters.sdnotify import Notifier
from netwatch.config import Config
from netwatch.core.model import Incident
from netwatch.core.text import recent

if TYPE_CHECKING:
    from netwatch.app.daemon.runtime import Line

log = logging.getLogger("netwatch")
T = TypeVar("T")

SLACK = 1.0  # seconds a busy Raspberry Pi may lose per round besides probing (a slow journal write, GC)
EXTEND_EVERY = 5.0  # seconds between EXTEND_TIMEOUT_USEC messages while a slow phase runs
START_GRACE = 1800.0  # a start-up step may be extended this long (a migration of a big store), then systemd decides
STOP_GRACE = 300.0  # likewise the final flush of a backlog


def watchdog_needed(interval: float, probe_timeout: float, dns_timeout: float) -> float:
    """The shortest watchdog timeout (WatchdogSec=) that a healthy daemon with this configuration always keeps.

    A ping goes out after the first round that ends at least half the timeout W after the previous ping, and
    consecutive rounds end at most ``interval`` plus the slowest round apart. The slowest legitimate round is
    counted as ``probe.timeout + dns.timeout`` (they run concurrently, so this over-estimates), plus SLACK. The
    gap between two pings is then at most W/2 + interval + slowest round, which stays below W when
    W >= 2 * (interval + probe.timeout + dns.timeout + SLACK). Rounded up to a whole second.
    """
    return float(math.ceil(2 * (interval + probe_timeout + dns_timeout + SLACK)))


def status_line(open_incidents: Sequence[Incident], targets: int, at: float, tz: ZoneInfo) -> str:
    """The one line `systemctl status` shows, e.g. "line up · 6 targets · 0 open incidents" or
    "OUTAGE since 10:15:02 GMT (cause isp) · 6 targets · 1 open incident". The headline is the first open
    incident (pass them outage first); the date is shown when it started on another local day than ``at``."""
    if open_incidents:
        first = open_incidents[0]
        shown = recent(first.start, at, tz, other_day="datetime")
        head = f"{first.kind.value.upper()} since {shown} (cause {first.cause.value})"
    else:
        head = "line up"
    count = len(open_incidents)
    return f"{head} · {targets} target{'s' * (targets != 1)} · {count} open incident{'s' * (count != 1)}"


class Supervision:
    """The daemon's conversation with systemd for one run. Every method is cheap and never raises."""

    def __init__(
        self,
        notifier: Notifier,
        config: Config,
        clock: Callable[[], float] = time.monotonic,
        extend_every: float = EXTEND_EVERY,
    ) -> None:
        self.notifier = notifier
        self.config = config
        self.clock = clock
        self.extend_every = extend_every
        self.pings = 0
        self._last_ping = -math.inf
        self._status_key: object = None
        self._ready = False

    async def step(self, what: str, work: Awaitable[T]) -> T:
        """``await work``, shown as "starting: WHAT"; while it runs longer than ``extend_every`` the start-up
        timeout is extended (up to START_GRACE), so a big store's migration is not killed as a hung start."""
        if not self.notifier.enabled:
            return await work
        self.notifier.status(f"starting: {what}")
        task = asyncio.ensure_future(work)
        waited = 0.0
        while True:
            done, _ = await asyncio.wait({task}, timeout=self.extend_every)
            if done:
                return task.result()
            waited += self.extend_every
            if waited <= START_GRACE:
                self.notifier.extend_timeout(3 * self.extend_every)

    def waiting(self, why: str) -> None:
        """READY=1 while netwatch waits for the network before it can monitor anything (slow DHCP at boot): it is up
        and doing what it must, however long the network takes, so the start must not time out. Then
        ``keep_alive`` until ``ready``."""
        if not self.notifier.enabled:
            return
        self._check_watchdog()
        self._ready = True
        self._status_key = None
        self.notifier.ready(f"waiting for the network: {why}")
        self._ping(self.clock())

    def keep_alive(self) -> None:
        """WATCHDOG=1 when half the watchdog timeout has passed (while waiting: no round pings it)."""
        if self.notifier.enabled and self.notifier.watchdog is not None:
            now = self.clock()
            if now - self._last_ping >= self.notifier.watchdog / 2:
                self._ping(now)

    def ready(self, line: Line) -> None:
        """READY=1 with the first status line: the store is open and recovered and the session has begun (only the
        status line, when ``waiting`` said READY already)."""
        if not self.notifier.enabled:
            return
        self._status_key = self._key(line)
        if self._ready:
            self.notifier.status(self._status(line))
            return
        self._check_watchdog()
        self._ready = True
        self.notifier.ready(self._status(line))
        self._ping(self.clock())

    def _check_watchdog(self) -> None:
        """Warn (and ask systemd for enough for this run) when WatchdogSec= is too short for this configuration."""
        watchdog = self.notifier.watchdog
        if watchdog is not None:
            cfg = self.config
            need = watchdog_needed(cfg.probe.interval, cfg.probe.timeout, cfg.dns.timeout)
            if watchdog < need:
                log.warning(
                    "the systemd watchdog (WatchdogSec=%gs) is too short for a round every %g s with probe and DNS "
                    "timeouts of %g and %g s: it needs at least %g s (2 x (interval + both timeouts + %g s)); "
                    "asking systemd for %g s for this run. Set WatchdogSec=%g with `systemctl edit netwatch`",
                    watchdog,
                    cfg.probe.interval,
                    cfg.probe.timeout,
                    cfg.dns.timeout,
                    need,
                    SLACK,
                    need,
                    need,
                )
                self.notifier.set_watchdog(need)
            log.info("systemd watchdog: %g s, kept alive after rounds at most every %g s", *self._watchdog_times())

    def after_round(self, line: Line) -> None:
        """After every round: WATCHDOG=1 when half the watchdog timeout has passed, STATUS when it changed."""
        if not self.notifier.enabled:
            return
        now = self.clock()
        watchdog = self.notifier.watchdog
        if watchdog is not None and now - self._last_ping >= watchdog / 2:
            self._ping(now)
        key = self._key(line)
        if key != self._status_key:
            self._status_key = key
            self.notifier.status(self._status(line))

    def stopping(self) -> None:
        self.notifier.stopping("stopping: closing open incidents and flushing the store")

    def wait(self, done: concurrent.futures.Future[Any], what: str) -> None:
        """Block until ``done`` (the final flush), extending the stop timeout while it takes long (up to
        STOP_GRACE: a writer stuck for longer is left to systemd's SIGKILL)."""
        if not self.notifier.enabled:
            return
        waited = 0.0
        while not concurrent.futures.wait([done], timeout=self.extend_every).done:
            waited += self.extend_every
            if waited <= STOP_GRACE:
                if waited == self.extend_every:
                    self.notifier.status(f"stopping: {what}")
                self.notifier.extend_timeout(3 * self.extend_every)

    def _watchdog_times(self) -> tuple[float, float]:
        watchdog = self.notifier.watchdog or 0.0
        return watchdog, watchdog / 2

    def _ping(self, now: float) -> None:
        if self.notifier.ping():
            self.pings += 1
        self._last_ping = now

    @staticmethod
    def _key(line: Line) -> object:
        return tuple((i.kind, i.cause, i.start) for i in line.open_incidents), line.targets

    def _status(self, line: Line) -> str:
        at = line.at if line.at is not None else time.time()
        return status_line(line.open_incidents, line.targets, at, self.config.business_hours.timezone)
