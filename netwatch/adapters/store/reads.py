"""Reading the store: every query the reports, the exporters, `netwatch status` and verification make.

Owns ``Reads``, the read half of ``Store`` (a mixin: ``Store`` adds the writing), which works on read-only stores
and sees what other processes committed: rounds (decoded, in chunks, so no read transaction stays open while a
caller iterates), incidents, sessions, rollups and the anchor series, speed tests, export state, clock events and
spans, traceroutes, and the evidence chain's head and verification. Errors become one-line ``StoreError``s (a
damaged file is named as corrupt, with the fix). Must not write.
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from netwatch.adapters.store import (
    chain,
    codec,
    exports,
    hops,
    migrations,
    pool,
    retention,
    roundspans,
    speed,
    tickets,
    timeline,
    traces,
)
from netwatch.core.model import (
    ClockEvent,
    Coverage,
    EventKind,
    ExportIncident,
    ExportState,
    Incident,
    MinuteRollup,
    PoolEntry,
    Publication,
    Round,
    Sample,
    SessionMethod,
    SpeedResult,
    StoredTimestamp,
    StoredTrace,
    Target,
    Ticket,
    Verification,
)
from netwatch.errors import StoreError

if TYPE_CHECKING:
    from netwatch.adapters.store.verify import Outcome, TokenCheck

T = TypeVar("T")
Targets = tuple[Target, ...]

READ_CHUNK = 5_000  # rounds fetched per query by rounds(): no read transaction stays open while a caller iterates
INCIDENT_COLUMNS = "kind, cause, start_ms, end_ms, rounds, cause_rounds, detail"
# Where a session ends: as recorded once it ended; while it runs (or until recovery after a crash) at its last sealed
# round, the ids from its ``first_round`` to the next session's (sessions from before schema 10 have no
# ``first_round``: their unchained ``last_ms`` is all there is). Never from ``last_ms`` otherwise: it is not chained,
# so an edit of it would claim monitoring no round shows.
SESSION_LAST_ROUND = """(SELECT r.at_ms FROM rounds r WHERE r.id >= sessions.first_round AND r.id < coalesce(
    (SELECT min(n.first_round) FROM sessions n WHERE n.id > sessions.id), 9223372036854775807)
    ORDER BY r.id DESC LIMIT 1)"""
SESSION_END = (
    "coalesce(end_ms, CASE WHEN first_round IS NULL THEN coalesce(last_ms, start_ms)"
    f" ELSE max(start_ms, coalesce({SESSION_LAST_ROUND}, start_ms)) END)"
)
# Parameters: ?1 first minute, ?2 end minute (excluded), ?3 minutes per bucket. One correlated range scan of the
# rollups' primary key per bucket, in bucket order: a plain GROUP BY on (minute - ?1) / ?3 would sort every row
# of the period in a temporary B-tree (~1.5 s for a year of six targets, against ~0.7 s this way). The four
# aggregates travel as one JSON array because SQLite has no LATERAL join.
_ANCHOR_SERIES = """
    WITH RECURSIVE buckets (k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM buckets WHERE (k + 1) * ?3 + ?1 < ?2)
    SELECT k, (
        SELECT json_array(sum(sent), sum(lost), sum(rtt_sum), max(rtt_max)) FROM rollups
        WHERE minute >= ?1 + k * ?3 AND minute < min(?2, ?1 + (k + 1) * ?3)
            AND target_id IN (SELECT id FROM targets WHERE role = 'anchor')
    ) FROM buckets
