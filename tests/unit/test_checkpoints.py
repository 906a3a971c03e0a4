"""Verified checkpoints of the evidence chain: an incremental verification goes on from the newest one whose seal
still has its digest, re-hashing only what was sealed since; tampering after it is found, tampering before it is
found by --full or by the checkpoint's digest, a deleted or edited checkpoint shows, pruning keeps it valid, and a
store of migration 16 gains the table."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from netwatch.adapters.store import Store, migrations
from netwatch.app.evidence import verify_store
from netwatch.core.model import Checkpoint, Verification
from tests.support.forgery import breaks, tamper
from tests.support.incidents import outage
from tests.support.instants import T0
from tests.support.rounds import Line
from tests.support.targets import A1, A2, GW

LINE = Line.of(GW, A1, A2)
DAY = 86_400.0
VERIFIED_AT = T0 + 10 * DAY  # when the verifications below run (any instant after the rounds)


def run(store: Store, start: float, rounds: int, *, down: tuple[int, int] | None = None) -> None:
    """A session of one round a second from ``start``, committed every 10 rounds; the anchors silent for the
    rounds in ``down`` (an outage of them, saved as the daemon does)."""
    store.begin_session(start)
    for i in range(rounds):
        silent = down is not None and down[0] <= i < down[1]
        store.add_round(LINE.answers(start + i, 0.5, None if silent else 9.0, None if silent else 9.5))
        if down is not None and i == down[0] + 2:
            store.save_incident(outage(start + down[0], rounds=3, detail="gateway 3/3"))
        if down is not None and i == down[1]:
            store.save_incident(outage(start + down[0], rounds=3, detail="gateway 3/3").closed_at(start + down[1]))
        if i % 10 == 9:
            store.commit()
    store.end_session(start + rounds - 1)


def checked(store: Store, *, full: bool = False) -> tuple[Verification, Checkpoint | None]:
    """Verify as `netwatch verify` does, leaving a checkpoint when intact and new."""
    done = verify_store(store, full=full, now=VERIFIED_AT)
    return done.verification, done.written


def first_checkpoint(path: Path) -> tuple[int, int]:
    """(the seal the first checkpoint names, the seal holding it)."""
    conn = sqlite3.connect(path)
    try:
        named, sealed_in = conn.execute(
            "SELECT c.seal_id, l.seal_id FROM checkpoints c JOIN ledger l ON l.kind = 'checkpoint' AND l.ref = c.id"
            " WHERE c.id = 1"
        ).fetchone()
    finally:
        conn.close()
    return int(named), int(sealed_in)


def seal_of(path: Path, round_id: int) -> str:
    """How a break names the seal holding round ``round_id``."""
    conn = sqlite3.connect(path)
    try:
        seal, first, last = conn.execute(
            "SELECT id, first_round, last_round FROM seals WHERE first_round <= ? AND last_round >= ?",
            (round_id, round_id),
        ).fetchone()
    finally:
        conn.close()
    return f"seal {seal} (rounds {first}-{last})"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A store of 300 rounds with an outage, verified in full (a checkpoint of its newest seal, sealed in the next),
    then 100 more rounds."""
    p = tmp_path / "netwatch.db"
    with Store.open(p) as store:
        run(store, T0, 300, down=(60, 80))
        result, written = checked(store, full=True)
        assert result.ok and result.resumed is None and written is not None
        assert (written.seal_id, written.sealed_in, written.full) == (result.head_seal, result.head_seal + 1, True)
        run(store, T0 + 400, 100)
    return p


def test_an_incremental_verification_hashes_only_what_was_sealed_since_the_checkpoint(path: Path) -> None:
    with Store.open(path) as store:
        first = store.verify(full=True)
        result, written = checked(store)
    assert result.ok, result.breaks
    named, _ = first_checkpoint(path)
    assert result.resumed is not None and result.resumed.full and result.resumed.seal_id == named
    # the seals after the one the checkpoint names: its own, and those of the second run; its 100 rounds
    assert (result.seals, result.rounds) == (first.head_seal - named, 100)
    assert result.records == first.records == 4  # every record (2 sessions, an outage, the checkpoint), not only new
    assert result.flags == first.flags and result.head_digest == first.head_digest
    assert written is not None
    assert (written.full, written.since_seal, written.seal_id) == (False, named, first.head_seal)


def test_a_second_verification_with_nothing_new_leaves_no_checkpoint(path: Path) -> None:
    with Store.open(path) as store:
        _, written = checked(store)
        result, again = checked(store)
    assert written is not None and again is None
    assert result.ok and (result.seals, result.rounds) == (1, 0)  # only the seal holding the checkpoint


