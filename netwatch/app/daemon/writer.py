"""The daemon's store side: one writer thread, the store lock, and threads a stop never waits for.

Owns ``Writer`` (every store call on one thread, in order, errors logged once per problem and never raised, rounds
waiting in a bounded buffer so that a hanging disk cannot grow memory without end), ``exclusive_lock`` (one daemon
per store) and ``in_daemon_thread`` (blocking work, such as discovery, a traceroute or a speed test, off the event
loop on a daemon thread) and ``until_stopped`` (awaiting work that a stop cancels). Must not decide anything about
the line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from netwatch.adapters import locks
from netwatch.adapters.store.sqlite import Store
from netwatch.core.model import Round
from netwatch.errors import NetwatchError, StoreError

log = logging.getLogger("netwatch")

MAX_WAITING = 86_400  # rounds the writer holds while the store takes none (a hanging disk): a day at 1 s
T = TypeVar("T")


def exclusive_lock(store: Path) -> int:
    """Hold ``STORE.lock`` for the life of the process: two daemons on one store would each take the other's
    running session for a crashed one. Returns the descriptor (closing it releases the lock)."""
    fd = locks.acquire(locks.path_for(store))
    if fd is None:
        raise StoreError(
            f"another netwatch is already recording into {store}: stop it first, or give this one its own store.path"
        )
    return fd


async def in_daemon_thread(fn: Callable[..., T], *args: Any, name: str = "netwatch-discovery") -> T:
    """``fn(*args)`` on a daemon thread. Unlike asyncio.to_thread, a stop does not wait for it: ISP-hop discovery
    can block for several probe timeouts while the line is down (and a speed test runs for tens of seconds), and
    SIGTERM must be honoured within 2 s."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(value: T | None, err: BaseException | None) -> None:
        if future.done():
            return
        if err is not None:
            future.set_exception(err)
        else:
            future.set_result(value)  # type: ignore[arg-type]

    def work() -> None:
        try:
            value, err = fn(*args), None
        except Exception as exc:
            value, err = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, value, err)

    threading.Thread(target=work, name=name, daemon=True).start()
    return await future


class Writer:
    """Runs every store call on one thread, in order. Errors are logged once per change, never raised.

    Rounds do not queue one task each: they wait in batches, each moved into the store by one task that is queued
    just before the next task submitted after its rounds (a commit every few seconds, a saved incident, a
    re-timing, a session split). So every round reaches the store in order with the tasks around it, and a round
    costs no wake-up of the writer thread. A disk that hangs (rather than fails) holds at most ``max_waiting``
    rounds here, the oldest dropped (and counted) beyond that, instead of growing without end."""

    def __init__(self, store: Store, max_waiting: int = MAX_WAITING) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netwatch-store")
        self._last_error = ""
        self.failures = 0
        self._batches: deque[deque[Round]] = deque()  # in order; all but an open last one have their task queued
        self._open = False  # the newest batch still takes rounds (its task is not queued yet)
        self._waiting = 0
        self._max_waiting = max_waiting
        self._lock = threading.Lock()
        self.dropped = 0  # rounds dropped because the writer thread was stuck

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        with self._lock:
            self._close_batch()  # the rounds added before this task reach the store before it
            return self._queue(fn, *args)

    def _close_batch(self) -> None:
        if self._open:
            self._open = False
            self._queue(self._drain)

    def _queue(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future = self._pool.submit(fn, *args)
        future.add_done_callback(self._report)
        return future

    def add_round(self, rnd: Round) -> None:
        """Hand a round to the store, in order with every task submitted before and after it."""
        with self._lock:
            if self._waiting >= self._max_waiting:
                oldest = next(b for b in self._batches if b)  # an emptied batch keeps its place: its task is queued
                oldest.popleft()
                self._waiting -= 1
                self.dropped += 1
                if self.dropped == 1:
                    log.error(
                        "the store has not taken a round for %d rounds (is the disk hanging?); dropping the"
                        " oldest until it does",
                        self._max_waiting,
                    )
            self._waiting += 1
            if not self._open:
                self._batches.append(deque())
                self._open = True
            self._batches[-1].append(rnd)

    def pending(self) -> int:
        """Rounds not yet in the store's buffer (waiting here) or not yet sealed into the store (in its buffer)."""
        return self._waiting + self.store.pending()

    def _drain(self) -> None:
        with self._lock:
            batch = self._batches.popleft()
            self._waiting -= len(batch)
        for rnd in batch:
            self.store.add_round(rnd)

    def _report(self, future: Future[Any]) -> None:
        err = future.exception()
        if err is None:
            # add_round only buffers: recovery is when a write went through and nothing is left behind.
            if self._last_error and self.store.pending() == 0:
                log.warning("store writable again: backlog written")
                self._last_error = ""
            return
        self.failures += 1
        if isinstance(err, StoreError):
            condition, message = err.condition, str(err)
        else:
            text = str(err) if isinstance(err, NetwatchError) else f"unexpected store error: {err!r}"
            condition, message = text, f"{text} (measurements are kept in memory and retried)"
        if condition != self._last_error:
            # Loud once per problem; rounds stay buffered in the store and are retried at the next commit.
            log.error("%s", message)
            self._last_error = condition

    def close(self) -> None:
        with self._lock:
            self._close_batch()
        self._pool.shutdown(wait=True)


class Stopped(Exception):
    """The stop event was set before the work finished: the work was cancelled."""


async def until_stopped(work: Coroutine[Any, Any, T], stop: asyncio.Event) -> T:
    """``work``'s result (or exception), or Stopped when ``stop`` is set first: the work is cancelled, so that a
    shutdown never waits for a probe's timeout or a slow delivery."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        stopper.cancel()
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    raise Stopped
