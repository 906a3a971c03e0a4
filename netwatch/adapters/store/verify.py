"""Verification of the evidence chain: does the store still hold exactly what was sealed, and if not, where not.

Owns ``verify(conn)``: it walks the seals in order recomputing each digest from the rounds and ledger entries
they cover (undoing chained re-timings, using the kept hashes of pruned rounds), checks that every round is
covered by a seal, that every chained record (incident, session, speed test, traceroute, clock event and span,
ticket) still equals its latest sealed version and none was added or removed, that the rollups sealed by each
pruning pass are unchanged, and that the rollups of the kept rounds still add up to those rounds. It reports each
break with the seal or record it is in and the time it concerns. Reads only; streams rounds in chunks so that a
long history does not need its size in memory. Must not read the clock.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from netwatch.adapters.store import chain, codec, rollups
from netwatch.core.model import Break, Verification

CHUNK = 5_000


@dataclass
class _Ledger:
    by_seal: dict[int, list[tuple[int, str, int, str]]] = field(default_factory=dict)
    latest: dict[tuple[str, int], tuple[int, str]] = field(default_factory=dict)  # (kind, ref) -> (seal, body)
    prunes: list[dict[str, Any]] = field(default_factory=list)
    rollup_seals: list[tuple[int, int, str]] = field(default_factory=list)  # minutes [from, to) and their hash
    genesis_through: int = 0


def _load_ledger(conn: sqlite3.Connection) -> _Ledger:
    led = _Ledger()
    for entry_id, seal_id, kind, ref, body in conn.execute(
        "SELECT id, seal_id, kind, ref, body FROM ledger ORDER BY id"
    ):
        led.by_seal.setdefault(int(seal_id), []).append((int(entry_id), str(kind), int(ref), str(body)))
        if kind in ("prune", "genesis"):
            doc = json.loads(body)
            if "rollups_sha256" in doc:
                led.rollup_seals.append((int(doc["from_minute"]), int(doc["to_minute"]), str(doc["rollups_sha256"])))
            if kind == "prune":
                led.prunes.append(doc)
            else:
                led.genesis_through = max(led.genesis_through, int(doc["through_seal"]))
        elif ref:
            led.latest[(str(kind), int(ref))] = (int(seal_id), str(body))
    return led


def _entries_hash(entries: list[tuple[int, str, int, str]]) -> bytes:
    h = hashlib.sha256()
    for entry_id, kind, ref, body in entries:
        h.update(chain.entry_bytes(entry_id, kind, ref, body))
    return h.digest()


class _Rounds:
    """The rounds table in id order, a chunk at a time, with look-ahead."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._buffer: list[tuple[int, int, int, bytes, str | None]] = []
        self._pos = 0
        self._after = 0
        self._done = False

    def peek(self) -> tuple[int, int, int, bytes, str | None] | None:
        if self._pos >= len(self._buffer) and not self._done:
            rows = self.conn.execute(
                "SELECT id, at_ms, set_id, rtts, errors FROM rounds WHERE id > ? ORDER BY id LIMIT ?",
                (self._after, CHUNK),
            ).fetchall()
            self._buffer, self._pos = rows, 0
            self._done = len(rows) < CHUNK
            if rows:
                self._after = rows[-1][0]
        return self._buffer[self._pos] if self._pos < len(self._buffer) else None

    def take(self) -> tuple[int, int, int, bytes, str | None]:
        row = self.peek()
        assert row is not None
        self._pos += 1
        return row


def _span_text(first: int | None, last: int | None) -> str:
    return "no rounds" if first is None else f"rounds {first}-{last}"


def _ms(ms: int | None) -> float | None:
    return None if ms is None else codec.from_ms(ms)