"""


class Reads:
    """The queries of a ``Store``, which sets ``path``, ``_conn`` and ``_sets``."""

    path: Path
    _conn: sqlite3.Connection | None
    _sets: dict[int, Targets]  # set id → targets, for decoding
    _verified: Outcome | None = None  # the last verification made here, for a checkpoint of it

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"store {self.path} is closed")
        return self._conn

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as err:
            raise self._read_error(err) from err

    def _targets(self, set_id: int) -> Targets:
        targets = self._sets.get(set_id)
        if targets is None:
            rows = self._query("SELECT targets FROM target_sets WHERE id = ?", (set_id,))
            if not rows:
                raise StoreError(f"store {self.path} is inconsistent (target set {set_id} missing): restore a backup")
            targets = self._sets[set_id] = codec.targets_from_json(rows[0][0])
        return targets

    def _round(self, at_ms: int, set_id: int, blob: bytes, errors: str | None) -> Round:
        errs = codec.errors_from_json(errors)
        samples = tuple(
            Sample(t, rtt, errs.get(i, ""))
            for i, (t, rtt) in enumerate(zip(self._targets(set_id), codec.unpack_rtts(blob), strict=True))
        )
        return Round(at=codec.from_ms(at_ms), samples=samples)

    def last_round(self) -> Round | None:
        """The most recently inserted round (by id: the wall clock may have stepped back since)."""
        rows = self._query("SELECT at_ms, set_id, rtts, errors FROM rounds ORDER BY id DESC LIMIT 1")
        return self._round(*rows[0]) if rows else None

    def _pruned_through(self) -> int:
        """The highest round id a pruning pass took: such rounds may still wait to be deleted, but they are no
        longer evidence (their seals are gone), so no read returns them."""
        return self._read(retention.pruned_through)

    def rounds(self, since: float, until: float) -> Iterator[Round]:
        """Rounds with ``since <= at < until`` ordered by (at, id), fetched in chunks (pruned ones left out)."""
        lo_ms, hi_ms = codec.to_ms(since), codec.to_ms(until)
        chunks = roundspans.by_time(self.conn, "set_id, rtts, errors", lo_ms, hi_ms, self._pruned_through(), READ_CHUNK)
        while True:
            try:
                rows = next(chunks, None)
            except sqlite3.Error as err:
                raise self._read_error(err) from err
            if rows is None:
                return
            for _, *row in rows:
                yield self._round(*row)

    def rounds_after(self, round_id: int, limit: int) -> list[tuple[int, Round]]:
        """Up to ``limit`` rounds committed after round ``round_id``, as (id, round) in id (insertion) order."""
        rows = self._query(
            "SELECT id, at_ms, set_id, rtts, errors FROM rounds WHERE id > ? ORDER BY id LIMIT ?", (round_id, limit)
        )
        return [(row[0], self._round(*row[1:])) for row in rows]

    def targets_between(self, since: float, until: float) -> list[Target]:
        """Every target probed by a round with ``since <= at < until``, in the order they were first seen."""
        lo_ms, hi_ms = codec.to_ms(since), codec.to_ms(until)
        ids = self._read(roundspans.id_range, lo_ms, hi_ms)
        if ids is None:
            return []
        rows = self._query(
            "SELECT targets FROM target_sets WHERE id IN (SELECT DISTINCT set_id FROM rounds"
            " WHERE id BETWEEN ? AND ? AND at_ms >= ? AND at_ms < ?) ORDER BY id",
            (*ids, lo_ms, hi_ms),
        )
        seen: dict[Target, None] = {}
        for (text,) in rows:
            seen.update(dict.fromkeys(codec.targets_from_json(text)))
        return list(seen)

    def count_rounds(self, since: float, until: float) -> int:
        """How many rounds ``rounds(since, until)`` yields."""
        lo_ms, hi_ms = codec.to_ms(since), codec.to_ms(until)
        ids = self._read(roundspans.id_range, lo_ms, hi_ms)
        if ids is None:
            return 0
        first = max(ids[0], self._pruned_through() + 1)
        rows = self._query(
            "SELECT count(*) FROM rounds WHERE id BETWEEN ? AND ? AND at_ms >= ? AND at_ms < ?",
            (first, ids[1], lo_ms, hi_ms),
        )
        return int(rows[0][0])

    def export_state(self, sink: str) -> ExportState | None:
        """Where the replica stands (None if it never started), with the rounds committed after its cursor."""
        return self._read(exports.state, sink)

    def export_incidents_after(self, seq: int, limit: int) -> list[ExportIncident]:
        """Incidents changed after change number ``seq``, in change order, at most ``limit``."""
        return self._read(exports.incidents_after, seq, limit)

    def export_incidents(self, since: float, until: float) -> list[ExportIncident]:
        """Incidents overlapping [since, until] as ``incidents`` returns them, with their change numbers."""
        return self._read(exports.incidents_between, codec.to_ms(since), codec.to_ms(until))

    def _read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(self.conn, *args, **kwargs)
        except sqlite3.Error as err:
            raise self._read_error(err) from err

    def _read_error(self, err: sqlite3.Error) -> StoreError:
        if migrations.is_corrupt(err):
            return migrations.corrupt(self.path, err)
        return StoreError(f"cannot read store {self.path}: {err}")

    def speed_results(self, since: float, until: float) -> list[SpeedResult]:
        """Speed test attempts with ``since <= at < until`` (``at`` to the millisecond), ordered by (at, id):
        successful, failed and skipped ones (``ok=False`` with the reason in ``error``) alike."""
        return self._read(speed.between, codec.to_ms(since), codec.to_ms(until))

    def speed_results_after(self, speed_id: int, limit: int) -> list[tuple[int, SpeedResult]]:
        """Up to ``limit`` attempts stored after attempt ``speed_id``, as (id, result) in id order (exporters)."""
        return self._read(speed.after, speed_id, limit)

    def speed_bytes_since(self, at: float) -> int:
        """Bytes used by the speed tests that started at or after ``at`` (for the daily data budget)."""
        return self._read(speed.bytes_since, codec.to_ms(at))

    def incidents(self, since: float, until: float) -> list[Incident]:
        """Incidents overlapping [since, until] (open ones included), ordered by start."""
        rows = self._query(
            f"SELECT {INCIDENT_COLUMNS} FROM incidents WHERE start_ms <= ? AND (end_ms IS NULL OR end_ms >= ?)"
            " ORDER BY start_ms, id",
            (codec.to_ms(until), codec.to_ms(since)),
        )
        return [codec.incident_from_row(row) for row in rows]

    def last_instant(self) -> float | None:
        """The latest instant anything in the store is stamped with (rounds, sessions, incidents, speed tests), or
        None for an empty store: a clock that reads earlier than this is certainly wrong."""
        rows = self._query(
            "SELECT max(v) FROM (SELECT max(max_ms) AS v FROM round_spans UNION ALL"
            f" SELECT max({SESSION_END}) FROM sessions UNION ALL SELECT max(coalesce(end_ms, start_ms)) FROM incidents"
            " UNION ALL SELECT max(at_ms) FROM speed_results)"
        )
        return None if rows[0][0] is None else codec.from_ms(rows[0][0])

    def clock_events(self, since: float, until: float) -> list[ClockEvent]:
        """Clock events with ``since <= at < until``, by time."""
        rows = self._read(timeline.events, codec.to_ms(since), codec.to_ms(until))
        return [ClockEvent(EventKind(k), codec.from_ms(a), codec.from_ms(st), d) for a, k, st, _, d in rows]

    def clock_spans(self, since: float, until: float) -> list[timeline.Span]:
        """Clock spans (rounds stamped before the clock was synchronised) overlapping [since, until]."""
        return self._read(timeline.spans, codec.to_ms(since), codec.to_ms(until))

    def isp_hop(self) -> str | None:
        """The ISP hop the daemon found last (None when it never found one)."""
        return self._read(hops.last)

    def retimings(self, since: float, until: float) -> list[tuple[float, float, int, float]]:
        """Every re-timing act the chain holds whose moved stamps overlap [since, until], as (first and last stamp
        after the move, rounds moved, seconds added), oldest first: read from the ledger, not from the clock spans,
        so that a report shows each one whether or not a span row backs it (verification says whether it may)."""
        out = []
        for (body,) in self._query("SELECT body FROM ledger WHERE kind = 'retime' ORDER BY id"):
            doc = json.loads(body)
            delta = int(doc["delta_ms"])
            start, end = int(doc["from_ms"]) + delta, max(int(doc["from_ms"]), int(doc["to_ms"])) + delta
            rounds = max(0, int(doc["last"]) - int(doc["first"]) + 1)
            if start <= codec.to_ms(until) and end >= codec.to_ms(since):
                out.append((codec.from_ms(start), codec.from_ms(end), rounds, codec.from_ms(delta)))
        return out

    def traces(self, since: float, until: float) -> list[StoredTrace]:
        """Traceroutes taken with ``since <= at < until``, by time."""
        return self._read(traces.between, codec.to_ms(since), codec.to_ms(until))

    def tickets(self, since: float | None = None, until: float | None = None) -> list[Ticket]:
        """Fault tickets open at some instant of [since, until) (None: unbounded), oldest report first."""
        lo = None if since is None else codec.to_ms(since)
        hi = None if until is None else codec.to_ms(until)
        return [ticket for ticket, _ in self._read(tickets.overlapping, lo, hi)]

    def ticket(self, ref: str) -> tuple[Ticket, float] | None:
        """The ticket with this reference and when it was last recorded, or None."""
        return self._read(tickets.by_ref, ref)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees the store as it was at the first one, whatever the daemon commits meanwhile (one
        read transaction; in WAL mode it holds no lock against the writer). Nested uses share the outer one."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        try:
            conn.execute("BEGIN")
        except sqlite3.Error as err:
            raise self._read_error(err) from err
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")

    def copy_to(self, target: Path) -> None:
        """Write a consistent copy of the whole store to ``target`` (a new file) with SQLite's backup API: inside
        ``snapshot`` it is the store as that snapshot sees it. The copy keeps no write-ahead log, so it opens
        anywhere, read-only too. Raises StoreError."""
        try:
            with contextlib.closing(sqlite3.connect(target)) as copy:
                self.conn.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")
        except sqlite3.Error as err:
            raise StoreError(f"cannot copy store {self.path} to {target}: {err}") from err

    def verify(
        self,
        expect: str | None = None,
        progress: Callable[[int], None] | None = None,
        *,
        now: float | None = None,
        check_token: TokenCheck | None = None,
        full: bool = True,
    ) -> Verification:
        """Check the evidence chain (see store/verify.py) in one snapshot: a commit landing half-way through must
        not look like tampering. ``expect`` is a digest published earlier; ``now`` the time of the check (stamps
        after it are impossible); ``check_token`` verifies the trusted timestamps' tokens (None: listed unchecked);
        ``full``: from the first seal, else from the newest checkpoint still valid (``resumed`` says which)."""

        # Imported here: verification's rules (versions, acts, coherence) are needed only by `verify`, not by the
        # daemon's every write, and the store's import stays small on a Pi.
        from netwatch.adapters.store import verify as checks

        now_ms = None if now is None else codec.to_ms(now)
        with self.snapshot():
            outcome = self._read(
                checks.walk, expect=expect, progress=progress, now_ms=now_ms, check_token=check_token, full=full
            )
        self._verified = outcome
        return outcome.verification

    def unverified_rounds(self) -> int:
        """How many rounds a verification going on from the newest valid checkpoint hashes (all of them when
        there is none): what its progress counts up to."""
        from netwatch.adapters.store import checkpoints

        def count(conn: sqlite3.Connection) -> int:
            found, _ = checkpoints.newest(conn)
            after = 0 if found is None else int(found.state["sealed_round"])
            return int(conn.execute("SELECT count(*) FROM rounds WHERE id > ?", (after,)).fetchone()[0])

        return self._read(count)

    def timestamps(self) -> list[StoredTimestamp]:
        """Every trusted timestamp of the chain head, oldest first."""
        rows = self._query("SELECT seal_id, digest, tsa, gen_ms, statement, token FROM timestamps ORDER BY id")
        return [
            StoredTimestamp(int(s), bytes(d).hex(), str(t), codec.from_ms(g), bytes(st), bytes(tok))
            for s, d, t, g, st, tok in rows
        ]

    def head(self) -> chain.Head:
        """The newest seal: its id and digest identify everything stored up to now."""
        return self._read(chain.head)

    def open_incidents(self) -> list[Incident]:
        rows = self._query(f"SELECT {INCIDENT_COLUMNS} FROM incidents WHERE end_ms IS NULL ORDER BY start_ms, id")
        return [codec.incident_from_row(row) for row in rows]

    def recent_incidents(self, limit: int) -> list[Incident]:
        """The ``limit`` incidents that started last, newest first."""
        rows = self._query(
            f"SELECT {INCIDENT_COLUMNS} FROM incidents ORDER BY start_ms DESC, id DESC LIMIT ?", (max(0, limit),)
        )
        return [codec.incident_from_row(row) for row in rows]

    def sessions(self, since: float, until: float) -> list[Coverage]:
        """Sessions overlapping [since, until] by start; a running one ends at its last committed round."""
        rows = self._query(
            f"SELECT start_ms, {SESSION_END}, clean FROM sessions"
            f" WHERE start_ms <= ? AND {SESSION_END} >= ? ORDER BY start_ms, id",
            (codec.to_ms(until), codec.to_ms(since)),
        )
        return [Coverage(codec.from_ms(s), codec.from_ms(e), clean != 0) for s, e, clean in rows]

    def session_methods(self, since: float, until: float) -> list[SessionMethod]:
        """The sessions overlapping [since, until] (as ``sessions``) with the probing method each recorded when it
        began (None for those begun before schema 18)."""
        rows = self._query(
            f"SELECT start_ms, {SESSION_END}, method FROM sessions"
            f" WHERE start_ms <= ? AND {SESSION_END} >= ? ORDER BY start_ms, id",
            (codec.to_ms(until), codec.to_ms(since)),
        )
        return [SessionMethod(codec.from_ms(s), codec.from_ms(e), codec.method_from_json(m)) for s, e, m in rows]

    def rollups(self, since: float, until: float) -> list[MinuteRollup]:
        """Per-minute rollups of minutes starting in [since, until), by minute then target."""
        lo, hi = (math.ceil(codec.to_ms(t) / 60_000) for t in (since, until))
        rows = self._query(
            "SELECT minute, role, address, sent, lost, rtt_min, rtt_max, rtt_sum FROM rollups"
            " JOIN targets ON targets.id = rollups.target_id WHERE minute >= ? AND minute < ?"
            " ORDER BY minute, role, address",
            (lo, hi),
        )
        return [codec.rollup_from_row(row) for row in rows]

    def anchor_series(
        self, since: float, until: float, bucket_seconds: int
    ) -> list[tuple[int, int, int, float | None, float | None]]:
        """Anchor loss and latency per bucket, summed over every anchor target, from the per-minute rollups.

        Buckets are ``bucket_seconds`` long (a positive multiple of 60) from ``since`` rounded up to a whole
        minute, and hold the minutes that start in [since, until), as ``rollups`` does. Each row is (bucket start
        in Unix seconds, rounds sent, rounds lost, average RTT in ms over answered rounds, maximum RTT in ms);
        the RTTs are None when nothing answered. Buckets without any rollup (unmonitored) are left out.
        """
        if bucket_seconds <= 0 or bucket_seconds % 60:
            raise ValueError(f"bucket_seconds must be a positive multiple of 60, got {bucket_seconds!r}")
        lo, hi = (math.ceil(codec.to_ms(t) / 60_000) for t in (since, until))
        if hi <= lo:
            return []
        n = bucket_seconds // 60
        # Two index probes (min() and max() together would scan the range).
        first = self._query("SELECT min(minute) FROM rollups WHERE minute >= ? AND minute < ?", (lo, hi))[0][0]
        last = self._query("SELECT max(minute) FROM rollups WHERE minute >= ? AND minute < ?", (lo, hi))[0][0]
        if first is None or last is None:
            return []
        # Skip the empty buckets before the first and after the last rollup (e.g. since = -inf), keeping the
        # buckets aligned on ``since``.
        lo, hi = lo + (first - lo) // n * n, last + 1
        out: list[tuple[int, int, int, float | None, float | None]] = []
        for k, aggregates in self._query(_ANCHOR_SERIES, (lo, hi, n)):
            sent, lost, rtt_sum, rtt_max = json.loads(aggregates)
            if sent is None:
                continue
            answered = sent - lost
            average = rtt_sum / answered / 10.0 if answered else None
            out.append(((lo + k * n) * 60, sent, lost, average, None if rtt_max is None else rtt_max / 10.0))
        return out

    # --- the neighbourhood pool ------------------------------------------------------------------------------

    def pool_household(self) -> pool.Household | None:
        """This store's household in the pool (None before it joined)."""
        return self._read(pool.household)

    def pool_due(self, at: float, limit: int = 50) -> list[PoolEntry]:
        """Pool publications pending and due at ``at``, oldest first."""
        return self._read(pool.due, codec.to_ms(at), limit)

    def pool_next_at(self) -> float | None:
        """When the next pending pool publication is due; None when none is pending."""
        ms = self._read(pool.next_at)
        return None if ms is None else codec.from_ms(ms)

    def pool_entries(self) -> list[PoolEntry]:
        """Every row of the pool outbox (each key's latest version), in the order first queued."""
        return self._read(pool.entries)

    def pool_sent(self) -> list[tuple[Publication, float, int]]:
        """Every publication the pool confirmed, in its latest confirmed version as sealed: (record, when, seal)."""
        return self._read(pool.sent)

    def sealed_incident(self, kind: str, start: float) -> tuple[Incident, str] | None:
        """The incident (kind, start) and the SHA-256 of its record as it stands now; None when there is none."""

        def find(conn: sqlite3.Connection) -> tuple[Incident, str] | None:
            row = conn.execute(
                f"SELECT id, {INCIDENT_COLUMNS} FROM incidents WHERE kind = ? AND start_ms = ?",
                (kind, codec.to_ms(start)),
            ).fetchone()
            if row is None:
                return None
            body = chain.read_body(conn, "incident", int(row[0]))
            return codec.incident_from_row(row[1:]), pool.digest_of(body or "")

        return self._read(find)
