"""Verification of the evidence chain: does the store still hold exactly what was sealed, and if not, where not.

Owns ``verify(conn)`` and ``walk``. One pass walks the seals in order with their ledger entries and rounds, a chunk
at a time (memory stays flat whatever the store's size): each digest is recomputed from the rounds and entries it
covers (undoing chained re-timings, using the kept hashes of pruned rounds), every round must be covered by a seal,
the ledger must have no hole, every version of a record must follow from the one before (``versions``), the store's
own acts must keep their rules (``acts``: re-timing, pruning), and records sealed long after the time they describe
are flagged. Then every chained record must still equal its latest sealed version (none added, none removed), the
rollups sealed by pruning must be unchanged and the others add up to their rounds (a full walk recounts them
from the very rounds it reads for the seals, ``recount``: the rounds are read once), outages and sessions must agree
with their rounds (``coherence``), and the trusted timestamps of the chain head must hold. It reports each break
with the seal or record it is in and the time it concerns.

``walk(conn, full=False)`` goes on from the newest checkpoint (``checkpoints``) whose seal still has its digest:
the walk's state at that seal comes from the checkpoint (sealed, so it is checked as the walk re-hashes the seal
holding it) and each record's latest version from the ledger; only the seals after it are re-hashed, with the
rollups of their minutes and the outages changed since. A full walk checks each checkpoint it meets against the
seal it names. Reads only; must not read the clock (``now_ms`` is given) nor write a checkpoint (the store does).
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import json
import operator
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from netwatch.adapters.store import acts, chain, checkpoints, codec, coherence, rollups, roundspans, versions
from netwatch.adapters.store.recount import Recount
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
_NOTHING = hashlib.sha256().digest()  # the hash of no rounds, and of no ledger entries
# A trusted timestamp checked against its authority: (statement, token DER) -> (True: it holds, False: it does not,
# None: it cannot be checked here; the time it certifies in ms when known; why not).
TokenCheck = Callable[[bytes, bytes], tuple[bool | None, int | None, str]]


class _Stream:
    """Rows of one query in key order, a chunk at a time, with look-ahead."""

    def __init__(
        self,
        fetch: Callable[[Any], list[Any]],
        key: Callable[[Any], Any],
        after: Any = None,
        seen: Callable[[list[Any]], None] | None = None,
    ) -> None:
        self._fetch = fetch
        self._key = key
        self._seen = seen  # given each chunk as it is read: a second reader of the same rows, in the same pass
        self._buffer: list[Any] = []
        self._pos = 0
        self._after: Any = after
        self._done = False

    def peek(self) -> Any:
        if self._pos >= len(self._buffer) and not self._done:
            rows = self._fetch(self._after)
            self._buffer, self._pos = rows, 0
            self._done = len(rows) < CHUNK
            if self._seen is not None:
                self._seen(rows)
            if rows:
                self._after = self._key(rows[-1])
        return self._buffer[self._pos] if self._pos < len(self._buffer) else None

    def take(self) -> Any:
        row = self.peek()
        assert row is not None
        self._pos += 1
        return row

    def take_through(self, last: Any) -> list[Any]:
        """Every row from here whose key is at most ``last`` (rows are in key order)."""
        out: list[Any] = []
        while (row := self.peek()) is not None and self._key(row) <= last:
            end = bisect.bisect_right(self._buffer, last, lo=self._pos, key=self._key)
            out += self._buffer[self._pos : end]
            self._pos = end
        return out


def _rounds(conn: sqlite3.Connection, after: int = 0, seen: Callable[[list[Any]], None] | None = None) -> _Stream:
    return _Stream(
        lambda after: conn.execute(
            "SELECT id, at_ms, set_id, rtts, errors FROM rounds WHERE id > ? ORDER BY id LIMIT ?", (after or 0, CHUNK)
        ).fetchall(),
        operator.itemgetter(0),
        after or None,
        seen,
    )


def _ledger(conn: sqlite3.Connection, after_seal: int = 0) -> _Stream:
    return _Stream(
        lambda after: conn.execute(
            "SELECT id, seal_id, kind, ref, body FROM ledger WHERE (seal_id, id) > (?, ?) ORDER BY seal_id, id LIMIT ?",
            (*(after or (-1, -1)), CHUNK),
        ).fetchall(),
        lambda row: (row[1], row[0]),
        (after_seal, 2**62) if after_seal else None,
    )


def _seals(conn: sqlite3.Connection, after: int = 0) -> Iterator[tuple[Any, ...]]:
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


def _seal_text(seal_id: int, first: int | None, last: int | None) -> str:
    """A seal as a break names it (worded only for a break: a walk meets every seal)."""
    return f"seal {seal_id} ({'no rounds' if first is None else f'rounds {first}-{last}'})"


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
    versions: dict[tuple[str, int], list[int]] = field(default_factory=dict)  # an owner's statement -> its seals
    # Seals named by checkpoints, as this walk found them: seal -> (digest, sealed_round, next_entry) after it.
    named: dict[int, tuple[bytes, int, int]] = field(default_factory=dict)
    new_evidence: bool = False  # a seal walked holds rounds or entries besides checkpoints
    pruned_seals: int = 0  # every seal up to this one had its rounds pruned

    def listed(self, kind: str, brk: Break) -> None:
        """Add a break of a kind that may repeat many times: the first ``LISTED`` one by one, then a count."""
        n = self.counted[kind] = self.counted.get(kind, 0) + 1
        if n <= LISTED:
            self.breaks.append(brk)


def state(walk: _Walk) -> dict[str, Any]:
    """What the next verification needs to go on from the end of ``walk``, as JSON values."""
    return {
        **{name: getattr(walk, name) for name in checkpoints.SCALARS},
        "sessions": [dataclasses.asdict(s) for s in walk.sessions],
        "spans": [dataclasses.asdict(s) for s in walk.spans.values()],
        "retimings": [dataclasses.asdict(r) for r in walk.retimings],
        "flags": [[f.where, f.what, f.at] for f in walk.flags],
    }


def _resumed(conn: sqlite3.Connection, found: checkpoints.Found) -> _Walk:
    """The walk as it stood at a checkpoint's seal: its state, and every record's latest version sealed by then."""
    kept = found.state
    walk = _Walk(**{name: kept[name] for name in checkpoints.SCALARS})
    walk.sessions = [acts.SessionSeen(**s) for s in kept["sessions"]]
    walk.spans = {int(s["id"]): acts.SpanSeen(**s) for s in kept["spans"]}
    walk.retimings = [acts.Retiming(**r) for r in kept["retimings"]]
    walk.flags = [Break(where, what, at) for where, what, at in kept["flags"]]
    through = found.checkpoint.seal_id
    walk.latest = {
        (str(kind), int(ref)): (int(seal_id), str(body))
        for kind, ref, seal_id, body in conn.execute(
            "SELECT kind, ref, seal_id, body FROM ledger WHERE id IN"
            " (SELECT max(id) FROM ledger WHERE seal_id <= ? AND ref != 0 GROUP BY kind, ref)",
            (through,),
        )
    }
    walk.named[through] = (bytes.fromhex(found.checkpoint.digest), walk.sealed_round, walk.next_entry)
    return walk


@dataclass(frozen=True)
class Outcome:
    """A verification, with what a checkpoint of it keeps (``state``) and whether anything but checkpoints was
    sealed since the one it went on from (``new_evidence``: else a new checkpoint would say nothing new)."""

    verification: Verification
    state: dict[str, Any]
    new_evidence: bool


def verify(
    conn: sqlite3.Connection,
    *,
    expect: str | None = None,
    progress: Callable[[int], None] | None = None,
    now_ms: int | None = None,
    check_token: TokenCheck | None = None,
) -> Verification:
    """Check the whole store against its seals (see ``walk``)."""
    return walk(conn, expect=expect, progress=progress, now_ms=now_ms, check_token=check_token).verification


def _seal_of(conn: sqlite3.Connection, anchor: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM seals WHERE lower(hex(digest)) LIKE ? ORDER BY id LIMIT 1", (anchor + "%",)
    ).fetchone()
    return None if row is None else int(row[0])


def walk(
    conn: sqlite3.Connection,
    *,
    expect: str | None = None,
    progress: Callable[[int], None] | None = None,
    now_ms: int | None = None,
    check_token: TokenCheck | None = None,
    full: bool = True,
) -> Outcome:
    """Check the store against its seals. ``full``: every seal from the first; else only the seals after the newest
    checkpoint whose seal still has its digest (before the seal of ``expect``, when given), with the rules that
    span the chain (record versions, re-timings, pruning, sessions) carried on from it, and every record against its
    latest sealed version; the seals up to the checkpoint are not re-hashed. ``expect`` is a digest (hex, or a
    prefix of 12+ characters) published earlier, e.g. in a report: it must be one of the seals, and nothing about
    the time before it may have been added after it. ``progress`` is called with the number of rounds checked since
    its last call; ``now_ms`` is the time of the verification (stamps after it are impossible); ``check_token``
    verifies a trusted timestamp's token (None: they are listed unchecked)."""
    anchor = None if expect is None else expect.lower().removeprefix("sha256:")
    found: checkpoints.Found | None = None
    found_breaks: list[Break] = []
    if not full:
        found, found_breaks = checkpoints.newest(conn, None if anchor is None else _seal_of(conn, anchor))
    try:
        walk = _Walk() if found is None else _resumed(conn, found)
    except (ValueError, KeyError, TypeError):  # its state was edited with its entry: the seal shows it too
        assert found is not None
        why = "holds a state that cannot be gone on from (altered?)"
        found_breaks.append(Break(f"checkpoint of seal {found.checkpoint.seal_id}", why, found.checkpoint.at))
        found, walk = None, _Walk()
    walk.breaks += found_breaks
    start = 0 if found is None else found.checkpoint.seal_id
    named = {f.checkpoint.seal_id for _, f in checkpoints.sealed(conn)}
    prunes = [json.loads(b) for (b,) in conn.execute("SELECT body FROM ledger WHERE kind = 'prune' ORDER BY id")]
    through_round = max((int(p["through_round"]) for p in prunes), default=0)
    pruned_seals = max((int(p["through_seal"]) for p in prunes), default=0)
    walk.pruned_seals = pruned_seals
    cutoff_ms = max((int(p["cutoff_ms"]) for p in prunes), default=0)
    # Seals kept by a pruning pass, with the digest it chained for them (the latest pass that listed them).
    anchored = {int(i): str(h) for p in prunes for i, h in p.get("kept", [])}
    anchored_seen: set[int] = set()
    sets = chain.target_texts(conn)
    retimed = chain.retimings(conn)
    # A full walk recounts the rollups from the rounds it reads for the seals (one pass over the rounds); going on
    # from a checkpoint, only the minutes of the new rounds are recounted, once the walk knows them.
    sealed_rollups = _sealed_rollups(conn)
    recount = None
    if found is None:
        boundary = max((hi for _, hi, _, _ in sealed_rollups), default=0)
        recount = Recount(conn, boundary, rollups.set_target_ids(conn))
    spans = roundspans.Check(conn, walk.sealed_round)

    def seen(rows: list[Any]) -> None:
        spans.feed(rows)
        if recount is not None:
            recount.feed(rows)

    stream = _rounds(conn, walk.sealed_round, seen)
    hasher = chain.RoundsHasher(sets)
    ledger = _ledger(conn, start)
    prev_id, prev_digest = (0, chain.ZERO) if found is None else (start, bytes.fromhex(found.checkpoint.digest))
    seals = checked = waiting = 0
    first_at: int | None = None
    last_at: int | None = None
    anchor_found = None if anchor is None else False

    def leftover(row: Row, why: str) -> bool:
        """True for a round a pruning pass left behind (a pass stopped half-way); else records why it is a break."""
        if row[0] <= through_round and row[1] < cutoff_ms:
            return True
        if row[0] <= through_round:
            why = "has the id of a pruned round but is newer than the retention cut-off (inserted?)"
        walk.listed("round", Break(f"round {row[0]}", why, _ms(row[1])))
        return False

    def broken(why: str, at: float | None = None) -> None:
        """A break of the seal the walk is at (named only then: a walk meets every seal)."""
        walk.breaks.append(Break(_seal_text(seal_id, first, last), why, at))

    for seal_id, first, last, digest, prev, kept_hash, sealed_at in _seals(conn, start):
        seals += 1
        if seal_id in anchored:
            anchored_seen.add(seal_id)
            if bytes(digest).hex() != anchored[seal_id]:
                broken("differs from the digest its pruning pass chained for it (altered?)")
        if prev is not None:
            link = bytes(prev)
            if prev_id == seal_id - 1 and link != prev_digest:
                broken("the digest it chains to is not its predecessor's")
            elif prev_id != seal_id - 1 and seal_id - 1 > pruned_seals:
                broken(f"seals {prev_id + 1}-{seal_id - 1} before it are missing (deleted?)")
        else:
            link = prev_digest
            if prev_id != seal_id - 1:
                broken(f"seals {prev_id + 1}-{seal_id - 1} before it are missing (deleted?)")
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
                broken("claims its rounds were pruned, but no pruning pass reached them")
            last_sealed_at = sealed_at
        elif first is not None and last is not None:
            undo = [(a, b, d) for s, a, b, d in retimed if s >= seal_id and a <= last and b >= first] if retimed else []
            rounds_digest, stamped = hasher.digest(stream.take_through(last), undo)
            count = len(stamped)
            if stamped:
                lo_at, hi_at, last_sealed_at = min(stamped), max(stamped), stamped[-1]
            if count > 1:  # the spacing of its last two rounds: the run's interval
                walk.cadence_ms = max(0, stamped[-1] - stamped[-2])
            checked += count
            if progress is not None and count:
                progress(count)
            if lo_at is not None:
                first_at = lo_at if first_at is None else min(first_at, lo_at)
                last_at = hi_at if last_at is None else max(last_at, hi_at or lo_at)
        else:
            rounds_digest = _NOTHING
        entries = []
        while (entry := ledger.peek()) is not None and entry[1] <= seal_id:
            ledger.take()
            if entry[1] < seal_id:
                walk.listed("orphan", Break(f"ledger entry {entry[0]}", f"belongs to seal {entry[1]}, which is gone"))
                _entry_order(walk, entry[0])
            else:
                entries.append(entry[:1] + entry[2:])
        entries_digest = chain.entries_hash(entries) if entries else _NOTHING  # most seals hold rounds only
        expected = chain.seal_digest(link, seal_id, first, last, rounds_digest, entries_digest, sealed_at)
        stored = bytes(digest)
        if expected != stored:
            broken(_seal_fault(first, last, count, kept_hash, entries, seal_id, walk), _ms(lo_at))
        _time_line(walk, seal_id, first, last, lo_at, last_sealed_at if last_sealed_at is not None else sealed_at)
        walk.sealed_at_seen = walk.sealed_at_seen or sealed_at is not None
        if last is not None:
            walk.sealed_round = max(walk.sealed_round, last)
        if entries:
            _entries(conn, walk, seal_id, entries, prunes_before=walk.prunes)
        walk.new_evidence = walk.new_evidence or first is not None or any(e[1] != "checkpoint" for e in entries)
        if seal_id in named:
            walk.named[seal_id] = (expected, walk.sealed_round, walk.next_entry)
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
        row = conn.execute("SELECT digest FROM seals WHERE id = ?", (seal_id,)).fetchone() if seal_id <= start else None
        if row is None:
            walk.breaks.append(Break(f"seal {seal_id}", "was kept by a pruning pass but is gone (deleted?)"))
        elif bytes(row[0]).hex() != anchored[seal_id]:
            why = "differs from the digest its pruning pass chained for it (altered?)"
            walk.breaks.append(Break(f"seal {seal_id}", why))
    spans.finish()
    _span_breaks(walk, spans)
    if walk.counted.get("round", 0) > LISTED:
        walk.breaks.append(Break("rounds", f"{walk.counted['round']} rounds in all are not covered by any seal"))
    if walk.counted.get("orphan", 0) > LISTED:
        walk.breaks.append(Break("ledger", f"{walk.counted['orphan']} entries in all belong to seals that are gone"))
    if waiting:
        walk.notes.append(
            f"{waiting} rounds already pruned from the chain are still waiting to be deleted (they are no evidence)"
        )
    records = _check_records(conn, walk)
    since_ms: int | None = None
    changed: set[int] | None = None
    if found is not None:
        # Rollups from the minute the new rounds (or the checkpoint's newest) begin; outages changed since, or open.
        since_ms = min((x for x in (first_at, found.state["head_at"]) if x is not None), default=None)
        changed = {
            int(ref)
            for (ref,) in conn.execute(
                "SELECT DISTINCT ref FROM ledger WHERE kind = 'incident' AND seal_id > ?", (start,)
            )
        }
    _check_rollups(conn, walk.breaks, sealed_rollups, recount, after_seal=start, since_ms=since_ms)
    firsts = sorted(s.first_round for s in walk.sessions if s.first_round is not None)
    # An outage closed before the newest round sealed at the checkpoint was decided by rounds sealed by then.
    decided = None if found is None else found.state["head_at"]
    walk.breaks += coherence.outage_breaks(conn, through_round, cutoff_ms, firsts, changed=changed, since_ms=decided)
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
    empty = prev_id == 0 and records == 0 and checked == 0
    return Outcome(
        Verification(
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
            amended=_amended(walk, None if found is None else found.checkpoint.seal_id),
            resumed=None if found is None else found.checkpoint,
        ),
        state(walk),
        walk.new_evidence,
    )


