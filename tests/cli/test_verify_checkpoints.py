"""`netwatch verify` from a checkpoint as a user (and an ombudsman) reads it: what was checked this time, from
which checkpoint and how that one was verified, the checkpoint left for the next run, and --full."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.core.text import local
from tests.support.cli import invoke, isolate
from tests.support.instants import ts
from tests.support.rounds import Line
from tests.support.targets import A1, GW

T0 = ts("2026-11-03T09:00")
LINE = Line.of(GW, A1)
UTC = ZoneInfo("UTC")  # the zone of the default configuration


def record(path: Path, start: float, rounds: int) -> None:
    with Store.open(path) as s:
        s.begin_session(start)
        for i in range(rounds):
            s.add_round(LINE.answers(start + i, 0.4, 9.5))
            if i % 10 == 9:
                s.commit()
        s.end_session(start + rounds - 1)


def checkpoints(path: Path) -> list[tuple[int, int, float, int]]:
    """(seal named, verified in full, when, seal holding it) of every checkpoint, oldest first."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT c.seal_id, c.full, c.verified_ms, l.seal_id FROM checkpoints c"
            " JOIN ledger l ON l.kind = 'checkpoint' AND l.ref = c.id ORDER BY c.id"
        ).fetchall()
    finally:
        conn.close()
    return [(int(s), int(f), ms / 1000, int(sealed)) for s, f, ms, sealed in rows]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = isolate(monkeypatch, tmp_path, chdir=True) / "netwatch.db"
    path.parent.mkdir()
    record(path, T0, 60)
    return path


def test_the_second_verify_says_it_went_on_from_the_first_ones_checkpoint(store: Path) -> None:
    code, first, _ = invoke("verify")
    assert code == 0
    [(named, full, at, sealed_in)] = checkpoints(store)
    assert full == 1 and sealed_in == named + 1
    assert first.splitlines()[1].startswith(f"  checked in full: {named} seals, 60 rounds")
    assert first.splitlines()[-1] == (
        f"  checkpoint: seal {named} verified in full, sealed in seal {sealed_in}; the next verify goes on from it"
    )
    record(store, T0 + 100, 30)
    with Store.open(store, readonly=True) as s:
        head = s.head()
    code, out, err = invoke("verify")
    assert (code, err) == (0, "")
    _, (second, full2, _, sealed2) = checkpoints(store)
    assert (second, full2, sealed2) == (head.seal_id, 0, head.seal_id + 1)
    seals = head.seal_id - named  # the one holding the checkpoint, and the 5 of the new run
    assert out == (
        f"Evidence chain of {store}: intact\n"
        f"  checked the {seals} seals since the checkpoint of {local(at, UTC)} (seal {named}), which was itself"
        " verified in full: 30 rounds from 2026-11-03 09:01:40 UTC to 2026-11-03 09:02:09 UTC, and all 3 records"
        " against their latest sealed versions\n"
        f"  newest seal: {head.seal_id} sha256:{head.digest.hex()}\n"
        "  note: the chain cannot show that nothing was removed after its newest seal: compare that seal with the"
        " newest digest you published or were sent, or with a trusted timestamp kept elsewhere\n"
        f"  note: the seals up to seal {named} were verified at {local(at, UTC)} and not re-hashed this time:"
        " `netwatch verify --full` checks every seal from the first\n"
        f"  checkpoint: seal {head.seal_id} verified incrementally, sealed in seal {head.seal_id + 1}; the next verify"
        " goes on from it\n"
    )
    code, out, _ = invoke("verify")  # nothing sealed since but the checkpoint: no new one
    assert code == 0 and len(checkpoints(store)) == 2
    assert out.splitlines()[1] == (
        f"  checked the 1 seal since the checkpoint of {local(checkpoints(store)[1][2], UTC)} (seal {second}), which"
        " was itself verified incrementally: 0 rounds, and all 4 records against their latest sealed versions"
    )
    assert not out.splitlines()[-1].startswith("  checkpoint:")


def test_full_rehashes_everything_and_json_says_what_was_checked(store: Path) -> None:
    assert invoke("verify")[0] == 0
    [(named, *_)] = checkpoints(store)
    record(store, T0 + 100, 30)
    code, out, _ = invoke("verify", "--full", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] is True
    assert (doc["in_full"], doc["since_checkpoint"], doc["rounds"]) == (True, None, 90)
    assert doc["checkpoint_written"]["verified_in_full"] is True
    assert doc["checkpoint_not_written"] is None
    code, out, _ = invoke("verify", "--json")
    doc = json.loads(out)
    assert doc["in_full"] is False and doc["rounds"] == 0
    assert doc["since_checkpoint"]["verified_in_full"] is True
    assert doc["since_checkpoint"]["seal"] == checkpoints(store)[1][0] != named


def test_a_checkpoint_whose_seal_changed_is_reported_and_passed_over(store: Path) -> None:
    assert invoke("verify")[0] == 0
    [(named, _, at, _)] = checkpoints(store)
    conn = sqlite3.connect(store, isolation_level=None)
    try:
        conn.execute("UPDATE seals SET digest = zeroblob(32) WHERE id = ?", (named,))
    finally:
        conn.close()
    code, out, _ = invoke("verify")
    assert code == 9
    assert (
        f"  BROKEN: checkpoint of seal {named} [{local(at, UTC)}]: the seal no longer has the digest verified then:"
        " the seals up to it were altered after they were verified (`netwatch verify --full` shows where)"
    ) in out.splitlines()
    assert out.splitlines()[1].startswith("  checked in full: ")
