"""The daemon's trusted timestamps: the chain head stamped by the configured authority every
``[timestamp] every_hours``, without anyone having to remember it.

Owns when to ask (a little after start when the newest timestamp is older than the period, then once a period;
after a failure, again ``RETRY`` seconds later: the line may be down, which is exactly when nothing can be
reached), asking on a daemon thread (the probe loop never waits for the authority), and keeping the token
through the writer. Must not ask while the wall clock is not trusted (a timestamp is a statement about time),
make the probe loop wait, or stop the daemon: errors are logged once per change.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING

from netwatch.adapters import timestamps
from netwatch.app import timestamps as stamping
from netwatch.app.daemon.writer import in_daemon_thread
from netwatch.config import Config
from netwatch.core.model import StoredTimestamp
from netwatch.core.text import utc
from netwatch.errors import NetwatchError

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

    from netwatch.app.daemon.writer import Writer

log = logging.getLogger("netwatch")

FIRST = 60.0  # seconds after start before the first look (the store's first seals of the run are made by then)
RETRY = 600.0  # seconds between attempts after a failure


class StampTask:
    """Timestamps for one daemon run: ``await run()`` until ``stop`` is set."""

    def __init__(self, config: Config, writer: Writer, stop: asyncio.Event, ready: threading.Event) -> None:
        self.cfg, self.writer, self.stop, self.ready = config, writer, stop, ready
        self.every = config.timestamp.every_hours * 3600.0
        self.taken = 0
        self._failure = ""

    async def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` (False: the run stopped meanwhile)."""
        try:
            await asyncio.wait_for(self.stop.wait(), max(0.0, seconds))
        except TimeoutError:
            return True
        return False

    async def run(self) -> None:
        try:
            roots = timestamps.load_roots(self.cfg.timestamp.ca_file) if self.cfg.timestamp.ca_file else None
        except NetwatchError as err:
            log.error("trusted timestamps not started: %s", err)
            return
        store = self.writer.store
        wait = FIRST
        while await self._sleep(wait):
            if not self.ready.is_set():
                wait = FIRST  # the clock is not synchronised yet: a timestamp would pair good time with bad
                continue
            stamps = await asyncio.wrap_future(self.writer.submit(store.timestamps))
            due = stamps[-1].at + self.every if stamps else 0.0
            if time.time() < due:
                wait = due - time.time()
                continue
            wait = await self._take(roots)

    async def _take(self, roots: list[Certificate] | None) -> float:
        """One attempt; returns the seconds until the next."""
        head = await asyncio.wrap_future(self.writer.submit(self.writer.store.head))
        if not head.seal_id:
            return FIRST
        said = stamping.statement(head.seal_id, head.digest.hex())
        url = self.cfg.timestamp.url
        try:
            token = await in_daemon_thread(
                timestamps.request, url, said, roots or [], self.cfg.timestamp.timeout, name="netwatch-timestamp"
            )
        except NetwatchError as err:
            if str(err) != self._failure:
                log.warning("trusted timestamp not taken (retried in %d min): %s", RETRY // 60, err)
                self._failure = str(err)
            return RETRY
        stamp = StoredTimestamp(head.seal_id, head.digest.hex(), url, token.at_ms / 1000, said, token.der)
        await asyncio.wrap_future(self.writer.submit(self.writer.store.save_timestamp, stamp))
        self.taken += 1
        self._failure = ""
        log.info("seal %d timestamped by %s: it existed at %s", head.seal_id, url, utc(stamp.at))
        return self.every