def _amended(walk: _Walk, since: int | None) -> tuple[Break, ...]:
    """The owner's statements sealed in more than one version, each named as in a break, with its seals (``since``:
    the checkpoint's seal an incremental walk went on from, which sees only the versions sealed after it)."""
    found = []
    for (kind, ref), seals in sorted(walk.versions.items(), key=lambda item: item[1][0]):
        if len(seals) > 1:
            label, at = _describe(kind, json.loads(walk.latest[(kind, ref)][1]), ref, walk)
            listed = ", ".join(str(s) for s in seals)
            after = "" if since is None else f" since the checkpoint of seal {since}"
            what = f"{len(seals)} versions sealed{after} (seals {listed}); each is kept, the newest is what it says now"
            found.append(Break(label, what, at))
    return tuple(found)


def _entry_order(walk: _Walk, entry_id: int) -> None:
    if entry_id > walk.next_entry:
        walk.breaks.append(Break(f"ledger entries {walk.next_entry}-{entry_id - 1}", "are missing (deleted?)"))
    elif entry_id < walk.next_entry:
        walk.breaks.append(Break(f"ledger entry {entry_id}", "is out of order (inserted?)"))
    walk.next_entry = max(walk.next_entry, entry_id + 1)


def _time_line(
    walk: _Walk, seal_id: int, first: int | None, last: int | None, lo_at: int | None, newest: int | None
) -> None:
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
                _seal_text(seal_id, first, last),
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
    if not entries:
        return
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
        if before is None and kind == "checkpoint":
            _checkpoint(conn, walk, seal_id, body)
        if before is None:
            _first_version(walk, seal_id, kind, ref, body, retimed_here=bool(moves))
            restart = restart or kind == "session"
        else:
            why = versions.change(kind, ref, before[1], body, moves)
            if why:
                label, at = _describe(kind, json.loads(before[1]), ref, walk)
                walk.breaks.append(Break(label, f"{why} (seal {seal_id})", at))
            if kind == "span":
                _span_version(walk, seal_id, ref, body)
        walk.latest[(kind, ref)] = (seal_id, body)
        if kind in STATEMENTS:
            walk.versions.setdefault((kind, ref), []).append(seal_id)
    if restart:
        walk.segment_max = None


