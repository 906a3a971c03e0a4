"""Replication bookkeeping in the store: the SQL behind export cursors, errors and incident changes.

Owns the ``exports`` table (one row per replica: the last round id, incident change and speed result exported, the
last error)
and reading incidents in change order with every cause they were saved with (see migration 2). Functions take
an open connection; the ``Store`` methods that call them own transactions and error translation. Must not know
about any replica's protocol, nor read the clock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from netwatch.adapters.store import codec
from netwatch.core.model import Cause, ExportIncident, ExportState

# A cursor that moved, buffered until the next commit: (round id, incident seq, at_ms, speed result id).
Cursor = tuple[int, int, int, int]

_INCIDENT = "i.kind, i.cause, i.start_ms, i.end_ms, i.rounds, i.cause_rounds, i.detail"
_CAUSES = "(SELECT group_concat(cause) FROM incident_causes c WHERE c.incident_id = i.id)"
_STATE = "sink, round_id, incident_seq, updated_ms, error, error_ms, stopped, speed_id"


def _export_incident(row: tuple[object, ...]) -> ExportIncident:
    seq, causes, *columns = row
    incident = codec.incident_from_row(columns)
    saved = {Cause(c) for c in str(causes or "").split(",") if c} | {incident.cause}
    return ExportIncident(int(str(seq)), incident, tuple(sorted(saved)))


def incidents_after(conn: sqlite3.Connection, seq: int, limit: int) -> list[ExportIncident]:
    """Incidents changed after ``seq``, in change order, at most ``limit``."""
    rows = conn.execute(
        f"SELECT i.seq, {_CAUSES}, {_INCIDENT} FROM incidents i WHERE i.seq > ? ORDER BY i.seq LIMIT ?",
        (seq, limit),
    ).fetchall()
    return [_export_incident(row) for row in rows]


def incidents_between(conn: sqlite3.Connection, since_ms: int, until_ms: int) -> list[ExportIncident]:
    """Incidents overlapping [since, until] (open ones included), by start."""
    rows = conn.execute(
        f"SELECT i.seq, {_CAUSES}, {_INCIDENT} FROM incidents i"
        " WHERE i.start_ms <= ? AND (i.end_ms IS NULL OR i.end_ms >= ?) ORDER BY i.start_ms, i.id",
        (until_ms, since_ms),
    ).fetchall()
    return [_export_incident(row) for row in rows]


def state(conn: sqlite3.Connection, sink: str) -> ExportState | None:
    """The replica's row, with the number of rounds committed after its cursor; None if it never started."""
    row = conn.execute(f"SELECT {_STATE} FROM exports WHERE sink = ?", (sink,)).fetchone()
    if row is None:
        return None
    sink, round_id, seq, updated_ms, error, error_ms, stopped, speed_id = row
    # Round ids only grow (AUTOINCREMENT), so this is a range count on the primary key.
    behind = conn.execute("SELECT count(*) FROM rounds WHERE id > ?", (round_id,)).fetchone()[0]
    return ExportState(
        sink=sink,
        round_id=round_id,
        incident_seq=seq,
        behind=int(behind),
        updated=None if updated_ms is None else codec.from_ms(updated_ms),
        error=error or "",
        error_at=None if error_ms is None else codec.from_ms(error_ms),
        stopped=bool(stopped),
        speed_id=int(speed_id),
    )


def start(conn: sqlite3.Connection, sink: str, at_ms: int) -> None:
    """Create the replica's row if it is new: its rounds start after the newest round (older history is for
    `netwatch influx backfill`), its incidents and speed results at the first one (they are few, and dashboards
    want them all)."""
    conn.execute(
        "INSERT INTO exports (sink, round_id, incident_seq, updated_ms)"
        " VALUES (?, coalesce((SELECT max(id) FROM rounds), 0), 0, ?) ON CONFLICT (sink) DO NOTHING",
        (sink, at_ms),
    )


def write_cursors(conn: sqlite3.Connection, cursors: Mapping[str, Cursor]) -> None:
    """Move cursors forward (never back) and clear the error: they are saved after successful writes only."""
    conn.executemany(
        "UPDATE exports SET round_id = max(round_id, ?), incident_seq = max(incident_seq, ?), updated_ms = ?,"
        " speed_id = max(speed_id, ?), error = NULL, error_ms = NULL, stopped = 0 WHERE sink = ?",
        [(round_id, seq, at_ms, speed_id, sink) for sink, (round_id, seq, at_ms, speed_id) in cursors.items()],
    )


def write_error(conn: sqlite3.Connection, sink: str, error: str, at_ms: int, stopped: bool) -> None:
    conn.execute(
        "UPDATE exports SET error = ?, error_ms = ?, stopped = ? WHERE sink = ?", (error, at_ms, int(stopped), sink)
    )
