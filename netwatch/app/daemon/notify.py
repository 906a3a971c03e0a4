"""The daemon's notification task: queues messages in the store's outbox and delivers them while the line is up.

Owns the imperative side of notifications: turning a closed incident into a queued message (``closed``, called
from the event loop), the digest timer (due instants from ``digest``, the figures from ``report.compute`` over
what the store holds; the most recent digest is caught up at start), the open tickets' deadlines (looked up in the
store every ``DEADLINE_POLL`` and at each one's instant; one that passed, up to ``DEADLINE_CATCH_UP`` ago, is
queued once: the outbox keys it by ticket, deadline and instant; none of a ticket whose line was measured back
up before compensation would start), and delivery: one entry at a time on a
daemon thread (a slow SMTP server never delays a probe round, and a stop never waits for it: the entry stays
pending for the next start), only while ``line_up()`` says the line is up, each failure retried per channel with
``outbox.Backoff``. Must not call the store but through the daemon's writer thread, make a probe round wait, or
stop the daemon: errors are logged once per change of each channel's state.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from netwatch.adapters.notify import Channel, NotifyError, build
from netwatch.app.daemon import digest
from netwatch.app.daemon.writer import Stopped, in_daemon_thread, until_stopped
from netwatch.app.reports import deadlines_of
from netwatch.config import Config
from netwatch.core.claims.deadlines import WITH_DEADLINES
from netwatch.core.model import Incident, Message, OutboxEntry, Ticket
from netwatch.core.outbox import Backoff
from netwatch.core.text import local
from netwatch.errors import NetwatchError
from netwatch.report.compute import compute
from netwatch.report.message import deadline_key, deadline_message, digest_key, digest_message, incident_message, wanted

if TYPE_CHECKING:
    from netwatch.app.daemon.writer import Writer
    from netwatch.core.claims.model import Deadline

log = logging.getLogger("netwatch")
T = TypeVar("T")

LINE_POLL = 1.0  # seconds between looks at the line while something waits for it to come back
MAX_SLEEP = 60.0  # the wall clock may step: due instants are looked at again at least this often
DEADLINE_POLL = 900.0  # seconds between looks at the open tickets (one may be opened while the daemon runs)
DEADLINE_CATCH_UP = 7 * 86400.0  # a deadline that passed while netwatch was not running notifies up to this late


class NotifyTask:
    """Notifications for one daemon run: ``await run()`` until ``stop`` is set; ``closed(incident)`` queues."""

    def __init__(
        self,
        config: Config,
        writer: Writer,
        channels: Sequence[Channel],
        line_up: Callable[[], bool],
        stop: asyncio.Event,
        *,
        backoff: Backoff = Backoff(),  # noqa: B008 (frozen, so sharing the default is safe)
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cfg, self.writer, self.line_up, self.stop = config, writer, line_up, stop
        self.channels = {c.id: c for c in channels}
        self.backoff, self.clock = backoff, clock
        self.probe = config.probe.name or socket.gethostname()
        self.cancel = threading.Event()  # set at shutdown: a running command is killed
        self.sent = 0
        self.failures = 0
        self._wake = asyncio.Event()
        self._pending_at: float | None = None  # earliest next attempt in the outbox (None: nothing pending)
        self._queued_at: float | None = None  # earliest message queued while the outbox was being looked at
        self._errors: dict[str, str] = {}  # channel id → its last error, to log once per change
        self._held: dict[int, float] = {}  # outbox id → not before (this run's outcomes, recorded or not)
        self._failure = ""  # the task's last failure, to log once per change
        self._deadline_due: float | None = None  # next look at the tickets' deadlines (None: rules without any)
        self._deadlines_queued: set[str] = set()  # deadline keys queued by this run
        self._deadlines_withheld: set[str] = set()  # tickets whose line came back before compensation would start

    # --- queueing (event loop) -------------------------------------------------------------------------------

    def closed(self, inc: Incident) -> None:
        """An incident ended: queue its summary when ``[notify]`` wants it (kind and duration)."""
        if not wanted(inc, self.cfg.notify):
            return
        n = self.cfg.notify
        self.queue(
            incident_message(
                inc, business=self.cfg.business_hours, cost=self.cfg.cost, probe=self.probe, prefix=n.title_prefix
            )
        )

    def queue(self, message: Message) -> Future[int]:
        """Queue ``message`` for every channel (through the writer) and wake the delivery loop."""
        at = self.clock()
        targets = [(c.id, c.label) for c in self.channels.values()]
        done = self.writer.submit(self.writer.store.queue_notification, message, targets, at)
        log.info("notification queued: %s", message.title)
        self._pending_at = _earliest(self._pending_at, at)
        self._queued_at = _earliest(self._queued_at, at)
        self._wake.set()
        return done

    # --- the loop --------------------------------------------------------------------------------------------

    async def run(self) -> None:
        zone = self.cfg.business_hours.timezone
        n = self.cfg.notify
        self._pending_at = self.clock()  # whatever an earlier run left in the outbox is looked at first
        await self._guarded(self._catch_up())
        due = digest.next_due(self.clock(), n, zone)
        if due is not None:
            log.info("%s digests; the next at %s", n.digest, local(due, zone))
        if self.cfg.claims.rules in WITH_DEADLINES:
            self._deadline_due = self.clock()
        while not self.stop.is_set():
            now = self.clock()
            if self._deadline_due is not None and now >= self._deadline_due:
                await self._guarded(self._deadlines(now))
            if due is not None and now >= due:
                await self._guarded(self._queue_digest(due))
                due = digest.next_due(max(now, due), n, zone)
            if self._pending_at is not None and self._pending_at <= now and self.line_up():
                await self._guarded(self._deliver_due(now))
            await self._sleep(due)

    async def _catch_up(self) -> None:
        missed = digest.catch_up(self.clock(), self.cfg.notify, self.cfg.business_hours.timezone)
        if missed is not None:
            await self._queue_digest(missed)

    async def _refresh(self) -> None:
        """Look up the earliest next attempt; a message queued meanwhile may not be in the answer yet."""
        self._queued_at = None
        found = await self._store(self.writer.store.next_notification_at, list(self.channels))
        self._pending_at = _earliest(found, self._queued_at)

    async def _sleep(self, due: float | None) -> None:
        now = self.clock()
        waits = [MAX_SLEEP]
        if due is not None:
            waits.append(due - now)
        if self._deadline_due is not None:
            waits.append(self._deadline_due - now)
        if self._pending_at is not None:
            waits.append(LINE_POLL if self._pending_at <= now else self._pending_at - now)
        wake, stop = asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({wake, stop}, timeout=max(0.0, min(waits)), return_when=asyncio.FIRST_COMPLETED)
        finally:
            wake.cancel()
            stop.cancel()
        self._wake.clear()  # consumed here, not before: a message queued while delivering wakes the next sleep

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work``; a failure (the store refusing writes, a bug) is logged once per change and retried."""
        try:
            await work
        except Stopped:
            return
        except Exception as err:  # one failing part never stops the loop (nor the daemon)
            text = str(err) if isinstance(err, NetwatchError) else repr(err)
            if text != self._failure:
                log.error("notifications: %s (retried)", text, exc_info=not isinstance(err, NetwatchError))
                self._failure = text
            return
        self._failure = ""

    async def _store(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self.writer.submit(fn, *args))

    async def _queue_digest(self, due: float) -> None:
        n, business = self.cfg.notify, self.cfg.business_hours
        period = digest.period_of(due, n, business.timezone)
        store = self.writer.store
        incidents = await self._store(store.incidents, period.since, period.until)
        sessions = await self._store(store.sessions, period.since, period.until)
        report = compute(period, incidents, sessions, business, cost=self.cfg.cost)
        if report.monitored_seconds <= 0:
            log.info("%s skipped: nothing was monitored then", digest_key(n.digest, period.since, business.timezone))
            return
        head = await self._store(store.head)
        seal = (head.seal_id, head.digest.hex()) if head.seal_id else None
        self.queue(
            digest_message(
                report, digest=n.digest, business=business, probe=self.probe, prefix=n.title_prefix, seal=seal
            )
        )

    async def _deadlines(self, now: float) -> None:
        """Queue the open tickets' deadlines that passed (once each), and plan the next look."""
        self._deadline_due = now + DEADLINE_POLL  # a failure below is retried at the next look
        store = self.writer.store
        found = await self._store(store.tickets, now, now)
        zone = self.cfg.business_hours.timezone
        for ticket in (t for t in found if t.is_open):
            due = deadlines_of(self.cfg, ticket)
            passed = [
                d for d in due if 0 <= now - d.at <= DEADLINE_CATCH_UP and deadline_key(d) not in self._deadlines_queued
            ]
            if passed and (back := await self._back(ticket, due, now)):
                if ticket.ref not in self._deadlines_withheld:
                    self._deadlines_withheld.add(ticket.ref)
                    log.info("ticket %s: %s; its deadlines are not notified (close it once repaired)", ticket.ref, back)
                continue
            for deadline in due:
                if deadline.at > now:
                    self._deadline_due = min(self._deadline_due, deadline.at)
                elif now - deadline.at <= DEADLINE_CATCH_UP and deadline_key(deadline) not in self._deadlines_queued:
                    self._deadlines_queued.add(deadline_key(deadline))
                    prefix = self.cfg.notify.title_prefix
                    self.queue(deadline_message(ticket, deadline, at=now, probe=self.probe, prefix=prefix, zone=zone))

    async def _back(self, ticket: Ticket, due: Sequence[Deadline], now: float) -> str | None:
        """That the ticket's line was measured back up before compensation would start (its deadlines would tell
        the owner to expect money the rules do not give), as every face says it; None otherwise."""
        # Only once a deadline has passed: the daemon does not load the tickets' figures otherwise.
        from netwatch.app.tickets import figures_of
        from netwatch.report.tickets import back_before_compensation

        (figures,) = await self._store(figures_of, self.writer.store, self.cfg, [ticket], now)
        return back_before_compensation(figures, due, self.cfg.business_hours.timezone)

    async def _deliver_due(self, now: float) -> None:
        entries = await self._store(self.writer.store.due_notifications, now, list(self.channels))
        for entry in entries:
            if self.stop.is_set() or not self.line_up():
                break
            # An outcome the store has not recorded yet (it may be refusing writes) must not resend a message.
            if self._held.get(entry.id, 0.0) <= now:
                await self._deliver(entry)
        await self._refresh()

    async def _deliver(self, entry: OutboxEntry) -> None:
        channel = self.channels[entry.channel]
        try:
            await until_stopped(
                in_daemon_thread(channel.send, entry.message, self.cancel, name="netwatch-notify"), self.stop
            )
            error = ""
        except NotifyError as err:
            error = str(err)
        except Stopped:
            raise
        except Exception as err:  # a bug in a channel: recorded and retried like any failure
            error = f"{channel.label}: unexpected error: {err!r}"
        at = self.clock()
        store = self.writer.store
        if not error:
            self.sent += 1
            self._held[entry.id] = math.inf
            self.writer.submit(store.record_notification, entry.id, at)
            if self._errors.pop(entry.channel, None) is not None:
                log.warning("notifications via %s work again", channel.label)
            log.info("notification sent via %s: %s", channel.label, entry.message.title)
            return
        self.failures += 1
        retry = self.backoff.next_attempt(entry.created, entry.attempts + 1, at)
        self._held[entry.id] = math.inf if retry is None else retry
        self.writer.submit(store.record_notification, entry.id, at, error, retry)
        if retry is None:
            log.error("notification %r given up after %d attempts: %s", entry.key, entry.attempts + 1, error)
        elif self._errors.get(entry.channel) != error:
            log.warning("notification failed: %s (retried with backoff while the line is up)", error)
        self._errors[entry.channel] = error


def _earliest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def start(config: Config, writer: Writer, line_up: Callable[[], bool], stop: asyncio.Event) -> NotifyTask | None:
    """The task for ``[notify]``: a channel that cannot be built is logged and left out (monitoring goes on)."""
    channels, problems = build(config.notify)
    for problem in problems:
        log.error("notification channel not used: %s", problem)
    if not channels:
        log.error("notifications not started: no channel of [notify] can be used")
        return None
    log.info("notifications via %s", ", ".join(c.label for c in channels))
    return NotifyTask(config, writer, channels, line_up, stop)
