"""The local SQLite store: netwatch's source of truth for rounds, rollups, sessions and incidents.

Owns durability. Rounds are buffered in memory and written in batches: the caller commits every
``store.commit_interval``, either into the store (``commit``: one transaction, sealed) or, between seals, into the
round log (``log``: a few hundred bytes appended and synced, see ``roundlog``), so that an SD card is not worn by a
transaction every few seconds. Every transaction takes the logged rounds too. Incidents and session boundaries are
committed at once, together with the buffered rounds that are their evidence. After kill -9 the store reopens
cleanly (WAL, ``synchronous=FULL``) losing at most the rounds neither committed nor logged, and ``recover`` seals
what the round log kept and closes what the crash left open. A failed commit (disk full) keeps the batch in memory
and retries it at the next commit. Raw rounds are pruned after the retention period; per-minute rollups are kept
forever. Every round gets an id that only grows, independent of its wall-clock time, for exporters that follow a
cursor; their cursors are buffered like rounds and committed with them (exports.py holds that SQL).

Must not decide anything about the line (that is ``detect``) nor read the clock: every instant comes from the
caller. Not thread-safe: one writer thread at a time (the daemon's), any number of read-only processes.
"""

from __future__ import annotations

import dataclasses
import errno
import itertools
import logging
import sqlite3
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from netwatch.adapters.store import (
    campaigns,
    chain,
    codec,
    exports,
    hops,
    migrations,
    outbox,
    pool,
    retention,
    rollups,
    roundlog,
    roundspans,
    speed,
    tickets,
    timeline,
    traces,
)
from netwatch.adapters.store.reads import INCIDENT_COLUMNS, SESSION_END, Reads
from netwatch.core import pool as rules
from netwatch.core.model import (
    Campaign,
    Checkpoint,
    ClockEvent,
    Coverage,
    ExportState,
    Incident,
    Kind,
    Member,
    Message,
    OutboxEntry,
    PoolEntry,
    ProbeMethod,
    Publication,
    Round,
    Schedule,
    SpeedResult,
    StoredTimestamp,
    StoredTrace,
    Target,
    Ticket,
    Verification,
)
from netwatch.errors import StoreError

log = logging.getLogger("netwatch.adapters.store")
T = TypeVar("T")

MAX_PENDING = 86_400  # rounds kept in memory while the disk refuses writes: a day at 1 s (~25 MB)
PRUNE_CHUNK = 5_000  # rounds deleted per transaction, so that pruning never holds the write lock for long


Targets = tuple[Target, ...]
# A buffered round: (at_ms, targets, packed RTTs, errors JSON, stamped provisionally: the clock was not trusted)
Pending = tuple[int, Targets, bytes, str | None, bool]
Deferred = Callable[[sqlite3.Connection], None]

_INSERT_ROUND = "INSERT INTO rounds (at_ms, set_id, rtts, errors) VALUES (?, ?, ?, ?)"
_UPSERT_INCIDENT = """
    INSERT INTO incidents (kind, start_ms, end_ms, cause, rounds, cause_rounds, detail) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (kind, start_ms) DO UPDATE SET
        end_ms = excluded.end_ms, cause = excluded.cause, rounds = excluded.rounds,
        cause_rounds = excluded.cause_rounds, detail = excluded.detail
"""


