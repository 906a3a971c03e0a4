"""Verified checkpoints of the evidence chain: where the next verification may go on from.

Owns the ``checkpoints`` table (migration 17): writing one, chained like a record (kind "checkpoint") in a seal of
its own after the seal it names (``write``), reading them back from the ledger, where they are sealed (``sealed``),
and choosing the newest one whose seal still has the digest it names (``newest``). A checkpoint whose seal lost
that digest is a break: the seals up to it were altered after they were verified. Pruning keeps the seals
checkpoints name (``retention``), so a checkpoint outlives the rounds before it. Functions take an open connection
inside the caller's transaction; must not verify (``verify.py`` does) nor read the clock.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from netwatch.adapters.store import chain, codec
from netwatch.core.model import Break, Checkpoint


@dataclass(frozen=True)
class Found:
    """A checkpoint as sealed, with the walk's state at its seal (what the next verification goes on from)."""

    checkpoint: Checkpoint
    state: dict[str, Any]


# What of verification's walk a checkpoint keeps for the next one to go on from: these values, and its sessions,
# clock spans, re-timings and flags whole (each record's latest sealed version is read back from the ledger).
SCALARS = (
    "prunes",
    "legacy_prunes",
    "genesis_through",
    "sealed_round",
    "chain_now",
    "segment_max",
    "head_at",
    "next_entry",
    "sealed_at_seen",
    "cadence_ms",
)
_STATE_KEYS = frozenset({*SCALARS, "sessions", "spans", "retimings", "flags"})


def of_body(body: str, sealed_in: int) -> Found | None:
    """A checkpoint from the canonical body of its ledger entry; None when it cannot be read as one (an entry
    edited behind netwatch's back: its seal shows that; a checkpoint nobody can read is never gone on from)."""
    try:
        return _of_body(body, sealed_in)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _of_body(body: str, sealed_in: int) -> Found:
    doc = json.loads(body)
    state = json.loads(doc["state"])
    if not isinstance(state, dict) or not state.keys() >= _STATE_KEYS:
        raise ValueError("not a checkpoint's state")
    checkpoint = Checkpoint(
        seal_id=int(doc["seal_id"]),
        digest=str(doc["digest"]),
        at=codec.from_ms(int(doc["verified_ms"])),
        version=str(doc["version"]),
        full=bool(doc["full"]),
        since_seal=int(doc["since_seal"]),
        seals=int(doc["seals"]),
        rounds=int(doc["rounds"]),
        records=int(doc["records"]),
        sealed_in=sealed_in,
    )
    return Found(checkpoint, state)


def sealed(conn: sqlite3.Connection) -> Iterator[tuple[int, Found]]:
    """(entry id, checkpoint) of every checkpoint in the ledger that can be read as one, newest first."""
    for entry_id, seal_id, body in conn.execute(
        "SELECT id, seal_id, body FROM ledger WHERE kind = 'checkpoint' ORDER BY id DESC"
    ).fetchall():
        found = of_body(str(body), int(seal_id))
        if found is not None:
            yield int(entry_id), found


def mismatch(checkpoint: Checkpoint) -> Break:
    """The break of a checkpoint whose seal no longer has the digest it names."""
    return Break(
        f"checkpoint of seal {checkpoint.seal_id}",
        "the seal no longer has the digest verified then: the seals up to it were altered after they were verified"
        " (`netwatch verify --full` shows where)",
        checkpoint.at,
    )


def newest(conn: sqlite3.Connection, before_seal: int | None = None) -> tuple[Found | None, list[Break]]:
    """The newest checkpoint whose seal still has the digest it names (naming a seal before ``before_seal`` when
    given), and the breaks of the newer ones whose seal lost it. A checkpoint whose seal a pruning pass removed
    (a netwatch that did not keep them) is passed over: it can no longer be gone on from, and says nothing wrong."""
    pruned = max(
        (int(json.loads(b)["through_seal"]) for (b,) in conn.execute("SELECT body FROM ledger WHERE kind = 'prune'")),
        default=0,
    )
    breaks: list[Break] = []
    for _, found in sealed(conn):
        checkpoint = found.checkpoint
        if before_seal is not None and checkpoint.seal_id >= before_seal:
            continue
        row = conn.execute("SELECT digest FROM seals WHERE id = ?", (checkpoint.seal_id,)).fetchone()
        if row is None and checkpoint.seal_id <= pruned:
            continue
        if row is None or bytes(row[0]).hex() != checkpoint.digest:
            breaks.append(mismatch(checkpoint))
            continue
        return found, breaks
    return None, breaks


def write(conn: sqlite3.Connection, tx: chain.Batch, checkpoint: Checkpoint, state: dict[str, Any]) -> int:
    """Insert ``checkpoint`` with the walk's ``state`` and chain it in ``tx``; returns its row id."""
    cur = conn.execute(
        "INSERT INTO checkpoints (seal_id, digest, full, since_seal, verified_ms, version, seals, rounds, records,"
        " state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            checkpoint.seal_id,
            checkpoint.digest,
            int(checkpoint.full),
            checkpoint.since_seal,
            codec.to_ms(checkpoint.at),
            checkpoint.version,
            checkpoint.seals,
            checkpoint.rounds,
            checkpoint.records,
            chain.canonical(state),
        ),
    )
    ref = int(cur.lastrowid or 0)
    tx.record(conn, "checkpoint", ref)
    return ref
