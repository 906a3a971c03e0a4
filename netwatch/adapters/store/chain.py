"""The evidence chain: SHA-256 seals over every committed round and record, so that edits show.

Owns the ``seals`` and ``ledger`` tables (migration 4), the canonical bytes of everything chained, and writing a
seal at the end of each store transaction. A transaction that commits rounds or records ends with one seal::

    digest = SHA-256(previous digest | seal id | first and last round id [| newest stamp] | H(rounds) | H(ledger))

``H(rounds)`` hashes every round of the transaction (id, instant, targets, RTTs, errors); from schema 10 a seal with
rounds also chains the newest of their stamps (``at_ms``), so that its time outlives its pruned rounds. The
**ledger** holds one entry per record version written in it: incidents, sessions, speed tests, traceroutes, clock
events and spans, tickets, trusted timestamps, and the store's own acts (re-timing, pruning). Records change (an
incident is opened, re-caused, closed), so each version is an entry and the current row must equal its latest one;
rounds never change except by a chained re-timing, which verification undoes. Pruning deletes old rounds by whole
seals, keeps the seals that carry ledger entries (with the hash of their pruned rounds and their predecessor's
digest, so they still verify), and seals the per-minute rollups of the pruned period with a ledger entry.

Functions take an open connection inside the caller's transaction; the ``Store`` owns transactions. Must not read
the clock. Verification lives in ``store/verify.py``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

ZERO = bytes(32)  # the "previous digest" of the first seal
_COMPACT = (",", ":")


def canonical(value: Any) -> str:
    """The one JSON spelling of a ledger body: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=_COMPACT, ensure_ascii=False)


def round_bytes(round_id: int, at_ms: int, targets: str, rtts: bytes, errors: str | None) -> bytes:
    """What a round contributes to its seal's rounds hash. ``targets`` is the target set's JSON text."""
    t = targets.encode()
    e = (errors or "").encode()
    return b"".join(
        (
            struct.pack("<qqI", round_id, at_ms, len(t)),
            t,
            struct.pack("<I", len(rtts)),
            rtts,
            struct.pack("<I", len(e)),
            e,
        )
    )


def entry_bytes(entry_id: int, kind: str, ref: int, body: str) -> bytes:
    k, b = kind.encode(), body.encode()
    return b"".join((struct.pack("<qqI", entry_id, ref, len(k)), k, struct.pack("<I", len(b)), b))


def entries_hash(entries: Iterable[Sequence[Any]]) -> bytes:
    """The hash of a seal's ledger entries, each (id, kind, ref, body), in id order."""
    h = hashlib.sha256()
    for entry_id, kind, ref, body in entries:
        h.update(entry_bytes(int(entry_id), str(kind), int(ref), str(body)))
    return h.digest()


def seal_digest(
    prev: bytes,
    seal_id: int,
    first: int | None,
    last: int | None,
    rounds: bytes,
    entries: bytes,
    at_ms: int | None = None,
) -> bytes:
    """A seal's digest from its predecessor's, its round range (None: no rounds), the two content hashes and, from
    schema 10, the newest stamp of its rounds (None: no rounds, or a seal written before)."""
    head = struct.pack("<qqq", seal_id, -1 if first is None else first, -1 if last is None else last)
    if at_ms is not None:
        head += struct.pack("<q", at_ms)
    return hashlib.sha256(prev + head + rounds + entries).digest()


# --- canonical bodies of the chained records -----------------------------------------------------------------
# Each reads its row by id, so the writer and the verifier spell a record the same way. Columns that are derived
# or bookkeeping (an incident's export ``seq``, a running session's ``last_ms``) are left out on purpose.

_BODIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "incident": ("incidents", ("kind", "cause", "start_ms", "end_ms", "rounds", "cause_rounds", "detail")),
    "session": (
        "sessions",
        ("start_ms", "end_ms", "clean", "boot_id", "offset_ms", "first_round", "end_reason", "method"),
    ),
    "clock": ("clock_events", ("at_ms", "kind", "step_ms", "rounds", "detail")),
    "span": (
        "clock_spans",
        ("session_id", "boot_id", "offset_ms", "first_round", "last_round", "start_ms", "end_ms", "delta_ms"),
    ),
    "trace": ("traceroutes", ("at_ms", "reason", "incident_kind", "incident_start_ms", "destination", "trace")),
    "ticket": ("tickets", ("ref", "reported_ms", "channel", "note", "fixed_ms", "missed", "recorded_ms")),
    "checkpoint": (
        "checkpoints",
        ("seal_id", "digest", "full", "since_seal", "verified_ms", "version", "seals", "rounds", "records", "state"),
    ),
}
# Columns added after their kind was first chained: left out of a body while NULL, so that the versions sealed
# before they existed still read the same.
_LATER_COLUMNS = frozenset({("session", "first_round"), ("session", "end_reason"), ("session", "method")})
# Speed results carry the tool's raw output: their entry holds a digest of the row rather than the row.
_SPEED_COLUMNS = (
    "at_ms",
    "backend",
    "tool",
    "tool_version",
    "server",
    "server_id",
    "result_url",
    "download_mbps",
    "upload_mbps",
    "latency_ms",
    "loaded_latency_ms",
    "jitter_ms",
    "bytes_used",
    "external_ip",
    "ok",
    "error",
    "raw",
    "duration_s",
)
# Trusted timestamps of the chain head (schema 10): binary columns are chained by their SHA-256.
_TIMESTAMP_COLUMNS = ("seal_id", "digest", "tsa", "gen_ms", "statement", "token")
# Extra tables (e.g. fault tickets) register themselves here: kind → (table, columns).
EXTRA_BODIES: dict[str, tuple[str, tuple[str, ...]]] = {}


