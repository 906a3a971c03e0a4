"""The store's time line: clock events, clock spans (rounds stamped before the clock was synchronised) and
re-timing them once it is.

Owns the ``clock_events`` and ``clock_spans`` tables (migration 4) and the re-timing transaction: every stamp of
a span (rounds, the session, incidents, speed tests, traceroutes, clock events) moves by the span's delta, the
rollups of the minutes the rounds left and reached are rebuilt, and the act is chained (a ``retime`` ledger entry,
which verification undoes, plus new versions of every record that moved). Spans are found by the stamps they
hold: provisional stamps are never earlier than what the store held when they began (see ``netwatch.core.clock``), so
``[start_ms, end_ms]`` of a span holds nothing else. Functions take an open connection inside the caller's
transaction; must not read the clock.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from netwatch.adapters.store import chain, codec, retention, rollups, roundspans
from netwatch.core.model import ClockEvent


@dataclass(frozen=True)
class Span:
    """A run of rounds stamped provisionally: ids [first_round, last_round], stamps [start, end]."""

    id: int
    session_id: int
    boot_id: str
    offset_ms: int
    first_round: int
    last_round: int | None
    start_ms: int
    end_ms: int | None
    delta_ms: int | None  # None until re-timed
    open: bool = False  # still taking rounds: the running session's clock is not synchronised yet


_SPAN = "id, session_id, boot_id, offset_ms, first_round, last_round, start_ms, end_ms, delta_ms"


def next_round_id(conn: sqlite3.Connection) -> int:
    seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'rounds'").fetchone()
    return (int(seq[0]) if seq else 0) + 1


def open_span(conn: sqlite3.Connection, session: int, boot_id: str, offset_ms: int, start_ms: int) -> int:
    """A new open span starting with the next round to be inserted; returns its id."""
    cur = conn.execute(
        "INSERT INTO clock_spans (session_id, boot_id, offset_ms, first_round, start_ms) VALUES (?, ?, ?, ?, ?)",
        (session, boot_id, offset_ms, next_round_id(conn), start_ms),
    )
    return int(cur.lastrowid or 0)


def close_span(conn: sqlite3.Connection, span: int, last_round: int | None = None) -> bool:
    """Close an open span after ``last_round`` (default: the last round inserted so far); False when it was not
    open."""
    row = conn.execute("SELECT first_round, start_ms FROM clock_spans WHERE id = ? AND last_round IS NULL", (span,))
    found = row.fetchone()
    if found is None:
        return False
    first, start_ms = found
    last = next_round_id(conn) - 1 if last_round is None else last_round
    end_ms = conn.execute("SELECT max(at_ms) FROM rounds WHERE id BETWEEN ? AND ?", (first, last)).fetchone()[0]
    # Not the session's end: when the clock is synchronised, the session goes on with true stamps.
    end = max(start_ms, end_ms or start_ms)
    conn.execute("UPDATE clock_spans SET last_round = ?, end_ms = ? WHERE id = ?", (max(last, first - 1), end, span))
    return True


def close_open_spans(conn: sqlite3.Connection, exclude: int | None) -> list[int]:
    """Close every open span but ``exclude`` (after a crash, at the next start); returns their ids."""
    ids = [
        int(r[0])
        for r in conn.execute("SELECT id FROM clock_spans WHERE last_round IS NULL AND id IS NOT ?", (exclude,))
    ]
    return [span for span in ids if close_span(conn, span)]


def _end_so_far(conn: sqlite3.Connection, first_round: int, start_ms: int) -> int:
    """An open span's latest stamp so far: of its rounds, else its start."""
    latest = roundspans.latest_since(conn, first_round)
    return start_ms if latest is None else latest


def spans(conn: sqlite3.Connection, since_ms: int, until_ms: int) -> list[Span]:
    """Spans whose stamps overlap [since, until]. An open span is given the extent it has so far (to the last
    round inserted) and ``delta_ms`` None."""
    rows = conn.execute(
        "SELECT id, session_id, boot_id, offset_ms, first_round,"
        " coalesce(last_round, (SELECT seq FROM sqlite_sequence WHERE name = 'rounds')), start_ms,"
        " end_ms, delta_ms, last_round IS NULL FROM clock_spans ORDER BY start_ms, id"
    ).fetchall()
    spans = (
        Span(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            row[7] if row[7] is not None else _end_so_far(conn, row[4], row[6]),
            row[8],
            bool(row[9]),
        )
        for row in rows
    )
    return [span for span in spans if span.start_ms <= until_ms and (span.end_ms or 0) >= since_ms]


def insert_event(conn: sqlite3.Connection, event: ClockEvent, rounds: int = 0) -> int:
    cur = conn.execute(
        "INSERT INTO clock_events (at_ms, kind, step_ms, rounds, detail) VALUES (?, ?, ?, ?, ?)",
        (codec.to_ms(event.at), event.kind.value, codec.to_ms(event.step), rounds, event.detail),
    )
    return int(cur.lastrowid or 0)


def events(conn: sqlite3.Connection, since_ms: int, until_ms: int) -> list[tuple[int, str, int, int, str]]:
    """Clock events with ``since <= at < until`` as (at_ms, kind, step_ms, rounds, detail), by time."""
    return [
        (int(a), str(k), int(s), int(n), str(d))
        for a, k, s, n, d in conn.execute(
            "SELECT at_ms, kind, step_ms, rounds, detail FROM clock_events WHERE at_ms >= ? AND at_ms < ?"
            " ORDER BY at_ms, id",
            (since_ms, until_ms),
        )
    ]


