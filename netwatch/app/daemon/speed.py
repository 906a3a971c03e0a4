"""The daemon's speed test task: runs a test every ``[speedtest] interval`` ± jitter, stores every attempt.

Owns the imperative side of scheduled speed tests: the timer (first test at a random point within the first
interval, never at start), building the backends (with what is left of the daily data budget as ``max_bytes`` for
the http and cloudflare backends), running the fallback chain on a daemon thread (a stop never waits for it: the
cancel event makes the backend abort and the thread dies with the process), storing every attempt through the
store's writer (skipped ones too, with the reason), feeding the ``slow`` detector and logging. Never two tests at
once: one task, one test at a time, and none while `netwatch campaign run` holds the speed test lock
(``netwatch.adapters.locks``): that test is skipped, recorded with the reason. Must not decide when a test runs
or whether the line is slow (``speedcheck``'s rules, pure): this module only reads clocks, the daemon's detector
state and the store.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from netwatch.adapters import locks
from netwatch.adapters.probes.speed import SpeedBackend, make_backend, run_with_fallback
from netwatch.config import Config
from netwatch.core import detect, speedcheck
from netwatch.core.detect import Closed, Opened
from netwatch.core.model import Incident, SpeedResult
from netwatch.core.text import utc
from netwatch.errors import ConfigError
from netwatch.report.status import speed_summary as summary

if TYPE_CHECKING:
    from netwatch.app.daemon.runtime import Runtime
    from netwatch.app.daemon.writer import Writer

log = logging.getLogger("netwatch")

BUDGETED = frozenset({"http", "cloudflare"})  # backends that accept max_bytes
CAMPAIGN_RUNNING = "skipped: a speed campaign test is running (netwatch campaign run)"


def build_chain(config: Config, names: tuple[str, ...], max_bytes: int | None) -> list[SpeedBackend]:
    """The backends ``names`` from their ``[speedtest.<name>]`` options; ``max_bytes`` (the budget left) caps
    the backends that support it. Raises ConfigError (validated already, so only on a bug)."""
    chain: list[SpeedBackend] = []
    for name in names:
        options: dict[str, Any] = config.speedtest.options_for(name)
        if max_bytes is not None and name in BUDGETED:
            options["max_bytes"] = min(int(options.get("max_bytes") or max_bytes), max_bytes)
        chain.append(make_backend(name, options))
    return chain


class SpeedTask:
    """Scheduled speed tests for one daemon run: ``await run()`` until the daemon's stop event is set."""

    def __init__(self, runtime: Runtime, writer: Writer, rand: Callable[[], float] = random.random) -> None:
        self.runtime, self.writer, self.rand = runtime, writer, rand
        self.cfg = runtime.config
        self.rules = speedcheck.SlowRules(
            self.cfg.plan.download_mbps, self.cfg.plan.upload_mbps, self.cfg.plan.slow_below_percent
        )
        self.state = speedcheck.SlowState()
        self.cancel = threading.Event()  # set on stop: a running backend aborts within about a second
        self.tests = 0

    async def run(self) -> None:
        st = self.cfg.speedtest
        delay = speedcheck.first_delay(st.interval, self.rand())
        log.info(
            "speed tests every %g s (± %g s) via %s; first in %.0f s",
            st.interval,
            st.jitter,
            " then ".join(st.chain),
            delay,
        )
        while not self.runtime.stop.is_set():
            try:
                await asyncio.wait_for(self.runtime.stop.wait(), delay)
                return
            except TimeoutError:
                pass
            try:
                await self.once()
            except Exception:  # one failing part never stops the loop (nor the daemon)
                log.exception("speed test task failed; retrying at the next interval")
            delay = speedcheck.next_delay(st.interval, st.jitter, self.rand())

    async def once(self) -> None:
        """One scheduled test: skipped (recorded with the reason) or run with fallback, then stored and judged."""
        st = self.cfg.speedtest
        at = self.runtime.now()
        store = self.writer.store
        used = await asyncio.wrap_future(self.writer.submit(store.speed_bytes_since, speedcheck.utc_day_start(at)))
        reason = speedcheck.skip_reason(detect.current_outage(self.runtime.state), st.daily_budget_mb, used)
        if reason is not None:
            self._skip(at, reason)
            return
        try:
            chain = build_chain(self.cfg, st.chain, speedcheck.budget_left(st.daily_budget_mb, used))
        except ConfigError as err:
            log.error("speed test not run: %s", err)
            return
        # The backends stamp attempts with the wall clock: they are stored as the daemon stamps (provisionally while
        # the clock is untrusted, corrected by a synchronisation that happens during the test).
        wall, mono = time.time(), time.monotonic()
        with locks.speed_test(locks.path_for(self.cfg.store.path, "speed")) as free:
            if not free:
                self._skip(at, CAMPAIGN_RUNNING)
                return
            attempts = await self._in_thread(chain)
        if attempts is None:  # stopped while running: the thread is cancelled and abandoned
            return
        started = self.runtime.restamp(at, mono)
        for attempt in attempts:
            result = dataclasses.replace(attempt, at=started + (attempt.at - wall))
            self.tests += 1
            if result.cancelled:
                log.info("speed test via %s cancelled", result.backend)
            else:
                log.info("%s", summary(result))
            self.writer.submit(store.save_speed, result)
            self.runtime.speed_measured(result, self._judge(result))

    def _skip(self, at: float, reason: str) -> None:
        log.info("speed test via %s %s", self.cfg.speedtest.backend, reason)
        skipped = speedcheck.skipped(at, self.cfg.speedtest.backend, reason)
        self.writer.submit(self.writer.store.save_speed, skipped)
        self.runtime.speed_measured(skipped)

    async def _in_thread(self, chain: list[SpeedBackend]) -> tuple[SpeedResult, ...] | None:
        from netwatch.app.daemon.writer import in_daemon_thread

        return await self.runtime.until_stopped(
            in_daemon_thread(run_with_fallback, chain, self.cancel, name="netwatch-speedtest")
        )

    def _judge(self, result: SpeedResult) -> list[detect.Event]:
        self.state, events = speedcheck.step(self.state, result, self.rules, detect.line_ok(self.runtime.last_round))
        for event in events:
            inc = event.incident
            self.writer.submit(self.writer.store.save_incident, inc)
            if isinstance(event, Opened):
                log.warning("SLOW STARTED at %s (cause %s): %s", utc(inc.start), inc.cause.value, inc.detail)
            elif isinstance(event, Closed):
                log.warning(
                    "SLOW ENDED at %s after %d slow test(s): %s", utc(inc.end or result.at), inc.rounds, summary(result)
                )
                self.runtime.closed(inc)
        return events

    def shifted(self, delta: float) -> None:
        """The clock was synchronised: the open slow incident's tests were re-timed by ``delta`` seconds."""
        self.state = speedcheck.shifted(self.state, delta)

    def shutdown(self, at: float) -> list[Incident]:
        """Abort a running test and close an open slow incident at ``at``; returns what was closed (to save)."""
        self.cancel.set()
        self.state, events = speedcheck.close_all(self.state, at)
        return [e.incident for e in events]
