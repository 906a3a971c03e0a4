"""The rounds by time through their spans (store/roundspans.py), against the same questions asked of every round.

Each read by time (the rounds of an interval in (at, id) order, their count, their targets, the latest stamp) is
checked against a brute-force query over the whole rounds table, for clocks that run on, stand still and step
back, within a batch and between batches; and the spans stay true through a re-timing, a pruning and an upgrade
from a store that had an index instead.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwatch.adapters.store import Store, migrations, roundspans
from netwatch.app.evidence import verify_store
from netwatch.core.model import Round
from tests.support.instants import T0
from tests.support.rounds import Line
from tests.support.targets import A1, GW, ISP

LINE = Line.of(GW, ISP, A1)
CHUNK = 7  # small, so that every read crosses chunks


@pytest.fixture
def span_per(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Spans of at most n rounds, so that batches of n rounds in time order are a span each."""
    return lambda n: monkeypatch.setattr(roundspans, "SPAN_ROUNDS", n)


def a_round(at: float, i: int) -> Round:
    return LINE.answers(at, 1.0 + i % 5, 5.0, None if i % 9 == 0 else 10.0)


# Batches of steps (ms between one round's stamp and the next's): mostly a second on, some standing still, some
# stepping back (a clock corrected), some far ahead.
STEPS = st.lists(
    st.lists(st.sampled_from([1000, 1000, 1000, 0, 1, -1, -1500, -60_000, 3_600_000]), min_size=1, max_size=12),
    min_size=1,
    max_size=8,
)


def fill(store: Store, batches: list[list[int]]) -> list[int]:
    """Write each batch in one seal; the stamps written, in id order."""
    at_ms, stamps, i = int(T0 * 1000), [], 0
    for batch in batches:
        for step in batch:
            at_ms += step
            stamps.append(at_ms)
            store.add_round(a_round(at_ms / 1000, i))
            i += 1
        store.commit()
    return stamps


def brute(conn: sqlite3.Connection, lo_ms: int, hi_ms: int, after: int) -> list[tuple[int, int]]:
    return [
        (int(i), int(a))
        for i, a in conn.execute(
            "SELECT id, at_ms FROM rounds NOT INDEXED WHERE at_ms >= ? AND at_ms < ? AND id > ? ORDER BY at_ms, id",
            (lo_ms, hi_ms, after),
        )
    ]


def through_spans(conn: sqlite3.Connection, lo_ms: int, hi_ms: int, after: int) -> list[tuple[int, int]]:
    return [
        (int(r[0]), int(r[1])) for rows in roundspans.by_time(conn, "set_id", lo_ms, hi_ms, after, CHUNK) for r in rows
    ]


def spans_from_scratch(conn: sqlite3.Connection) -> list[tuple[int, int, int, int]]:
    """(first, last, min, max) of each span as its rounds are now: what the table must say."""
    out = []
    for first, last in conn.execute("SELECT first_id, last_id FROM round_spans ORDER BY first_id").fetchall():
        lo, hi, earliest, latest = conn.execute(
            "SELECT min(id), max(id), min(at_ms), max(at_ms) FROM rounds WHERE id BETWEEN ? AND ?", (first, last)
        ).fetchone()
        out.append((lo, hi, earliest, latest))
    return out


def spans_table(conn: sqlite3.Connection) -> list[tuple[int, int, int, int]]:
    return [tuple(r) for r in conn.execute("SELECT first_id, last_id, min_ms, max_ms FROM round_spans ORDER BY 1")]


@settings(max_examples=80, deadline=None)
@given(
    batches=STEPS,
    window=st.tuples(st.integers(-70_000, 20_000), st.integers(0, 4_000_000)),
    after=st.integers(0, 30),
    most=st.integers(1, 20),
)
def test_every_read_by_time_is_the_brute_force_answer(
    batches: list[list[int]], window: tuple[int, int], after: int, most: int
) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Store.open(Path(tmp) / "netwatch.db") as store,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(roundspans, "SPAN_ROUNDS", most)
        stamps = fill(store, batches)
        conn = store.conn
        lo_ms = min(stamps) + window[0]
        hi_ms = lo_ms + window[1]
        assert through_spans(conn, lo_ms, hi_ms, after) == brute(conn, lo_ms, hi_ms, after)
        assert through_spans(conn, lo_ms, hi_ms, 0) == brute(conn, lo_ms, hi_ms, 0)
        rounds = list(store.rounds(lo_ms / 1000, hi_ms / 1000))
        assert [r.at for r in rounds] == [a / 1000 for _, a in brute(conn, lo_ms, hi_ms, 0)]
        assert store.count_rounds(lo_ms / 1000, hi_ms / 1000) == len(rounds)
        assert store.last_instant() == max(stamps) / 1000
        assert roundspans.latest_from(conn, lo_ms) == max((s for s in stamps if s >= lo_ms), default=None)
        assert spans_table(conn) == spans_from_scratch(conn)