def test_a_round_edited_after_the_checkpoint_is_found_by_the_incremental_verification(path: Path) -> None:
    tamper(path, "UPDATE rounds SET rtts = (SELECT rtts FROM rounds WHERE id = 70) WHERE id = 350")
    with Store.open(path) as store:
        result, written = checked(store)
    minute = int(T0 + 400 + 49) // 60  # round 350 is the 50th of the second run
    assert breaks(result) == [
        (seal_of(path, 350), "its rounds were altered (or the seal itself)"),
        (f"rollups of minute {minute}", "do not add up to the rounds of that minute"),
    ]
    assert written is None


def test_a_round_edited_before_the_checkpoint_is_found_by_full_only(path: Path) -> None:
    tamper(path, "UPDATE rounds SET rtts = (SELECT rtts FROM rounds WHERE id = 100) WHERE id = 70")
    with Store.open(path) as store:
        incremental, _ = checked(store)
        full, _ = checked(store, full=True)
    # not re-hashed: the incremental verification says it went on from the checkpoint, and no more
    assert incremental.ok and incremental.resumed is not None
    assert incremental.resumed.seal_id == first_checkpoint(path)[0]
    assert (seal_of(path, 70), "its rounds were altered (or the seal itself)") in breaks(full)
    assert full.resumed is None


def test_a_chain_rewritten_up_to_the_checkpoint_fails_its_digest(path: Path) -> None:
    named, _ = first_checkpoint(path)
    # a forger who recomputed the seals up to the checkpoint's: that seal's digest is no longer the one verified
    tamper(path, f"UPDATE seals SET digest = zeroblob(32) WHERE id = {named}")
    with Store.open(path) as store:
        result, _ = checked(store)
    assert (
        f"checkpoint of seal {named}",
        "the seal no longer has the digest verified then: the seals up to it were altered after they were verified"
        " (`netwatch verify --full` shows where)",
    ) in breaks(result)
    assert result.resumed is None  # no valid checkpoint left: verified in full


def test_a_deleted_checkpoint_is_found(path: Path) -> None:
    _, sealed_in = first_checkpoint(path)
    tamper(path, "DELETE FROM checkpoints")
    with Store.open(path, readonly=True) as store:
        result = store.verify(full=False)
    assert result.resumed is not None  # it is the ledger that is sealed: the entry still names it
    assert breaks(result) == [("checkpoint 1", f"was sealed (seal {sealed_in}) but is gone (deleted?)")]


def test_a_deleted_checkpoint_entry_breaks_its_seal(path: Path) -> None:
    _, sealed_in = first_checkpoint(path)
    tamper(path, "DELETE FROM ledger WHERE kind = 'checkpoint'")
    with Store.open(path, readonly=True) as store:
        result = store.verify(full=False)
    assert result.resumed is None  # nothing left to go on from: verified in full
    assert breaks(result)[0] == (
        f"seal {sealed_in} (no rounds)",
        "its ledger entries were altered (or the seal itself)",
    )
    assert ("checkpoint 1", "is not in the chain (inserted?)") in breaks(result)


def test_an_edited_checkpoint_is_found(path: Path) -> None:
    tamper(path, "UPDATE checkpoints SET full = 0, verified_ms = verified_ms - 86400000")
    with Store.open(path, readonly=True) as store:
        result = store.verify(full=False)
    [(where, what)] = breaks(result)
    assert where == "checkpoint 1"
    assert what.startswith(f"differs from its sealed version (seal {first_checkpoint(path)[1]}): full 1 → 0,")


def test_full_checks_each_checkpoint_on_its_way(path: Path) -> None:
    with Store.open(path) as store:
        checked(store)
        result = store.verify(full=True)
    assert result.ok and result.resumed is None
    named, sealed_in = first_checkpoint(path)
    # A checkpoint naming a digest its seal never had, its row and entry made to agree (its own seal then breaks
    # too): only walking the chain from the first seal shows what it names.
    tamper(
        path,
        "UPDATE checkpoints SET digest = '00' WHERE id = 1",
        "UPDATE ledger SET body = json_set(body, '$.digest', '00') WHERE kind = 'checkpoint' AND ref = 1",
    )
    with Store.open(path, readonly=True) as store:
        found = breaks(store.verify(full=True))
    assert (f"checkpoint of seal {named} (in seal {sealed_in})", "names a digest its seal does not have (forged?)") in (
        found
    )


def test_pruning_before_a_checkpoint_keeps_it_valid(path: Path) -> None:
    with Store.open(path) as store:
        run(store, T0 + DAY + 500, 20)
        assert store.prune(T0 + DAY + 519, 1) == 400  # every round of the first day: both runs before the cut-off
        result, written = checked(store)
        full = store.verify(full=True)
    assert result.ok, result.breaks
    named, _ = first_checkpoint(path)
    assert result.resumed is not None and result.resumed.seal_id == named  # the pruning pass kept its seal
    assert full.ok, full.breaks
    assert written is not None and not written.full