def verify(
    conn: sqlite3.Connection, *, expect: str | None = None, progress: Callable[[int], None] | None = None
) -> Verification:
    """Check the whole store against its seals. ``expect`` is a digest (hex, or a prefix of 12+ characters)
    published earlier, e.g. in a report: it must be one of the seals. ``progress`` is called with the number
    of rounds checked since its last call."""
    led = _load_ledger(conn)
    breaks: list[Break] = []
    notes: list[str] = []
    through_seal = max((int(p["through_seal"]) for p in led.prunes), default=0)
    through_round = max((int(p["through_round"]) for p in led.prunes), default=0)
    cutoff_ms = max((int(p["cutoff_ms"]) for p in led.prunes), default=0)
    # Seals kept by a pruning pass, with the digest it chained for them (the latest pass that listed them).
    anchored = {int(i): str(h) for p in led.prunes for i, h in p.get("kept", [])}
    seen_ids: set[int] = set()
    sets = chain.target_texts(conn)
    retimed = chain.retimings(conn)
    stream = _Rounds(conn)
    prev_id, prev_digest, prev_last = 0, chain.ZERO, 0
    seals = checked = waiting = 0
    first_at: int | None = None
    last_at: int | None = None
    unsealed_rounds: list[int] = []

    def leftover(row: tuple[int, int, int, bytes, str | None], why: str) -> bool:
        """True for a round a pruning pass left behind (a pass stopped half-way); else records why it is a break."""
        if row[0] <= through_round and row[1] < cutoff_ms:
            return True
        if row[0] <= through_round:
            why = "has the id of a pruned round but is newer than the retention cut-off (inserted?)"
        unsealed_rounds.append(row[0])
        breaks.append(Break(f"round {row[0]}", why, _ms(row[1])))
        return False

    anchor = None if expect is None else expect.lower().removeprefix("sha256:")
    anchor_found = None if anchor is None else False
    after = 0
    while True:
        rows = conn.execute(
            "SELECT id, first_round, last_round, digest, prev, rounds_hash FROM seals WHERE id > ? ORDER BY id LIMIT ?",
            (after, CHUNK),
        ).fetchall()
        for seal_id, first, last, digest, prev, kept_hash in rows:
            seals += 1
            seen_ids.add(seal_id)
            where = f"seal {seal_id} ({_span_text(first, last)})"
            if seal_id in anchored and bytes(digest).hex() != anchored[seal_id]:
                breaks.append(Break(where, "differs from the digest its pruning pass chained for it (altered?)"))
            if prev is not None:
                link = bytes(prev)
                if prev_id == seal_id - 1 and link != prev_digest:
                    breaks.append(Break(where, "the digest it chains to is not its predecessor's"))
                elif prev_id != seal_id - 1 and seal_id - 1 > through_seal:
                    breaks.append(Break(where, f"seals {prev_id + 1}-{seal_id - 1} before it are missing (deleted?)"))
            else:
                link = prev_digest
                if prev_id != seal_id - 1:
                    breaks.append(Break(where, f"seals {prev_id + 1}-{seal_id - 1} before it are missing (deleted?)"))
            # Rounds: skip (and count) those before this seal's range, then hash its range.
            lo_at = hi_at = None
            count = 0
            h = hashlib.sha256()
            while first is not None and (row := stream.peek()) is not None and row[0] < first:
                stream.take()
                if leftover(row, "is not covered by any seal (inserted?)"):
                    waiting += 1
            if kept_hash is not None:
                rounds_digest = bytes(kept_hash)
                if last is not None and last > through_round:
                    breaks.append(Break(where, "claims its rounds were pruned, but no pruning pass reached them"))
            elif first is not None and last is not None:
                undo = [(a, b, d) for s, a, b, d in retimed if s >= seal_id and a <= last and b >= first]
                while (row := stream.peek()) is not None and row[0] <= last:
                    round_id, at_ms, set_id, rtts, errors = stream.take()
                    for a, b, d in undo:
                        if a <= round_id <= b:
                            at_ms -= d
                    h.update(chain.round_bytes(round_id, at_ms, sets.get(set_id, ""), bytes(rtts), errors))
                    count += 1
                    lo_at = at_ms if lo_at is None else min(lo_at, at_ms)
                    hi_at = at_ms if hi_at is None else max(hi_at, at_ms)
                rounds_digest = h.digest()
                checked += count
                if progress is not None and count:
                    progress(count)
                if lo_at is not None:
                    first_at = lo_at if first_at is None else min(first_at, lo_at)
                    last_at = hi_at if last_at is None else max(last_at, hi_at or lo_at)
            else:
                rounds_digest = hashlib.sha256().digest()
            entries = led.by_seal.get(seal_id, [])
            expected = chain.seal_digest(link, seal_id, first, last, rounds_digest, _entries_hash(entries))
            stored = bytes(digest)
            if expected != stored:
                breaks.append(
                    Break(where, _seal_fault(first, last, count, kept_hash, entries, seal_id, led), _ms(lo_at))
                )
            if anchor and stored.hex().startswith(anchor):
                anchor_found = True
            prev_id, prev_digest = seal_id, stored
            prev_last = last if last is not None else prev_last
        if len(rows) < CHUNK:
            break
        after = rows[-1][0]
    while (row := stream.peek()) is not None:
        stream.take()
        if leftover(row, "was stored after the last seal (inserted?)"):
            waiting += 1
    for seal_id in sorted(set(anchored) - seen_ids):
        breaks.append(Break(f"seal {seal_id}", "was kept by a pruning pass but is gone (deleted?)"))
    if waiting:
        notes.append(f"{waiting} rounds already pruned from the chain are still waiting to be deleted")
    unsealed = len(unsealed_rounds)
    if unsealed > 20:  # one line each for the first few, then a count
        kept = [b for b in breaks if not b.where.startswith("round ")]
        firsts = [b for b in breaks if b.where.startswith("round ")][:20]
        breaks = [*kept, *firsts, Break("rounds", f"{unsealed} rounds in all are not covered by any seal")]
    records = _check_records(conn, led, breaks)
    _check_rollups(conn, led, breaks, notes)
    if led.genesis_through:
        notes.append(
            f"the history up to seal {led.genesis_through} was recorded before the chain existed and sealed when the"
            " store was upgraded: it shows changes since then, not since it was recorded"
        )
    if through_round:
        notes.append(f"rounds up to id {through_round} were pruned by the retention period (their seals are kept)")
    return Verification(
        seals=seals,
        rounds=checked,
        records=records,
        head_seal=prev_id,
        head_digest=prev_digest.hex() if prev_id else "",
        breaks=tuple(breaks),
        notes=tuple(notes),
        first_at=_ms(first_at),
        last_at=_ms(last_at),
        anchor_found=anchor_found,
    )