def _checkpoint(conn: sqlite3.Connection, walk: _Walk, seal_id: int, body: str) -> None:
    """A checkpoint met on the way: the seal it names came before it, with the digest it names, and the walk then
    stood where it says (the rounds sealed and the ledger's next entry)."""
    checkpoint = checkpoints.of_body(body, seal_id)
    if checkpoint is None:
        walk.breaks.append(Break(f"checkpoint in seal {seal_id}", "cannot be read as a checkpoint (altered?)"))
        return
    named, kept = checkpoint.checkpoint, checkpoint.state
    where = f"checkpoint of seal {named.seal_id} (in seal {seal_id})"
    seen = walk.named.get(named.seal_id)
    if named.seal_id >= seal_id:
        walk.breaks.append(Break(where, "names a seal sealed after it (forged?)", named.at))
    elif seen is None:
        row = conn.execute("SELECT digest FROM seals WHERE id = ?", (named.seal_id,)).fetchone()
        if row is not None and bytes(row[0]).hex() != named.digest:
            walk.breaks.append(checkpoints.mismatch(named))
    elif seen[0].hex() != named.digest:
        walk.breaks.append(Break(where, "names a digest its seal does not have (forged?)", named.at))
    elif kept.get("next_entry") != seen[2] or (
        named.seal_id > walk.pruned_seals and kept.get("sealed_round") != seen[1]
    ):
        # (pruning deletes the seals of pruned rounds: the rounds sealed by a pruned seal are not known any more)
        walk.breaks.append(Break(where, "says the chain stood elsewhere at its seal than it did (forged?)", named.at))


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
        label, at = _describe(kind, doc, ref, walk)
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


