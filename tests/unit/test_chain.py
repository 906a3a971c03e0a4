"""The evidence chain against real SQLite files: a store verifies; every edit, insertion or deletion made behind
netwatch's back (with a plain sqlite3 connection, as a forger would) is found and placed; pruning, re-timing and
the upgrade of an old store keep it verifiable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from netwatch.adapters.store import Store, chain
from netwatch.adapters.store import sqlite as store_sqlite
from netwatch.core.model import (
    Cause,
    ClockEvent,
    EventKind,
    Hop,
    Incident,
    Kind,
    Round,
    StoredTrace,
    Trace,
)
from netwatch.errors import StoreError
from tests.support.forgery import breaks, tamper
from tests.support.incidents import outage
from tests.support.instants import T0
from tests.support.rounds import Line
from tests.support.speeds import complete
from tests.support.stores import verified
from tests.support.targets import A1, A2, GW

LINE = Line.of(GW, A1, A2)


def rnd(at: float, rtt: float | None = 1.0) -> Round:
    """The gateway answers in 0.5 ms, both anchors in ``rtt``."""
    return LINE.answers(at, 0.5, rtt, rtt)


OUTAGE = outage(T0 + 20, rounds=3, detail="gateway 3/3, ISP hop 0/3")


DAY = 86_400.0


def a_day_later(store: Store, seconds: float = 0.0) -> None:
    """A run of 10 rounds a day (and ``seconds``) after T0: a pruning pass is made at the newest round, and may
    take only what is older than the retention (a day at the least)."""
    store.begin_session(T0 + DAY + seconds, boot_id="boot-2", offset=T0 - 50.0)
    for i in range(10):
        store.add_round(rnd(T0 + DAY + seconds + i))
    store.end_session(T0 + DAY + seconds + 9)


def fill(store: Store, rounds: int = 60, batch: int = 10) -> None:
    """A session of one round a second committed every ``batch`` rounds, an outage from 20 s to 30 s, a speed
    test, a clock event and a traceroute."""
    store.begin_session(T0, boot_id="boot-1", offset=T0 - 100.0)
    for i in range(rounds):
        store.add_round(rnd(T0 + i, None if 20 <= i < 30 else 1.0 + i / 10))
        if i == 22:
            store.save_incident(OUTAGE)
        if i == 30:
            store.save_incident(OUTAGE.closed_at(T0 + 30))
        if i % batch == batch - 1:
            store.commit()
    store.save_speed(complete(T0 + 40))
    store.record_clock(ClockEvent(EventKind.UNVERIFIED, T0, 0.0, "no time service"))
    hops = (Hop(1, "192.168.1.1", 0.4), Hop(2, None, None))
    store.save_trace(StoredTrace(Trace("1.1.1.1", T0 + 22, hops, False), "outage started", Kind.OUTAGE, T0 + 20))
    store.end_session(T0 + rounds - 1)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "netwatch.db"
    with Store.open(p) as store:
        fill(store)
    return p


def test_an_untouched_store_verifies(path: Path) -> None:
    result = verified(path)
    assert result.ok and result.breaks == ()
    assert result.rounds == 60
    assert (result.first_at, result.last_at) == (T0, T0 + 59)
    # 1 session, 1 incident, 1 speed test, 1 clock event, 1 traceroute
    assert result.records == 5
    with Store.open(path, readonly=True) as store:
        head = store.head()
    assert (result.head_seal, result.head_digest) == (head.seal_id, head.digest.hex())
    assert len(result.head_digest) == 64


def test_a_published_digest_is_found_and_an_unknown_one_is_not(path: Path) -> None:
    digest = verified(path).head_digest
    assert verified(path, expect=digest[:16]).anchor_found is True
    assert verified(path, expect="sha256:" + digest).ok
    unknown = verified(path, expect="0" * 64)
    assert unknown.anchor_found is False and not unknown.ok


def seal_of(path: Path, round_id: int) -> tuple[int, int, int]:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT id, first_round, last_round FROM seals WHERE first_round <= ? AND last_round >= ?",
            (round_id, round_id),
        ).fetchone()
    finally:
        conn.close()
    return int(row[0]), int(row[1]), int(row[2])


def seal_of_record(path: Path, kind: str, ref: int, nth: int = -1) -> int:
    conn = sqlite3.connect(path)
    try:
        seals = [
            r[0] for r in conn.execute("SELECT seal_id FROM ledger WHERE kind = ? AND ref = ? ORDER BY id", (kind, ref))
        ]
    finally:
        conn.close()
    return int(seals[nth])


def opened_range(path: Path, seal: int) -> str:
    conn = sqlite3.connect(path)
    try:
        first, last = conn.execute("SELECT first_round, last_round FROM seals WHERE id = ?", (seal,)).fetchone()
    finally:
        conn.close()
    return f"{first}-{last}"


def test_an_edited_round_breaks_its_seal_and_its_rollups(path: Path) -> None:
    seal, first, last = seal_of(path, 25)
    tamper(path, "UPDATE rounds SET rtts = x'050005000500' WHERE id = 25")  # the outage "never happened"
    assert breaks(verified(path)) == [
        (f"seal {seal} (rounds {first}-{last})", "its rounds were altered (or the seal itself)"),
        (f"rollups of minute {int(T0) // 60}", "do not add up to the rounds of that minute"),
        ("outage incident 1", "its rounds show the line up inside it (an anchor answered)"),
    ]


def test_a_moved_round_breaks_its_seal(path: Path) -> None:
    seal, first, last = seal_of(path, 5)
    tamper(path, "UPDATE rounds SET at_ms = at_ms + 1000 WHERE id = 5")
    result = verified(path)
    assert (f"seal {seal} (rounds {first}-{last})", "its rounds were altered (or the seal itself)") in breaks(result)
    assert result.breaks[0].at == T0  # placed in time by the rounds it covers


def test_a_deleted_round_is_counted(path: Path) -> None:
    seal, first, last = seal_of(path, 45)
    tamper(path, "DELETE FROM rounds WHERE id = 45")
    assert breaks(verified(path)) == [
        (f"seal {seal} (rounds {first}-{last})", f"1 of its {last - first + 1} rounds are missing (deleted?)"),
        (f"rollups of minute {int(T0) // 60}", "do not add up to the rounds of that minute"),
    ]


def test_an_inserted_round_is_found(path: Path) -> None:
    tamper(
        path,
        "INSERT INTO rounds (at_ms, set_id, rtts, errors)"
        " SELECT at_ms + 500, set_id, rtts, NULL FROM rounds WHERE id = 60",
    )
    result = verified(path)
    assert breaks(result) == [("round 61", "was stored after the last seal (inserted?)"), *breaks(result)[1:]]
    # and the rollups no longer add up to the rounds of that minute either
    assert any(w.startswith("rollups of minute") for w, _ in breaks(result))


def test_an_edited_incident_is_shown_field_by_field(path: Path) -> None:
    tamper(path, "UPDATE incidents SET end_ms = start_ms + 2000")
    brk, end = verified(path).breaks  # and its rounds were still down at the edited end
    assert (end.where, end.at) == ("outage incident 1", T0 + 22)
    assert end.what.startswith("its end does not follow from its rounds")
    assert brk.where == "outage incident 1"
    assert brk.what.startswith("differs from its sealed version (seal ")
    assert brk.what.endswith(f"): end_ms {int((T0 + 30) * 1000)} → {int((T0 + 22) * 1000)}")
    assert brk.at == T0 + 20


def test_a_deleted_or_inserted_incident_is_found(path: Path) -> None:
    tamper(
        path,
        "INSERT INTO incidents (kind, start_ms, end_ms, cause, rounds, cause_rounds, detail)"
        f" VALUES ('outage', {int((T0 + 50) * 1000)}, {int((T0 + 55) * 1000)}, 'local', 5, '[]', 'x')",
        "DELETE FROM incidents WHERE id = 1",
    )
    found = verified(path).breaks
    assert [(b.where, b.what, b.at) for b in found] == [
        ("outage incident 2", "is not in the chain (inserted?)", T0 + 50),
        (
            "outage incident 1",
            f"was sealed (seal {seal_of_record(path, 'incident', 1)}) but is gone (deleted?)",
            T0 + 20,
        ),
        ("outage incident 2", "its rounds show the line up inside it (an anchor answered)", T0 + 50),
    ]


def test_edited_sessions_speed_tests_and_traceroutes_are_found(path: Path) -> None:
    tamper(
        path,
        "UPDATE sessions SET start_ms = start_ms - 3600000",
        "UPDATE speed_results SET download_mbps = 95.0",
        "UPDATE traceroutes SET trace = replace(trace, '192.168.1.1', '10.0.0.1')",
    )
    found = [w for w, _ in breaks(verified(path))]
    assert sorted(found) == ["session 1", "speed test 1", "trace 1"]


def test_an_edited_ledger_entry_or_seal_breaks_the_chain(path: Path) -> None:
    tamper(path, "UPDATE ledger SET body = replace(body, '\"isp\"', '\"local\"') WHERE kind = 'incident'")
    opened, closed = (seal_of_record(path, "incident", 1, n) for n in (0, 1))
    found = breaks(verified(path))
    assert found[:2] == [
        (
            f"seal {opened} (rounds {opened_range(path, opened)})",
            "its rounds or ledger entries were altered (or the seal itself)",
        ),
        (
            f"seal {closed} (rounds {opened_range(path, closed)})",
            "its rounds or ledger entries were altered (or the seal itself)",
        ),
    ]
    # the incident row was not touched, so it no longer matches its (forged) latest version either
    assert found[2:] == [
        ("outage incident 1", f'differs from its sealed version (seal {closed}): cause "local" → "isp"')
    ]


def test_a_deleted_seal_is_found(path: Path) -> None:
    seal, _, _ = seal_of(path, 35)
    tamper(path, f"DELETE FROM seals WHERE id = {seal}")
    found = breaks(verified(path))
    assert any(what == f"seals {seal}-{seal} before it are missing (deleted?)" for _, what in found)
    assert any(what == "is not covered by any seal (inserted?)" for _, what in found)


def test_edited_target_names_break_the_seals_of_their_rounds(path: Path) -> None:
    tamper(path, "UPDATE target_sets SET targets = replace(targets, '8.8.8.8', '8.8.4.4')")
    assert len(verified(path).breaks) >= 6  # every seal with rounds


def test_an_edited_rollup_is_found(path: Path) -> None:
    tamper(path, f"UPDATE rollups SET lost = 0 WHERE minute = {int(T0) // 60}")
    assert breaks(verified(path)) == [
        (f"rollups of minute {int(T0) // 60}", "do not add up to the rounds of that minute")
    ]


# --- pruning -------------------------------------------------------------------------------------------------


def test_pruning_keeps_the_chain_verifiable_and_seals_the_rollups(path: Path) -> None:
    with Store.open(path) as store:
        a_day_later(store, 60)
        assert store.prune(T0 + DAY + 50, 1) == 50  # a day of retention: rounds before T0 + 50 s (whole seals)
        a_day_later(store, 120)
        assert store.prune(T0 + DAY + 60, 1) == 10
    result = verified(path)
    assert result.ok, result.breaks
    assert result.rounds == 20  # the rounds still kept: those of the two later runs
    assert any("pruned by the retention period" in n for n in result.notes)
    conn = sqlite3.connect(path)
    try:
        # seals of pruned rounds are deleted unless they carry ledger entries (the outage's, the session's)
        kept = conn.execute("SELECT count(*) FROM seals WHERE last_round <= 60").fetchone()[0]
        assert 0 < kept < 6
    finally:
        conn.close()
    tamper(path, f"UPDATE rollups SET lost = 0 WHERE minute = {int(T0) // 60}")
    [brk] = verified(path).breaks
    assert brk.what == "differ from those sealed when their rounds were pruned"


def test_a_pruning_pass_that_stopped_half_way_is_not_tampering(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(path) as store:

        def crash(*_: object) -> int:
            raise KeyboardInterrupt  # stands in for kill -9 after the plan was committed

        a_day_later(store, 60)
        monkeypatch.setattr(store_sqlite.retention, "delete_rounds", crash)
        with pytest.raises(KeyboardInterrupt):
            store.prune(T0 + DAY + 40, 1)
    result = verified(path)
    assert result.ok, result.breaks
    assert "40 rounds already pruned from the chain are still waiting to be deleted (they are no evidence)" in (
        result.notes
    )
    monkeypatch.undo()
    with Store.open(path) as store:
        assert store.prune(T0 + DAY + 40, 1) == 40  # the next pass finishes the job
    assert verified(path).ok


def test_deleting_rounds_beyond_the_last_pruning_pass_is_found(path: Path) -> None:
    with Store.open(path) as store:
        a_day_later(store, 60)
        store.prune(T0 + DAY + 20, 1)
    tamper(path, "DELETE FROM rounds WHERE id BETWEEN 21 AND 30")  # the outage's evidence, not yet due
    assert any("rounds are missing (deleted?)" in what for _, what in breaks(verified(path)))


# --- re-timing -----------------------------------------------------------------------------------------------


def test_retiming_moves_every_stamp_of_the_span_and_still_verifies(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    stale = T0 - 86_400.0  # the clock a day behind
    with Store.open(path) as store:
        store.begin_session(stale, boot_id="b", offset=stale - 10.0, provisional=True)
        for i in range(25):
            store.add_round(rnd(stale + i, None if 5 <= i < 10 else 1.0))
            if i == 7:
                store.save_incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, stale + 5, None, 3))
            if i == 10:
                store.save_incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, stale + 5, stale + 10, 5))
            if i % 10 == 9:
                store.commit()
        store.save_speed(complete(stale + 12))
        done = store.retime("b", (stale - 10.0) + 86_400.0)  # the true offset: one day more
        assert (done.spans, done.rounds) == (1, 25)
        for i in range(25, 30):
            store.add_round(rnd(T0 + i))
        store.end_session(T0 + 29)
    with Store.open(path, readonly=True) as store:
        assert [r.at for r in store.rounds(0, T0 + 100)] == [T0 + i for i in range(30)]
        assert store.rounds(0, T0 - 1) is not None and list(store.rounds(0, T0 - 1)) == []
        [inc] = store.incidents(0, T0 + 100)
        assert (inc.start, inc.end) == (T0 + 5, T0 + 10)
        assert [s.at for s in store.speed_results(0, T0 + 100)] == [T0 + 12]
        assert [(c.start, c.end) for c in store.sessions(0, T0 + 100)] == [(T0, T0 + 29)]
        [span] = store.clock_spans(0, T0 + 100)
        assert (span.delta_ms, span.first_round, span.last_round) == (86_400_000, 1, 25)
        assert sum(r.sent for r in store.rollups(0, T0 + 100)) == 30 * 3  # rebuilt where the rounds now are
        assert store.rollups(0, T0 - 1) == []
        result = store.verify()
    assert result.ok, result.breaks


# --- upgrade -------------------------------------------------------------------------------------------------


def test_a_store_from_before_the_chain_is_sealed_at_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        fill(store)
    conn = sqlite3.connect(path, isolation_level=None)
    try:  # back to schema 3, as a store written by the previous release would be
        conn.executescript(
            "DROP TABLE seals; DROP TABLE ledger; DELETE FROM clock_events; DELETE FROM traceroutes;"
            " DROP TABLE outbox; DROP TABLE ticket_terms; DROP TABLE tickets; DROP TABLE campaign_slots;"
            " DROP TABLE campaigns; DROP TABLE isp_hops; DROP TABLE pool_outbox; DROP TABLE pool_household;"
            " DROP TABLE checkpoints; DROP TABLE round_spans; CREATE INDEX rounds_at ON rounds (at_ms);"
            " PRAGMA user_version = 3;"
        )
        conn.execute("DELETE FROM rounds WHERE id <= 5")  # pruned by the old release, by time
    finally:
        conn.close()
    # The old schema would not have the new columns and tables; recreate them through the real migration.
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executescript(
            "ALTER TABLE sessions DROP COLUMN boot_id; ALTER TABLE sessions DROP COLUMN offset_ms;"
            " ALTER TABLE sessions DROP COLUMN first_round; ALTER TABLE sessions DROP COLUMN end_reason;"
            " ALTER TABLE sessions DROP COLUMN method;"
            " DROP TABLE clock_events; DROP TABLE clock_spans; DROP TABLE traceroutes; DROP TABLE timestamps;"
        )
    finally:
        conn.close()
    with Store.open(path) as store:
        result = store.verify()
        assert result.ok, result.breaks
        assert result.rounds == 55
        assert any("sealed when the store was upgraded" in n for n in result.notes)
        store.begin_session(T0 + 100)
        store.add_round(rnd(T0 + 100))
        store.end_session(T0 + 100)
    assert verified(path).ok
    tamper(path, "UPDATE incidents SET cause = 'local'")
    assert breaks(verified(path))[1:] == [
        ("outage incident 1", "its cause (local) does not follow from its rounds: the gateway answered in 10 of 10")
    ]
    assert breaks(verified(path))[0][0] == "outage incident 1"


def test_every_write_path_leaves_a_verifiable_store(tmp_path: Path) -> None:
    """Recovery after a crash, export cursors and errors, and a second session all keep the chain intact."""
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        store.begin_session(T0)
        store.add_round(rnd(T0, None))
        store.save_incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, T0, None, 3))
        store.add_round(rnd(T0 + 1, None))
        store.commit()
    # crash: no end_session
    with Store.open(path) as store:
        assert len(store.recover()) == 1
        store.begin_session(T0 + 10, boot_id="b2", offset=5.0, provisional=True)
        store.start_export("sink", T0 + 10)
        store.add_round(rnd(T0 + 10))
        store.set_export_cursor("sink", 3, 1, T0 + 10)
        store.set_export_error("sink", "down", T0 + 11, stopped=False)
        store.end_session(T0 + 10)
    assert verified(path).ok


def test_a_forged_old_incident_is_found_after_its_rounds_were_pruned(path: Path) -> None:
    """The forger's best try: the incident edited, its ledger entry rewritten and its seal's digest recomputed.
    Its rounds are pruned, so no later seal chains to it; the pruning pass's own entry does."""
    with Store.open(path) as store:
        a_day_later(store, 60)
        store.prune(T0 + DAY + 60, 1)  # everything of the first minute: the outage's seals are kept for their records
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("UPDATE incidents SET cause = 'local', detail = 'forged'")
        body = chain.read_body(conn, "incident", 1)
        assert body is not None
        for (seal,) in conn.execute("SELECT seal_id FROM ledger WHERE kind = 'incident' AND ref = 1").fetchall():
            conn.execute("UPDATE ledger SET body = ? WHERE kind = 'incident' AND ref = 1 AND seal_id = ?", (body, seal))
            first, last, prev, kept, at_ms = conn.execute(
                "SELECT first_round, last_round, prev, rounds_hash, at_ms FROM seals WHERE id = ?", (seal,)
            ).fetchone()
            if prev is None:
                prev = conn.execute(
                    "SELECT digest FROM seals WHERE id < ? ORDER BY id DESC LIMIT 1", (seal,)
                ).fetchone()[0]
            entries = [
                tuple(r)
                for r in conn.execute("SELECT id, kind, ref, body FROM ledger WHERE seal_id = ? ORDER BY id", (seal,))
            ]
            digest = chain.seal_digest(bytes(prev), seal, first, last, bytes(kept), chain.entries_hash(entries), at_ms)
            conn.execute("UPDATE seals SET digest = ? WHERE id = ?", (digest, seal))
    finally:
        conn.close()
    found = breaks(verified(path))
    assert found and all(
        what == "differs from the digest its pruning pass chained for it (altered?)" for _, what in found
    )
    # and deleting the kept seal with the incident instead is found too
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        seals = [s for (s,) in conn.execute("SELECT DISTINCT seal_id FROM ledger WHERE kind = 'incident' AND ref = 1")]
        conn.execute("DELETE FROM incidents")
        for seal in seals:
            conn.execute("DELETE FROM ledger WHERE seal_id = ?", (seal,))
            conn.execute("DELETE FROM seals WHERE id = ?", (seal,))
    finally:
        conn.close()
    assert {what for _, what in breaks(verified(path))} >= {"was kept by a pruning pass but is gone (deleted?)"}