def _seal_fault(
    first: int | None,
    last: int | None,
    count: int,
    kept_hash: bytes | None,
    entries: list[tuple[int, str, int, str]],
    seal_id: int,
    led: _Ledger,
) -> str:
    if first is not None and last is not None and kept_hash is None and seal_id > led.genesis_through:
        sealed = last - first + 1
        if count < sealed:
            return f"{sealed - count} of its {sealed} rounds are missing (deleted?)"
        if count > sealed:
            return f"it holds {count - sealed} more rounds than were sealed (inserted?)"
    if first is None:
        return "its ledger entries were altered (or the seal itself)"
    if not entries:
        return "its rounds were altered (or the seal itself)"
    return "its rounds or ledger entries were altered (or the seal itself)"


def _describe(kind: str, body: dict[str, Any], ref: int) -> tuple[str, float | None]:
    """The record's name in a break ("outage incident 4", "ticket \"A-1\"") and its instant."""
    at_ms = body.get("start_ms", body.get("at_ms", body.get("reported_ms")))
    label = {
        "incident": f"{body.get('kind', '')} incident",
        "speed": "speed test",
        "clock": "clock event",
    }.get(kind, kind)
    name = (
        f"ticket {json.dumps(body.get('ref', ''), ensure_ascii=False)}"
        if kind == "ticket"
        else f"{label.strip()} {ref}"
    )
    return name, _ms(at_ms if isinstance(at_ms, int) else None)