STATEMENTS = frozenset({"ticket", "ticket_terms"})  # what the owner states and may change: each version is listed


def _describe(kind: str, body: dict[str, Any], ref: int, walk: _Walk) -> tuple[str, float | None]:
    """The record's name in a break ("outage incident 4", "ticket \"A-1\"", "ticket \"A-1\" (terms)") and its
    instant. A ticket's terms are named by its reference and dated by its report, from its latest sealed version."""
    if kind == "ticket_terms":
        sealed = walk.latest.get(("ticket", int(body.get("ticket_id", 0))))
        if sealed is not None:
            label, at = _describe("ticket", json.loads(sealed[1]), ref, walk)
            return f"{label} (terms)", at
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
            label, at = _describe(kind, doc, ref, walk)
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
                label, at = _describe(kind, json.loads(body), ref, walk)
                walk.breaks.append(Break(label, f"was sealed (seal {seal_id}) but is gone (deleted?)", at))
    return count


def _sealed_rollups(conn: sqlite3.Connection) -> list[tuple[int, int, str, int]]:
    """The rollups sealed by pruning passes (and the genesis) as (from minute, to minute, digest, seal id)."""
    return [
        (int(doc["from_minute"]), int(doc["to_minute"]), str(doc["rollups_sha256"]), int(seal_id))
        for seal_id, body in conn.execute(
            "SELECT seal_id, body FROM ledger WHERE kind IN ('prune', 'genesis') ORDER BY id"
        )
        if "rollups_sha256" in (doc := json.loads(body))
    ]


