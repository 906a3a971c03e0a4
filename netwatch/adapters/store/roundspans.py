"""Where the rounds of an interval of time are: one row per batch of rounds written (``round_spans``).

Owns the table that stands in for an index of the rounds by time: for each batch, its ids [first, last], the
earliest and latest ``at_ms`` among them and whether they are in time order by id. It is kept in the transaction
that writes, re-times or prunes the rounds, so it is as true as an index. Owns the reads by time built on it: the
superset id range of an interval (for counts and sums), and the rounds of an interval by (at, id) a chunk at a
time. Must not decide what a round means, nor seal anything: a span is derived data, never evidence.

Why not SQLite's index on ``at_ms``: the rounds arrive in time order, and an index B-tree appended at its end
splits its pages half full. It cost as many pages as the rounds themselves: 37 % of the store, and a third of
every seal's writes to the SD card. A span costs one small row per seal (about 300 rounds).
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


@dataclass(frozen=True)
class _Segment:
    """Ids [first, last] whose rounds within [lo_ms, hi_ms) are read in id order (``by_id``), else by (at, id)."""

    first: int
    last: int
    lo_ms: int
    hi_ms: int
    by_id: bool


def add(conn: sqlite3.Connection, first_id: int, stamps: Sequence[int]) -> None:
    """Record the span of rounds ``first_id`` onwards stamped ``stamps`` (in id order), just inserted."""
    if not stamps:
        return
    ordered = all(a <= b for a, b in itertools.pairwise(stamps))
    conn.execute(
        "INSERT INTO round_spans (first_id, last_id, min_ms, max_ms, ordered) VALUES (?, ?, ?, ?, ?)",
        (first_id, first_id + len(stamps) - 1, min(stamps), max(stamps), int(ordered)),
    )


def refresh(conn: sqlite3.Connection, first_id: int, last_id: int) -> None:
    """Recompute the spans holding ids in [first, last] from their rounds (after a re-timing or a pruning)."""
    spans = conn.execute(
        "SELECT first_id, last_id FROM round_spans WHERE last_id >= ? AND first_id <= ?", (first_id, last_id)
    ).fetchall()
    for lo, hi in spans:
        stamps = [int(at) for (at,) in conn.execute("SELECT at_ms FROM rounds WHERE id BETWEEN ? AND ?", (lo, hi))]
        conn.execute("DELETE FROM round_spans WHERE first_id = ?", (lo,))
        if stamps:
            first = conn.execute("SELECT min(id) FROM rounds WHERE id BETWEEN ? AND ?", (lo, hi)).fetchone()[0]
            ordered = all(a <= b for a, b in itertools.pairwise(stamps))
            conn.execute(
                "INSERT INTO round_spans (first_id, last_id, min_ms, max_ms, ordered) VALUES (?, ?, ?, ?, ?)",
                (int(first), hi, min(stamps), max(stamps), int(ordered)),
            )


def prune(conn: sqlite3.Connection, through_id: int) -> None:
    """Forget the spans of rounds deleted up to id ``through_id``, and narrow the one it cuts."""
    conn.execute("DELETE FROM round_spans WHERE last_id <= ?", (through_id,))
    refresh(conn, through_id, through_id + 1)


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


def earliest_ms(conn: sqlite3.Connection) -> int | None:
    """The earliest stamp of any round, or None."""
    row = conn.execute("SELECT min(min_ms) FROM round_spans").fetchone()
    return None if row[0] is None else int(row[0])


def by_time(
    conn: sqlite3.Connection, columns: str, lo_ms: int, hi_ms: int, after_id: int, chunk: int
) -> Iterator[list[Any]]:
    """The rounds with ``lo_ms <= at < hi_ms`` and an id after ``after_id``, as rows of ``id, at_ms, columns``,
    ordered by (at, id), ``chunk`` rows a query (no read transaction stays open while a caller iterates)."""
    for seg in _plan(conn, lo_ms, hi_ms, after_id):
        yield from _read(conn, columns, seg, chunk)


def _plan(conn: sqlite3.Connection, lo_ms: int, hi_ms: int, after_id: int) -> list[_Segment]:
    """The id ranges to read, in time order. Spans in time order by id (a clock that never stepped back) make one
    range read by id; spans that overlap in time are read together, sorted by (at, id)."""
    rows = conn.execute(
        "SELECT first_id, last_id, min_ms, max_ms, ordered FROM round_spans"
        " WHERE max_ms >= ? AND min_ms < ? AND last_id > ? ORDER BY min_ms, first_id",
        (lo_ms, hi_ms, after_id),
    ).fetchall()
    # Clusters: spans whose times overlap or touch, each cluster wholly (strictly) before the next in time.
    clusters: list[list[Any]] = []  # [first, last, min, max, by_id]
    for first, last, lo, hi, ordered in rows:
        first = max(first, after_id + 1)
        if clusters and lo <= clusters[-1][3]:  # a stamp shared by two spans: read them together
            c = clusters[-1]
            c[0], c[1], c[3], c[4] = min(c[0], first), max(c[1], last), max(c[3], hi), False
        else:
            clusters.append([first, last, lo, hi, bool(ordered)])
    segments: list[_Segment] = []
    for first, last, lo, hi, by_id in clusters:
        lo, hi = max(lo, lo_ms), min(hi + 1, hi_ms)
        prev = segments[-1] if segments else None
        if by_id and prev is not None and prev.by_id and first > prev.last:
            # Consecutive in time and in ids: rounds in between belong to no span of the interval.
            segments[-1] = _Segment(prev.first, last, prev.lo_ms, hi, True)
        else:
            segments.append(_Segment(first, last, lo, hi, by_id))
    return segments


def _read(conn: sqlite3.Connection, columns: str, seg: _Segment, chunk: int) -> Iterator[list[Any]]:
    # One bound on each side of the id: given two lower bounds, SQLite's range scan takes one and filters by the
    # other, so that every chunk would scan the segment from its start.
    select = f"SELECT id, at_ms, {columns} FROM rounds WHERE id > ? AND id <= ? AND at_ms >= ? AND at_ms < ?"
    if seg.by_id:
        after = seg.first - 1
        while True:
            rows = conn.execute(
                f"{select} ORDER BY id LIMIT ?", (after, seg.last, seg.lo_ms, seg.hi_ms, chunk)
            ).fetchall()
            if rows:
                yield rows
            if len(rows) < chunk:
                return
            after = rows[-1][0]
    last_at, last_id = seg.lo_ms, -1
    while True:
        rows = conn.execute(
            f"{select} AND (at_ms, id) > (?, ?) ORDER BY at_ms, id LIMIT ?",
            (seg.first - 1, seg.last, seg.lo_ms, seg.hi_ms, last_at, last_id, chunk),
        ).fetchall()
        if rows:
            yield rows
        if len(rows) < chunk:
            return
        last_at, last_id = rows[-1][1], rows[-1][0]


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
