"""The exporter: replicates the local store to a sink (InfluxDB) by following a persisted cursor.

Owns the replication loop on a thread of its own: read what was committed after the cursors (incident changes, speed
results, then rounds, oldest first, on its own read-only connection so that it never waits for, or delays, the
writer), convert, write one batch, and only then move the cursor. Transient failures are retried with capped
exponential backoff and jitter, and everything missed (a line or InfluxDB outage, a stopped daemon) is backfilled
from the cursor; a permanent failure stops the export with one logged error that is also recorded for `netwatch
status`. At a clean stop ``finish`` sends what the last commit added (the final rounds, the incidents closed at
shutdown) before the thread ends, so a stopped daemon leaves nothing behind for a next start that may never come.
Progress and errors are recorded through a ``Ledger`` (in the daemon: the store's writer thread). Delivery is at
least once, and replays are idempotent (see ``netwatch.adapters.influx.points``), so each point is in the replica
exactly once. Must not touch the probing loop or the writer's Store, and must never raise out of its thread.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from netwatch.adapters.influx.points import Points, speed_result_line
from netwatch.adapters.influx.sinks import Sink, describe, open_sink
from netwatch.adapters.store.sqlite import Store
from netwatch.config import Config
from netwatch.config.records import ProbeConfig
from netwatch.core.model import ExportState
from netwatch.core.text import duration
from netwatch.errors import NetwatchError, PermanentError

log = logging.getLogger("netwatch.export")


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with "equal jitter": attempt n waits between half and all of
    min(cap, base * 2**n) seconds, so that probes restarting together do not retry in lockstep."""

    base: float = 1.0
    cap: float = 30.0

    def delay(self, attempt: int, rand: float) -> float:
        """Seconds to wait before retry ``attempt`` (0 for the first), ``rand`` uniform in [0, 1)."""
        ceiling = min(self.cap, self.base * 2.0 ** min(max(attempt, 0), 62))
        return ceiling / 2.0 + ceiling / 2.0 * min(max(rand, 0.0), 1.0)


class Ledger(Protocol):
    """Where the exporter records its progress and failures (the store's ``exports`` row)."""

    def save_cursor(self, round_id: int, incident_seq: int, at: float, speed_id: int = 0) -> None: ...

    def save_error(self, error: str, at: float, *, stopped: bool) -> None: ...


class StoreLedger:
    """Records into a read-write Store through ``run(method, *args)``. The daemon passes its writer's ``submit``
    (only the writer thread writes; a cursor then rides along with the next batch commit); without ``run`` the
    calls are made directly and committed at once (tools and tests owning the Store)."""

    def __init__(self, store: Store, sink: str, run: Callable[..., Any] | None = None) -> None:
        self.store, self.sink, self._run = store, sink, run

    def save_cursor(self, round_id: int, incident_seq: int, at: float, speed_id: int = 0) -> None:
        self._call(self.store.set_export_cursor, self.sink, round_id, incident_seq, at, speed_id)

    def save_error(self, error: str, at: float, *, stopped: bool) -> None:
        self._call(lambda: self.store.set_export_error(self.sink, error, at, stopped=stopped))

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        if self._run is None:
            fn(*args)
            self.store.commit()
            return
        with contextlib.suppress(RuntimeError):  # the writer shut down: the next start replays from the store
            self._run(fn, *args)


