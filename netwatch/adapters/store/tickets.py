"""Fault tickets in the store: the SQL behind ``Store.save_ticket`` and the ticket reads.

Owns the ``tickets`` table (migration 6): one row per provider reference, its missed engineer appointments as a
JSON list of instants; and the ``ticket_terms`` table (migration 12): what a ticket records beyond a fault report
(its kind, planned work, the appointments the owner declined, the provider's notice, its credits), one row per
ticket that has any of them. A ticket is chained (kind "ticket") each time its row changes and its terms (kind
"ticket_terms", registered in ``chain.EXTRA_BODIES`` when this module is imported) each time they change, so the
evidence shows when the provider was told and that the record was not edited since; a ticket without terms keeps
the one body it was sealed with. Functions take an open connection inside the caller's transaction and chain in
the caller's ``chain.Batch``. Must not read the clock: the caller passes when the ticket was recorded.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date
from typing import Any

from netwatch.adapters.store import chain, codec
from netwatch.core.model import Channel, Credit, Pause, Ticket, TicketKind

COLUMNS = ("ref", "reported_ms", "channel", "note", "fixed_ms", "missed", "recorded_ms")
TERMS = ("ticket_id", "kind", "planned", "declined", "notice_ms", "credits", "recorded_ms")
chain.EXTRA_BODIES["ticket_terms"] = ("ticket_terms", TERMS)

_SELECT = (
    f"SELECT {', '.join(f't.{c}' for c in COLUMNS)}, x.kind, x.planned, x.declined, x.notice_ms, x.credits"
    " FROM tickets t LEFT JOIN ticket_terms x ON x.ticket_id = t.id"
)
_PLAIN = Ticket("", 0.0)  # the terms of a ticket that records nothing beyond a fault report


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _missed(ticket: Ticket) -> str:
    return _compact(sorted(codec.to_ms(at) for at in ticket.missed_appointments))


def _terms(ticket: Ticket) -> tuple[str, int, str, int | None, str]:
    """The ticket's terms as their columns hold them (kind to credits)."""
    declined = [[codec.to_ms(p.at), None if p.until is None else codec.to_ms(p.until)] for p in ticket.declined]
    credits = [[c.on.isoformat(), round(c.amount * 100)] for c in ticket.credits]
    notice = None if ticket.notice is None else codec.to_ms(ticket.notice)
    return ticket.kind.value, int(ticket.planned), _compact(declined), notice, _compact(credits)


def _row(ticket: Ticket) -> tuple[Any, ...]:
    channel = None if ticket.channel is None else ticket.channel.value
    fixed = None if ticket.fixed is None else codec.to_ms(ticket.fixed)
    return ticket.ref, codec.to_ms(ticket.reported), channel, ticket.note, fixed, _missed(ticket)


def save(conn: sqlite3.Connection, tx: chain.Batch, ticket: Ticket, recorded_ms: int, before: Ticket | None) -> None:
    """Insert the ticket, or write what changed since ``before`` (its stored version; None: new), chaining each
    row written."""
    if before is None or _row(ticket) != _row(before):
        conn.execute(
            "INSERT INTO tickets (ref, reported_ms, channel, note, fixed_ms, missed, recorded_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ref) DO UPDATE SET reported_ms = excluded.reported_ms,"
            " channel = excluded.channel, note = excluded.note, fixed_ms = excluded.fixed_ms,"
            " missed = excluded.missed, recorded_ms = excluded.recorded_ms",
            (*_row(ticket), recorded_ms),
        )
        tx.record(conn, "ticket", _id(conn, ticket.ref))
    terms = _terms(ticket)
    if terms != _terms(before or _PLAIN):
        ticket_id = _id(conn, ticket.ref)
        conn.execute(
            "INSERT INTO ticket_terms (ticket_id, kind, planned, declined, notice_ms, credits, recorded_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO UPDATE SET kind = excluded.kind,"
            " planned = excluded.planned, declined = excluded.declined, notice_ms = excluded.notice_ms,"
            " credits = excluded.credits, recorded_ms = excluded.recorded_ms",
            (ticket_id, *terms, recorded_ms),
        )
        found = conn.execute("SELECT id FROM ticket_terms WHERE ticket_id = ?", (ticket_id,)).fetchone()
        tx.record(conn, "ticket_terms", int(found[0]))


def _id(conn: sqlite3.Connection, ref: str) -> int:
    return int(conn.execute("SELECT id FROM tickets WHERE ref = ?", (ref,)).fetchone()[0])


def from_row(row: Sequence[Any]) -> tuple[Ticket, float]:
    """The ticket and when it was recorded."""
    ref, reported_ms, channel, note, fixed_ms, missed, recorded_ms, kind, planned, declined, notice_ms, credits = row
    ticket = Ticket(
        ref=ref,
        reported=codec.from_ms(reported_ms),
        channel=None if channel is None else Channel(channel),
        note=note,
        fixed=None if fixed_ms is None else codec.from_ms(fixed_ms),
        missed_appointments=tuple(codec.from_ms(int(ms)) for ms in json.loads(missed)),
        kind=TicketKind(kind or TicketKind.FAULT.value),
        planned=bool(planned),
        declined=tuple(
            Pause(codec.from_ms(int(at)), None if until is None else codec.from_ms(int(until)))
            for at, until in json.loads(declined or "[]")
        ),
        notice=None if notice_ms is None else codec.from_ms(notice_ms),
        credits=tuple(Credit(int(cents) / 100, date.fromisoformat(on)) for on, cents in json.loads(credits or "[]")),
    )
    return ticket, codec.from_ms(recorded_ms)


def by_ref(conn: sqlite3.Connection, ref: str) -> tuple[Ticket, float] | None:
    row = conn.execute(f"{_SELECT} WHERE t.ref = ?", (ref,)).fetchone()
    return None if row is None else from_row(row)


def overlapping(conn: sqlite3.Connection, since_ms: int | None, until_ms: int | None) -> list[tuple[Ticket, float]]:
    """Tickets open at some instant of [since, until) (None: unbounded), oldest report first."""
    rows = conn.execute(
        f"{_SELECT} WHERE (? IS NULL OR t.reported_ms < ?) AND (? IS NULL OR t.fixed_ms IS NULL OR t.fixed_ms >= ?)"
        " ORDER BY t.reported_ms, t.id",
        (until_ms, until_ms, since_ms, since_ms),
    ).fetchall()
    return [from_row(r) for r in rows]
