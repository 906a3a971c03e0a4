"""The neighbourhood pool in the store: the household's id, the pool outbox, and what the publisher looked at last.

Owns the ``pool_household`` and ``pool_outbox`` tables (migration 16) and their place in the evidence chain: both are
chained records (kinds "pool_household" and "pool_publication", registered in ``chain.EXTRA_BODIES`` when this module
is imported, which ``store/sqlite.py`` does), so every version of a publication queued, and every one the pool
confirmed, is a ledger entry; withdrawing is one too. Queueing is idempotent: a key whose record is unchanged is left
alone, a changed one is queued again. Functions take an open connection inside the caller's transaction and chain what
they write in the caller's ``chain.Batch``; they must not read the clock, decide what is published
(``netwatch.core.pool``) or speak to the pool.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from netwatch.adapters.store import chain, codec
from netwatch.core.model import Incident, PoolEntry, Publication

chain.EXTRA_BODIES["pool_household"] = ("pool_household", ("household", "created_ms", "withdrawn_ms"))
chain.EXTRA_BODIES["pool_publication"] = ("pool_outbox", ("key", "record", "queued_ms", "sent_ms"))

_ENTRY = "id, record, queued_ms, sent_ms, attempts, next_ms, error"
_TAKING_PART = "NOT EXISTS (SELECT 1 FROM pool_household WHERE withdrawn_ms IS NOT NULL)"  # nothing sent once withdrawn


@dataclass(frozen=True)
class Household:
    """This store's household: its id, when it was made, when it withdrew (None: it takes part), and the last
    incident change the publisher looked at."""

    household: str
    created: float
    withdrawn: float | None
    incident_seq: int


def household(conn: sqlite3.Connection) -> Household | None:
    row = conn.execute("SELECT household, created_ms, withdrawn_ms, incident_seq FROM pool_household").fetchone()
    if row is None:
        return None
    withdrawn = None if row[2] is None else codec.from_ms(row[2])
    return Household(str(row[0]), codec.from_ms(row[1]), withdrawn, int(row[3]))


def join(conn: sqlite3.Connection, tx: chain.Batch, made: str, at_ms: int) -> Household:
    """The household, made with id ``made`` at ``at_ms`` if the store has none yet."""
    found = household(conn)
    if found is not None:
        return found
    # Publishing starts with the incidents that change from now on: what was recorded before joining stays here.
    seq = int(conn.execute("SELECT coalesce(max(seq), 0) FROM incidents").fetchone()[0])
    conn.execute(
        "INSERT INTO pool_household (id, household, created_ms, incident_seq) VALUES (1, ?, ?, ?)", (made, at_ms, seq)
    )
    tx.record(conn, "pool_household", 1)
    joined = household(conn)
    assert joined is not None
    return joined


def withdraw(conn: sqlite3.Connection, tx: chain.Batch, at_ms: int) -> None:
    conn.execute("UPDATE pool_household SET withdrawn_ms = ? WHERE withdrawn_ms IS NULL", (at_ms,))
    tx.record(conn, "pool_household", 1)


def set_cursor(conn: sqlite3.Connection, seq: int) -> None:
    conn.execute("UPDATE pool_household SET incident_seq = max(incident_seq, ?)", (seq,))


def text(publication: Publication) -> str:
    """The record as the outbox keeps it and the chain seals it."""
    return chain.canonical(publication.to_dict())


def queue(conn: sqlite3.Connection, tx: chain.Batch, publications: Sequence[Publication], at_ms: int) -> int:
    """Queue each publication whose key is new or whose record changed (chained); returns how many."""
    queued = 0
    for publication in publications:
        record = text(publication)
        row = conn.execute("SELECT id, record FROM pool_outbox WHERE key = ?", (publication.key,)).fetchone()
        if row is not None and row[1] == record:
            continue
        if row is None:
            cur = conn.execute(
                "INSERT INTO pool_outbox (key, record, queued_ms, next_ms) VALUES (?, ?, ?, ?)",
                (publication.key, record, at_ms, at_ms),
            )
            ref = int(cur.lastrowid or 0)
        else:
            ref = int(row[0])
            conn.execute(
                "UPDATE pool_outbox SET record = ?, queued_ms = ?, sent_ms = NULL, attempts = 0, next_ms = ?,"
                " error = '', error_ms = NULL WHERE id = ?",
                (record, at_ms, at_ms, ref),
            )
        tx.record(conn, "pool_publication", ref)
        queued += 1
    return queued


def _entry(row: Sequence[Any]) -> PoolEntry:
    id_, record, queued_ms, sent_ms, attempts, next_ms, error = row
    return PoolEntry(
        id=int(id_),
        publication=Publication.from_dict(json.loads(record)),
        queued=codec.from_ms(queued_ms),
        sent_at=None if sent_ms is None else codec.from_ms(sent_ms),
        attempts=int(attempts),
        next_at=codec.from_ms(next_ms),
        error=str(error),
    )


def due(conn: sqlite3.Connection, at_ms: int, limit: int) -> list[PoolEntry]:
    """Pending entries whose next attempt is at or before ``at_ms``, oldest first."""
    rows = conn.execute(
        f"SELECT {_ENTRY} FROM pool_outbox WHERE sent_ms IS NULL AND next_ms <= ? AND {_TAKING_PART}"
        " ORDER BY next_ms, id LIMIT ?",
        (at_ms, limit),
    ).fetchall()
    return [_entry(r) for r in rows]


def next_at(conn: sqlite3.Connection) -> int | None:
    row = conn.execute(f"SELECT min(next_ms) FROM pool_outbox WHERE sent_ms IS NULL AND {_TAKING_PART}").fetchone()
    return None if row[0] is None else int(row[0])


def entries(conn: sqlite3.Connection) -> list[PoolEntry]:
    return [_entry(r) for r in conn.execute(f"SELECT {_ENTRY} FROM pool_outbox ORDER BY id").fetchall()]


def attempted(
    conn: sqlite3.Connection, tx: chain.Batch, entry: PoolEntry, at_ms: int, error: str, next_ms: int
) -> None:
    """One attempt at ``entry`` made at ``at_ms``: sent when ``error`` is "" (chained), else retried at ``next_ms``.
    A newer version queued meanwhile stays pending: the pool got the older one, and gets this one next."""
    record = text(entry.publication)
    if not error:
        cur = conn.execute(
            "UPDATE pool_outbox SET sent_ms = ?, attempts = attempts + 1, error = '', error_ms = NULL"
            " WHERE id = ? AND record = ? AND sent_ms IS NULL",
            (at_ms, entry.id, record),
        )
        if cur.rowcount:
            tx.record(conn, "pool_publication", entry.id)
        return
    conn.execute(
        "UPDATE pool_outbox SET attempts = attempts + 1, error = ?, error_ms = ?, next_ms = ?"
        " WHERE id = ? AND record = ? AND sent_ms IS NULL",
        (error, at_ms, next_ms, entry.id, record),
    )


def published(conn: sqlite3.Connection, tx: chain.Batch, publication: Publication, at_ms: int) -> None:
    """A publication written to the pool directly (withdrawal's member record): queued and confirmed at once."""
    queue(conn, tx, [publication], at_ms)
    conn.execute(
        "UPDATE pool_outbox SET sent_ms = ?, attempts = attempts + 1 WHERE key = ? AND sent_ms IS NULL",
        (at_ms, publication.key),
    )
    ref = conn.execute("SELECT id FROM pool_outbox WHERE key = ?", (publication.key,)).fetchone()[0]
    tx.record(conn, "pool_publication", int(ref))


def sent(conn: sqlite3.Connection) -> list[tuple[Publication, float, int]]:
    """Every publication the pool confirmed, in its latest confirmed version, as the chain sealed it: (record, when
    it was confirmed, the seal holding that entry), by key."""
    latest: dict[int, tuple[Publication, float, int]] = {}
    for seal_id, ref, body in conn.execute(
        "SELECT seal_id, ref, body FROM ledger WHERE kind = 'pool_publication' ORDER BY id"
    ):
        doc = json.loads(body)
        if doc.get("sent_ms") is not None:
            latest[int(ref)] = (
                Publication.from_dict(json.loads(doc["record"])),
                codec.from_ms(doc["sent_ms"]),
                seal_id,
            )
    return sorted(latest.values(), key=lambda p: p[0].key)


def incidents_after(conn: sqlite3.Connection, seq: int, limit: int) -> list[tuple[int, int, Incident]]:
    """(row id, seq, incident) of the incidents changed after ``seq``, in change order, at most ``limit``."""
    rows = conn.execute(
        "SELECT id, seq, kind, cause, start_ms, end_ms, rounds, cause_rounds, detail FROM incidents"
        " WHERE seq > ? ORDER BY seq LIMIT ?",
        (seq, limit),
    ).fetchall()
    return [(int(r[0]), int(r[1]), codec.incident_from_row(r[2:])) for r in rows]


def sealed(conn: sqlite3.Connection, kind: str, ref: int) -> tuple[str, int] | None:
    """(SHA-256 hex of the record's current body, the seal of its latest ledger entry) when the record's current
    version is the one last sealed; None otherwise (not sealed yet, or changed since)."""
    body = chain.read_body(conn, kind, ref)
    row = conn.execute(
        "SELECT seal_id, body FROM ledger WHERE kind = ? AND ref = ? ORDER BY id DESC LIMIT 1", (kind, ref)
    ).fetchone()
    if body is None or row is None or row[1] != body:
        return None
    return hashlib.sha256(body.encode()).hexdigest(), int(row[0])


def digest_of(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()
