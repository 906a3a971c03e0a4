"""The store's time line: clock events, clock spans (rounds stamped before the clock was synchronised) and
re-timing them once it is.

Owns the ``clock_events`` and ``clock_spans`` tables (migration 4) and the re-timing transaction: every stamp of
a span (rounds, the session, incidents, speed tests, traceroutes, clock events) moves by the span's delta, the
rollups of the minutes the rounds left and reached are rebuilt, and the act is chained (a ``retime`` ledger entry,
which verification undoes, plus new versions of every record that moved). Spans are found by the stamps they
hold: provisional stamps are never earlier than what the store held when they began (see ``netwatch.clock``), so
``[start_ms, end_ms]`` of a span holds nothing else. Functions take an open connection inside the caller's
transaction; must not read the clock.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from netwatch.clock import ClockEvent
from netwatch.store import chain, codec, retention, rollups


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


def _next_round_id(conn: sqlite3.Connection) -> int:
    seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'rounds'").fetchone()
    return (int(seq[0]) if seq else 0) + 1


def open_span(conn: sqlite3.Connection, session: int, boot_id: str, offset_ms: int, start_ms: int) -> int:
    """A new open span starting with the next round to be inserted; returns its id."""
    cur = conn.execute(
        "INSERT INTO clock_spans (session_id, boot_id, offset_ms, first_round, start_ms) VALUES (?, ?, ?, ?, ?)",
        (session, boot_id, offset_ms, _next_round_id(conn), start_ms),
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
    last = _next_round_id(conn) - 1 if last_round is None else last_round
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


def spans(conn: sqlite3.Connection, since_ms: int, until_ms: int) -> list[Span]:
    """Spans whose stamps overlap [since, until]. An open span is given the extent it has so far (to the last
    round inserted) and ``delta_ms`` None."""
    rows = conn.execute(
        "SELECT id, session_id, boot_id, offset_ms, first_round,"
        " coalesce(last_round, (SELECT seq FROM sqlite_sequence WHERE name = 'rounds')), start_ms,"
        " coalesce(end_ms, (SELECT max(at_ms) FROM rounds WHERE id >= first_round), start_ms), delta_ms,"
        " last_round IS NULL FROM clock_spans ORDER BY start_ms, id"
    ).fetchall()
    spans = (Span(*(*row[:9], bool(row[9]))) for row in rows)
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


def _shift(
    conn: sqlite3.Connection, table: str, column: str, lo: int, hi: int, delta: int, where: str = ""
) -> list[int]:
    """Add ``delta`` to ``column`` of the rows whose value lies in [lo, hi]; returns their ids."""
    extra = f" AND {where}" if where else ""
    ids = [int(r[0]) for r in conn.execute(f"SELECT id FROM {table} WHERE {column} BETWEEN ? AND ?{extra}", (lo, hi))]
    if ids:
        marks = ",".join("?" * len(ids))
        conn.execute(f"UPDATE {table} SET {column} = {column} + ? WHERE id IN ({marks})", (delta, *ids))
    return ids


def _shift_incidents(conn: sqlite3.Connection, lo: int, hi: int, delta: int) -> list[int]:
    """Incidents keep (kind, start_ms) unique: moved starts go through negative values first, so that no row
    collides with another one not yet moved."""
    starts = [int(r[0]) for r in conn.execute("SELECT id FROM incidents WHERE start_ms BETWEEN ? AND ?", (lo, hi))]
    ends = [int(r[0]) for r in conn.execute("SELECT id FROM incidents WHERE end_ms BETWEEN ? AND ?", (lo, hi))]
    if starts:
        marks = ",".join("?" * len(starts))
        conn.execute(f"UPDATE incidents SET start_ms = -(start_ms + ?) - 1 WHERE id IN ({marks})", (delta, *starts))
        conn.execute(f"UPDATE incidents SET start_ms = -start_ms - 1 WHERE id IN ({marks})", starts)
    if ends:
        marks = ",".join("?" * len(ends))
        conn.execute(f"UPDATE incidents SET end_ms = max(start_ms, end_ms + ?) WHERE id IN ({marks})", (delta, *ends))
    return sorted(set(starts) | set(ends))


def retime(conn: sqlite3.Connection, boot_id: str, true_offset_ms: int, tx: chain.Batch) -> Retimed:
    """Re-time every closed, not yet re-timed span of this boot: its stamps + (true offset - its offset).

    The caller closes the running session's span first. Spans of other boots cannot be re-timed (their monotonic
    clock is gone) and stay marked."""
    rows = conn.execute(
        f"SELECT {_SPAN} FROM clock_spans WHERE boot_id = ? AND delta_ms IS NULL AND last_round IS NOT NULL"
        " ORDER BY id",
        (boot_id,),
    ).fetchall()
    total = Retimed()
    for span in (Span(*row) for row in rows):
        delta = true_offset_ms - span.offset_ms
        assert span.last_round is not None and span.end_ms is not None
        lo, hi = span.start_ms, span.end_ms
        first, last = span.first_round, span.last_round
        moved_rounds = 0
        records: list[tuple[str, int]] = []
        if delta:
            old = conn.execute(
                "SELECT min(at_ms), max(at_ms), count(*) FROM rounds WHERE id BETWEEN ? AND ?", (first, last)
            )
            old_lo, old_hi, moved_rounds = old.fetchone()
            if moved_rounds:
                conn.execute("UPDATE rounds SET at_ms = at_ms + ? WHERE id BETWEEN ? AND ?", (delta, first, last))
                sealed = retention.last_prune(conn)
                sealed_before = int(sealed["to_minute"]) if sealed else 0
                rollups.rebuild(conn, old_lo // 60_000, old_hi // 60_000, sealed_before)
                rollups.rebuild(conn, (old_lo + delta) // 60_000, (old_hi + delta) // 60_000, sealed_before)
            records += [("incident", i) for i in _shift_incidents(conn, lo, hi, delta)]
            session = f"id = {int(span.session_id)}"
            moved = set(_shift(conn, "sessions", "start_ms", lo, hi, delta, session))
            moved |= set(_shift(conn, "sessions", "last_ms", lo, hi, delta, session))
            moved |= set(_shift(conn, "sessions", "end_ms", lo, hi, delta, session))
            records += [("session", i) for i in sorted(moved)]
            records += [("speed", i) for i in _shift(conn, "speed_results", "at_ms", lo, hi, delta)]
            traces = set(_shift(conn, "traceroutes", "at_ms", lo, hi, delta))
            traces |= set(_shift(conn, "traceroutes", "incident_start_ms", lo, hi, delta))
            records += [("trace", i) for i in sorted(traces)]
            records += [("clock", i) for i in _shift(conn, "clock_events", "at_ms", lo, hi, delta)]
        conn.execute(
            "UPDATE clock_spans SET delta_ms = ?, start_ms = start_ms + ?, end_ms = end_ms + ? WHERE id = ?",
            (delta, delta, delta, span.id),
        )
        tx.note(
            "retime", {"span": span.id, "first": first, "last": last, "delta_ms": delta, "from_ms": lo, "to_ms": hi}
        )
        for kind, ref in [*records, ("span", span.id)]:
            tx.record(conn, kind, ref)
        total = Retimed(total.spans + 1, total.rounds + int(moved_rounds or 0), total.records + len(records))
    return total
