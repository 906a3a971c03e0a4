"""Verification of the evidence chain: does the store still hold exactly what was sealed, and if not, where not.

Owns ``verify(conn)``. One pass walks the seals in order with their ledger entries and rounds, a chunk at a time
(memory stays flat whatever the store's size): each digest is recomputed from the rounds and entries it covers
(undoing chained re-timings, using the kept hashes of pruned rounds), every round must be covered by a seal, the
ledger must have no hole, every version of a record must follow from the one before (``versions``), the store's
own acts must keep their rules (``acts``: re-timing, pruning), and records sealed long after the time they describe
are flagged. Then every chained record must still equal its latest sealed version (none added, none removed), the
rollups sealed by pruning must be unchanged and the others add up to their rounds, outages and sessions must agree
with their rounds (``coherence``), and the trusted timestamps of the chain head must hold. It reports each break
with the seal or record it is in and the time it concerns. Reads only; must not read the clock (``now_ms`` is
given).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from netwatch.adapters.store import acts, chain, codec, coherence, rollups, versions
from netwatch.core.model import Break, Timestamp, Verification

CHUNK = 5_000
LATE_MS = 3_600_000  # a record first sealed this long after the instant it describes is flagged
STEP_MS = 2_000  # rounds of one run may be stamped this much earlier than rounds sealed before them (clock jitter)
FUTURE_MS = 3_600_000  # stamps this far after the verification's own time are impossible
LISTED = 20  # breaks of one kind listed one by one before a count
MAX_CONFIRM = 1000  # detect.confirm's bound: the most failed rounds an outage may wait for before it is saved
TRUNCATION_NOTE = (
    "the chain cannot show that nothing was removed after its newest seal: compare that seal with the newest"
    " digest you published or were sent, or with a trusted timestamp kept elsewhere"
)

Row = tuple[int, int, int, bytes, str | None]
# A trusted timestamp checked against its authority: (statement, token DER) -> (True: it holds, False: it does not,
# None: it cannot be checked here; the time it certifies in ms when known; why not).
TokenCheck = Callable[[bytes, bytes], tuple[bool | None, int | None, str]]


class _Stream:
    """Rows of one query in key order, a chunk at a time, with look-ahead."""

    def __init__(self, fetch: Callable[[Any], list[Any]], key: Callable[[Any], Any]) -> None:
        self._fetch = fetch
        self._key = key
        self._buffer: list[Any] = []
        self._pos = 0
        self._after: Any = None
        self._done = False

    def peek(self) -> Any:
        if self._pos >= len(self._buffer) and not self._done:
            rows = self._fetch(self._after)
            self._buffer, self._pos = rows, 0
            self._done = len(rows) < CHUNK
            if rows:
                self._after = self._key(rows[-1])
        return self._buffer[self._pos] if self._pos < len(self._buffer) else None

    def take(self) -> Any:
        row = self.peek()
        assert row is not None
        self._pos += 1
        return row


def _rounds(conn: sqlite3.Connection) -> _Stream:
    return _Stream(
        lambda after: conn.execute(
            "SELECT id, at_ms, set_id, rtts, errors FROM rounds WHERE id > ? ORDER BY id LIMIT ?", (after or 0, CHUNK)
        ).fetchall(),
        lambda row: row[0],
    )


def _ledger(conn: sqlite3.Connection) -> _Stream:
    return _Stream(
        lambda after: conn.execute(
            "SELECT id, seal_id, kind, ref, body FROM ledger WHERE (seal_id, id) > (?, ?) ORDER BY seal_id, id LIMIT ?",
            (*(after or (-1, -1)), CHUNK),
        ).fetchall(),
        lambda row: (row[1], row[0]),
    )


def _seals(conn: sqlite3.Connection) -> Iterator[tuple[Any, ...]]:
    after = 0
    while True:
        rows = conn.execute(
            "SELECT id, first_round, last_round, digest, prev, rounds_hash, at_ms FROM seals WHERE id > ?"
            " ORDER BY id LIMIT ?",
            (after, CHUNK),
        ).fetchall()
        yield from rows
        if len(rows) < CHUNK:
            return
        after = rows[-1][0]


def _span_text(first: int | None, last: int | None) -> str:
    return "no rounds" if first is None else f"rounds {first}-{last}"


def _ms(ms: int | None) -> float | None:
    return None if ms is None else codec.from_ms(ms)


@dataclass
class _Walk:
    """What the walk over the seals learns as it goes."""

    breaks: list[Break] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flags: list[Break] = field(default_factory=list)
    latest: dict[tuple[str, int], tuple[int, str]] = field(default_factory=dict)  # (kind, ref) -> (seal, body)
    sessions: list[acts.SessionSeen] = field(default_factory=list)
    spans: dict[int, acts.SpanSeen] = field(default_factory=dict)
    retimings: list[acts.Retiming] = field(default_factory=list)
    prunes: int = 0  # through_seal of the last pruning pass seen
    legacy_prunes: int = 0
    genesis_through: int = 0
    sealed_round: int = 0  # the highest round id sealed so far
    chain_now: int | None = None  # the stamp of the newest round sealed so far, as sealed
    segment_max: int | None = None  # the latest stamp sealed since the last session began or re-timing
    head_at: int | None = None
    next_entry: int = 1
    anchor_seal: int | None = None  # the seal of an expected digest, once found
    anchor_at: int | None = None
    counted: dict[str, int] = field(default_factory=dict)  # breaks of a kind listed so far
    sealed_at_seen: bool = False  # a seal carrying its newest stamp was met: the store runs schema 10 since
    cadence_ms: int = 0  # the spacing of the last two rounds sealed together: the run's interval

    def listed(self, kind: str, brk: Break) -> None:
        """Add a break of a kind that may repeat many times: the first ``LISTED`` one by one, then a count."""
        n = self.counted[kind] = self.counted.get(kind, 0) + 1
        if n <= LISTED:
            self.breaks.append(brk)


def verify(
    conn: sqlite3.Connection,
    *,
    expect: str | None = None,
    progress: Callable[[int], None] | None = None,
    now_ms: int | None = None,
    check_token: TokenCheck | None = None,
) -> Verification:
    """Check the whole store against its seals. ``expect`` is a digest (hex, or a prefix of 12+ characters)
    published earlier, e.g. in a report: it must be one of the seals, and nothing about the time before it may
    have been added after it. ``progress`` is called with the number of rounds checked since its last call;
    ``now_ms`` is the time of the verification (stamps after it are impossible); ``check_token`` verifies a
    trusted timestamp's token (None: they are listed unchecked)."""
    walk = _Walk()
    prunes = [json.loads(b) for (b,) in conn.execute("SELECT body FROM ledger WHERE kind = 'prune' ORDER BY id")]
    through_round = max((int(p["through_round"]) for p in prunes), default=0)
    pruned_seals = max((int(p["through_seal"]) for p in prunes), default=0)
    cutoff_ms = max((int(p["cutoff_ms"]) for p in prunes), default=0)
    # Seals kept by a pruning pass, with the digest it chained for them (the latest pass that listed them).
    anchored = {int(i): str(h) for p in prunes for i, h in p.get("kept", [])}
    anchored_seen: set[int] = set()
    sets = chain.target_texts(conn)
    retimed = chain.retimings(conn)
    stream = _rounds(conn)
    ledger = _ledger(conn)
    prev_id, prev_digest = 0, chain.ZERO
    seals = checked = waiting = 0
    first_at: int | None = None
    last_at: int | None = None
    anchor = None if expect is None else expect.lower().removeprefix("sha256:")
    anchor_found = None if anchor is None else False

    def leftover(row: Row, why: str) -> bool:
        """True for a round a pruning pass left behind (a pass stopped half-way); else records why it is a break."""
        if row[0] <= through_round and row[1] < cutoff_ms:
            return True
        if row[0] <= through_round:
            why = "has the id of a pruned round but is newer than the retention cut-off (inserted?)"
        walk.listed("round", Break(f"round {row[0]}", why, _ms(row[1])))
        return False

    for seal_id, first, last, digest, prev, kept_hash, sealed_at in _seals(conn):
        seals += 1
        where = f"seal {seal_id} ({_span_text(first, last)})"
        if seal_id in anchored:
            anchored_seen.add(seal_id)
            if bytes(digest).hex() != anchored[seal_id]:
                walk.breaks.append(Break(where, "differs from the digest its pruning pass chained for it (altered?)"))
        if prev is not None:
            link = bytes(prev)
            if prev_id == seal_id - 1 and link != prev_digest:
                walk.breaks.append(Break(where, "the digest it chains to is not its predecessor's"))
            elif prev_id != seal_id - 1 and seal_id - 1 > pruned_seals:
                walk.breaks.append(Break(where, f"seals {prev_id + 1}-{seal_id - 1} before it are missing (deleted?)"))
        else:
            link = prev_digest
            if prev_id != seal_id - 1:
                walk.breaks.append(Break(where, f"seals {prev_id + 1}-{seal_id - 1} before it are missing (deleted?)"))
        # Rounds: skip (and count) those before this seal's range, then hash its range.
        lo_at = hi_at = last_sealed_at = None
        count = 0
        while first is not None and (row := stream.peek()) is not None and row[0] < first:
            stream.take()
            if leftover(row, "is not covered by any seal (inserted?)"):
                waiting += 1
        if kept_hash is not None:
            rounds_digest = bytes(kept_hash)
            if last is not None and last > through_round:
                walk.breaks.append(Break(where, "claims its rounds were pruned, but no pruning pass reached them"))
            last_sealed_at = sealed_at
        elif first is not None and last is not None:
            undo = [(a, b, d) for s, a, b, d in retimed if s >= seal_id and a <= last and b >= first]
            h = hashlib.sha256()
            while (row := stream.peek()) is not None and row[0] <= last:
                round_id, at_ms, set_id, rtts, errors = stream.take()
                for a, b, d in undo:
                    if a <= round_id <= b:
                        at_ms -= d
                h.update(chain.round_bytes(round_id, at_ms, sets.get(set_id, ""), bytes(rtts), errors))
                count += 1
                lo_at = at_ms if lo_at is None else min(lo_at, at_ms)
                hi_at = at_ms if hi_at is None else max(hi_at, at_ms)
                if last_sealed_at is not None:
                    walk.cadence_ms = max(0, at_ms - last_sealed_at)
                last_sealed_at = at_ms
            rounds_digest = h.digest()
            checked += count
            if progress is not None and count:
                progress(count)
            if lo_at is not None:
                first_at = lo_at if first_at is None else min(first_at, lo_at)
                last_at = hi_at if last_at is None else max(last_at, hi_at or lo_at)
        else:
            rounds_digest = hashlib.sha256().digest()
        entries = []
        while (entry := ledger.peek()) is not None and entry[1] <= seal_id:
            ledger.take()
            if entry[1] < seal_id:
                walk.listed("orphan", Break(f"ledger entry {entry[0]}", f"belongs to seal {entry[1]}, which is gone"))
                _entry_order(walk, entry[0])
            else:
                entries.append(entry[:1] + entry[2:])
        expected = chain.seal_digest(link, seal_id, first, last, rounds_digest, chain.entries_hash(entries), sealed_at)
        stored = bytes(digest)
        if expected != stored:
            walk.breaks.append(
                Break(where, _seal_fault(first, last, count, kept_hash, entries, seal_id, walk), _ms(lo_at))
            )
        _time_line(walk, seal_id, where, lo_at, last_sealed_at if last_sealed_at is not None else sealed_at)
        walk.sealed_at_seen = walk.sealed_at_seen or sealed_at is not None
        if last is not None:
            walk.sealed_round = max(walk.sealed_round, last)
        _entries(conn, walk, seal_id, entries, prunes_before=walk.prunes)
        if anchor and stored.hex().startswith(anchor):
            anchor_found = True
            walk.anchor_seal, walk.anchor_at = seal_id, walk.chain_now
        prev_id, prev_digest = seal_id, stored
    while (row := stream.peek()) is not None:
        stream.take()
        if leftover(row, "was stored after the last seal (inserted?)"):
            waiting += 1
    while (entry := ledger.peek()) is not None:
        ledger.take()
        walk.listed("orphan", Break(f"ledger entry {entry[0]}", f"belongs to seal {entry[1]}, which is gone"))
    for seal_id in sorted(set(anchored) - anchored_seen):
        walk.breaks.append(Break(f"seal {seal_id}", "was kept by a pruning pass but is gone (deleted?)"))
    if walk.counted.get("round", 0) > LISTED:
        walk.breaks.append(Break("rounds", f"{walk.counted['round']} rounds in all are not covered by any seal"))
    if walk.counted.get("orphan", 0) > LISTED:
        walk.breaks.append(Break("ledger", f"{walk.counted['orphan']} entries in all belong to seals that are gone"))
    if waiting:
        walk.notes.append(
            f"{waiting} rounds already pruned from the chain are still waiting to be deleted (they are no evidence)"
        )
    records = _check_records(conn, walk)
    _check_rollups(conn, walk.breaks)
    firsts = sorted(s.first_round for s in walk.sessions if s.first_round is not None)
    walk.breaks += coherence.outage_breaks(conn, through_round, cutoff_ms, firsts)
    walk.breaks += coherence.session_breaks(conn, walk.sessions, through_round)
    retime_breaks, retime_notes = acts.retiming_breaks(conn, walk.retimings, walk.spans, walk.sessions, through_round)
    walk.breaks += retime_breaks
    walk.notes += retime_notes
    _truncation(conn, walk, prev_id)
    if now_ms is not None and walk.head_at is not None and walk.head_at > now_ms + FUTURE_MS:
        why = "are stamped after the time of this verification (forged?)"
        walk.breaks.append(Break("rounds", why, walk.head_at / 1e3))
    stamps = _timestamps(conn, walk, check_token)
    if prev_id:
        walk.notes.append(TRUNCATION_NOTE)
    if walk.genesis_through:
        walk.notes.append(
            f"the history up to seal {walk.genesis_through} was recorded before the chain existed and sealed when the"
            " store was upgraded: it shows changes since then, not since it was recorded"
        )
    if walk.legacy_prunes:
        walk.notes.append(
            f"{walk.legacy_prunes} pruning passes predate the retention they claim being sealed: their cut-offs"
            " cannot be checked"
        )
    if through_round:
        walk.notes.append(f"rounds up to id {through_round} were pruned by the retention period (their seals are kept)")
    empty = seals == 0 and records == 0 and checked == 0
    return Verification(
        seals=seals,
        rounds=checked,
        records=records,
        head_seal=prev_id,
        head_digest=prev_digest.hex() if prev_id else "",
        breaks=tuple(walk.breaks),
        notes=tuple(walk.notes),
        first_at=_ms(first_at),
        last_at=_ms(last_at),
        anchor_found=anchor_found,
        empty=empty,
        flags=tuple(walk.flags),
        timestamps=stamps,
        head_at=_ms(walk.head_at),
    )