def kinds() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every chained record kind with its table and the columns its body holds (speed: a digest of them)."""
    return {
        **_BODIES,
        "speed": ("speed_results", _SPEED_COLUMNS),
        "timestamp": ("timestamps", _TIMESTAMP_COLUMNS),
        **EXTRA_BODIES,
    }


def body_of(kind: str, values: Sequence[Any]) -> str:
    """The canonical body of a record from its column values (in ``kinds()[kind]`` order)."""
    columns = kinds()[kind][1]
    doc = {
        column: "sha256:" + hashlib.sha256(value).hexdigest() if isinstance(value, bytes) else value
        for column, value in zip(columns, values, strict=True)
        if value is not None or (kind, column) not in _LATER_COLUMNS
    }
    if kind == "speed":
        return canonical({"sha256": hashlib.sha256(canonical(doc).encode()).hexdigest()})
    return canonical(doc)


def read_body(conn: sqlite3.Connection, kind: str, ref: int) -> str | None:
    """The canonical body of record ``ref`` as it is now, or None when the row does not exist."""
    table, columns = kinds()[kind]
    row = conn.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = ?", (ref,)).fetchone()
    return None if row is None else body_of(kind, row)


def all_bodies(conn: sqlite3.Connection, kind: str) -> Iterable[tuple[int, str]]:
    """(id, canonical body) of every row of a chained table, by id."""
    table, columns = kinds()[kind]
    for row in conn.execute(f"SELECT id, {', '.join(columns)} FROM {table} ORDER BY id"):
        yield int(row[0]), body_of(kind, row[1:])


# --- writing ------------------------------------------------------------------------------------------------


@dataclass
class Batch:
    """What one transaction adds to the chain: its rounds (hashed as they are inserted) and ledger entries."""

    first: int | None = None
    last: int | None = None
    at_ms: int | None = None  # the newest stamp among its rounds
    rounds: Any = field(default_factory=hashlib.sha256)
    entries: list[tuple[str, int, str]] = field(default_factory=list)  # (kind, ref, body)

    def add_round(self, round_id: int, data: bytes, at_ms: int) -> None:
        self.first = round_id if self.first is None else self.first
        self.last = round_id
        self.at_ms = at_ms if self.at_ms is None else max(self.at_ms, at_ms)
        self.rounds.update(data)

    def record(self, conn: sqlite3.Connection, kind: str, ref: int) -> None:
        """Chain the current version of record ``ref`` (read back from its table, as verification will)."""
        body = read_body(conn, kind, ref)
        if body is None:
            raise sqlite3.IntegrityError(f"{kind} {ref} vanished inside its own transaction")
        self.entries.append((kind, ref, body))

    def note(self, kind: str, body: dict[str, Any]) -> None:
        """Chain one of the store's own acts (re-timing, pruning, genesis): it has no row but its entry."""
        self.entries.append((kind, 0, canonical(body)))

    @property
    def empty(self) -> bool:
        return self.first is None and not self.entries


@dataclass(frozen=True)
class Head:
    """The newest seal: what the next one chains to."""

    seal_id: int
    digest: bytes


def head(conn: sqlite3.Connection) -> Head:
    row = conn.execute("SELECT id, digest FROM seals ORDER BY id DESC LIMIT 1").fetchone()
    return Head(0, ZERO) if row is None else Head(int(row[0]), bytes(row[1]))


def write_seal(conn: sqlite3.Connection, batch: Batch, prev: Head) -> Head:
    """Insert the batch's ledger entries and its seal; returns the new head (valid once the transaction commits)."""
    seal_id = prev.seal_id + 1
    entries = hashlib.sha256()
    next_entry = int(conn.execute("SELECT coalesce(max(id), 0) FROM ledger").fetchone()[0]) + 1
    rows = []
    for i, (kind, ref, body) in enumerate(batch.entries):
        entries.update(entry_bytes(next_entry + i, kind, ref, body))
        rows.append((next_entry + i, seal_id, kind, ref, body))
    conn.executemany("INSERT INTO ledger (id, seal_id, kind, ref, body) VALUES (?, ?, ?, ?, ?)", rows)
    rounds = batch.rounds.digest() if batch.first is not None else hashlib.sha256().digest()
    digest = seal_digest(prev.digest, seal_id, batch.first, batch.last, rounds, entries.digest(), batch.at_ms)
    conn.execute(
        "INSERT INTO seals (id, first_round, last_round, digest, at_ms) VALUES (?, ?, ?, ?, ?)",
        (seal_id, batch.first, batch.last, digest, batch.at_ms),
    )
    return Head(seal_id, digest)


