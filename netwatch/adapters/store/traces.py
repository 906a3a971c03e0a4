"""Traceroutes in the store: the SQL behind ``Store.save_trace`` and ``Store.traces``.

Owns the ``traceroutes`` table (migration 4): one row per traceroute, its hops as compact JSON, linked to an
incident by (kind, start) as the incidents table keys it. Functions take an open connection; the ``Store`` owns
transactions. Must not read the clock.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from netwatch.adapters.store import codec
from netwatch.core.model import Hop, Kind, StoredTrace, Trace

_COLUMNS = "at_ms, reason, incident_kind, incident_start_ms, destination, trace"
_COMPACT = (",", ":")


def trace_json(trace: Trace) -> str:
    """The path as stored: its destination and start are columns of their own (a re-timing moves the start)."""
    hops = [[h.ttl, h.address, h.rtt_ms, h.note] for h in trace.hops]
    return json.dumps({"hops": hops, "reached": trace.reached, "error": trace.error}, separators=_COMPACT)


def insert(conn: sqlite3.Connection, trace: StoredTrace) -> int:
    kind = None if trace.incident_kind is None else trace.incident_kind.value
    start = None if trace.incident_start is None else codec.to_ms(trace.incident_start)
    cur = conn.execute(
        f"INSERT INTO traceroutes ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
        (codec.to_ms(trace.at), trace.reason, kind, start, trace.trace.destination, trace_json(trace.trace)),
    )
    return int(cur.lastrowid or 0)


def from_row(row: Sequence[Any]) -> StoredTrace:
    at_ms, reason, kind, start_ms, destination, text = row
    doc = json.loads(text)
    hops = tuple(Hop(int(t), a, r, n) for t, a, r, n in doc["hops"])
    return StoredTrace(
        trace=Trace(destination, codec.from_ms(at_ms), hops, bool(doc["reached"]), str(doc.get("error", ""))),
        reason=reason,
        incident_kind=None if kind is None else Kind(kind),
        incident_start=None if start_ms is None else codec.from_ms(start_ms),
    )


def between(conn: sqlite3.Connection, since_ms: int, until_ms: int) -> list[StoredTrace]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM traceroutes WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms, id", (since_ms, until_ms)
    ).fetchall()
    return [from_row(r) for r in rows]