def _entry_order(walk: _Walk, entry_id: int) -> None:
    if entry_id > walk.next_entry:
        walk.breaks.append(Break(f"ledger entries {walk.next_entry}-{entry_id - 1}", "are missing (deleted?)"))
    elif entry_id < walk.next_entry:
        walk.breaks.append(Break(f"ledger entry {entry_id}", "is out of order (inserted?)"))
    walk.next_entry = max(walk.next_entry, entry_id + 1)


def _time_line(walk: _Walk, seal_id: int, where: str, lo_at: int | None, newest: int | None) -> None:
    """The seal's rounds against those sealed before them in the same run: a run stamps its rounds in order (its
    clock steps start a new session; a re-timing starts afresh)."""
    if (
        lo_at is not None
        and walk.segment_max is not None
        and seal_id > walk.genesis_through
        and lo_at < walk.segment_max - STEP_MS
    ):
        walk.breaks.append(
            Break(
                where,
                "holds rounds stamped before rounds of the same run sealed earlier, with no clock step between"
                " (inserted or re-stamped?)",
                lo_at / 1e3,
            )
        )
    if newest is not None:
        walk.chain_now = newest
        walk.segment_max = newest if walk.segment_max is None else max(walk.segment_max, newest)
        walk.head_at = newest if walk.head_at is None else max(walk.head_at, newest)