def test_a_round_inserted_among_the_pruned_ids_is_found(path: Path) -> None:
    with Store.open(path) as store:
        a_day_later(store, 60)
        store.prune(T0 + DAY + 30, 1)
    tamper(
        path,
        f"INSERT INTO rounds (id, at_ms, set_id, rtts) SELECT 5, {int((T0 + 50) * 1000)}, set_id, rtts"
        " FROM rounds WHERE id = 40",
    )
    assert ("round 5", "has the id of a pruned round but is newer than the retention cut-off (inserted?)") in breaks(
        verified(path)
    )


def test_commits_landing_during_a_verification_are_not_tampering(path: Path) -> None:
    """The daemon keeps committing while `netwatch verify` reads: the check sees one snapshot."""
    with Store.open(path) as writer, Store.open(path, readonly=True) as reader:
        writer.begin_session(T0 + 100)
        for i in range(3):
            writer.add_round(rnd(T0 + 100 + i, None))
        writer.save_incident(Incident(Kind.OUTAGE, Cause.ISP, T0 + 100, None, 3))
        writes = []

        def commit_meanwhile(_: int) -> None:
            if not writes:
                for i in range(3, 12):
                    writer.add_round(rnd(T0 + 100 + i, None if i < 11 else 1.0))
                writer.save_incident(Incident(Kind.OUTAGE, Cause.ISP, T0 + 100, T0 + 111, 12))
                writes.append(True)

        result = reader.verify(progress=commit_meanwhile)
        assert writes and result.ok, result.breaks
        assert result.rounds == 63  # what was there when it began
        assert reader.verify().ok and reader.verify().rounds == 72
        writer.end_session(T0 + 111)


