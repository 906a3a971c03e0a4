"""Fault tickets in the store: the SQL behind ``Store.save_ticket`` and the ticket reads.

Owns the ``tickets`` table (migration 6): one row per provider reference, its missed engineer appointments as a
JSON list of instants. A ticket is chained (kind "ticket") each time it changes, so the evidence shows when the
provider was told and that the record was not edited since. Functions take an open connection; the ``Store`` owns
transactions. Must not read the clock: the caller passes when the ticket was recorded.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from netwatch.adapters.store import codec
from netwatch.core.model import Channel, Ticket

COLUMNS = ("ref", "reported_ms", "channel", "note", "fixed_ms", "missed", "recorded_ms")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM tickets"


def _missed(ticket: Ticket) -> str:
    return json.dumps(sorted(codec.to_ms(at) for at in ticket.missed_appointments), separators=(",", ":"))


def upsert(conn: sqlite3.Connection, ticket: Ticket, recorded_ms: int) -> int:
    """Insert the ticket, or replace the one with its reference; returns the row id."""
    channel = None if ticket.channel is None else ticket.channel.value
    fixed = None if ticket.fixed is None else codec.to_ms(ticket.fixed)
    conn.execute(
        "INSERT INTO tickets (ref, reported_ms, channel, note, fixed_ms, missed, recorded_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ref) DO UPDATE SET reported_ms = excluded.reported_ms,"
        " channel = excluded.channel, note = excluded.note, fixed_ms = excluded.fixed_ms,"
        " missed = excluded.missed, recorded_ms = excluded.recorded_ms",
        (ticket.ref, codec.to_ms(ticket.reported), channel, ticket.note, fixed, _missed(ticket), recorded_ms),
    )
    return int(conn.execute("SELECT id FROM tickets WHERE ref = ?", (ticket.ref,)).fetchone()[0])


def from_row(row: Sequence[Any]) -> tuple[Ticket, float]:
    """The ticket and when it was recorded."""
    ref, reported_ms, channel, note, fixed_ms, missed, recorded_ms = row
    ticket = Ticket(
        ref=ref,
        reported=codec.from_ms(reported_ms),
        channel=None if channel is None else Channel(channel),
        note=note,
        fixed=None if fixed_ms is None else codec.from_ms(fixed_ms),
        missed_appointments=tuple(codec.from_ms(int(ms)) for ms in json.loads(missed)),
    )
    return ticket, codec.from_ms(recorded_ms)


def by_ref(conn: sqlite3.Connection, ref: str) -> tuple[Ticket, float] | None:
    row = conn.execute(f"{_SELECT} WHERE ref = ?", (ref,)).fetchone()
    return None if row is None else from_row(row)


def overlapping(conn: sqlite3.Connection, since_ms: int | None, until_ms: int | None) -> list[tuple[Ticket, float]]:
    """Tickets open at some instant of [since, until) (None: unbounded), oldest report first."""
    rows = conn.execute(
        f"{_SELECT} WHERE (? IS NULL OR reported_ms < ?) AND (? IS NULL OR fixed_ms IS NULL OR fixed_ms >= ?)"
        " ORDER BY reported_ms, id",
        (until_ms, until_ms, since_ms, since_ms),
    ).fetchall()
    return [from_row(r) for r in rows]
