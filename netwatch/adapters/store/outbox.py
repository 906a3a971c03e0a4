"""The notifications outbox in the store: the SQL behind ``Store.queue_notification`` and friends.

Owns the ``outbox`` table (see migrations.py): queueing a message for every channel (a no-op for a key and channel
already queued), the entries due for an attempt, the earliest next attempt, recording an attempt's outcome, and
listing recent entries. Functions take an open connection; the ``Store`` methods that call them own transactions and
error translation. Must not decide when to retry (that is ``netwatch.core.outbox.Backoff``) nor read the clock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

from netwatch.adapters.store import codec
from netwatch.core.model import Message, OutboxEntry

_COLUMNS = "id, key, channel, label, created_ms, message, attempts, next_ms, error, error_ms, sent_ms, given_up_ms"
_PENDING = "sent_ms IS NULL AND given_up_ms IS NULL"


def _instant(ms: int | None) -> float | None:
    return None if ms is None else codec.from_ms(ms)


def _entry(row: Sequence[Any]) -> OutboxEntry:
    (id_, key, channel, label, created_ms, message, attempts, next_ms, error, error_ms, sent_ms, given_up_ms) = row
    return OutboxEntry(
        id=id_,
        key=key,
        channel=channel,
        label=label,
        created=codec.from_ms(created_ms),
        message=Message.from_json(message),
        attempts=attempts,
        next_at=codec.from_ms(next_ms),
        error=error,
        error_at=_instant(error_ms),
        sent_at=_instant(sent_ms),
        given_up_at=_instant(given_up_ms),
    )


def queue(conn: sqlite3.Connection, message: Message, channels: Sequence[tuple[str, str]], at_ms: int) -> int:
    """One row per (channel id, label) not yet holding ``message.key``; returns how many were added."""
    text = message.to_json()
    cur = conn.executemany(
        "INSERT INTO outbox (key, channel, label, created_ms, message, next_ms) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (key, channel) DO NOTHING",
        [(message.key, channel, label, at_ms, text, at_ms) for channel, label in channels],
    )
    return max(0, cur.rowcount)


def _in(channels: Collection[str]) -> str:
    return ", ".join("?" * len(channels))


def due(conn: sqlite3.Connection, at_ms: int, channels: Collection[str], limit: int) -> list[OutboxEntry]:
    """Pending entries of ``channels`` whose next attempt is at or before ``at_ms``, oldest first."""
    if not channels:
        return []
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE {_PENDING} AND next_ms <= ? AND channel IN ({_in(channels)})"
        " ORDER BY next_ms, id LIMIT ?",
        (at_ms, *channels, limit),
    ).fetchall()
    return [_entry(r) for r in rows]


def next_at(conn: sqlite3.Connection, channels: Collection[str]) -> int | None:
    """The earliest next attempt (ms) among the pending entries of ``channels``; None when nothing is pending."""
    if not channels:
        return None
    row = conn.execute(
        f"SELECT min(next_ms) FROM outbox WHERE {_PENDING} AND channel IN ({_in(channels)})", tuple(channels)
    ).fetchone()
    return None if row[0] is None else int(row[0])


def record(conn: sqlite3.Connection, entry_id: int, at_ms: int, error: str, next_ms: int | None) -> None:
    """One attempt made at ``at_ms``: sent when ``error`` is "", else retried at ``next_ms`` (None: given up)."""
    if not error:
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, sent_ms = ?, error = '' WHERE id = ?", (at_ms, entry_id)
        )
    elif next_ms is None:
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, error = ?, error_ms = ?, given_up_ms = ? WHERE id = ?",
            (error, at_ms, at_ms, entry_id),
        )
    else:
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, error = ?, error_ms = ?, next_ms = ? WHERE id = ?",
            (error, at_ms, next_ms, entry_id),
        )


def recent(conn: sqlite3.Connection, limit: int) -> list[OutboxEntry]:
    """The ``limit`` entries queued last, newest first."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM outbox ORDER BY created_ms DESC, id DESC LIMIT ?", (limit,))
    return [_entry(r) for r in rows.fetchall()]
