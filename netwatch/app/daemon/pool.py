"""The daemon's pool task: publishes the household's closed outages and monitored time to the neighbourhood pool.

Owns the imperative side of ``[pool]``: the household's id (made once, in the store), queueing what
``netwatch.core.pool`` lets out into the store's pool outbox (when an incident closes, and every ``[pool]
coverage_every`` seconds for the time monitored), and sending it, one batch at a time on a daemon thread, only while
the line is up and the clock trusted, each failure retried with capped backoff and nothing ever given up: the outbox
and the point's fixed identity in the pool make it exactly once, and each version the pool confirmed is chained in
the store. It works per incident and per ``coverage_every``, never per round: the probe loop only tells it that an
incident closed. Every store call goes through the daemon's writer thread; errors are logged once per change;
nothing here stops the daemon. Separate from the InfluxDB exporter (``export``), which it shares nothing with. Must
not decide what leaves the machine (``netwatch.core.pool``'s rules do), block the probe loop or write the store but
through the writer.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from netwatch.adapters.influx import pool as pooldb
from netwatch.adapters.influx.sinks import Sink
from netwatch.app.daemon.export import Backoff
from netwatch.app.daemon.writer import Stopped, in_daemon_thread, until_stopped
from netwatch.config import Config
from netwatch.core import pool as rules
from netwatch.core.model import Incident, Member, PoolEntry
from netwatch.errors import NetwatchError

if TYPE_CHECKING:
    from netwatch.app.daemon.writer import Writer

log = logging.getLogger("netwatch")
T = TypeVar("T")

LINE_POLL = 1.0  # seconds between looks at the line while something waits for it to come back
BATCH = 50  # publications per write


class PoolTask:
    """Publishing for one daemon run: ``await run()`` until ``stop`` is set; ``closed(incident)`` looks sooner."""

    def __init__(
        self,
        config: Config,
        writer: Writer,
        line_up: Callable[[], bool],
        stop: asyncio.Event,
        ready: threading.Event,
        *,
        backoff: Backoff = Backoff(base=5.0, cap=600.0),  # noqa: B008 (frozen, so sharing the default is safe)
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.cfg, self.writer, self.line_up, self.stop, self.ready = config, writer, line_up, stop, ready
        self.backoff, self.clock, self.rand = backoff, clock, rand
        self.published = 0
        self.failures = 0
        self._wake = asyncio.Event()
        self._look = True  # an incident closed (or the run began): queue before the next send
        self._failing = ""  # the last failure logged, to log once per change

    def closed(self, incident: Incident) -> None:
        """An incident ended: look at what to publish soon (it is sent once the line is up)."""
        self._look = True
        self._wake.set()

    async def _store(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self.writer.submit(fn, *args))

    async def run(self) -> None:
        store = self.writer.store
        pool = self.cfg.pool
        try:
            household = await self._store(store.pool_join, rules.household_id(secrets.token_bytes(8)), self.clock())
        except Stopped:
            return
        except NetwatchError as err:
            log.error("pool: not publishing: %s", err)
            return
        if household.withdrawn is not None:
            log.warning("pool: household %s withdrew from the pool; nothing is published", household.household)
            return
        member = Member(household.household, pool.isp, pool.asn, pool.area, pool.sign_as)
        try:
            sink = pooldb.open_sink(pool, household.household)
        except NetwatchError as err:
            log.error("pool: not publishing: %s", pooldb.said(err))
            return
        log.info(
            "pool: publishing as household %s (%s, area %s) to %s",
            household.household,
            pool.isp,
            pool.area,
            pooldb.database(pool, household.household),
        )
        try:
            await self._loop(member, sink)
        finally:
            sink.close()

    async def _loop(self, member: Member, sink: Sink) -> None:
        next_look = self.clock()
        pending: float | None = self.clock()
        while not self.stop.is_set():
            now = self.clock()
            if self.ready.is_set() and (self._look or now >= next_look):
                self._look = False
                if await self._guarded(self._store(self.writer.store.queue_pool, member, self.cfg.pool.kinds, now)):
                    pending = now
                next_look = now + self.cfg.pool.coverage_every
            if pending is not None and pending <= now and self.ready.is_set() and self.line_up():
                await self._guarded(self._send(sink, now))
                pending = await self._guarded(self._store(self.writer.store.pool_next_at))
            # Until the clock is trusted nothing is queued or sent: look again a poll later, never in a busy loop.
            waits = [next_look - now if self.ready.is_set() else LINE_POLL]
            if pending is not None:
                waits.append(LINE_POLL if pending <= now else pending - now)
            await self._sleep(max(0.0, min(waits)))

    async def _sleep(self, seconds: float) -> None:
        wake, stop = asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({wake, stop}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            wake.cancel()
            stop.cancel()
        self._wake.clear()

    async def _guarded(self, work: Coroutine[Any, Any, T]) -> T | None:
        try:
            return await work
        except Stopped:
            return None
        except Exception as err:  # one failing part never stops the loop (nor the daemon)
            text = pooldb.said(err) if isinstance(err, NetwatchError) else repr(err)
            if text != self._failing:
                log.error("pool: %s (retried)", text, exc_info=not isinstance(err, NetwatchError))
                self._failing = text
            return None

    async def _send(self, sink: Sink, now: float) -> None:
        store = self.writer.store
        due: list[PoolEntry] = await self._store(store.pool_due, now, BATCH)
        if not due:
            return
        try:
            await until_stopped(
                in_daemon_thread(pooldb.write, sink, [e.publication for e in due], name="netwatch-pool"), self.stop
            )
            error = ""
        except Stopped:
            raise
        except NetwatchError as err:
            error = str(err)
        at = self.clock()
        for entry in due:
            retry = at + self.backoff.delay(entry.attempts, self.rand()) if error else 0.0
            self.writer.submit(store.pool_attempted, entry, at, error, retry)
        if error:
            self.failures += 1
            if error != self._failing:
                log.warning("pool: publishing failed: %s (retried while the line is up; nothing is lost)", error)
                self._failing = error
            return
        self.published += len(due)
        if self._failing:
            log.warning("pool: publishing works again")
            self._failing = ""
        log.info("pool: published %d record%s", len(due), "" if len(due) == 1 else "s")


def start(
    config: Config, writer: Writer, line_up: Callable[[], bool], stop: asyncio.Event, ready: threading.Event
) -> PoolTask:
    return PoolTask(config, writer, line_up, stop, ready)