def _entries(
    conn: sqlite3.Connection, walk: _Walk, seal_id: int, entries: list[tuple[Any, ...]], prunes_before: int
) -> None:
    """The ledger entries of one seal: their order, the acts among them, and each record version against its last."""
    moves = [versions.Move.of(json.loads(body)) for _, kind, _, body in entries if kind == "retime"]
    restart = bool(moves)
    for entry_id, kind, _, body in entries:
        _entry_order(walk, int(entry_id))
        if kind == "genesis":
            walk.genesis_through = max(walk.genesis_through, int(json.loads(body)["through_seal"]))
    for _, kind, ref, body in entries:
        kind, ref, body = str(kind), int(ref), str(body)
        if kind == "retime":
            session = walk.sessions[-1].id if walk.sessions else None
            walk.retimings.append(acts.Retiming(seal_id, json.loads(body), session, walk.sealed_round))
            doc = json.loads(body)
            found = walk.spans.get(int(doc["span"]))
            if found is not None:
                found.retimes.append(seal_id)
            continue
        if kind == "prune":
            doc = json.loads(body)
            boundary = conn.execute("SELECT at_ms FROM seals WHERE id = ?", (int(doc["through_seal"]),)).fetchone()
            found_breaks, legacy = acts.prune_breaks(
                doc, seal_id, walk.chain_now, prunes_before, None if boundary is None else boundary[0]
            )
            walk.breaks += found_breaks
            if legacy and walk.sealed_at_seen:
                walk.breaks.append(Break(f"pruning pass (seal {seal_id})", "claims no retention (forged?)"))
            elif legacy:
                walk.legacy_prunes += 1
            walk.prunes = prunes_before = int(doc["through_seal"])
            continue
        if not ref:
            continue
        before = walk.latest.get((kind, ref))
        if before is None:
            _first_version(walk, seal_id, kind, ref, body, retimed_here=bool(moves))
            restart = restart or kind == "session"
        else:
            why = versions.change(kind, ref, before[1], body, moves)
            if why:
                label, at = _describe(kind, json.loads(before[1]), ref)
                walk.breaks.append(Break(label, f"{why} (seal {seal_id})", at))
            if kind == "span":
                _span_version(walk, seal_id, ref, body)
        walk.latest[(kind, ref)] = (seal_id, body)
    if restart:
        walk.segment_max = None