class Exporter:
    """Replicates ``reader`` (a Store, read-only is enough) to ``sink`` from the cursor in ``state``.

    ``start()`` runs it on a daemon thread until ``stop()``; ``step()`` is one batch, for tools and tests. The
    exporter owns ``reader`` and ``sink`` and closes them when its thread ends.
    """

    def __init__(
        self,
        reader: Store,
        sink: Sink,
        points: Points,
        ledger: Ledger,
        state: ExportState,
        *,
        batch_size: int = 5000,
        poll: float = 1.0,
        backoff: Backoff = Backoff(),
        label: str = "InfluxDB",
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        hold: threading.Event | None = None,
    ) -> None:
        self.reader, self.sink, self.points, self.ledger = reader, sink, points, ledger
        self.round_id, self.incident_seq, self.speed_id = state.round_id, state.incident_seq, state.speed_id
        self.batch_size, self.poll, self.backoff, self.label = max(1, batch_size), poll, backoff, label
        self._clock, self._rand = clock, rand
        self._hold = hold  # while it is clear, nothing is exported (the daemon's clock is not trusted yet)
        self._per_round = 8  # points per round, learnt from the last round read (targets + 1)
        self._stop = threading.Event()
        self._finishing = threading.Event()  # the last commit is done: export what is left, then end
        self._wake = threading.Event()  # set by stop() and finish(): ends any wait of the thread at once
        self._thread: threading.Thread | None = None
        self.error = ""  # the permanent error that stopped it, "" while it runs
        self.caught_up = False  # finish() exported everything committed
        self.points_written = 0
        self.failures = 0  # failed attempts (each retried)

    # --- one batch -------------------------------------------------------------------------------------------

    def step(self) -> int:
        """Write the next batch of incident changes, of speed results and of rounds; returns the points written
        (0 when caught up). Moves the cursor after each successful write only. Raises TransientError,
        PermanentError or StoreError."""
        written = 0
        items = self.reader.export_incidents_after(self.incident_seq, self.batch_size)
        if items:
            lines = [text for item in items for text in self.points.incident_lines(item)]
            self.sink.write(lines)
            self.incident_seq = items[-1].seq
            written += self._saved(len(lines))
        speeds = self.reader.speed_results_after(self.speed_id, self.batch_size)
        if speeds:
            lines = [speed_result_line(self.points.probe, result) for _, result in speeds]
            self.sink.write(lines)
            self.speed_id = speeds[-1][0]
            written += self._saved(len(lines))
        rows = self.reader.rounds_after(self.round_id, -(-self.batch_size // self._per_round))
        if rows:
            lines, last = [], self.round_id
            for round_id, rnd in rows:  # whole rounds only, so the cursor never splits one
                more = self.points.round_lines(rnd)
                if lines and len(lines) + len(more) > self.batch_size:
                    break
                lines.extend(more)
                last = round_id
                self._per_round = len(more)
            self.sink.write(lines)
            self.round_id = last
            written += self._saved(len(lines))
        return written

    def _saved(self, points: int) -> int:
        self.ledger.save_cursor(self.round_id, self.incident_seq, self._clock(), self.speed_id)
        self.points_written += points
        return points

    # --- the thread ------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="netwatch-export", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """Ask the thread to stop and wait up to ``timeout`` s. A write still in flight is abandoned (the
        cursor did not move, so it is replayed at the next start); the daemon thread dies with the process."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is None:
            self._close()
            return
        thread.join(timeout)
        if thread.is_alive():
            log.debug("%s export: a write is still in flight at stop; it is replayed at the next start", self.label)

    def finish(self, timeout: float) -> bool:
        """After the store's last commit: export everything committed until caught up, then end the thread;
        returns whether it caught up. Gives up at the first failure (InfluxDB is often unreachable exactly when
        the line is down) or after ``timeout`` s; what is left is sent from the cursor at the next start."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            self.stop(0.0)
            return False
        self._finishing.set()
        self._wake.set()
        thread.join(timeout)
        if thread.is_alive():
            self._stop.set()
            log.warning(
                "%s export did not finish within %s at stop; the rest is sent at the next start",
                self.label,
                duration(timeout),
            )
            return False
        return self.caught_up

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as err:  # never let a thread die with a traceback on stderr
            log.error("%s export stopped by an internal error: %r", self.label, err)
        finally:
            self._close()

    def _loop(self) -> None:
        attempt, failing, since, catching_up, backfilled = 0, "", 0.0, False, 0
        while not self._stop.is_set():
            finishing = self._finishing.is_set()
            if self._hold is not None and not self._hold.is_set():
                if finishing:
                    log.info("%s export: nothing sent at stop, the clock is not synchronised yet", self.label)
                    return
                if not catching_up:
                    log.info("%s export waits until the clock is synchronised", self.label)
                    catching_up = True
                self._wake.wait(self.poll)
                continue
            try:
                written = self.step()
            except PermanentError as err:
                self.error = str(err)
                log.error("%s export stopped: %s", self.label, err)
                self.ledger.save_error(self.error, self._clock(), stopped=True)
                return
            except Exception as err:  # TransientError, StoreError, or a bug: all retried, each logged once
                text = str(err) if isinstance(err, NetwatchError) else f"unexpected error: {err!r}"
                self.failures += 1
                if not failing:
                    since = time.monotonic()
                    log.warning("%s export paused: %s (retrying; nothing is lost)", self.label, text)
                elif text != failing:
                    log.debug("%s export still failing: %s", self.label, text)
                if text != failing:
                    self.ledger.save_error(text, self._clock(), stopped=False)
                if finishing:
                    log.warning(
                        "%s export stopped with the daemon: %s; the rest is sent at the next start", self.label, text
                    )
                    return
                failing = text
                self._wake.wait(self.backoff.delay(attempt, self._rand()))
                attempt += 1
                continue
            if failing:
                log.info("%s export resumed after %s", self.label, duration(time.monotonic() - since))
                failing, attempt, catching_up, backfilled = "", 0, True, 0
            backfilled += written
            if written == 0:
                if catching_up:
                    log.info("%s export caught up: %d points backfilled", self.label, backfilled)
                    catching_up = False
                if finishing:
                    self.caught_up = True
                    return
                self._wake.wait(self.poll)

    def _close(self) -> None:
        for close in (self.sink.close, self.reader.close):
            try:
                close()
            except Exception as err:
                log.debug("%s export: closing failed: %r", self.label, err)


def probe_name(probe: ProbeConfig) -> str:
    """The ``probe`` tag: ``[probe] name``, else this machine's host name."""
    return probe.name or socket.gethostname()


def start_exporter(
    cfg: Config, state: ExportState, ledger: Ledger, hold: threading.Event | None = None
) -> Exporter | None:
    """Start replicating to ``[influxdb]`` from ``state``'s cursor, reading ``cfg.store.path`` on a connection of
    its own; nothing is written while ``hold`` is clear. A sink that cannot even be built (unreadable secret,
    influxdb-client missing) is logged, recorded as stopped and gives None: the export fails loudly, monitoring
    goes on."""
    try:
        sink = open_sink(cfg.influxdb)
    except NetwatchError as err:
        log.error("InfluxDB export not started: %s", err)
        ledger.save_error(str(err), time.time(), stopped=True)
        return None
    try:
        reader = Store.open(cfg.store.path, readonly=True)
    except NetwatchError as err:
        sink.close()
        log.error("InfluxDB export not started: %s", err)
        return None
    points = Points(probe_name(cfg.probe), cfg.business_hours)
    poll = min(1.0, cfg.store.commit_interval)  # new rounds become readable once per commit
    exporter = Exporter(reader, sink, points, ledger, state, batch_size=cfg.influxdb.batch_size, poll=poll, hold=hold)
    exporter.start()
    behind = f"{state.behind} rounds to catch up" if state.behind else "up to date"
    log.info("exporting to InfluxDB at %s as probe %s (%s)", describe(cfg.influxdb), points.probe, behind)
    return exporter
