"""Forgeries made with the store's own acts (re-timing, pruning, appending, recovery), as the security review made
them: each must be found by `verify` from the chain alone, also when the forger knows a digest was published.

The forger here has the machine: a plain sqlite3 connection, and netwatch's own chain and retention code to write
seals that chain correctly. What they cannot change is a digest published before (``--expect``)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from netwatch.adapters.store import Store, chain, retention, rollups, roundspans
from netwatch.app.reports import unsynced
from netwatch.core.model import (
    Cause,
    Hop,
    Incident,
    Kind,
    Round,
    Sample,
    StoredTrace,
    Ticket,
    Trace,
    Verification,
)
from netwatch.errors import StoreError
from tests.support.instants import T0
from tests.support.stores import verified
from tests.support.targets import A1, A2, GW

HOUR_MS = 3_600_000
OUTAGE = Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 600, None, 3, ((Cause.UPSTREAM, 3),), "no anchor answered")


def rnd(at: float, up: bool = True) -> Round:
    rtt = 1.5 if up else None
    return Round(at=at, samples=(Sample(GW, 0.4), Sample(A1, rtt), Sample(A2, rtt)))


def record(store: Store, seconds: int = 900, start: int = 0, *, end: bool = True) -> None:
    """A session of one round a second from ``start``, with an outage from 600 s to 620 s (every anchor silent,
    the gateway answering), its traceroute, and a ticket; committed every 10 rounds."""
    store.begin_session(T0 + start, boot_id="boot-1", offset=T0 - 50.0)
    for i in range(start, start + seconds):
        store.add_round(rnd(T0 + i, up=not 600 <= i < 620))
        if i == 602:
            store.save_incident(OUTAGE)
            hops = (Hop(1, "192.168.1.1", 0.4), Hop(2, None, None))
            trace = Trace("1.1.1.1", T0 + 603, hops, False)
            store.save_trace(StoredTrace(trace, "outage started", Kind.OUTAGE, T0 + 600))
        if i == 620:
            store.save_incident(
                Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 600, T0 + 620, 20, ((Cause.UPSTREAM, 20),), "x")
            )
        if i % 10 == 9:
            store.commit()
    store.save_ticket(Ticket("REF-1", T0 + 700, note="line dead"), T0 + 710)
    if end:
        store.end_session(T0 + start + seconds - 1)
    else:
        store.commit()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "netwatch.db"
    with Store.open(p) as store:
        record(store)
    return p


def head(path: Path) -> str:
    with Store.open(path, readonly=True) as store:
        return store.head().digest.hex()


@contextmanager
def forger(path: Path) -> Iterator[tuple[sqlite3.Connection, chain.Batch]]:
    """One transaction of the forger's, ending with a seal chained to the newest one (as the store writes it)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        tx = chain.Batch()
        yield conn, tx
        chain.write_seal(conn, tx, chain.head(conn))
        conn.execute("COMMIT")
    finally:
        conn.close()


def whats(result: Verification) -> list[str]:
    return [f"{b.where}: {b.what}" for b in result.breaks]


# --- 1. re-timing --------------------------------------------------------------------------------------------