class Store(Reads):
    """One open store. Use ``Store.open``; close it (or use it as a context manager) when done."""

    def __init__(self, conn: sqlite3.Connection, path: Path, readonly: bool, max_pending: int = MAX_PENDING) -> None:
        self.path = path
        self.readonly = readonly
        self._conn: sqlite3.Connection | None = conn
        self._max_pending = max_pending
        self._pending: deque[Pending] = deque()
        self._incidents: dict[tuple[Kind, int], Incident] = {}  # saved but not yet committed (a failed write)
        self._cursors: dict[str, exports.Cursor] = {}  # export cursors moved since the last commit
        self._dropped = 0  # rounds dropped because the buffer was full, since the last successful commit
        self._session: int | None = None  # id of the session this process runs
        self._keys: dict[Targets, Targets] = {}  # interned target tuples: one per distinct set, not per round
        self._set_ids: dict[Targets, int] = {}
        self._target_ids: dict[Target, int] = {}
        self._sets: dict[int, Targets] = {}  # set id → targets, for decoding
        self._set_texts: dict[Targets, str] = {}  # targets → their JSON text, as chained
        self._tx = chain.Batch()  # what the transaction in progress adds to the evidence chain
        self._span: int | None = None  # the open clock span of this session (provisional stamps), if any
        self._span_offset_ms = 0  # wall minus monotonic (ms) of that span's provisional stamps
        self._retiming = False  # the clock was synchronised: rounds added from now on are not provisional
        self._deferred: list[Deferred] = []  # writes kept, like rounds, until a commit succeeds (disk full)
        self._committed: list[Callable[[], None]] = []  # called once the transaction in progress has committed
        self._batch_base = 0  # the id before the first round of the transaction in progress
        self._batch_provisional = 0  # how many of its rounds were stamped provisionally (they come first)
        self._batch_rounds = 0  # how many rounds it inserted so far
        self._log: roundlog.RoundLog | None = None  # opened by the first ``log``
        self._logged = 0  # how many of the buffered rounds (the first ones) are in the round log

    @classmethod
    def open(cls, path: Path, readonly: bool = False, *, create: bool = True) -> Store:
        """Open (read-write: migrate, and create unless not ``create``) the store at ``path``; ``readonly`` never
        creates or migrates, and needs no write access to the file or its directory.

        Read-write, a store recorded before the evidence chain existed is sealed first (once)."""
        store = cls(migrations.connect(path, readonly, create), path, readonly)
        if not readonly:
            try:
                store._write(retention.seal_history)
            except StoreError as err:
                store.close()
                cause = err.__cause__
                if isinstance(cause, sqlite3.Error):  # said as any failure to open: locked, corrupt, full
                    raise migrations.open_error(path, cause) from cause
                raise
            except BaseException:
                store.close()
                raise
        return store

    def limit_cache(self, kib: int) -> None:
        """Keep at most ``kib`` KiB of SQLite's page cache on this connection (SQLite's default is 2 MB, which a
        long-lived writer fills as it appends)."""
        self.conn.execute(f"PRAGMA cache_size = -{int(kib)}")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close without committing (call ``end_session`` or ``commit`` first). Idempotent."""
        if self._conn is None:
            return
        if len(self._pending) > self._logged:
            lost = len(self._pending) - self._logged
            log.error("store %s closed with %d uncommitted rounds: they are lost", self.path, lost)
        if self._logged:
            log.warning("store %s closed with %d rounds in its round log: the next start seals them", *self._held())
        if self._log is not None:
            self._log.close()
        self._conn.close()
        self._conn = None

    def _held(self) -> tuple[Path, int]:
        return self.path, self._logged

    # --- writing ---------------------------------------------------------------------------------------------

    def add_round(self, rnd: Round) -> None:
        """Buffer a round for the next commit (no SQL). Beyond ``max_pending`` rounds the oldest are dropped."""
        self._writable()
        if len(self._pending) >= self._max_pending:
            self._pending.popleft()
            self._logged = max(0, self._logged - 1)
            self._dropped += 1
            if self._dropped == 1:
                log.error(
                    "store %s: %d rounds waiting to be written; dropping the oldest until a commit succeeds",
                    self.path,
                    self._max_pending,
                )
        key = tuple(s.target for s in rnd.samples)
        key = self._keys.setdefault(key, key)
        blob = codec.pack_compact([s.rtt_ms for s in rnd.samples])
        provisional = self._span is not None and not self._retiming
        self._pending.append((codec.to_ms(rnd.at), key, blob, codec.errors_json(rnd.samples), provisional))

    def pending(self) -> int:
        """Rounds buffered and not yet in the store (those in the round log included)."""
        return len(self._pending)

    def commit(self) -> None:
        """Write the buffered rounds (those in the round log included), their rollups and the session's last-seen
        time in one transaction, sealed.

        On failure everything stays buffered for the next commit and ``StoreError`` says why.
        """
        self._writable()
        self._write()

    def log(self) -> None:
        """Make the rounds buffered since the last commit or log durable in the round log (appended and synced),
        without a transaction: the next commit seals them into the store, or, after a crash, ``recover`` does.
        Readers see them only then. On failure they stay buffered and ``StoreError`` says why."""
        self._writable()
        fresh = list(itertools.islice(self._pending, self._logged, None))
        if not fresh:
            return
        if self._log is None:
            self._log = roundlog.RoundLog(roundlog.path_for(self.path))
            self._log.restart(self._round_sequence())
        rounds = [
            self._logged_round(at_ms, key, blob, errors, provisional) for at_ms, key, blob, errors, provisional in fresh
        ]
        for first in range(0, len(rounds), roundlog.MAX_ROUNDS):
            chunk = rounds[first : first + roundlog.MAX_ROUNDS]
            try:
                self._log.append(self._session or 0, chunk)
            except OSError as err:
                why = f"cannot write to {self._log.path}: {err.strerror or err}"
                if err.errno == errno.ENOSPC:
                    why = f"cannot write to {self._log.path}: the disk is full; free space on that disk"
                kept = len(self._pending)
                raise StoreError(f"{why} ({kept} rounds kept in memory and retried)", condition=why) from err
            self._logged += len(chunk)

    def _logged_round(
        self, at_ms: int, key: Targets, blob: bytes, errors: str | None, provisional: bool
    ) -> roundlog.LoggedRound:
        set_id = self._set_ids.get(key, 0)
        return roundlog.LoggedRound(set_id, "" if set_id else self._set_text(key), at_ms, blob, errors, provisional)

    def _round_sequence(self) -> int:
        """The id of the newest round ever inserted (0: none yet)."""
        seq = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'rounds'").fetchone()
        return int(seq[0]) if seq else 0

    def save_incident(self, inc: Incident) -> None:
        """Insert or update the incident keyed by (kind, start), committing it at once with the buffered rounds."""
        self._writable()
        self._incidents[(inc.kind, codec.to_ms(inc.start))] = inc
        self._write()

    def save_speed(self, result: SpeedResult) -> None:
        """Insert one speed test attempt (failed and skipped ones too), committed at once with the buffered
        rounds. Not idempotent: each call is a new row."""
        self._writable()

        def insert(conn: sqlite3.Connection) -> None:
            self._tx.record(conn, "speed", speed.insert(conn, result))

        self._defer(insert)

    def begin_session(
        self,
        at: float,
        *,
        boot_id: str | None = None,
        offset: float | None = None,
        provisional: bool = False,
        method: ProbeMethod | None = None,
    ) -> None:
        """Record that monitoring started at ``at`` (committed at once). ``boot_id`` and ``offset`` (wall minus
        monotonic seconds of this session's stamps) let a later synchronisation re-time it; ``provisional`` opens
        a clock span: the rounds stamped until ``close_span`` or ``retime`` are marked as not synchronised.
        ``method`` (how this session probes and decides) is chained with the session."""
        self._writable()
        started: list[int] = []
        spans: list[int] = []
        offset_ms = None if offset is None else codec.to_ms(offset)

        def insert(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "INSERT INTO sessions (start_ms, boot_id, offset_ms, first_round, method) VALUES (?, ?, ?, ?, ?)",
                (
                    codec.to_ms(at),
                    boot_id,
                    offset_ms,
                    timeline.next_round_id(conn),
                    None if method is None else codec.method_json(method),
                ),
            )
            session = int(cur.lastrowid or 0)
            started.append(session)
            self._tx.record(conn, "session", session)
            if provisional:
                span = timeline.open_span(conn, session, boot_id or "", offset_ms or 0, codec.to_ms(at))
                self._tx.record(conn, "span", span)
                spans.append(span)

        self._write(insert)
        self._session = started[0]
        self._span = spans[0] if spans else None
        self._span_offset_ms = offset_ms or 0

    def end_session(self, at: float, reason: str | None = None) -> None:
        """Commit the buffered rounds and end this process's session cleanly at ``at``; ``reason`` says why
        netwatch itself could not go on monitoring (the time after is unmonitored), None for a plain stop."""
        self._writable()
        session = self._session

        def finish(conn: sqlite3.Connection) -> None:
            if session is not None:
                conn.execute(
                    "UPDATE sessions SET end_ms = max(start_ms, ?), clean = 1, end_reason = ? WHERE id = ?",
                    (codec.to_ms(at), reason, session),
                )
                self._tx.record(conn, "session", session)
            self._close_span(conn)

        self._write(finish)
        self._session = None
        self._span = None

    def record_clock(self, event: ClockEvent, rounds: int = 0) -> None:
        """Keep a clock event (committed at once, with the buffered rounds)."""
        self._writable()

        def insert(conn: sqlite3.Connection) -> None:
            self._tx.record(conn, "clock", timeline.insert_event(conn, event, rounds))

        self._defer(insert)

    def retime(
        self,
        boot_id: str,
        true_offset: float,
        event: ClockEvent | None = None,
        on_done: Callable[[timeline.Retimed], None] | None = None,
    ) -> timeline.Retimed | None:
        """The clock is synchronised: close this session's clock span after its last provisional round and re-time
        every span of this boot by the true offset (wall minus monotonic seconds, now) less its own; ``event`` is
        recorded with the number of rounds re-timed. Committed at once with the buffered rounds; when that fails
        (disk full) it is kept and done with the next commit that succeeds, and None is returned. ``on_done`` is
        called (on the writer's thread) once it is committed, whenever that is."""
        self._writable()
        self._retiming = True
        if self._span is not None and self._incidents:
            # Saved before the synchronisation, not written yet: their provisional times move with the store's.
            delta_ms = codec.to_ms(true_offset) - self._span_offset_ms
            moved: dict[tuple[Kind, int], Incident] = {}
            for (kind, start_ms), inc in self._incidents.items():
                shifted = dataclasses.replace(
                    inc, start=inc.start + delta_ms / 1000, end=None if inc.end is None else inc.end + delta_ms / 1000
                )
                moved[(kind, start_ms + delta_ms)] = shifted
            self._incidents = moved
        span = self._span
        done: list[timeline.Retimed] = []

        def apply(conn: sqlite3.Connection) -> None:
            if span is not None and timeline.close_span(conn, span, self._batch_base + self._batch_provisional):
                self._tx.record(conn, "span", span)
            retimed = timeline.retime(conn, boot_id, codec.to_ms(true_offset), self._tx)
            if event is not None:
                self._tx.record(conn, "clock", timeline.insert_event(conn, event, retimed.rounds))
            done.append(retimed)
            if on_done is not None:
                self._committed.append(lambda: on_done(retimed))

        try:
            self._defer(apply)
        finally:
            if done:
                self._span = None
        return done[0] if done else None

    def _close_span(self, conn: sqlite3.Connection) -> None:
        if self._span is not None and timeline.close_span(conn, self._span):
            self._tx.record(conn, "span", self._span)

    def _defer(self, write: Deferred) -> None:
        """Run ``write`` in a transaction now, or in the next that succeeds: like rounds, it is not lost when the
        disk refuses a commit. Raises StoreError when this attempt failed (it stays queued)."""
        self._deferred.append(write)
        self._write()

    def save_trace(self, trace: StoredTrace) -> None:
        """Keep a traceroute (committed at once, with the buffered rounds)."""
        self._writable()

        def insert(conn: sqlite3.Connection) -> None:
            self._tx.record(conn, "trace", traces.insert(conn, trace))

        self._defer(insert)

    def remember_isp_hop(self, address: str, at: float) -> None:
        """Remember the ISP hop found at ``at`` for the next start (committed at once, with the buffered rounds)."""
        self._writable()

        def insert(conn: sqlite3.Connection) -> None:
            hops.remember(conn, address, codec.to_ms(at))

        self._defer(insert)

    def save_ticket(self, ticket: Ticket, at: float) -> None:
        """Record a fault ticket, or its new version (same ``ref``), as of ``at``; committed at once and chained."""
        self._writable()

        def upsert(conn: sqlite3.Connection) -> None:
            found = tickets.by_ref(conn, ticket.ref)
            tickets.save(conn, self._tx, ticket, codec.to_ms(at), found[0] if found else None)

        self._write(upsert)

    def change_ticket(self, ref: str, change: Callable[[Ticket | None], Ticket], at: float) -> Ticket:
        """Read ticket ``ref`` (None: there is none) and write ``change`` of it, in one transaction: a concurrent
        `netwatch ticket` cannot slip between the check and the write. ``change`` may raise to refuse (nothing is
        written, the error propagates). Returns what was written (committed and chained)."""
        self._writable()
        written: list[Ticket] = []

        def apply(conn: sqlite3.Connection) -> None:
            found = tickets.by_ref(conn, ref)
            new = change(found[0] if found else None)
            written.append(new)
            if found is None or new != found[0]:  # unchanged: no new version
                tickets.save(conn, self._tx, new, codec.to_ms(at), found[0] if found else None)

        self._write(apply)
        return written[0]

    def save_timestamp(self, stamp: StoredTimestamp) -> None:
        """Keep a trusted timestamp of the chain head (committed at once and chained, like any record)."""
        self._writable()

        def insert(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "INSERT INTO timestamps (seal_id, digest, tsa, gen_ms, statement, token) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    stamp.seal_id,
                    bytes.fromhex(stamp.digest),
                    stamp.tsa,
                    codec.to_ms(stamp.at),
                    stamp.statement,
                    stamp.token,
                ),
            )
            self._tx.record(conn, "timestamp", int(cur.lastrowid or 0))

        self._write(insert)

    def recover(self) -> list[Incident]:
        """Close what an unclean stop left open; returns the incidents it closed.

        The rounds the round log kept are stored and sealed first (with their session's last-seen time). Sessions
        without an end end at their last sealed round (or their start), marked unclean: the time after is
        unmonitored. Open incidents close at the last stored round at or after their start (or their start).
        Only the daemon holding the store's lock may call it: the log is its own.
        """
        self._writable()
        closed: list[Incident] = []
        path = roundlog.path_for(self.path)
        try:
            records = roundlog.read(path)
        except OSError as err:
            raise StoreError(f"cannot read the round log {path}: {err.strerror or err}; check its permissions") from err

        def close_all(conn: sqlite3.Connection) -> None:
            if records:
                self._replay(conn, records)
            ended = conn.execute("SELECT id FROM sessions WHERE end_ms IS NULL AND id IS NOT ?", (self._session,))
            for (session,) in ended.fetchall():
                conn.execute(f"UPDATE sessions SET end_ms = {SESSION_END}, clean = 0 WHERE id = ?", (session,))
                self._tx.record(conn, "session", session)
            for span in timeline.close_open_spans(conn, exclude=self._span):
                self._tx.record(conn, "span", span)
            rows = conn.execute(f"SELECT id, {INCIDENT_COLUMNS} FROM incidents WHERE end_ms IS NULL").fetchall()
            for row in rows:
                inc = codec.incident_from_row(row[1:])
                last = roundspans.latest_from(conn, row[3])
                end_ms = row[3] if last is None else last
                conn.execute("UPDATE incidents SET end_ms = ? WHERE id = ?", (end_ms, row[0]))
                self._tx.record(conn, "incident", row[0])
                closed.append(inc.closed_at(codec.from_ms(end_ms)))

        self._write(close_all)
        return closed

    def _replay(self, conn: sqlite3.Connection, records: Sequence[roundlog.Record]) -> None:
        """Insert the rounds of the round log, unless the store took them already (its round sequence moved past
        the log's base: a crash between a seal and the log's restart)."""
        seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'rounds'").fetchone()
        if records[0].base != (int(seq[0]) if seq else 0):
            return
        new_sets: dict[Targets, int] = {}
        new_targets: dict[Target, int] = {}
        replayed = 0
        for record in records:
            pending: list[Pending] = []
            for r in record.rounds:
                key = self._targets(r.set_id) if r.set_id else codec.targets_from_json(r.set_text)
                key = self._keys.setdefault(key, key)
                pending.append((r.at_ms, key, r.rtts, r.errors, r.provisional))
            self._write_rounds(conn, pending, new_sets, new_targets)
            replayed += len(pending)
        self._set_ids.update(new_sets)
        self._target_ids.update(new_targets)
        log.warning(
            "store %s: %d rounds that an unclean stop left in the round log are now stored", self.path, replayed
        )

    def prune(self, at: float, retention_days: int) -> int:
        """Delete raw rounds older than ``retention_days`` before ``at`` (the newest round, which is committed
        first; rollups stay), by whole seals and in short transactions; returns how many. The first transaction
        chains what is pruned with the retention and the time it was pruned at (verification checks that nothing
        younger went), and seals the rollups of that period, so a crash half-way leaves nothing that verification
        would take for tampering."""
        self._writable()
        cutoff_ms = codec.to_ms(at) - retention_days * retention.DAY_MS
        first_kept: int | None = None
        total = 0
        while True:
            done = self._prune_pass(cutoff_ms, retention_days, first_kept)
            through = done.through_round if done else retention.pruned_through(self.conn)
            total += self._delete_pruned(through)
            if done is None:
                return total
            first_kept = done.first_kept

    def _prune_pass(self, cutoff_ms: int, retention_days: int, first_kept: int | None) -> retention.Plan | None:
        """Plan and chain one pruning pass (a transaction); None when nothing is left to prune."""
        plans: list[retention.Plan] = []

        def plan(conn: sqlite3.Connection) -> None:
            found = retention.plan(conn, cutoff_ms, retention_days, first_kept)
            if found is not None:
                retention.seal_pruned(conn, found, self._tx)
                plans.append(found)

        try:
            self._write(plan)
        except StoreError as err:
            raise StoreError(f"cannot prune old rounds in {self.path}: {err}; they are retried later") from err
        return plans[0] if plans else None

    def _delete_pruned(self, through: int) -> int:
        """Delete the rounds a pass pruned (ids up to ``through``), a chunk per transaction; returns how many."""
        total = 0
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                deleted = retention.delete_rounds(self.conn, through, PRUNE_CHUNK)
                self.conn.execute("COMMIT")
            except sqlite3.Error as err:
                self._rollback()
                raise StoreError(f"cannot prune old rounds in {self.path}: {err}; they are retried later") from err
            except BaseException:  # never leave a transaction open behind an unexpected error
                self._rollback()
                raise
            total += deleted
            if deleted < PRUNE_CHUNK:
                return total

    def start_export(self, sink: str, at: float) -> ExportState:
        """The replica's recorded state, its row created first if it is new (committed at once)."""
        self._writable()
        self._write(lambda conn: exports.start(conn, sink, codec.to_ms(at)))
        state = self.export_state(sink)
        assert state is not None
        return state

    def set_export_cursor(self, sink: str, round_id: int, incident_seq: int, at: float, speed_id: int = 0) -> None:
        """Record (with the next commit: no SQL now) that everything up to these ids reached the replica.
        Cursors never move back, so ``speed_id=0`` leaves the speed cursor where it is."""
        self._writable()
        self._cursors[sink] = (round_id, incident_seq, codec.to_ms(at), speed_id)

    def set_export_error(self, sink: str, error: str, at: float, *, stopped: bool) -> None:
        """Record the replica's failure (committed at once); ``stopped`` when it ended the export."""
        self._writable()
        self._write(lambda conn: exports.write_error(conn, sink, error, codec.to_ms(at), stopped))

    def checkpoint(self, verification: Verification, at: float, version: str) -> Checkpoint | None:
        """Seal a checkpoint of ``verification`` (the last one this store made, intact) made at ``at`` by netwatch
        ``version``: the next verification goes on from its newest seal. None (nothing written) when nothing but
        checkpoints was sealed since the checkpoint it went on from. Raises StoreError when the store is read-only
        or the verification is not this store's last, or not intact."""
        self._writable()
        outcome = self._verified
        if outcome is None or outcome.verification is not verification or not verification.ok:
            raise StoreError("only an intact verification just made of this store can be a checkpoint")
        if not outcome.new_evidence:
            return None
        from netwatch.adapters.store import checkpoints

        resumed = verification.resumed
        made = Checkpoint(
            seal_id=verification.head_seal,
            digest=verification.head_digest,
            at=at,
            version=version,
            full=resumed is None,
            since_seal=0 if resumed is None else resumed.seal_id,
            seals=verification.seals,
            rounds=verification.rounds,
            records=verification.records,
        )
        sealed: list[int] = []

        def apply(conn: sqlite3.Connection) -> None:
            sealed.append(chain.head(conn).seal_id + 1)
            checkpoints.write(conn, self._tx, made, outcome.state)

        self._write(apply)
        return dataclasses.replace(made, sealed_in=sealed[0])

    def _writable(self) -> None:
        if self.readonly:
            raise StoreError(f"store {self.path} was opened read-only")

    def _write(self, extra: Callable[[sqlite3.Connection], None] | None = None) -> None:
        """One transaction: buffered rounds, their rollups, saved incidents, the session's last seen, ``extra``."""
        if not self._pending and not self._incidents and not self._cursors and not self._deferred and extra is None:
            return
        conn = self.conn
        new_sets: dict[Targets, int] = {}
        new_targets: dict[Target, int] = {}
        self._tx = chain.Batch()
        self._committed = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            # Read inside the write lock, never cached: `netwatch ticket` and `netwatch campaign` seal their
            # records from another process while the daemon runs, and each seal must chain to the newest one.
            head = chain.head(conn)
            seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'rounds'").fetchone()
            self._batch_base, self._batch_provisional, self._batch_rounds = (int(seq[0]) if seq else 0), 0, 0
            if self._pending:
                self._write_rounds(conn, self._pending, new_sets, new_targets)
            # Deferred writes first: a re-timing held back by a failed commit moves the stored incidents before the
            # saves made since (with true starts) are applied to them.
            for deferred in self._deferred:
                deferred(conn)
            for (kind, start_ms), inc in self._incidents.items():
                conn.execute(_UPSERT_INCIDENT, codec.incident_row(start_ms, inc))
                row = conn.execute("SELECT id FROM incidents WHERE kind = ? AND start_ms = ?", (kind.value, start_ms))
                self._tx.record(conn, "incident", int(row.fetchone()[0]))
            exports.write_cursors(conn, self._cursors)
            if extra is not None:
                extra(conn)
            if not self._tx.empty:
                chain.write_seal(conn, self._tx, head)
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            self._rollback()
            raise self._write_error(err) from err
        except BaseException:  # never leave a transaction open behind an unexpected error
            self._rollback()
            raise
        finally:
            self._tx = chain.Batch()
        committed, self._committed = self._committed, []
        for hook in committed:
            hook()
        self._set_ids.update(new_sets)
        self._target_ids.update(new_targets)
        if self._log is not None:  # every logged round is in the store now; so may be others (a replay)
            self._log.restart(self._round_sequence())
        self._logged = 0
        self._pending.clear()
        self._incidents.clear()
        self._cursors.clear()
        self._deferred.clear()
        if self._dropped:
            log.error("store %s writable again; %d rounds were dropped while it was not", self.path, self._dropped)
            self._dropped = 0

    def _write_rounds(
        self,
        conn: sqlite3.Connection,
        pending: Iterable[Pending],
        new_sets: dict[Targets, int],
        new_targets: dict[Target, int],
    ) -> None:
        """Insert ``pending`` with their rollups and chain them in this transaction."""
        rows: list[tuple[int, int, bytes, str | None]] = []
        acc: dict[rollups.Key, rollups.Rollup] = {}
        # One writer: the batch's ids follow the AUTOINCREMENT sequence without a gap.
        first_id = next_id = self._batch_base + self._batch_rounds + 1
        for at_ms, key, blob, errors, provisional in pending:
            self._batch_provisional += provisional
            set_id = self._set_id(conn, key, new_sets)
            rows.append((at_ms, set_id, blob, errors))
            self._tx.add_round(next_id, chain.round_bytes(next_id, at_ms, self._set_text(key), blob, errors), at_ms)
            next_id += 1
            rollups.accumulate(acc, at_ms // 60_000, (self._target_id(conn, t, new_targets) for t in key), blob)
        conn.executemany(_INSERT_ROUND, rows)  # rows: (at_ms, set_id, rtts, errors)
        roundspans.add(conn, first_id, [row[0] for row in rows])
        self._batch_rounds += len(rows)
        rollups.write(conn, acc)
        # No session's ``last_ms`` is written any more: a session begun since schema 10 ends at its last sealed round
        # (``first_round``), and rewriting its row cost a page of every seal (issue 17).

    def _set_text(self, key: Targets) -> str:
        text = self._set_texts.get(key)
        if text is None:
            text = self._set_texts[key] = codec.targets_json(key)
        return text

    def _set_id(self, conn: sqlite3.Connection, key: Targets, new_sets: dict[Targets, int]) -> int:
        """The id of a target set, inserted if new; ``new_sets`` holds ids not yet committed."""
        known = self._set_ids.get(key) or new_sets.get(key)
        if known:
            return known
        text = self._set_text(key)
        conn.execute("INSERT INTO target_sets (targets) VALUES (?) ON CONFLICT (targets) DO NOTHING", (text,))
        new_sets[key] = int(conn.execute("SELECT id FROM target_sets WHERE targets = ?", (text,)).fetchone()[0])
        return new_sets[key]

    def _target_id(self, conn: sqlite3.Connection, target: Target, new_targets: dict[Target, int]) -> int:
        known = self._target_ids.get(target) or new_targets.get(target)
        if known:
            return known
        params = (target.role.value, target.address)
        conn.execute("INSERT INTO targets (role, address) VALUES (?, ?) ON CONFLICT (role, address) DO NOTHING", params)
        row = conn.execute("SELECT id FROM targets WHERE role = ? AND address = ?", params).fetchone()
        new_targets[target] = int(row[0])
        return new_targets[target]

    def _rollback(self) -> None:
        conn = self.conn
        if conn.in_transaction:
            try:
                conn.rollback()
            except sqlite3.Error as err:  # SQLite may already have rolled back (e.g. after SQLITE_FULL)
                log.debug("rollback of %s failed: %s", self.path, err)

    def _write_error(self, err: sqlite3.Error) -> StoreError:
        name = getattr(err, "sqlite_errorname", "")
        if name.startswith("SQLITE_FULL") or "database or disk is full" in str(err):
            why = f"cannot write to {self.path}: database or disk is full; free space on that disk"
        elif name.startswith("SQLITE_BUSY"):
            why = f"cannot write to {self.path}: {err}; is another netwatch using this store?"
        elif migrations.is_corrupt(err):
            why = str(migrations.corrupt(self.path, err))
        else:
            why = f"cannot write to {self.path}: {err}; check that disk and the file's permissions"
        return StoreError(f"{why} ({len(self._pending)} rounds kept in memory and retried)", condition=why)

    # --- notifications outbox (outbox.py holds the SQL; netwatch.app.daemon.notify decides what and when) -------

    def queue_notification(self, message: Message, channels: Sequence[tuple[str, str]], at: float) -> int:
        """Queue ``message`` for every (channel id, label), committed at once with the buffered rounds; a channel
        that already holds ``message.key`` is left alone. Returns how many entries were added."""
        self._writable()
        added: list[int] = []
        self._write(lambda conn: added.append(outbox.queue(conn, message, channels, codec.to_ms(at))))
        return added[0]

    def record_notification(self, entry_id: int, at: float, error: str = "", next_at: float | None = None) -> None:
        """An attempt at ``at`` (committed at once): delivered when ``error`` is "", else retried at ``next_at``,
        or given up when that is None."""
        self._writable()
        next_ms = None if next_at is None else codec.to_ms(next_at)
        self._write(lambda conn: outbox.record(conn, entry_id, codec.to_ms(at), error, next_ms))

    def due_notifications(self, at: float, channels: Collection[str], limit: int = 20) -> list[OutboxEntry]:
        """Pending entries of ``channels`` due at ``at`` (their next attempt is not later), oldest first."""
        return self._read(outbox.due, codec.to_ms(at), channels, limit)

    def next_notification_at(self, channels: Collection[str]) -> float | None:
        """When the next pending entry of ``channels`` is due; None when none is pending."""
        ms = self._read(outbox.next_at, channels)
        return None if ms is None else codec.from_ms(ms)

    def notifications(self, limit: int) -> list[OutboxEntry]:
        """The ``limit`` entries queued last, newest first, in every state (for `netwatch notify list`)."""
        return self._read(outbox.recent, max(0, limit))

    # --- speed campaigns (campaigns.py holds the SQL and chains the rows; netwatch.core.campaign decides) ----------

    def plan_campaign(self, schedule: Schedule, seed: int, start: date, at: float, replace: int | None = None) -> int:
        """Store a planned campaign and its slots, marking campaign ``replace`` (if any) as replaced in the same
        transaction (committed at once, chained); returns the new campaign's id."""
        self._writable()
        made: list[int] = []
        self._write(lambda conn: made.append(campaigns.plan(conn, self._tx, schedule, seed, start, at, replace)))
        return made[0]

    def campaign_attempts(self, slot: int, results: Sequence[SpeedResult], done: bool) -> None:
        """Store a slot's speed test attempts and link the last: measured when ``done``, else one more failed
        attempt (committed at once, chained)."""
        self._writable()
        self._write(lambda conn: campaigns.attempts(conn, self._tx, slot, results, done))

    def campaign_missed(self, slot: int, reason: str) -> None:
        """Give a slot up for ``reason`` (committed at once, chained)."""
        self._writable()
        self._write(lambda conn: campaigns.missed(conn, self._tx, slot, reason))

    def campaign(self, campaign: int | None = None) -> Campaign | None:
        """Campaign ``campaign`` with its slots, or the current one (not replaced) when None; None if none."""
        return self._read(campaigns.load, campaign)

    # --- the neighbourhood pool (pool.py holds the SQL; netwatch.core.pool decides what leaves the machine) -------

    def pool_join(self, made: str, at: float) -> pool.Household:
        """This store's household, made with id ``made`` at ``at`` when it has none yet (committed at once, chained)."""
        self._writable()
        found: list[pool.Household] = []
        self._write(lambda conn: found.append(pool.join(conn, self._tx, made, codec.to_ms(at))))
        return found[0]

    def pool_withdraw(self, at: float) -> None:
        """Record that the household withdrew from the pool at ``at``: nothing is published any more (chained)."""
        self._writable()
        self._write(lambda conn: pool.withdraw(conn, self._tx, codec.to_ms(at)))

    def queue_pool(self, member: Member, kinds: Sequence[str], at: float, limit: int = 1000) -> int:
        """Queue what the household publishes as of ``at`` (``member`` names it as the pool will): its member record,
        the incidents changed since the last look that ``netwatch.core.pool`` lets out (each with the digest of its
        sealed record and the chain's head), and the monitored stretches from the start of yesterday (UTC), or of
        the last stretch published when that is earlier, or of joining. Committed at once and chained; returns how
        many publications were queued (0 once the household withdrew, or before it joined)."""
        self._writable()
        queued: list[int] = []

        def apply(conn: sqlite3.Connection) -> None:
            found = pool.household(conn)
            if found is None or found.withdrawn is not None:
                queued.append(0)
                return
            head = chain.head(conn)
            tip = (head.seal_id, head.digest.hex())
            publications = [rules.member_publication(member, found.created)]
            seq = found.incident_seq
            for ref, seq, inc in pool.incidents_after(conn, found.incident_seq, limit):
                if not rules.publishable(inc, kinds):
                    continue
                sealed = pool.sealed(conn, "incident", ref)
                if sealed is None:  # not sealed in this version yet: looked at again with the next change
                    seq -= 1
                    break
                hour = rules.monitored_in_hour(
                    _sessions(conn, inc.start - rules.HOUR, inc.start + rules.HOUR), inc.start
                )
                publications.append(rules.incident_publication(member, inc, sealed[0], sealed[1], tip, hour))
            pool.set_cursor(conn, seq)
            last = conn.execute(
                "SELECT max(CAST(substr(key, 10) AS INTEGER)) FROM pool_outbox WHERE key LIKE 'coverage %'"
            ).fetchone()[0]
            yesterday = (at // rules.DAY - 1) * rules.DAY
            since = max(found.created, min(yesterday, codec.from_ms(last) if last is not None else yesterday))
            incidents = [
                codec.incident_from_row(row)
                for row in conn.execute(
                    f"SELECT {INCIDENT_COLUMNS} FROM incidents WHERE start_ms <= ? AND (end_ms IS NULL OR end_ms >= ?)",
                    (codec.to_ms(at), codec.to_ms(since)),
                )
            ]
            for start, end in rules.spans(_sessions(conn, since, at), incidents, kinds, since, at):
                publications.append(rules.coverage_publication(member, start, end))
            queued.append(pool.queue(conn, self._tx, publications, codec.to_ms(at)))

        self._write(apply)
        return queued[0]

    def pool_published(self, publication: Publication, at: float) -> None:
        """A publication the pool confirmed at ``at`` without the outbox (withdrawal's member record); chained."""
        self._writable()
        self._write(lambda conn: pool.published(conn, self._tx, publication, codec.to_ms(at)))

    def pool_attempted(self, entry: PoolEntry, at: float, error: str = "", next_at: float = 0.0) -> None:
        """An attempt at publishing ``entry`` made at ``at`` (committed at once): confirmed by the pool when ``error``
        is "" (chained), else retried at ``next_at``."""
        self._writable()
        self._write(lambda conn: pool.attempted(conn, self._tx, entry, codec.to_ms(at), error, codec.to_ms(next_at)))


def _sessions(conn: sqlite3.Connection, since: float, until: float) -> list[Coverage]:
    rows = conn.execute(
        f"SELECT start_ms, {SESSION_END}, clean FROM sessions WHERE start_ms <= ? AND {SESSION_END} >= ?"
        " ORDER BY start_ms, id",
        (codec.to_ms(until), codec.to_ms(since)),
    )
    return [Coverage(codec.from_ms(s), codec.from_ms(e), clean != 0) for s, e, clean in rows]