def _first_version(walk: _Walk, seal_id: int, kind: str, ref: int, body: str, *, retimed_here: bool) -> None:
    doc = json.loads(body)
    if kind == "session":
        walk.sessions.append(
            acts.SessionSeen(
                ref, seal_id, int(doc["start_ms"]), doc.get("first_round"), doc.get("boot_id"), doc.get("offset_ms")
            )
        )
    elif kind == "span":
        walk.spans[ref] = acts.SpanSeen(
            ref,
            seal_id,
            int(doc["first_round"]),
            int(doc["session_id"]),
            str(doc["boot_id"]),
            int(doc["offset_ms"]),
            walk.sealed_round,
            doc.get("last_round") is None and doc.get("delta_ms") is None,
        )
        own = next((s for s in walk.sessions if s.id == int(doc["session_id"])), None)
        if own is not None and own.seal == seal_id:
            own.provisional = True
        _span_version(walk, seal_id, ref, body)
    instant = versions.instant(kind, body)
    if instant is None or seal_id <= walk.genesis_through or walk.segment_max is None or retimed_here:
        return  # a re-timing's seal holds provisional stamps beside true ones: its own records are not late
    # An outage is saved once ``confirm`` rounds have failed, its start backdated to the first: that many intervals
    # are its own delay, on top of the hour (``rounds`` in its first version is that count).
    counted = doc.get("rounds") if kind == "incident" else 0
    allowed = LATE_MS + min(counted if isinstance(counted, int) else 0, MAX_CONFIRM) * walk.cadence_ms
    if instant < walk.segment_max - allowed:
        label, at = _describe(kind, doc, ref)
        late = f"was first sealed {_late(walk.segment_max - instant)} after the time it describes (seal {seal_id})"
        walk.flags.append(Break(label, late, at))
        if walk.anchor_seal is not None and walk.anchor_at is not None and instant < walk.anchor_at - allowed:
            walk.breaks.append(
                Break(
                    label,
                    f"was added after the published seal {walk.anchor_seal} (in seal {seal_id}), about a time"
                    " before it (backdated?)",
                    at,
                )
            )