def test_seals_in_time_order_extend_one_span_up_to_an_hour_of_rounds(tmp_path: Path) -> None:
    with Store.open(tmp_path / "netwatch.db") as store:
        stamps = fill(store, [[1000] * 300] * 13)
        rows = store.conn.execute("SELECT first_id, last_id, min_ms, max_ms, ordered FROM round_spans ORDER BY 1")
        assert rows.fetchall() == [(1, 3600, stamps[0], stamps[3599], 1), (3601, 3900, stamps[3600], stamps[3899], 1)]
        segments = roundspans._plan(store.conn, stamps[0], stamps[-1] + 1, 0)
        assert [(s.first, s.last, s.spans) for s in segments] == [(1, 3900, ())]


def test_a_seal_stepping_back_starts_a_span_and_so_does_the_next(tmp_path: Path) -> None:
    with Store.open(tmp_path / "netwatch.db") as store:
        fill(store, [[1000] * 10, [1000, -5000, 1000], [1000] * 10, [1000] * 10, [-60_000] + [1000] * 9])
        rows = store.conn.execute("SELECT first_id, last_id, ordered FROM round_spans ORDER BY 1").fetchall()
        # The batch after one out of order starts a span: an unordered span is never extended.
        assert rows == [(1, 10, 1), (11, 13, 0), (14, 33, 1), (34, 43, 1)]


def test_a_span_wide_in_time_is_read_window_by_window(tmp_path: Path, span_per: Callable[[int], None]) -> None:
    """A clock that jumped a year ahead for one round and back: its span overlaps every later one in time."""
    span_per(50)
    with Store.open(tmp_path / "netwatch.db") as store:
        stamps = fill(
            store, [[1000] * 49 + [365 * 86_400_000], [-365 * 86_400_000 + 1000] + [1000] * 49] + [[1000] * 50] * 20
        )
        conn = store.conn
        segments = roundspans._plan(conn, stamps[0], stamps[49] + 1, 0)
        assert len(segments) == 1 and len(segments[0].spans) == 22
        chunks = list(roundspans.by_time(conn, "set_id", stamps[0], stamps[49] + 1, 0, 120))
        assert [(int(r[0]), int(r[1])) for c in chunks for r in c] == brute(conn, stamps[0], stamps[49] + 1, 0)
        assert max(len(c) for c in chunks) <= 120 + 2 * 50  # a window: the chunk, and the spans it began with


def test_a_clock_stepped_back_within_a_seal_is_read_in_time_order(
    tmp_path: Path, span_per: Callable[[int], None]
) -> None:
    span_per(5)
    with Store.open(tmp_path / "netwatch.db") as store:
        stamps = fill(store, [[1000] * 5, [1000, 1000, -2500, 1000, 1000], [1000] * 5])
        conn = store.conn
        assert [r[0] for r in conn.execute("SELECT ordered FROM round_spans ORDER BY first_id")] == [1, 0, 1]
        got = through_spans(conn, stamps[0], stamps[-1] + 1, 0)
        assert [a for _, a in got] == sorted(stamps)
        assert got == brute(conn, stamps[0], stamps[-1] + 1, 0)


def test_a_retiming_moves_the_spans_with_the_rounds(tmp_path: Path, span_per: Callable[[int], None]) -> None:
    span_per(20)
    with Store.open(tmp_path / "netwatch.db") as store:
        stamps = fill(store, [[1000] * 20, [1000] * 20, [1000] * 20])
        conn = store.conn
        conn.execute("UPDATE rounds SET at_ms = at_ms + 3600000 WHERE id BETWEEN 15 AND 45")
        roundspans.refresh(conn, 15, 45)
        assert spans_table(conn) == spans_from_scratch(conn)
        lo, hi = stamps[0], stamps[-1] + 3_600_001
        assert through_spans(conn, lo, hi, 0) == brute(conn, lo, hi, 0)


def test_a_pruning_forgets_the_spans_of_the_deleted_rounds_and_narrows_the_one_it_cuts(
    tmp_path: Path, span_per: Callable[[int], None]
) -> None:
    span_per(20)
    with Store.open(tmp_path / "netwatch.db") as store:
        stamps = fill(store, [[1000] * 20, [1000] * 20, [1000] * 20])
        conn = store.conn
        conn.execute("DELETE FROM rounds WHERE id <= 25")
        roundspans.prune(conn)
        assert spans_table(conn) == [(26, 40, stamps[25], stamps[39]), (41, 60, stamps[40], stamps[59])]
        assert roundspans.earliest_ms(conn) == stamps[25]