def test_a_retiming_held_back_by_a_full_disk_lands_with_the_saves_made_since(tmp_path: Path) -> None:
    """The disk is full when NTP sets the clock: the re-timing waits in memory with the rounds, the outage then
    closes (saved with its true start), and when space returns everything lands once, in order."""
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        store.begin_session(T0, boot_id="b", offset=T0 - 50.0, provisional=True)
        for i in range(10):
            store.add_round(rnd(T0 + i, None if i >= 5 else 1.0))
        store.save_incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 5, None, 5))
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")  # a full disk, as SQLite sees it
        for i in range(10, 400):
            store.add_round(rnd(T0 + i, None if i < 20 else 1.0))
        with pytest.raises(StoreError, match="database or disk is full"):
            store.retime("b", T0 - 50.0 + 3600)  # the clock was an hour behind
        with pytest.raises(StoreError, match="database or disk is full"):
            store.save_incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 3605, T0 + 3620, 20))
        store.conn.execute("PRAGMA max_page_count = 1000000")
        store.commit()
        [outage] = store.incidents(0, T0 + 10_000)
        assert (outage.start, outage.end, outage.rounds) == (T0 + 3605, T0 + 3620, 20)
        assert [r.at for r in store.rounds(0, T0 + 10_000)][:2] == [T0 + 3600, T0 + 3601]
        store.end_session(T0 + 3999)
        assert store.verify().ok