@dataclass(frozen=True)
class Retimed:
    """What one re-timing moved."""

    spans: int = 0
    rounds: int = 0
    records: int = 0


def _ids(conn: sqlite3.Connection, table: str, column: str, lo: int, hi: int, where: str = "") -> list[int]:
    extra = f" AND {where}" if where else ""
    return [int(r[0]) for r in conn.execute(f"SELECT id FROM {table} WHERE {column} BETWEEN ? AND ?{extra}", (lo, hi))]


def _add(conn: sqlite3.Connection, table: str, column: str, ids: list[int], delta: int, negate: bool = False) -> None:
    """Add ``delta`` to ``column`` of rows ``ids``; ``negate`` stores -(value + delta) - 1 instead (see retime)."""
    value = f"-({column} + ?) - 1" if negate else f"{column} + ?"
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        conn.execute(
            f"UPDATE {table} SET {column} = {value} WHERE id IN ({','.join('?' * len(chunk))})", (delta, *chunk)
        )


@dataclass(frozen=True)
class _Move:
    """What one span's re-timing moves, selected before anything moves: a record moved for one span must not
    fall into a later span's range and move again."""

    span: Span
    delta: int
    rounds: tuple[int, int, int] | None  # (first and last at_ms, count) of its rounds before; None when none
    columns: dict[tuple[str, str], list[int]]  # (table, column) -> ids of the rows whose value lies in the span


# (table, column, only the span's own session): every stamp a span can hold besides its rounds.
_COLUMNS = (
    ("incidents", "start_ms", False),
    ("incidents", "end_ms", False),
    ("sessions", "start_ms", True),
    ("sessions", "last_ms", True),
    ("sessions", "end_ms", True),
    ("speed_results", "at_ms", False),
    ("traceroutes", "at_ms", False),
    ("traceroutes", "incident_start_ms", False),
    ("clock_events", "at_ms", False),
)
_KINDS = {
    "incidents": "incident",
    "sessions": "session",
    "speed_results": "speed",
    "traceroutes": "trace",
    "clock_events": "clock",
}


def _select(conn: sqlite3.Connection, span: Span, true_offset_ms: int) -> _Move:
    assert span.last_round is not None and span.end_ms is not None
    found = conn.execute(
        "SELECT min(at_ms), max(at_ms), count(*) FROM rounds WHERE id BETWEEN ? AND ?",
        (span.first_round, span.last_round),
    ).fetchone()
    own = f"id = {int(span.session_id)}"
    columns = {(t, c): _ids(conn, t, c, span.start_ms, span.end_ms, own if mine else "") for t, c, mine in _COLUMNS}
    rounds = (int(found[0]), int(found[1]), int(found[2])) if found[2] else None
    return _Move(span, true_offset_ms - span.offset_ms, rounds, columns)


def retime(conn: sqlite3.Connection, boot_id: str, true_offset_ms: int, tx: chain.Batch) -> Retimed:
    """Re-time every closed, not yet re-timed span of this boot: its stamps + (true offset - its offset).

    The caller closes the running session's span first. Spans of other boots cannot be re-timed (their monotonic
    clock is gone) and stay marked."""
    rows = conn.execute(
        f"SELECT {_SPAN} FROM clock_spans WHERE boot_id = ? AND delta_ms IS NULL AND last_round IS NOT NULL"
        " ORDER BY id",
        (boot_id,),
    ).fetchall()
    moves = [_select(conn, Span(*row), true_offset_ms) for row in rows]
    minutes: list[tuple[int, int]] = []
    for m in (m for m in moves if m.delta):  # rounds by id, the other records by the ids selected above
        if m.rounds is not None:
            conn.execute(
                "UPDATE rounds SET at_ms = at_ms + ? WHERE id BETWEEN ? AND ?",
                (m.delta, m.span.first_round, m.span.last_round),
            )
            roundspans.refresh(conn, m.span.first_round, m.span.last_round or m.span.first_round)
            lo, hi, _ = m.rounds
            minutes += [(lo // 60_000, hi // 60_000), ((lo + m.delta) // 60_000, (hi + m.delta) // 60_000)]
        for (table, column), ids in m.columns.items():
            # Incidents keep (kind, start_ms) unique: moved starts go through negative values first, so that no
            # row collides with another one not yet moved.
            _add(conn, table, column, ids, m.delta, negate=(table, column) == ("incidents", "start_ms"))
    conn.execute("UPDATE incidents SET start_ms = -start_ms - 1 WHERE start_ms < 0")
    conn.execute("UPDATE incidents SET end_ms = start_ms WHERE end_ms < start_ms")
    sealed_before = retention.sealed_rollups_before(conn)
    for first_minute, last_minute in minutes:
        rollups.rebuild(conn, first_minute, last_minute, sealed_before)
    total = Retimed()
    for m in moves:
        span, delta = m.span, m.delta
        conn.execute(
            "UPDATE clock_spans SET delta_ms = ?, start_ms = start_ms + ?, end_ms = end_ms + ? WHERE id = ?",
            (delta, delta, delta, span.id),
        )
        tx.note(
            "retime",
            {
                "span": span.id,
                "first": span.first_round,
                "last": span.last_round,
                "delta_ms": delta,
                "from_ms": span.start_ms,
                "to_ms": span.end_ms,
            },
        )
        records = sorted({(_KINDS[t], i) for (t, _), ids in m.columns.items() for i in ids}) if delta else []
        for kind, ref in [*records, ("span", span.id)]:
            tx.record(conn, kind, ref)
        moved = m.rounds[2] if m.rounds is not None and delta else 0
        total = Retimed(total.spans + 1, total.rounds + moved, total.records + len(records))
    return total