def _span_breaks(walk: _Walk, spans: roundspans.Check) -> None:
    """Where the rounds' index by time (``round_spans``) says otherwise than the rounds: not evidence, but what
    reports and these checks find a period's rounds by, so that an edit of it could leave rounds out of them."""
    why = "say otherwise than their rounds (edited?): reports by time could leave rounds out"
    for first, last, at_ms in spans.wrong[:LISTED]:
        walk.breaks.append(Break(f"the index of rounds {first}-{last} by time", why, _ms(at_ms)))
    if len(spans.wrong) > LISTED:
        walk.breaks.append(Break("the index of rounds by time", f"{len(spans.wrong)} spans in all {why}"))
    if spans.outside:
        walk.breaks.append(
            Break(
                "the index of rounds by time",
                f"leaves {spans.outside} rounds out (edited?): reports by time would not see them",
                _ms(spans.first_outside),
            )
        )


def _check_rollups(
    conn: sqlite3.Connection,
    breaks: list[Break],
    sealed: list[tuple[int, int, str, int]],
    recount: Recount | None,
    *,
    after_seal: int = 0,
    since_ms: int | None = None,
) -> None:
    """Sealed rollups are unchanged (and show the anchors lost inside outages); the others add up to the rounds
    they summarise (``recount``: fed every round by a full walk). Going on from a checkpoint (``after_seal``): only
    the rollups sealed after it, and the minutes from ``since_ms`` (None: none)."""
    boundary = 0
    for lo, hi, digest, seal_id in sealed:
        boundary = max(boundary, hi)
        if seal_id > after_seal and chain.rollups_hash(conn, lo, hi) != digest:
            breaks.append(
                Break(
                    f"rollups of minutes {lo}-{hi - 1}",
                    "differ from those sealed when their rounds were pruned",
                    lo * 60.0,
                )
            )
    breaks += coherence.rollup_breaks(conn, boundary)
    if recount is None:
        if since_ms is None:
            return
        recount = Recount(conn, max(boundary, since_ms // 60_000), rollups.set_target_ids(conn))
        for rows in _rounds_in_time(conn, max(boundary, since_ms // 60_000) * 60_000):
            recount.feed(rows)
    differ, orphans = recount.finish()
    breaks += [
        Break(f"rollups of minute {minute}", "do not add up to the rounds of that minute", minute * 60.0)
        for minute in differ
    ]
    if orphans:
        breaks.append(
            Break(
                "rollups",
                f"{len(orphans)} minutes of rollups have no rounds behind them (inserted?)",
                orphans[0] * 60.0,
            )
        )


def _rounds_in_time(conn: sqlite3.Connection, since_ms: int) -> Iterator[list[Any]]:
    """The rounds from ``since_ms`` by (at_ms, id), a chunk at a time."""
    yield from roundspans.by_time(conn, "set_id, rtts, errors", since_ms, roundspans.END_MS, 0, CHUNK)


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