def test_a_read_only_store_is_verified_incrementally_but_keeps_no_checkpoint(path: Path) -> None:
    with Store.open(path, readonly=True) as store:
        done = verify_store(store, now=VERIFIED_AT)
    assert done.verification.ok and done.verification.resumed is not None and done.written is None
    assert done.unwritten == (
        f"the store {path} was opened read-only, so this verification was not sealed as a checkpoint"
    )


def test_a_store_of_migration_16_gains_the_checkpoints(tmp_path: Path) -> None:
    p = tmp_path / "netwatch.db"
    with Store.open(p) as store:
        run(store, T0, 30)
    tamper(
        p,
        "DROP TABLE checkpoints",
        "ALTER TABLE sessions DROP COLUMN method",
        "DROP TABLE round_spans",
        "CREATE INDEX rounds_at ON rounds (at_ms)",
        "PRAGMA user_version = 16",
    )
    with Store.open(p) as store:  # migrates 17 on
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST == 19
        result, written = checked(store)
        assert result.ok and result.resumed is None and written is not None
        run(store, T0 + 100, 30)
        again, _ = checked(store)
    assert again.ok and again.resumed is not None and again.resumed.seal_id == written.seal_id


def test_a_published_digest_is_checked_from_a_checkpoint_before_it(path: Path) -> None:
    named, _ = first_checkpoint(path)
    conn = sqlite3.connect(path)
    try:
        before, after = (
            bytes(conn.execute("SELECT digest FROM seals WHERE id = ?", (seal,)).fetchone()[0]).hex()
            for seal in (named - 5, named + 5)
        )
    finally:
        conn.close()
    with Store.open(path, readonly=True) as store:
        early = store.verify(before[:16], full=False)
        late = store.verify(after[:16], full=False)
        unknown = store.verify("0123456789abcdef", full=False)
    # the seal published before the checkpoint is walked again, from the first seal (no checkpoint before it)
    assert early.ok and early.anchor_found is True and early.resumed is None
    assert late.ok and late.anchor_found is True and late.resumed is not None and late.resumed.seal_id == named
    assert unknown.anchor_found is False and not unknown.ok


def edit_state(path: Path, change: Callable[[dict[str, Any]], object]) -> None:
    """Edit the state the first checkpoint's ledger entry holds, behind netwatch's back."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        [(entry, body)] = conn.execute("SELECT id, body FROM ledger WHERE kind = 'checkpoint'").fetchall()
        doc = json.loads(body)
        state = json.loads(doc["state"])
        doc["state"] = json.dumps(change(state))
        conn.execute("UPDATE ledger SET body = ? WHERE id = ?", (json.dumps(doc), entry))
    finally:
        conn.close()


def cut_sessions(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "sessions": [{"id": 1}]}


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda state: [], "cannot be read as a checkpoint (altered?)"),  # not a walk's state at all
        (
            cut_sessions,
            "holds a state that cannot be gone on from (altered?)",
        ),
    ],
)
def test_a_checkpoint_edited_into_nonsense_is_a_break_not_a_crash(
    path: Path, change: Callable[[dict[str, Any]], object], why: str
) -> None:
    named, sealed_in = first_checkpoint(path)
    edit_state(path, change)
    with Store.open(path, readonly=True) as store:
        result = store.verify(full=False)
    assert result.resumed is None  # verified in full instead
    assert (f"seal {sealed_in} (no rounds)", "its ledger entries were altered (or the seal itself)") in breaks(result)
    where = f"checkpoint in seal {sealed_in}" if "read" in why else f"checkpoint of seal {named}"
    assert (where, why) in breaks(result)


def test_an_incremental_verification_names_the_versions_it_saw_as_since_its_checkpoint(tmp_path: Path) -> None:
    from netwatch.core.model import Channel, Ticket

    with Store.open(tmp_path / "netwatch.db") as store:
        run(store, T0, 30)
        store.save_ticket(Ticket("A1", T0 + 5, Channel.PHONE), T0 + 31)
        store.change_ticket("A1", lambda t: Ticket(t.ref, t.reported, t.channel, "first note"), T0 + 32)
        full, _ = checked(store, full=True)
        store.change_ticket("A1", lambda t: Ticket(t.ref, t.reported, t.channel, "second note"), T0 + 33)
        store.change_ticket("A1", lambda t: Ticket(t.ref, t.reported, t.channel, "third note"), T0 + 34)
        since, _ = checked(store)
    assert full.resumed is None and [a.what.split(" (")[0] for a in full.amended] == ["2 versions sealed"]
    assert since.resumed is not None
    assert [a.what.split(" (")[0] for a in since.amended] == [
        f"2 versions sealed since the checkpoint of seal {since.resumed.seal_id}"
    ]
