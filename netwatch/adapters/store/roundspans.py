"""Where the rounds of an interval of time are: one row per run of rounds written (``round_spans``).

Owns the table that stands in for an index of the rounds by time: for each span, its ids [first, last], the
earliest and latest ``at_ms`` among them and whether they are in time order by id. A batch of rounds written in
time order after the last span's extends it, up to ``SPAN_ROUNDS`` rounds; any other batch starts a span of its
own. It is kept in the transaction that writes, re-times or prunes the rounds, so it is as true as an index. Owns
the reads by time built on it: the superset id range of an interval (for counts and sums), and the rounds of an
interval by (at, id) a chunk at a time, and the check verification holds the spans to. Must not decide what a round
means, nor seal anything: a span is derived data, never evidence.

Why not SQLite's index on ``at_ms``: the rounds arrive in time order, and an index B-tree appended at its end
splits its pages half full. It cost as many pages as the rounds themselves: 37 % of the store, and a third of
every seal's writes to the SD card. A span costs one small row per hour of rounds, rewritten at each seal.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

END_MS = 2**62  # beyond any instant
# Rounds a span may grow to: a read by time scans its spans whole, so an hour at one round a second (a minute's
# rollup recounted scans one span, 3 600 rounds), and 24 rows a day to plan a read with.
SPAN_ROUNDS = 3_600

Span = tuple[int, int, int, int]  # first id, last id, earliest and latest stamp


@dataclass(frozen=True)
class _Segment:
    """Rounds within [lo_ms, hi_ms) of ids [first, last], read in id order; or, when ``spans`` are given (spans
    that overlap in time), of those spans, by (at, id)."""

    first: int
    last: int
    lo_ms: int
    hi_ms: int
    spans: tuple[Span, ...] = ()


def add(conn: sqlite3.Connection, first_id: int, stamps: Sequence[int]) -> None:
    """Record the rounds ``first_id`` onwards stamped ``stamps`` (in id order), just inserted: in the last span
    when they follow it in ids and in time and it has room, else in a span of their own."""
    if not stamps:
        return
    ordered = _in_order(stamps)
    last_id = first_id + len(stamps) - 1
    if ordered:
        row = conn.execute(
            "SELECT first_id, last_id, max_ms, ordered FROM round_spans ORDER BY first_id DESC LIMIT 1"
        ).fetchone()
        follows = row is not None and row[1] == first_id - 1 and row[3] and row[2] <= stamps[0]
        if follows and last_id - row[0] < SPAN_ROUNDS:
            conn.execute(
                "UPDATE round_spans SET last_id = ?, max_ms = ? WHERE first_id = ?", (last_id, stamps[-1], row[0])
            )
            return
    _insert(conn, first_id, last_id, stamps, ordered)


def _in_order(stamps: Sequence[int]) -> bool:
    return all(a <= b for a, b in itertools.pairwise(stamps))


def _insert(conn: sqlite3.Connection, first_id: int, last_id: int, stamps: Sequence[int], ordered: bool) -> None:
    conn.execute(
        "INSERT INTO round_spans (first_id, last_id, min_ms, max_ms, ordered) VALUES (?, ?, ?, ?, ?)",
        (first_id, last_id, min(stamps), max(stamps), int(ordered)),
    )


def refresh(conn: sqlite3.Connection, first_id: int, last_id: int) -> None:
    """Recompute the spans holding ids in [first, last] from their rounds (after a re-timing or a pruning)."""
    spans = conn.execute(
        "SELECT first_id, last_id FROM round_spans WHERE last_id >= ? AND first_id <= ?", (first_id, last_id)
    ).fetchall()
    for lo, hi in spans:
        rows = conn.execute("SELECT id, at_ms FROM rounds WHERE id BETWEEN ? AND ? ORDER BY id", (lo, hi)).fetchall()
        conn.execute("DELETE FROM round_spans WHERE first_id = ?", (lo,))
        if rows:
            stamps = [int(at) for _, at in rows]
            _insert(conn, int(rows[0][0]), hi, stamps, _in_order(stamps))


def prune(conn: sqlite3.Connection) -> None:
    """After rounds were deleted from the oldest on: forget the spans of rounds no longer stored, and narrow the
    one the deletion cut."""
    oldest = conn.execute("SELECT min(id) FROM rounds").fetchone()[0]
    if oldest is None:
        conn.execute("DELETE FROM round_spans")
        return
    conn.execute("DELETE FROM round_spans WHERE last_id < ?", (oldest,))
    refresh(conn, oldest - 1, oldest)


def id_range(conn: sqlite3.Connection, lo_ms: int, hi_ms: int = END_MS) -> tuple[int, int] | None:
    """Ids [first, last] that hold every round with ``lo_ms <= at < hi_ms`` (and maybe others: filter on
    ``at_ms``), or None when no round is in that interval."""
    row = conn.execute(
        "SELECT min(first_id), max(last_id) FROM round_spans WHERE max_ms >= ? AND min_ms < ?", (lo_ms, hi_ms)
    ).fetchone()
    return None if row[0] is None else (int(row[0]), int(row[1]))


def latest_ms(conn: sqlite3.Connection) -> int | None:
    """The latest stamp of any round, or None."""
    row = conn.execute("SELECT max(max_ms) FROM round_spans").fetchone()
    return None if row[0] is None else int(row[0])


def latest_from(conn: sqlite3.Connection, lo_ms: int) -> int | None:
    """The latest stamp of a round stamped at or after ``lo_ms``, or None when there is none."""
    latest = latest_ms(conn)
    return latest if latest is not None and latest >= lo_ms else None


def latest_since(conn: sqlite3.Connection, first_id: int) -> int | None:
    """The latest stamp of the rounds from id ``first_id`` on, or None when there is none: the spans after it,
    and the rounds themselves in the span it falls in."""
    found = [conn.execute("SELECT max(max_ms) FROM round_spans WHERE first_id >= ?", (first_id,)).fetchone()[0]]
    cut = conn.execute(
        "SELECT last_id FROM round_spans WHERE first_id < ? ORDER BY first_id DESC LIMIT 1", (first_id,)
    ).fetchone()
    if cut is not None and cut[0] >= first_id:
        found.append(
            conn.execute("SELECT max(at_ms) FROM rounds WHERE id >= ? AND id <= ?", (first_id, cut[0])).fetchone()[0]
        )
    stamps = [int(x) for x in found if x is not None]
    return max(stamps) if stamps else None


def earliest_ms(conn: sqlite3.Connection) -> int | None:
    """The earliest stamp of any round, or None."""
    row = conn.execute("SELECT min(min_ms) FROM round_spans").fetchone()
    return None if row[0] is None else int(row[0])


def by_time(
    conn: sqlite3.Connection, columns: str, lo_ms: int, hi_ms: int, after_id: int, chunk: int
) -> Iterator[list[Any]]:
    """The rounds with ``lo_ms <= at < hi_ms`` and an id after ``after_id``, as rows of ``id, at_ms, columns``,
    ordered by (at, id), about ``chunk`` rows a query (no read transaction stays open while a caller iterates).
    The spans are read once, at the start: rounds stored or re-timed while a caller iterates may be left out."""
    for seg in _plan(conn, lo_ms, hi_ms, after_id):
        if seg.spans:
            yield from _read_sorted(conn, columns, seg, chunk)
        else:
            yield from _read_by_id(conn, columns, seg, chunk)


def _plan(conn: sqlite3.Connection, lo_ms: int, hi_ms: int, after_id: int) -> list[_Segment]:
    """What to read, in time order. Spans in time order by id (a clock that never stepped back), each after the
    last in ids, make one read by id; spans that overlap in time are read together, sorted by (at, id)."""
    rows = conn.execute(
        "SELECT first_id, last_id, min_ms, max_ms, ordered FROM round_spans"
        " WHERE max_ms >= ? AND min_ms < ? AND last_id > ? ORDER BY min_ms, first_id",
        (lo_ms, hi_ms, after_id),
    ).fetchall()
    # Clusters: spans whose times overlap or touch, each cluster wholly (strictly) before the next in time.
    clusters: list[list[Span]] = []
    ends: list[int] = []  # each cluster's latest stamp
    in_order: list[bool] = []  # a cluster of one span in time order
    for first, last, lo, hi, ordered in rows:
        span = (max(first, after_id + 1), last, lo, hi)
        if clusters and lo <= ends[-1]:  # a stamp shared by two spans: read them together
            clusters[-1].append(span)
            ends[-1], in_order[-1] = max(ends[-1], hi), False
        else:
            clusters.append([span])
            ends.append(hi)
            in_order.append(bool(ordered))
    segments: list[_Segment] = []
    for spans, by_id in zip(clusters, in_order, strict=True):
        first, last = min(s[0] for s in spans), max(s[1] for s in spans)
        lo, hi = max(spans[0][2], lo_ms), min(max(s[3] for s in spans) + 1, hi_ms)
        prev = segments[-1] if segments else None
        if by_id and prev is not None and not prev.spans and first == prev.last + 1:
            segments[-1] = _Segment(prev.first, last, prev.lo_ms, hi)
        elif by_id:
            segments.append(_Segment(first, last, lo, hi))
        else:
            segments.append(_Segment(first, last, lo, hi, tuple(spans)))
    return segments


def _read_by_id(conn: sqlite3.Connection, columns: str, seg: _Segment, chunk: int) -> Iterator[list[Any]]:
    # One bound on each side of the id: given two lower bounds, SQLite's range scan takes one and filters by the
    # other, so that every chunk would scan the segment from its start.
    select = f"SELECT id, at_ms, {columns} FROM rounds WHERE id > ? AND id <= ? AND at_ms >= ? AND at_ms < ?"
    after = seg.first - 1
    while True:
        rows = conn.execute(f"{select} ORDER BY id LIMIT ?", (after, seg.last, seg.lo_ms, seg.hi_ms, chunk)).fetchall()
        if rows:
            yield rows
        if len(rows) < chunk:
            return
        after = rows[-1][0]


def _read_sorted(conn: sqlite3.Connection, columns: str, seg: _Segment, chunk: int) -> Iterator[list[Any]]:
    """Spans that overlap in time, by (at, id), a window of time at a time: a window ends where the next span by
    earliest stamp begins, once the spans begun in it hold ``chunk`` rounds; only the spans that reach into a
    window are read for it, each by its ids, and the window's rounds sorted here. A span wide in time (a clock
    that jumped ahead and back) is read again in each window it reaches, never the whole cluster per chunk."""
    select = f"SELECT id, at_ms, {columns} FROM rounds WHERE id >= ? AND id <= ? AND at_ms >= ? AND at_ms < ?"
    spans = seg.spans  # by earliest stamp
    active: list[Span] = []  # the spans begun before the window's end that reach into it
    start, i, n = seg.lo_ms, 0, len(spans)
    while start < seg.hi_ms:
        count = 0
        while i < n and (spans[i][2] <= start or count < chunk):
            active.append(spans[i])
            count += spans[i][1] - spans[i][0] + 1
            i += 1
        end = min(spans[i][2], seg.hi_ms) if i < n else seg.hi_ms  # the next span begins after ``start``
        active = [s for s in active if s[3] >= start]
        rows: list[Any] = []
        for first, last, _, _ in active:
            rows += conn.execute(select, (first, last, start, end)).fetchall()
        rows.sort(key=operator.itemgetter(1, 0))
        if rows:
            yield rows
        start = end


class Check:
    """The spans against the rounds a verification reads by id, every round after ``after``: each round lies in a
    span, and each span's earliest and latest stamps, and its time order where it claims one, are its rounds'.
    A span that straddles ``after`` is only partly read, so it is not judged. Fed each chunk of rows (id, at_ms,
    ...) as the walk reads it; costs a bisection per span and a pass over each chunk's stamps in C, and holds one
    chunk of spans at a time."""

    def __init__(self, conn: sqlite3.Connection, after: int, chunk: int = 5_000) -> None:
        self._spans = _spans_after(conn, after, chunk)
        self._span: tuple[int, int, int, int, int] | None = next(self._spans, None)  # the span being read
        self._judged = self._span is not None and self._span[0] > after
        self._seen: list[int] | None = None  # the current span's [min, max, in order, last stamp] so far
        self.wrong: list[tuple[int, int, int]] = []  # (first id, last id, earliest stamp) of spans that say otherwise
        self.outside = 0  # rounds in no span
        self.first_outside: int | None = None  # the stamp of the first of them

    def feed(self, rows: Sequence[Sequence[Any]]) -> None:
        j, n = 0, len(rows)
        while j < n:
            round_id = rows[j][0]
            while self._span is not None and self._span[1] < round_id:
                self._next()
            if self._span is None or self._span[0] > round_id:
                self.outside += 1
                if self.first_outside is None:
                    self.first_outside = int(rows[j][1])
                j += 1
                continue
            k = bisect.bisect_right(rows, self._span[1], lo=j, key=operator.itemgetter(0))
            stamps = list(map(operator.itemgetter(1), rows[j:k]))
            lo, hi, ordered = min(stamps), max(stamps), all(map(operator.le, stamps, stamps[1:]))
            if self._seen is None:
                self._seen = [lo, hi, int(ordered), stamps[-1]]
            else:
                seen = self._seen
                ordered = ordered and seen[3] <= stamps[0]
                seen[:] = [min(seen[0], lo), max(seen[1], hi), int(seen[2] and ordered), stamps[-1]]
            j = k

    def _next(self) -> None:
        """Judge the span read so far (a span no round was read in says otherwise) and go on to the next."""
        assert self._span is not None
        first, last, lo, hi, ordered = self._span
        seen = self._seen
        if self._judged and (seen is None or seen[0] != lo or seen[1] != hi or (ordered and not seen[2])):
            self.wrong.append((first, last, lo))
        self._span = next(self._spans, None)
        self._seen, self._judged = None, True

    def finish(self) -> None:
        """Judge the spans after the last round read (they hold rounds no more)."""
        while self._span is not None:
            self._next()


def _spans_after(conn: sqlite3.Connection, after: int, chunk: int = 5_000) -> Iterator[tuple[int, int, int, int, int]]:
    """The spans holding ids after ``after``, by first id, ``chunk`` a query."""
    first = -1
    while True:
        rows = conn.execute(
            "SELECT first_id, last_id, min_ms, max_ms, ordered FROM round_spans WHERE first_id > ? AND last_id > ?"
            " ORDER BY first_id LIMIT ?",
            (first, after, chunk),
        ).fetchall()
        for row in rows:
            yield int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4])
        if len(rows) < chunk:
            return
        first = rows[-1][0]