def _late(ms: int) -> str:
    from netwatch.core.text import span

    return span(ms / 1000)


def _span_version(walk: _Walk, seal_id: int, ref: int, body: str) -> None:
    found = walk.spans.get(ref)
    doc = json.loads(body)
    if found is None:
        return
    if found.close_seal is None and doc.get("last_round") is not None:
        found.close_seal, found.last_round, found.sealed_at_close = seal_id, int(doc["last_round"]), walk.sealed_round
    if doc.get("delta_ms") is not None:
        found.delta_ms = int(doc["delta_ms"])


def _seal_fault(
    first: int | None,
    last: int | None,
    count: int,
    kept_hash: bytes | None,
    entries: list[tuple[Any, ...]],
    seal_id: int,
    walk: _Walk,
) -> str:
    if first is not None and last is not None and kept_hash is None and seal_id > walk.genesis_through:
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
        "span": "clock span",
        "timestamp": "trusted timestamp",
    }.get(kind, kind)
    name = (
        f"ticket {json.dumps(body.get('ref', ''), ensure_ascii=False)}"
        if kind == "ticket"
        else f"{label.strip()} {ref}"
    )
    return name, _ms(at_ms if isinstance(at_ms, int) else None)


def _check_records(conn: sqlite3.Connection, walk: _Walk) -> int:
    """Every chained record equals its latest sealed version; none added, none removed. Returns how many."""
    count = 0
    for kind in chain.kinds():
        seen: set[int] = set()
        for ref, body in chain.all_bodies(conn, kind):
            count += 1
            seen.add(ref)
            sealed = walk.latest.get((kind, ref))
            doc = json.loads(body)
            label, at = _describe(kind, doc, ref)
            if sealed is None:
                walk.breaks.append(Break(label, "is not in the chain (inserted?)", at))
            elif sealed[1] != body:
                was = json.loads(sealed[1])
                changed = ", ".join(
                    f"{k} {json.dumps(was.get(k))} → {json.dumps(doc.get(k))}"
                    for k in sorted(set(was) | set(doc))
                    if was.get(k) != doc.get(k)
                )
                walk.breaks.append(Break(label, f"differs from its sealed version (seal {sealed[0]}): {changed}", at))
        for (sealed_kind, ref), (seal_id, body) in walk.latest.items():
            if sealed_kind == kind and ref not in seen:
                label, at = _describe(kind, json.loads(body), ref)
                walk.breaks.append(Break(label, f"was sealed (seal {seal_id}) but is gone (deleted?)", at))
    return count


