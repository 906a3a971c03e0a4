"""The rollups recounted in the same pass as the seals (rounds read once, by id): rounds whose stamps go back in
time (a clock stepped back) still add up to their minutes' rollups, and an edit of those minutes is still found."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from netwatch.adapters.store import Store
from netwatch.core.model import Round, Sample
from tests.support.instants import T0
from tests.support.stores import verified
from tests.support.targets import A1, A2, GW

START = int(T0) // 60 * 60 + 60  # a minute's first second


def rnd(at: float, rtt: float | None) -> Round:
    return Round(at=at, samples=(Sample(GW, 0.4), Sample(A1, rtt), Sample(A2, 30.0)))


def record(path: Path) -> None:
    """Ten minutes at one round a second, then a run whose clock stepped back six minutes: its rounds come after
    the first run's by id and land in minutes the first run already filled (and one before them)."""
    with Store.open(path) as store:
        store.begin_session(START, boot_id="boot-1", offset=START - 50.0)
        for i in range(600):
            store.add_round(rnd(START + i, None if i % 7 == 0 else 2.0 + i % 5))
            if i % 10 == 9:
                store.commit()
        store.end_session(START + 599)
        store.begin_session(START - 30, boot_id="boot-2", offset=START - 40.0)
        for i in range(-30, 150):
            store.add_round(rnd(START + i + 0.5, 300.0 if i % 11 == 0 else 1.0))
            if i % 10 == 9:
                store.commit()
        store.end_session(START + 149.5)


def whats(path: Path) -> list[str]:
    return [f"{b.where}: {b.what}" for b in verified(path).breaks]


def test_rounds_stamped_back_in_time_add_up_to_their_minutes(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    record(path)
    result = verified(path)
    assert result.ok, whats(path)
    assert result.rounds == 780


def test_an_edited_rollup_of_a_minute_filled_twice_is_found_beside_one_filled_once(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    record(path)
    twice, once, before = START // 60 + 1, START // 60 + 5, START // 60 - 1
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for minute in (twice, once, before):
            conn.execute("UPDATE rollups SET lost = lost + 1 WHERE minute = ?", (minute,))
    finally:
        conn.close()
    assert whats(path) == [
        f"rollups of minute {before}: do not add up to the rounds of that minute",
        f"rollups of minute {twice}: do not add up to the rounds of that minute",
        f"rollups of minute {once}: do not add up to the rounds of that minute",
    ]