# --- rounds as the chain sees them -------------------------------------------------------------------------


def target_texts(conn: sqlite3.Connection) -> dict[int, str]:
    return {int(i): str(t) for i, t in conn.execute("SELECT id, targets FROM target_sets")}


def retimings(conn: sqlite3.Connection) -> list[tuple[int, int, int, int]]:
    """Every chained re-timing as (seal id, first round, last round, delta ms), oldest first."""
    out = []
    for seal_id, body in conn.execute("SELECT seal_id, body FROM ledger WHERE kind = 'retime' ORDER BY id"):
        doc = json.loads(body)
        out.append((int(seal_id), int(doc["first"]), int(doc["last"]), int(doc["delta_ms"])))
    return out


_HEAD = struct.Struct("<qq")
_LENGTH = struct.Struct("<I")
_NO_ERRORS = _LENGTH.pack(0)


class RoundsHasher:
    """Hashes rounds as stored rows (id, at_ms, set id, rtts, errors) into a seal's rounds hash, as ``round_bytes``
    spells each, with each target set's bytes made once (verification hashes every round of the store)."""

    def __init__(self, sets: dict[int, str]) -> None:
        self._sets = sets
        self._spelled: dict[int, bytes] = {}
        self._sized: dict[int, bytes] = {}  # a length as spelled before the bytes it counts

    def _set(self, set_id: int) -> bytes:
        spelled = self._spelled.get(set_id)
        if spelled is None:
            text = self._sets.get(set_id, "").encode()
            spelled = self._spelled[set_id] = _LENGTH.pack(len(text)) + text
        return spelled

    def digest(
        self, rows: Sequence[Sequence[Any]], undo: Sequence[tuple[int, int, int]] = ()
    ) -> tuple[bytes, list[int]]:
        """(the rounds hash of ``rows``, their stamps) with the re-timings ``undo`` (first, last, delta ms) undone."""
        if undo:
            rows = [(i, at - sum(d for a, b, d in undo if a <= i <= b), *rest) for i, at, *rest in rows]
        # Every round's bytes joined and hashed at once: the hash is the same as round by round.
        parts: list[bytes] = []
        extend = parts.extend
        head, sized = _HEAD.pack, self._sized
        last_set, targets = None, b""
        for round_id, at_ms, set_id, rtts, errors in rows:
            if set_id != last_set:  # a seal's rounds share their target set, nearly always
                last_set, targets = set_id, self._spelled.get(set_id) or self._set(set_id)
            size = sized.get(len(rtts)) or self._size(len(rtts))
            if errors:
                e = errors.encode()
                extend((head(round_id, at_ms), targets, size, rtts, _LENGTH.pack(len(e)), e))
            else:
                extend((head(round_id, at_ms), targets, size, rtts, _NO_ERRORS))
        return hashlib.sha256(b"".join(parts)).digest(), [row[1] for row in rows]

    def _size(self, length: int) -> bytes:
        spelled = self._sized[length] = _LENGTH.pack(length)
        return spelled


def rounds_hash(
    conn: sqlite3.Connection,
    seal_id: int,
    first: int,
    last: int,
    sets: dict[int, str],
    retimed: Sequence[tuple[int, int, int, int]],
    on_round: Callable[[], None] | None = None,
) -> tuple[bytes, int]:
    """(the rounds hash of a seal as its rounds stand now, with later re-timings undone; how many rounds).

    A target set missing from ``sets`` is looked up (and fails the hash if it is gone: "" is hashed)."""
    # A re-timing undone for the rounds sealed before it, and for those written in its own transaction (they are
    # inserted, and hashed, before the re-timing moves them).
    undo = [(a, b, d) for s, a, b, d in retimed if s >= seal_id and a <= last and b >= first]
    rows = conn.execute(
        "SELECT id, at_ms, set_id, rtts, errors FROM rounds WHERE id BETWEEN ? AND ? ORDER BY id", (first, last)
    ).fetchall()
    digest, stamps = RoundsHasher(sets).digest(rows, undo)
    if on_round is not None:
        for _ in stamps:
            on_round()
    return digest, len(stamps)


def rollups_hash(conn: sqlite3.Connection, from_minute: int, to_minute: int) -> str:
    """The hex SHA-256 of the rollups of minutes [from, to), by minute then target (role, address)."""
    h = hashlib.sha256()
    for row in conn.execute(
        "SELECT minute, role, address, sent, lost, rtt_min, rtt_max, rtt_sum FROM rollups"
        " JOIN targets ON targets.id = rollups.target_id WHERE minute >= ? AND minute < ?"
        " ORDER BY minute, role, address",
        (from_minute, to_minute),
    ):
        h.update(canonical(list(row)).encode() + b"\n")
    return h.hexdigest()
