"""Speed test results in the store: the SQL behind ``Store.save_speed``, ``speed_results`` and friends.

Owns the ``speed_results`` table (migration 3): one row per attempt, failed and skipped ones included, every
``SpeedResult`` field kept (``at`` to the millisecond, like every instant in the store). Functions take an open
connection; the ``Store`` methods that call them own transactions and error translation. Must not judge a
result (slow or not is ``speedcheck``) nor read the clock.

Read API for reports (``netwatch.adapters.store.sqlite.Store``)::

    store.speed_results(since: float, until: float) -> list[SpeedResult]   # since <= at < until, by (at, id)
    store.speed_bytes_since(at: float) -> int                              # bytes used by attempts from ``at``
    store.speed_results_after(speed_id: int, limit: int) -> list[tuple[int, SpeedResult]]  # exporters
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from netwatch.adapters.store import codec
from netwatch.core.model import SpeedResult

_COLUMNS = (
    "at_ms, backend, tool, tool_version, server, server_id, result_url, download_mbps, upload_mbps, latency_ms,"
    " loaded_latency_ms, jitter_ms, bytes_used, external_ip, ok, error, raw, duration_s"
)
COLUMN_NAMES = tuple(c.strip() for c in _COLUMNS.split(","))  # for queries joining speed_results
_INSERT = f"INSERT INTO speed_results ({_COLUMNS}) VALUES ({', '.join('?' * 18)})"


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def row(result: SpeedResult) -> tuple[Any, ...]:
    """Column values of ``result`` in ``_COLUMNS`` order."""
    r = result
    return (
        codec.to_ms(r.at),
        r.backend,
        r.tool,
        r.tool_version,
        r.server,
        r.server_id,
        r.result_url,
        _float(r.download_mbps),
        _float(r.upload_mbps),
        _float(r.latency_ms),
        _float(r.loaded_latency_ms),
        _float(r.jitter_ms),
        int(r.bytes_used),
        r.external_ip,
        int(bool(r.ok)),
        r.error,
        r.raw,
        float(r.duration_s),
    )


def from_row(values: Sequence[Any]) -> SpeedResult:
    """The inverse of ``row``."""
    (
        at_ms,
        backend,
        tool,
        tool_version,
        server,
        server_id,
        result_url,
        down,
        up,
        latency,
        loaded,
        jitter,
        bytes_used,
        external_ip,
        ok,
        error,
        raw,
        duration_s,
    ) = values
    return SpeedResult(
        at=codec.from_ms(at_ms),
        backend=backend,
        tool=tool,
        tool_version=tool_version,
        server=server,
        server_id=server_id,
        result_url=result_url,
        download_mbps=down,
        upload_mbps=up,
        latency_ms=latency,
        loaded_latency_ms=loaded,
        jitter_ms=jitter,
        bytes_used=bytes_used,
        external_ip=external_ip,
        ok=bool(ok),
        error=error,
        raw=raw,
        duration_s=duration_s,
    )


def insert(conn: sqlite3.Connection, result: SpeedResult) -> int:
    """Insert one attempt; returns its id."""
    cur = conn.execute(_INSERT, row(result))
    return int(cur.lastrowid or 0)


def between(conn: sqlite3.Connection, since_ms: int, until_ms: int) -> list[SpeedResult]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM speed_results WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms, id", (since_ms, until_ms)
    ).fetchall()
    return [from_row(r) for r in rows]


def after(conn: sqlite3.Connection, speed_id: int, limit: int) -> list[tuple[int, SpeedResult]]:
    rows = conn.execute(
        f"SELECT id, {_COLUMNS} FROM speed_results WHERE id > ? ORDER BY id LIMIT ?", (speed_id, limit)
    ).fetchall()
    return [(int(r[0]), from_row(r[1:])) for r in rows]


def bytes_since(conn: sqlite3.Connection, since_ms: int) -> int:
    value = conn.execute("SELECT coalesce(sum(bytes_used), 0) FROM speed_results WHERE at_ms >= ?", (since_ms,))
    return int(value.fetchone()[0])