def _check_records(conn: sqlite3.Connection, led: _Ledger, breaks: list[Break]) -> int:
    """Every chained record equals its latest sealed version; none added, none removed. Returns how many."""
    seen: set[tuple[str, int]] = set()
    count = 0
    for kind in chain.kinds():
        for ref, body in chain.all_bodies(conn, kind):
            count += 1
            seen.add((kind, ref))
            sealed = led.latest.get((kind, ref))
            doc = json.loads(body)
            label, at = _describe(kind, doc, ref)
            if sealed is None:
                breaks.append(Break(label, "is not in the chain (inserted?)", at))
            elif sealed[1] != body:
                was = json.loads(sealed[1])
                changed = ", ".join(
                    f"{k} {json.dumps(was.get(k))} → {json.dumps(doc.get(k))}"
                    for k in sorted(set(was) | set(doc))
                    if was.get(k) != doc.get(k)
                )
                breaks.append(Break(label, f"differs from its sealed version (seal {sealed[0]}): {changed}", at))
    for (kind, ref), (seal_id, body) in led.latest.items():
        if (kind, ref) not in seen and kind in chain.kinds():
            label, at = _describe(kind, json.loads(body), ref)
            breaks.append(Break(label, f"was sealed (seal {seal_id}) but is gone (deleted?)", at))
    return count


def _check_rollups(conn: sqlite3.Connection, led: _Ledger, breaks: list[Break], notes: list[str]) -> None:
    """Sealed rollups are unchanged; the others add up to the rounds they summarise."""
    boundary = 0
    for lo, hi, digest in led.rollup_seals:
        boundary = max(boundary, hi)
        if chain.rollups_hash(conn, lo, hi) != digest:
            breaks.append(
                Break(
                    f"rollups of minutes {lo}-{hi - 1}",
                    "differ from those sealed when their rounds were pruned",
                    lo * 60.0,
                )
            )
    sets = rollups.set_target_ids(conn)
    minutes: set[int] = set()
    for minute, expected in _minutes_from_rounds(conn, boundary * 60_000, sets):
        minutes.add(minute)
        stored = {
            (minute, int(t)): [s, lo, mn, mx, sm]
            for t, s, lo, mn, mx, sm in conn.execute(
                "SELECT target_id, sent, lost, rtt_min, rtt_max, rtt_sum FROM rollups WHERE minute = ?", (minute,)
            )
        }
        if stored != expected:
            breaks.append(
                Break(f"rollups of minute {minute}", "do not add up to the rounds of that minute", minute * 60.0)
            )
    orphans = [
        int(m)
        for (m,) in conn.execute("SELECT DISTINCT minute FROM rollups WHERE minute >= ?", (boundary,))
        if m not in minutes
    ]
    if orphans:
        breaks.append(
            Break(
                "rollups",
                f"{len(orphans)} minutes of rollups have no rounds behind them (inserted?)",
                orphans[0] * 60.0,
            )
        )


def _minutes_from_rounds(
    conn: sqlite3.Connection, since_ms: int, sets: dict[int, list[int]]
) -> Iterator[tuple[int, dict[rollups.Key, rollups.Rollup]]]:
    """(minute, its rollups recomputed from the rounds) for every minute from ``since_ms`` that has rounds, in
    order; one minute in memory at a time."""
    current: int | None = None
    acc: dict[rollups.Key, rollups.Rollup] = {}
    last_at, last_id = since_ms, -1
    while True:
        rows = conn.execute(
            "SELECT id, at_ms, set_id, rtts FROM rounds WHERE (at_ms, id) > (?, ?) AND at_ms >= ?"
            " ORDER BY at_ms, id LIMIT ?",
            (last_at, last_id, since_ms, CHUNK),
        ).fetchall()
        for _, at_ms, set_id, rtts in rows:
            minute = at_ms // 60_000
            if current is not None and minute != current:
                yield current, acc
                acc = {}
            current = minute
            if set_id in sets:  # a target set that vanished breaks the seal of its rounds already
                rollups.accumulate(acc, minute, sets[set_id], rtts)
        if len(rows) < CHUNK:
            break
        last_id, last_at = rows[-1][0], rows[-1][1]
    if current is not None:
        yield current, acc