def test_an_upgraded_store_gets_spans_for_the_rounds_it_had(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        stamps = fill(store, [[1000] * 3000, [1000, -5000, 1000], [1000] * 1000])
    conn = sqlite3.connect(path, isolation_level=None)
    try:  # as the previous release wrote it: an index, no spans
        conn.executescript(
            "DROP TABLE round_spans; CREATE INDEX rounds_at ON rounds (at_ms); PRAGMA user_version = 18;"
        )
    finally:
        conn.close()
    with Store.open(path) as store:
        conn = store.conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'rounds_at'").fetchone()[0] == 0
        assert spans_table(conn) == spans_from_scratch(conn)
        # One span per 3 600 ids; the one with the clock's step back is read sorted.
        rows = conn.execute("SELECT first_id, ordered FROM round_spans ORDER BY first_id").fetchall()
        assert rows == [(1, 0), (3600, 1)]
        lo, hi = min(stamps), max(stamps) + 1
        assert through_spans(conn, lo, hi, 0) == brute(conn, lo, hi, 0)


@pytest.mark.parametrize("lo_ms", [0, 2**61])
def test_an_interval_without_rounds_reads_nothing(tmp_path: Path, lo_ms: int) -> None:
    with Store.open(tmp_path / "netwatch.db") as store:
        conn = store.conn
        assert through_spans(conn, lo_ms, lo_ms + 1000, 0) == []
        assert roundspans.id_range(conn, lo_ms, lo_ms + 1000) is None
        assert roundspans.latest_ms(conn) is None
        fill(store, [[1000] * 3])
        assert through_spans(conn, 2**61, 2**62, 0) == []


def three_seals(tmp_path: Path, span_per: Callable[[int], None]) -> Path:
    """A store of one session with three seals of 300 rounds, a span each (rounds 1-300, 301-600, 601-900)."""
    span_per(300)
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        store.begin_session(T0)
        fill(store, [[1000] * 300, [1000] * 300, [1000] * 300])
    return path


@pytest.mark.parametrize(
    ("edit", "where", "what"),
    [
        ("UPDATE round_spans SET max_ms = max_ms - 5000 WHERE first_id = 301", "rounds 301-600", "say otherwise"),
        ("UPDATE round_spans SET min_ms = min_ms + 1 WHERE first_id = 1", "rounds 1-300", "say otherwise"),
        ("DELETE FROM round_spans WHERE first_id = 301", "the index of rounds by time", "leaves 300 rounds out"),
        ("UPDATE round_spans SET first_id = 311 WHERE first_id = 301", "the index of rounds by time", "leaves 10 "),
        ("INSERT INTO round_spans VALUES (5000, 5100, 0, 1, 1)", "rounds 5000-5100", "say otherwise"),
    ],
)
def test_verify_finds_an_edited_index_of_rounds_by_time(
    tmp_path: Path, span_per: Callable[[int], None], edit: str, where: str, what: str
) -> None:
    path = three_seals(tmp_path, span_per)
    with Store.open(path) as store:
        assert store.verify().ok
        store.conn.execute(edit)
        breaks = store.verify().breaks
        assert [b for b in breaks if where in b.where and what in b.what], breaks


def test_an_incremental_verify_judges_the_spans_of_the_new_rounds(
    tmp_path: Path, span_per: Callable[[int], None]
) -> None:
    path = three_seals(tmp_path, span_per)
    with Store.open(path) as store:
        store.conn.execute("DELETE FROM round_spans WHERE first_id = 601")  # rounds 601-900 not yet sealed, as it were
    with Store.open(path) as store:
        done = verify_store(store, full=True, now=T0 + 1000)
        assert not done.verification.ok and done.written is None  # the edit is found, and no checkpoint is made
        store.conn.execute(
            "INSERT INTO round_spans SELECT 601, 900, min(at_ms), max(at_ms), 1 FROM rounds WHERE id > 600"
        )
        done = verify_store(store, full=True, now=T0 + 1000)
        assert done.verification.ok and done.written is not None
        at_ms = int(T0 * 1000) + 900_000
        for i in range(300):
            store.add_round(a_round(at_ms / 1000 + i + 1, i))
        store.commit()
        store.conn.execute("UPDATE round_spans SET max_ms = max_ms + 1 WHERE first_id = 901")
        result = verify_store(store, now=T0 + 2000).verification
        assert result.resumed is not None
        assert [b.where for b in result.breaks] == ["the index of rounds 901-1200 by time"]


@pytest.mark.parametrize("after", [0, 95, 100])
def test_the_check_reads_the_spans_a_chunk_at_a_time_and_judges_only_those_it_read_whole(
    tmp_path: Path, span_per: Callable[[int], None], after: int
) -> None:
    span_per(10)
    with Store.open(tmp_path / "netwatch.db") as store:
        fill(store, [[1000] * 10] * 30)  # spans 1-10, 11-20, ... 291-300
        conn = store.conn
        conn.execute("UPDATE round_spans SET max_ms = max_ms + 1 WHERE first_id IN (91, 201)")
        check = roundspans.Check(conn, after, chunk=4)
        rows = conn.execute("SELECT id, at_ms FROM rounds WHERE id > ? ORDER BY id", (after,)).fetchall()
        for i in range(0, len(rows), CHUNK):
            check.feed(rows[i : i + CHUNK])
        check.finish()
        # A check from round 95 reads span 91-100 only in part: it cannot judge it.
        assert [w[:2] for w in check.wrong] == ([(91, 100)] if after < 91 else []) + [(201, 210)]
        assert check.outside == 0
