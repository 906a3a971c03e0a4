"""Retention: pruning old raw rounds without breaking the evidence chain.

Owns the plan of a pruning pass (which seals' rounds all lie before the cut-off, at most ``MAX_SEALS`` of them),
chaining it before anything is deleted (a ``prune`` ledger entry with the retention it claims and the rollups of the
pruned period sealed by their hash; verification holds it to that retention at its own seal's time), trimming the
seals table a chunk at a time (seals with nothing but pruned rounds are deleted; the boundary seal and seals that
carry ledger entries, a trusted timestamp or a verified checkpoint are kept, with the hash of their pruned rounds,
checked against their digest first, and, where their predecessor went, its digest), and deleting the rounds in
chunks afterwards. Also the first sealing of a store that predates the chain (``seal_history``). Functions take an
open connection inside the caller's transaction; must not read the clock."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from netwatch.adapters.store import chain, roundspans
from netwatch.errors import StoreError

GENESIS_CHUNK = 5_000  # rounds per seal when a store from before the chain is sealed at upgrade


DAY_MS = 86_400_000
MIN_RETENTION_DAYS = 1  # the shortest retention a pruning pass may claim (store.retention_days has the same bound)
MAX_SEALS = 50_000  # seals one pass covers: the first pass after a long stop is split into bounded transactions


@dataclass(frozen=True)
class Plan:
    cutoff_ms: int
    retention_days: int
    after_seal: int  # the previous pass's boundary seal (0 for the first pass)
    through_seal: int  # every seal up to this one has all its rounds pruned; this one is kept
    through_round: int  # every round with an id up to this one is pruned
    first_kept: int  # the first round (by id) stamped at or after the cut-off: it and every later one are kept
    from_minute: int  # the rollups of minutes [from, to) are sealed by this pass
    to_minute: int


def last_prune(conn: sqlite3.Connection) -> dict[str, Any] | None:
    row = conn.execute("SELECT body FROM ledger WHERE kind = 'prune' ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else dict(json.loads(row[0]))


def sealed_rollups_before(conn: sqlite3.Connection) -> int:
    """The first minute whose rollups no pruning pass (nor the upgrade of an older store) has sealed."""
    found = 0
    for (body,) in conn.execute("SELECT body FROM ledger WHERE kind IN ('prune', 'genesis')"):
        doc = json.loads(body)
        if "to_minute" in doc:
            found = max(found, int(doc["to_minute"]))
    return found


def pruned_through(conn: sqlite3.Connection) -> int:
    """The highest round id pruned (or being pruned) so far; 0 before the first pass."""
    last = last_prune(conn)
    return int(last["through_round"]) if last else 0


def plan(conn: sqlite3.Connection, cutoff_ms: int, retention_days: int, first_kept: int | None = None) -> Plan | None:
    """What the next pass with this cut-off prunes (at most ``MAX_SEALS`` seals), or None when no whole seal lies
    before it. ``first_kept`` is the previous pass's, when this one goes on where it stopped (the same cut-off)."""
    prev = last_prune(conn)
    after_seal = int(prev["through_seal"]) if prev else 0
    prev_round = int(prev["through_round"]) if prev else 0
    if first_kept is None:
        # NOT INDEXED: walk the table in id order from the last pass (rows before the cut-off are few per pass),
        # rather than letting SQLite range-scan every recent round through the at_ms index.
        keep = conn.execute(
            "SELECT id FROM rounds NOT INDEXED WHERE id > ? AND at_ms >= ? ORDER BY id LIMIT 1", (prev_round, cutoff_ms)
        ).fetchone()
        first_kept = (
            int(keep[0]) if keep else int(conn.execute("SELECT coalesce(max(id), 0) FROM rounds").fetchone()[0]) + 1
        )
    through_seal, through_round = after_seal, prev_round
    for seal_id, last in conn.execute(
        "SELECT id, last_round FROM seals WHERE id > ? ORDER BY id LIMIT ?", (after_seal, MAX_SEALS)
    ):
        if last is not None and last >= first_kept:
            break
        through_seal = int(seal_id)
        through_round = int(last) if last is not None else through_round
    if through_round == prev_round:
        return None
    if prev:
        from_minute = int(prev["to_minute"])
    else:
        first = conn.execute("SELECT min(minute) FROM rollups").fetchone()[0]
        from_minute = int(first) if first is not None else cutoff_ms // 60_000
    # The minute of the last pruned round loses rounds; so does the cut-off's when the pass reaches it: sealed with
    # the minutes before them (they get no new rounds).
    last_at = conn.execute("SELECT at_ms FROM rounds WHERE id <= ? ORDER BY id DESC LIMIT 1", (through_round,))
    found = last_at.fetchone()
    to_minute = -(-cutoff_ms // 60_000)
    if found is not None:
        to_minute = min(to_minute, int(found[0]) // 60_000 + 1)
    return Plan(
        cutoff_ms,
        retention_days,
        after_seal,
        through_seal,
        through_round,
        first_kept,
        from_minute,
        max(from_minute, to_minute),
    )


def seal_pruned(conn: sqlite3.Connection, p: Plan, tx: chain.Batch) -> None:
    """Chain the pass and trim the seals it covers; the rounds themselves are deleted by ``delete_rounds``.

    Seals that carry ledger entries or a trusted timestamp are kept (with the hash of their pruned rounds, checked
    against their digest first: a pass never launders rounds edited behind the store's back), the others deleted,
    a chunk of ids at a time so that memory stays flat however long the history."""
    carriers = {
        int(r[0])
        for r in conn.execute(
            "SELECT DISTINCT seal_id FROM ledger WHERE seal_id > ? AND seal_id <= ?"
            " UNION SELECT seal_id FROM timestamps WHERE seal_id > ? AND seal_id <= ?"
            # A verified checkpoint names its seal's digest: kept, so the next verification can go on from it.
            " UNION SELECT seal_id FROM checkpoints WHERE seal_id > ? AND seal_id <= ?",
            (p.after_seal, p.through_seal, p.after_seal, p.through_seal, p.after_seal, p.through_seal),
        )
    }
    sets = chain.target_texts(conn)
    retimed = chain.retimings(conn)
    kept: list[list[Any]] = []  # [seal id, hex digest]: anchored in the live chain by this pass's entry
    deleted = 0
    row = conn.execute("SELECT digest FROM seals WHERE id = ?", (p.after_seal,)).fetchone()
    previous_digest: bytes | None = None if row is None else bytes(row[0])
    previous_doomed = False
    after = p.after_seal
    while True:
        rows = conn.execute(
            "SELECT id, first_round, last_round, digest, prev, rounds_hash, at_ms FROM seals"
            " WHERE id > ? AND id <= ? ORDER BY id LIMIT 5000",
            (after, p.through_seal),
        ).fetchall()
        doomed: list[int] = []
        for seal_id, first, last, digest, prev, kept_hash, at_ms in rows:
            if seal_id == p.through_seal or seal_id in carriers:
                rounds_hash = None if kept_hash is None else bytes(kept_hash)
                if rounds_hash is None and first is not None and last is not None:
                    rounds_hash = chain.rounds_hash(conn, seal_id, first, last, sets, retimed)[0]
                    entries = conn.execute(
                        "SELECT id, kind, ref, body FROM ledger WHERE seal_id = ? ORDER BY id", (seal_id,)
                    ).fetchall()
                    link = bytes(prev) if prev is not None else previous_digest
                    if link is not None and chain.seal_digest(
                        link, seal_id, first, last, rounds_hash, chain.entries_hash(entries), at_ms
                    ) != bytes(digest):
                        raise StoreError(
                            f"seal {seal_id} no longer matches its rounds (run `netwatch verify`): nothing is pruned"
                            " until it does"
                        )
                conn.execute(
                    "UPDATE seals SET rounds_hash = coalesce(rounds_hash, ?), prev = coalesce(prev, ?) WHERE id = ?",
                    (rounds_hash, previous_digest if previous_doomed else None, seal_id),
                )
                kept.append([int(seal_id), bytes(digest).hex()])
                previous_doomed = False
            else:
                doomed.append(seal_id)
                previous_doomed = True
            previous_digest = bytes(digest)
        for i in range(0, len(doomed), 500):
            chunk = doomed[i : i + 500]
            conn.execute(f"DELETE FROM seals WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        deleted += len(doomed)
        if len(rows) < 5000:
            break
        after = int(rows[-1][0])
    tx.note(
        "prune",
        {
            "cutoff_ms": p.cutoff_ms,
            # The retention it claims; verification checks the cut-off against it at the time of this pass's seal.
            "retention_days": p.retention_days,
            "after_seal": p.after_seal,
            "through_seal": p.through_seal,
            "through_round": p.through_round,
            "seals_deleted": deleted,
            # The kept seals can no longer be reached by walking the chain from the seals after them (their
            # predecessors are gone): their digests are chained here instead, so an edit behind them still shows.
            "kept": kept,
            "from_minute": p.from_minute,
            "to_minute": p.to_minute,
            "rollups_sha256": chain.rollups_hash(conn, p.from_minute, p.to_minute),
        },
    )


def delete_rounds(conn: sqlite3.Connection, through_round: int, limit: int) -> int:
    """Delete up to ``limit`` rounds with ids up to ``through_round``; returns how many."""
    cur = conn.execute(
        "DELETE FROM rounds WHERE id IN (SELECT id FROM rounds WHERE id <= ? ORDER BY id LIMIT ?)",
        (through_round, limit),
    )
    if cur.rowcount:
        roundspans.prune(conn)
    return cur.rowcount


def seal_history(conn: sqlite3.Connection) -> None:
    """Seal a store recorded before the chain existed (schema 3 and older), once, at upgrade.

    Its rounds get seals of ``GENESIS_CHUNK`` ids each (pruning may have left holes: verification allows them
    before the genesis mark), and every record gets its first ledger entry in the last one, with a ``genesis``
    note saying that this history was sealed at upgrade, not as it was recorded."""
    if conn.execute("SELECT 1 FROM seals LIMIT 1").fetchone():
        return
    lo, hi = conn.execute("SELECT min(id), max(id) FROM rounds").fetchone()
    counts = {
        kind: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for kind, (table, _) in chain.kinds().items()
    }
    if lo is None and not any(counts.values()):
        return
    sets = chain.target_texts(conn)
    head = chain.Head(0, chain.ZERO)
    chunks: list[tuple[int, int] | None] = [None]
    if lo is not None:
        chunks = [(a, min(a + GENESIS_CHUNK - 1, hi)) for a in range(lo, hi + 1, GENESIS_CHUNK)]
    for i, chunk in enumerate(chunks):
        tx = chain.Batch()
        if chunk is not None:
            rounds, n = chain.rounds_hash(conn, head.seal_id + 1, chunk[0], chunk[1], sets, ())
            if n:
                tx.first, tx.last, tx.rounds = chunk[0], chunk[1], _Fixed(rounds)
        if i == len(chunks) - 1:
            for kind in chain.kinds():
                tx.entries += [(kind, ref, body) for ref, body in chain.all_bodies(conn, kind)]
            # Rollups of minutes before the oldest kept round (and of its own minute, which may have lost rounds
            # to the old pruning) cannot be checked against rounds: seal them as they are.
            oldest = roundspans.earliest_ms(conn)
            span = conn.execute("SELECT min(minute), max(minute) FROM rollups").fetchone()
            from_minute = int(span[0]) if span[0] is not None else 0
            to_minute = oldest // 60_000 + 1 if oldest is not None else (int(span[1]) + 1 if span[1] is not None else 0)
            note = {
                "through_seal": head.seal_id + 1,
                "rounds": [lo, hi],
                "records": counts,
                "from_minute": from_minute,
                "to_minute": max(from_minute, to_minute),
                "rollups_sha256": chain.rollups_hash(conn, from_minute, max(from_minute, to_minute)),
            }
            tx.note("genesis", note)
        if not tx.empty:
            head = chain.write_seal(conn, tx, head)


class _Fixed:
    """A finished hash standing in for the running one a Batch keeps."""

    def __init__(self, digest: bytes) -> None:
        self._digest = digest

    def digest(self) -> bytes:
        return self._digest
