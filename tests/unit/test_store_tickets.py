"""Tickets in a real SQLite store: what a ticket records beyond a fault report (migration 12: its kind, planned
work, declined appointments, the provider's notice, credits) round-trips, is sealed in the evidence chain, and a
store written before it upgrades without a break: a ticket that records nothing more keeps the one body it was
sealed with."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from netwatch.adapters.store import Store, migrations
from netwatch.core.model import Channel, Credit, Pause, Ticket, TicketKind
from tests.support.instants import T0

FULL = Ticket(
    "SW-9",
    T0,
    Channel.EMAIL,
    "moving to the new provider",
    T0 + 5 * 86400,
    (T0 + 86400,),
    kind=TicketKind.SWITCH,
    declined=(Pause(T0 + 2 * 86400, T0 + 3 * 86400), Pause(T0 + 4 * 86400)),
    notice=T0 + 4 * 86400 + 1.5,
    credits=(Credit(9.98, date(2026, 4, 30)), Credit(0.01, date(2026, 5, 1))),
)


def ledger(path: Path, kind: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM ledger WHERE kind = ?", (kind,)).fetchone()[0])
    finally:
        conn.close()


def sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def test_every_term_round_trips_and_is_sealed(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        store.save_ticket(FULL, T0 + 10)
        planned = Ticket("PW-1", T0 + 60, planned=True)
        store.save_ticket(planned, T0 + 70)
        assert store.tickets() == [FULL, planned]
        assert store.ticket("SW-9") == (FULL, T0 + 10)
        assert store.verify().ok
    assert (ledger(path, "ticket"), ledger(path, "ticket_terms")) == (2, 2)


def test_a_change_of_terms_only_is_a_new_version_of_the_terms_not_of_the_ticket(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    plain = Ticket("A-1", T0)
    with Store.open(path) as store:
        store.save_ticket(plain, T0 + 1)
        assert (ledger(path, "ticket"), ledger(path, "ticket_terms")) == (1, 0)  # nothing beyond a fault report
        store.change_ticket("A-1", lambda t: Ticket("A-1", T0, credits=(Credit(5.0, date(2026, 1, 2)),)), T0 + 2)
        store.change_ticket("A-1", lambda t: t, T0 + 3)  # unchanged: no new version of anything
        assert (ledger(path, "ticket"), ledger(path, "ticket_terms")) == (1, 1)
        store.change_ticket("A-1", lambda t: Ticket("A-1", T0, fixed=T0 + 100, credits=t.credits), T0 + 4)
        assert (ledger(path, "ticket"), ledger(path, "ticket_terms")) == (2, 1)
        assert store.verify().ok
        second = (*store.tickets()[0].credits, Credit(2.5, date(2026, 2, 2)))
        store.change_ticket("A-1", lambda t: Ticket("A-1", T0, fixed=T0 + 100, credits=second), T0 + 5)
        assert ledger(path, "ticket_terms") == 2  # a second credit is a new version of the owner's statement
        assert store.verify().ok


def test_a_store_from_before_migration_12_upgrades_and_its_tickets_still_verify(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        store.save_ticket(Ticket("OLD-1", T0, Channel.PHONE), T0 + 1)
    sql(
        path,
        "DROP TABLE ticket_terms",
        "DROP TABLE pool_outbox",
        "DROP TABLE pool_household",
        "DROP TABLE checkpoints",
        "ALTER TABLE sessions DROP COLUMN method",
        "DROP TABLE round_spans",
        "CREATE INDEX rounds_at ON rounds (at_ms)",
        "PRAGMA user_version = 11",
    )
    with Store.open(path) as store:  # migrates 12 on
        assert store.tickets() == [Ticket("OLD-1", T0, Channel.PHONE)]
        assert store.verify().ok
        store.change_ticket("OLD-1", lambda t: Ticket(t.ref, t.reported, t.channel, notice=T0 + 50), T0 + 60)
        assert store.tickets()[0].notice == T0 + 50
        assert store.verify().ok
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST >= 12
    finally:
        conn.close()


def test_an_edited_term_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        store.save_ticket(FULL, T0 + 10)
    sql(path, "UPDATE ticket_terms SET credits = '[[\"2026-04-30\",99800]]'")
    with Store.open(path, readonly=True) as store:
        result = store.verify()
    assert not result.ok
    assert [b.where for b in result.breaks] == ['ticket "SW-9" (terms)']  # named as the ticket is, not by its row
    assert "credits" in result.breaks[0].what