def retime_everything(path: Path, delta_ms: int) -> None:
    """Every round, incident, session, traceroute and ticket moved by ``delta_ms``, with one ``retime`` entry."""
    with forger(path) as (conn, tx):
        last = conn.execute("SELECT max(id) FROM rounds").fetchone()[0]
        lo, hi = conn.execute("SELECT min(at_ms) / 60000, max(at_ms) / 60000 FROM rounds").fetchone()
        conn.execute("UPDATE rounds SET at_ms = at_ms + ?", (delta_ms,))
        rollups.rebuild(conn, min(lo, lo + delta_ms // 60_000), max(hi, hi + delta_ms // 60_000), 0)
        for table, columns in (
            ("incidents", ("start_ms", "end_ms")),
            ("sessions", ("start_ms", "end_ms", "last_ms")),
            ("traceroutes", ("at_ms", "incident_start_ms")),
            ("tickets", ("reported_ms",)),
        ):
            for column in columns:
                conn.execute(f"UPDATE {table} SET {column} = {column} + ?", (delta_ms,))
        tx.note(
            "retime",
            {"span": 1, "first": 1, "last": last, "delta_ms": delta_ms, "from_ms": int(T0 * 1000), "to_ms": 0},
        )
        for kind, table in (("incident", "incidents"), ("session", "sessions"), ("trace", "traceroutes")):
            for (ref,) in conn.execute(f"SELECT id FROM {table}").fetchall():
                tx.record(conn, kind, ref)
        for (ref,) in conn.execute("SELECT id FROM tickets").fetchall():
            tx.record(conn, "ticket", ref)


def test_a_retiming_of_rounds_no_clock_span_holds_is_refused(path: Path) -> None:
    published = head(path)
    retime_everything(path, -3 * HOUR_MS)
    result = verified(path, expect=published)
    assert result.anchor_found is True and not result.ok  # the published seal is there: the forgery came after it
    seal = result.head_seal
    assert f"re-timing of rounds 1-900 by -3 h (seal {seal}): no clock span holds these rounds (forged?)" in whats(
        result
    )
    assert (
        f"outage incident 1: was moved after it was sealed (start_ms {int((T0 + 600) * 1000)} →"
        f" {int((T0 + 600) * 1000) - 3 * HOUR_MS}) by no re-timing of a clock span holding it (seal {seal})"
    ) in whats(result)
    # and every report's method section lists it, span or no span behind it
    with Store.open(path, readonly=True) as store:
        [shown] = unsynced(store, T0 - 4 * 3600, T0 + 3600)
    assert (shown.retimed, shown.delta, shown.rounds) == (True, -3 * 3600.0, 900)


def provisional_run(store: Store, boot: str = "boot-p", rounds: int = 30) -> float:
    """A run that started before the clock was synchronised (stamps provisional, a day behind), synchronised after
    ``rounds`` rounds and re-timed by the store as the daemon has it done, then ten rounds with true stamps.
    Returns the true offset (wall minus monotonic) the re-timing used."""
    stale = T0 + 2000 - 86_400.0
    offset = stale - 10.0
    store.begin_session(stale, boot_id=boot, offset=offset, provisional=True)
    for i in range(rounds):
        store.add_round(rnd(stale + i))
        if i % 10 == 9:
            store.commit()
    true = offset + 86_400.0
    store.retime(boot, true)
    for i in range(rounds, rounds + 10):
        store.add_round(rnd(T0 + 2000 + i))
    store.end_session(T0 + 2000 + rounds + 9)
    return true


def test_a_real_retiming_verifies_and_a_forged_correction_of_it_does_not(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        record(store)
        provisional_run(store)
    assert verified(path).ok, whats(verified(path))
    # The forger rewrites the act: the same span, a correction 3 h smaller, every stamp and seal after it redone.
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        seal = conn.execute("SELECT seal_id FROM ledger WHERE kind = 'retime'").fetchone()[0]
        first, last = conn.execute("SELECT first_round, last_round FROM clock_spans").fetchone()
        conn.execute("UPDATE rounds SET at_ms = at_ms - ? WHERE id BETWEEN ? AND ?", (3 * HOUR_MS, first, last))
        conn.execute(
            "UPDATE clock_spans SET delta_ms = delta_ms - ?, start_ms = start_ms - ?, end_ms = end_ms - ?",
            (3 * HOUR_MS,) * 3,
        )
        conn.execute("UPDATE sessions SET start_ms = start_ms - ? WHERE boot_id = 'boot-p'", (3 * HOUR_MS,))
        for entry, body in conn.execute("SELECT id, body FROM ledger WHERE seal_id >= ?", (seal,)).fetchall():
            doc = json.loads(body)
            if "delta_ms" in doc and doc["delta_ms"] is not None:
                doc["delta_ms"] -= 3 * HOUR_MS
                for key in ("start_ms",):
                    if key in doc and "first_round" in doc:
                        doc[key] -= 3 * HOUR_MS
            if "end_ms" in doc and "first_round" in doc and doc.get("delta_ms") is not None:
                doc["end_ms"] -= 3 * HOUR_MS
            if doc.get("boot_id") == "boot-p" and "clean" in doc and doc.get("first_round") is not None:
                doc["start_ms"] = conn.execute("SELECT start_ms FROM sessions WHERE boot_id = 'boot-p'").fetchone()[0]
            conn.execute("UPDATE ledger SET body = ? WHERE id = ?", (chain.canonical(doc), entry))
        reseal(conn, seal)
    finally:
        conn.close()
    assert (
        f"re-timing of rounds 901-930 by +21 h (seal {seal}): leaves 3 h 1 s between its last round and the next round"
        " of the same run, which the same monotonic clock timed one cadence apart (forged?)"
    ) in whats(verified(path))


def reseal(conn: sqlite3.Connection, from_seal: int) -> None:
    """Every seal from ``from_seal`` on recomputed from the store as it now is (what the forger's own tool does)."""
    sets = chain.target_texts(conn)
    retimed = chain.retimings(conn)
    prev = conn.execute("SELECT digest FROM seals WHERE id = ?", (from_seal - 1,)).fetchone()[0]
    for seal, first, last, at_ms in conn.execute(
        "SELECT id, first_round, last_round, at_ms FROM seals WHERE id >= ? ORDER BY id", (from_seal,)
    ).fetchall():
        rounds = (
            chain.rounds_hash(conn, seal, first, last, sets, retimed)[0]
            if first is not None
            else hashlib.sha256().digest()
        )
        entries = conn.execute(
            "SELECT id, kind, ref, body FROM ledger WHERE seal_id = ? ORDER BY id", (seal,)
        ).fetchall()
        digest = chain.seal_digest(bytes(prev), seal, first, last, rounds, chain.entries_hash(entries), at_ms)
        conn.execute("UPDATE seals SET digest = ? WHERE id = ?", (digest, seal))
        prev = digest


def test_a_span_of_an_earlier_boot_cannot_be_retimed_by_a_later_one(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        record(store)
        stale = T0 + 2000
        store.begin_session(stale, boot_id="boot-old", offset=stale - 10.0, provisional=True)
        for i in range(20):
            store.add_round(rnd(stale + i))
        store.end_session(stale + 19)  # that boot never synchronised: its span stays marked
        store.begin_session(T0 + 5000, boot_id="boot-new", offset=T0 + 4000.0)
        store.add_round(rnd(T0 + 5000))
        store.commit()
        # what `store.retime` refuses to do (other boots' spans are not selected), done by hand
        with store.conn:
            pass
    with forger(path) as (conn, tx):
        tx.note("retime", {"span": 1, "first": 901, "last": 920, "delta_ms": -HOUR_MS, "from_ms": 0, "to_ms": 0})
        conn.execute("UPDATE clock_spans SET delta_ms = ?", (-HOUR_MS,))
        tx.record(conn, "span", 1)
    found = whats(verified(path))
    assert any(
        w.endswith("it was made by a run of another boot than the span's (boot-old): its monotonic clock is gone")
        for w in found
    ), found


# --- 2. pruning ----------------------------------------------------------------------------------------------


def prune_early(path: Path, cutoff: float, *, delete: bool = True) -> None:
    """The retention code run with an early cut-off, after the outage's incident, traceroute and their ledger
    entries were deleted and the rollups' losses zeroed (so that its seals carry nothing and are pruned)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("DELETE FROM ledger WHERE kind IN ('incident', 'trace')")
        conn.execute("DELETE FROM incidents")
        conn.execute("DELETE FROM traceroutes")
        conn.execute("UPDATE rollups SET lost = 0")
    finally:
        conn.close()
    with forger(path) as (conn, tx):
        plan = retention.plan(conn, int(cutoff * 1000), 1)  # the shortest retention there is
        assert plan is not None
        retention.seal_pruned(conn, plan, tx)
    if delete:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            retention.delete_rounds(conn, plan.through_round, 1_000_000)
        finally:
            conn.close()


def test_a_prune_of_a_seven_minute_old_outage_is_refused(path: Path) -> None:
    published = head(path)
    prune_early(path, T0 + 899)  # the outage ended 7 minutes before the last round
    result = verified(path, expect=published)
    assert not result.ok
    assert any("pruning pass" in what and "retention" in what for what in whats(result)), whats(result)


def test_rounds_rewritten_and_left_behind_by_a_prune_are_refused_and_never_read(path: Path) -> None:
    published = head(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("UPDATE rounds SET rtts = x'04000f000f00' WHERE id BETWEEN 601 AND 620")  # "all answered"
    finally:
        conn.close()
    prune_early(path, T0 + 899, delete=False)
    result = verified(path, expect=published)
    assert not result.ok
    with Store.open(path, readonly=True) as store:
        assert list(store.rounds(T0 + 600, T0 + 620)) == []  # the rounds a prune took are no evidence, whatever is left


# --- 3. appended history --------------------------------------------------------------------------------------


def append_outage(path: Path, start: float, end: float) -> None:
    with forger(path) as (conn, tx):
        cur = conn.execute(
            "INSERT INTO incidents (kind, start_ms, end_ms, cause, rounds, cause_rounds, detail)"
            " VALUES ('outage', ?, ?, 'isp', ?, ?, 'gateway answered; ISP hop silent')",
            (int(start * 1000), int(end * 1000), int(end - start), f'[["isp",{int(end - start)}]]'),
        )
        tx.record(conn, "incident", int(cur.lastrowid or 0))


def test_a_backdated_outage_appended_after_a_published_digest_is_found(path: Path) -> None:
    published = head(path)
    append_outage(path, T0 + 100, T0 + 400)  # the rounds of that time all answered
    result = verified(path, expect=published)
    assert not result.ok
    assert any(w.startswith("outage incident 2") for w in whats(result)), whats(result)


# --- 4. the end of a crashed session ----------------------------------------------------------------------------


def test_a_crashed_sessions_end_comes_from_its_sealed_rounds_not_from_an_edit(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        record(store, end=False)  # killed: no end_session
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("UPDATE sessions SET last_ms = last_ms + 56 * 60000")
    finally:
        conn.close()
    with Store.open(path) as store:
        store.recover()
        [covered] = store.sessions(T0, T0 + 7200)
    assert covered.end == T0 + 899  # the last round it sealed, not what was edited
    assert verified(path).ok


# --- 5. emptied or truncated history ------------------------------------------------------------------------------


def test_an_emptied_store_is_said_to_be_empty_not_intact(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            if table != "sqlite_sequence":
                conn.execute(f"DELETE FROM {table}")
    finally:
        conn.close()
    result = verified(path)
    assert result.empty and not result.ok
    assert whats(result) == [
        "the newest rounds: rounds 1-900 were stored but they and every seal were removed (truncated?)"
    ]


def test_dropping_the_newest_seals_with_their_records_is_found(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:  # everything after the outage began: its seals, rounds, records and ledger entries
        cut = conn.execute("SELECT min(seal_id) FROM ledger WHERE kind = 'incident'").fetchone()[0]
        first = conn.execute("SELECT min(first_round) FROM seals WHERE id >= ?", (cut,)).fetchone()[0]
        since = conn.execute("SELECT at_ms / 60000 FROM rounds WHERE id = ?", (first,)).fetchone()[0]
        conn.execute("DELETE FROM rounds WHERE id >= ?", (first,))
        conn.execute("DELETE FROM round_spans WHERE first_id >= ?", (first,))  # a careful forger's index, too
        roundspans.refresh(conn, first - 1, first)
        rollups.rebuild(conn, since, since + 60, 0)
        for table in ("incidents", "traceroutes", "tickets"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM ledger WHERE seal_id >= ?", (cut,))
        conn.execute("DELETE FROM seals WHERE id >= ?", (cut,))
        conn.execute("UPDATE sessions SET end_ms = NULL, clean = NULL")
    finally:
        conn.close()
    result = verified(path)
    assert whats(result) == [
        f"the newest rounds: rounds {first}-900 were stored but they and the seals after seal {cut - 1} were removed"
        " (truncated?)"
    ]
    # A forger who resets the round counter too leaves the chain nothing to show: only a digest published
    # elsewhere (or a trusted timestamp kept elsewhere) can; the verification says so.
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'rounds'", (first - 1,))
    finally:
        conn.close()
    result = verified(path)
    assert result.ok and TRUNCATION_NOTE in result.notes


TRUNCATION_NOTE = (
    "the chain cannot show that nothing was removed after its newest seal: compare that seal with the newest"
    " digest you published or were sent, or with a trusted timestamp kept elsewhere"
)


def test_rollups_zeroed_before_a_due_prune_are_found_against_the_outage(tmp_path: Path) -> None:
    """The prune is legitimate (a day of retention, a day later); the rollups it seals were edited just before: the
    outage they summarise, which is kept for ever, contradicts them."""
    path = tmp_path / "netwatch.db"
    long_outage = Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 600, T0 + 800, 200, ((Cause.UPSTREAM, 200),), "x")
    with Store.open(path) as store:
        store.begin_session(T0, boot_id="boot-1", offset=T0 - 50.0)
        for i in range(900):
            store.add_round(rnd(T0 + i, up=not 600 <= i < 800))
            if i == 602:
                store.save_incident(dataclasses.replace(long_outage, end=None))
            if i == 800:
                store.save_incident(long_outage)
            if i % 10 == 9:
                store.commit()
        store.end_session(T0 + 899)
        store.begin_session(T0 + 86_400 + 1000, boot_id="boot-2", offset=T0)
        store.add_round(rnd(T0 + 86_400 + 1000))
        store.commit()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("UPDATE rollups SET lost = 0")
    finally:
        conn.close()
    with Store.open(path) as store:
        assert store.prune(T0 + 86_400 + 1000, 1) == 900
    minute = int(T0 + 600) // 60
    assert whats(verified(path)) == [
        f"rollups of minute {minute}: show an anchor answering inside outage incident 1 (altered?)"
    ]


def test_a_prune_refuses_to_seal_rounds_edited_behind_its_back(path: Path) -> None:
    """Pruning keeps the seals that carry records, with the hash of their rounds: it never takes that hash from
    rounds that no longer match their seal."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        seal = conn.execute("SELECT min(seal_id) FROM ledger WHERE kind = 'incident'").fetchone()[0]
        first = conn.execute("SELECT first_round FROM seals WHERE id = ?", (seal,)).fetchone()[0]
        conn.execute("UPDATE rounds SET rtts = x'04000f000f00' WHERE id = ?", (first,))
    finally:
        conn.close()
    with Store.open(path) as store:
        store.begin_session(T0 + 86_400 + 1000, boot_id="boot-2", offset=T0)
        store.add_round(rnd(T0 + 86_400 + 1000))
        store.commit()
        with pytest.raises(StoreError) as refused:
            store.prune(T0 + 86_400 + 1000, 1)
    assert str(refused.value) == (
        f"cannot prune old rounds in {path}: seal {seal} no longer matches its rounds (run `netwatch verify`):"
        " nothing is pruned until it does; they are retried later"
    )


def test_an_outage_older_than_an_hour_appended_after_a_published_seal_is_backdated(path: Path) -> None:
    with Store.open(path) as store:  # the run goes on for two more hours, the owner publishes its seal
        store.begin_session(T0 + 900, boot_id="boot-1", offset=T0 - 50.0)
        for i in range(900, 8100, 10):
            store.add_round(rnd(T0 + i))
            if i % 600 == 0:
                store.commit()
        store.end_session(T0 + 8090)
    published = head(path)
    append_outage(path, T0 + 100, T0 + 400)
    result = verified(path, expect=published)
    assert (
        f"outage incident 2: was added after the published seal {result.head_seal - 1} (in seal {result.head_seal}),"
        " about a time before it (backdated?)"
    ) in whats(result)
    # without the published seal, the same record is flagged, not refused on that ground
    flags = [f"{b.where}: {b.what}" for b in verified(path).flags]
    assert flags == [
        f"outage incident 2: was first sealed 2 h 13 min 10 s after the time it describes (seal {result.head_seal})"
    ]


def test_a_closed_session_given_a_later_end_is_refused(path: Path) -> None:
    with forger(path) as (conn, tx):
        conn.execute("UPDATE sessions SET end_ms = end_ms + 56 * 60000")
        tx.record(conn, "session", 1)
    end = int((T0 + 899) * 1000)
    assert (
        f"session 1: was changed after it was closed (end_ms {end} → {end + 56 * 60_000}) (seal {head_seal(path)})"
    ) in whats(verified(path))


def head_seal(path: Path) -> int:
    with Store.open(path, readonly=True) as store:
        return store.head().seal_id


def test_rollups_of_minutes_without_rounds_are_found(path: Path) -> None:
    """Charts are drawn from the rollups: minutes of "loss" inserted where nothing was recorded are found, however
    many, each counted once."""
    minute = int(T0) // 60
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for m in (minute - 30, minute - 20, minute + 100, minute + 200):
            conn.execute(
                "INSERT INTO rollups (minute, target_id, sent, lost, rtt_min, rtt_max, rtt_sum)"
                " SELECT ?, target_id, 60, 60, NULL, NULL, 0 FROM rollups WHERE minute = ?",
                (m, minute),
            )
    finally:
        conn.close()
    assert whats(verified(path)) == ["rollups: 4 minutes of rollups have no rounds behind them (inserted?)"]
    assert verified(path).breaks[0].at == (minute - 30) * 60.0


def test_an_outage_shortened_in_a_new_sealed_version_is_found_against_its_rounds(tmp_path: Path) -> None:
    """The forger closes an open outage early, the way the daemon closes one (a new version of an open incident
    is allowed): its end must follow from the rounds, and they were still down then."""
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        store.begin_session(T0, boot_id="boot-1", offset=T0 - 50.0)
        for i in range(120):
            store.add_round(rnd(T0 + i, up=not 30 <= i < 100))
            if i == 32:
                store.save_incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 30, None, 3, ((Cause.UPSTREAM, 3),)))
            if i % 10 == 9:
                store.commit()
        store.end_session(T0 + 119)  # killed, say, before the outage was closed: recovery would close it at its end
    with forger(path) as (conn, tx):
        conn.execute("UPDATE incidents SET end_ms = ?", (int((T0 + 40) * 1000),))
        tx.record(conn, "incident", 1)
    assert whats(verified(path)) == [
        "outage incident 1: its end does not follow from its rounds: every anchor still failed then, and the run went"
        " on"
    ]