def _check_rollups(conn: sqlite3.Connection, breaks: list[Break]) -> None:
    """Sealed rollups are unchanged (and show the anchors lost inside outages); the others add up to the rounds
    they summarise."""
    boundary = 0
    sealed = [
        (int(doc["from_minute"]), int(doc["to_minute"]), str(doc["rollups_sha256"]))
        for (body,) in conn.execute("SELECT body FROM ledger WHERE kind IN ('prune', 'genesis') ORDER BY id")
        if "rollups_sha256" in (doc := json.loads(body))
    ]
    for lo, hi, digest in sealed:
        boundary = max(boundary, hi)
        if chain.rollups_hash(conn, lo, hi) != digest:
            breaks.append(
                Break(
                    f"rollups of minutes {lo}-{hi - 1}",
                    "differ from those sealed when their rounds were pruned",
                    lo * 60.0,
                )
            )
    breaks += coherence.rollup_breaks(conn, boundary)
    sets = rollups.set_target_ids(conn)
    # The minutes that have rollups, merged in order with those that have rounds: one minute in memory at a time.
    stored_minutes = _Stream(
        lambda after: conn.execute(
            "SELECT DISTINCT minute FROM rollups WHERE minute > ? ORDER BY minute LIMIT ?",
            (boundary - 1 if after is None else after, CHUNK),
        ).fetchall(),
        lambda row: row[0],
    )
    orphans = 0
    first_orphan: int | None = None

    def orphaned(before: int | None) -> None:
        nonlocal orphans, first_orphan
        while (row := stored_minutes.peek()) is not None and (before is None or row[0] <= before):
            stored_minutes.take()
            if row[0] != before:
                orphans += 1
                first_orphan = row[0] if first_orphan is None else first_orphan

    for minute, expected in _minutes_from_rounds(conn, boundary * 60_000, sets):
        orphaned(minute)
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
    orphaned(None)
    if orphans and first_orphan is not None:
        breaks.append(
            Break(
                "rollups",
                f"{orphans} minutes of rollups have no rounds behind them (inserted?)",
                first_orphan * 60.0,
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


def _truncation(conn: sqlite3.Connection, walk: _Walk, head_seal: int) -> None:
    """Rounds the store counted but no seal covers any more: the newest seals were removed with their rounds.
    (A forger who also resets the counter leaves nothing for the chain to show: that is what a digest published
    elsewhere is for.)"""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'rounds'").fetchone()
    counted = int(row[0]) if row else 0
    if walk.genesis_through and not walk.sealed_round:
        return  # every round was pruned before the chain existed: the counter is older than any seal
    if counted > walk.sealed_round:
        seals = f"the seals after seal {head_seal}" if head_seal else "every seal"
        walk.breaks.append(
            Break(
                "the newest rounds",
                f"rounds {walk.sealed_round + 1}-{counted} were stored but they and {seals} were removed (truncated?)",
            )
        )


def _timestamps(conn: sqlite3.Connection, walk: _Walk, check_token: TokenCheck | None) -> tuple[Timestamp, ...]:
    """Every trusted timestamp of the chain head: the seal it names holds that digest, its time is not before the
    rounds that seal holds, and (when ``check_token``) the authority's token certifies exactly that."""
    out: list[Timestamp] = []
    for ref, seal_id, digest, tsa, gen_ms, statement, token in conn.execute(
        "SELECT id, seal_id, digest, tsa, gen_ms, statement, token FROM timestamps ORDER BY id"
    ).fetchall():
        where = f"trusted timestamp {ref} (seal {seal_id})"
        named = conn.execute("SELECT digest, at_ms FROM seals WHERE id = ?", (seal_id,)).fetchone()
        if named is not None and bytes(named[0]) != bytes(digest):
            walk.breaks.append(Break(where, "names a digest its seal does not have (forged?)", gen_ms / 1e3))
        if named is not None and named[1] is not None and int(named[1]) > int(gen_ms) + STEP_MS:
            walk.breaks.append(
                Break(
                    where,
                    "certifies a time before the rounds its seal holds: the clock was ahead, or they were added later",
                    gen_ms / 1e3,
                )
            )
        if bytes(digest).hex() not in bytes(statement).decode("utf-8", "replace"):
            walk.breaks.append(Break(where, "its statement does not name its digest (forged?)", gen_ms / 1e3))
        checked: bool | None = None
        problem = "no timestamp authority's certificate is configured here to check it with"
        if check_token is not None:
            checked, certified, problem = check_token(bytes(statement), bytes(token))
            if checked and certified != int(gen_ms):
                checked, problem = False, "its token certifies another time than the one stored"
            if checked is False:
                walk.breaks.append(Break(where, f"its token does not hold: {problem}", gen_ms / 1e3))
        out.append(Timestamp(int(seal_id), bytes(digest).hex(), str(tsa), gen_ms / 1000, checked, problem))
    return tuple(out)
