"""The SQLite store against real SQLite files: codec, round trips, batching, recovery, retention, rollups, errors."""

from __future__ import annotations

import math
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwatch.adapters.store import Store, codec, migrations
from netwatch.adapters.store import reads as store_reads
from netwatch.adapters.store import sqlite as store_sqlite
from netwatch.core.model import Cause, Coverage, Incident, Kind, MinuteRollup, Role, Round, Sample, Target
from netwatch.errors import StoreError
from tests.support.instants import T0
from tests.support.rounds import Line
from tests.support.targets import A1, A6, GW, ISP

DNS = Target(Role.DNS, "example.com")
TARGETS = (GW, ISP, A1, A6)
rnd = Line.of(*TARGETS).answers  # rnd(at, *rtts, errors=...): every target answering in 1 ms unless given


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "netwatch.db"


@pytest.fixture
def store(path: Path) -> Iterator[Store]:
    with Store.open(path) as s:
        yield s


@pytest.fixture
def reader(store: Store, path: Path) -> Iterator[Store]:
    with Store.open(path, readonly=True) as r:
        yield r


# --- codec ---------------------------------------------------------------------------------------------------

RTT = st.one_of(
    st.none(),
    st.just(0.0),
    st.floats(min_value=0.0, max_value=7000.0),
    st.sampled_from([6553.3, 6553.34, 6553.35, 6553.4, 1e9, float("inf")]),
)


@given(st.lists(RTT, max_size=12))
def test_rtt_packing_round_trips_to_a_tenth_of_a_millisecond(rtts: list[float | None]) -> None:
    blob = codec.pack_rtts(rtts)
    assert len(blob) == 2 * len(rtts)
    for original, decoded in zip(rtts, codec.unpack_rtts(blob), strict=True):
        if original is None:
            assert decoded is None
        elif original < 6553.35:
            assert decoded is not None and abs(decoded - original) <= 0.05 + 1e-9
        else:
            assert decoded == codec.SATURATED_MS


def test_rtt_packing_edges() -> None:
    values = [0.0, None, 0.04, 0.05, 12.34, 6553.3, 6553.35, 70_000.0, float("inf"), float("nan"), -3.0]
    assert codec.unpack_tenths(codec.pack_rtts(values)) == (
        0,
        0xFFFF,
        0,
        0,
        123,
        65533,
        0xFFFE,
        0xFFFE,
        0xFFFE,
        0xFFFF,
        0,
    )
    assert codec.pack_rtts([1.0, None]) == b"\x0a\x00\xff\xff"  # little-endian uint16 tenths
    assert codec.unpack_rtts(codec.pack_rtts([6553.4])) == (6553.4,)


def test_targets_and_errors_encodings_round_trip() -> None:
    targets = (GW, A6, DNS)
    assert codec.targets_from_json(codec.targets_json(targets)) == targets
    assert codec.targets_json((GW,)) == '[["gateway","192.168.1.1"]]'
    samples = (Sample(GW, 1.0), Sample(A1, None, "network unreachable"), Sample(DNS, None, "NXDOMAIN é"))
    text = codec.errors_json(samples)
    assert text == '{"1":"network unreachable","2":"NXDOMAIN é"}'
    assert codec.errors_from_json(text) == {1: "network unreachable", 2: "NXDOMAIN é"}
    assert codec.errors_json((Sample(GW, 1.0),)) is None
    assert codec.errors_from_json(None) == {}


# --- round trips ---------------------------------------------------------------------------------------------


def test_rounds_round_trip_with_errors_target_sets_and_no_mono(store: Store) -> None:
    rounds = [
        rnd(T0, 0.6, 7.5, 11.2, None, errors={3: "network unreachable"}),
        rnd(T0 + 1.25, 0.7, None, None, 12.0),
        Line.of(GW, DNS).answers(T0 + 2.5, 3.0, None, errors={1: "NXDOMAIN"}),
        Round(at=T0 + 3.0, samples=(), mono=99.0),
        rnd(T0 + 4.0, 6553.4, 0.0, 1.0, 2.0),
    ]
    for r in rounds:
        store.add_round(r)
    assert store.pending() == 5
    store.commit()
    assert store.pending() == 0
    assert list(store.rounds(T0, T0 + 10)) == [replace(r, mono=0.0) for r in rounds]  # mono is not stored
    assert list(store.rounds(T0 + 1.25, T0 + 3.0)) == rounds[1:3]  # [since, until)
    assert store.last_round() == rounds[-1]
    assert next(store.rounds(0.0, float("inf"))).at == T0
    assert store.rounds(T0, T0 + 10).__next__().samples[3].error == "network unreachable"


def test_rounds_order_by_time_but_last_round_is_the_last_inserted(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_reads, "READ_CHUNK", 3)  # crosses chunk boundaries, with equal timestamps
    ats = [T0 + 5, T0 + 1, T0 + 3, T0 + 3, T0 + 2, T0 + 3, T0 + 4, T0 + 0.5]  # the clock stepped back twice
    for i, at in enumerate(ats):
        store.add_round(rnd(at, float(i), 1.0, 1.0, 1.0))
    store.commit()
    got = list(store.rounds(0.0, float("inf")))
    assert [r.at for r in got] == sorted(ats)
    assert [r.samples[0].rtt_ms for r in got if r.at == T0 + 3] == [2.0, 3.0, 5.0]  # ties in insertion order
    last = store.last_round()
    assert last is not None and last.at == T0 + 0.5


def test_empty_store_queries(store: Store) -> None:
    assert store.last_round() is None
    assert list(store.rounds(0, T0)) == []
    assert store.incidents(0, T0) == [] and store.open_incidents() == [] and store.recent_incidents(5) == []
    assert store.sessions(0, T0) == [] and store.rollups(0, T0) == []


def test_incidents_upsert_by_kind_and_start_and_period_queries(store: Store) -> None:
    opened = Incident(Kind.OUTAGE, Cause.ISP, T0 + 10, rounds=3, cause_rounds=((Cause.ISP, 3),), detail="ISP 0/3")
    store.save_incident(opened)
    assert store.open_incidents() == [opened]
    closed = Incident(
        Kind.OUTAGE, Cause.LOCAL, T0 + 10, T0 + 70, 60, ((Cause.ISP, 20), (Cause.LOCAL, 40)), "gateway 0/60"
    )
    store.save_incident(closed)
    degraded = Incident(Kind.DEGRADED, Cause.UNKNOWN, T0 + 10, None, 5)  # same start, other kind: another row
    later = Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 500, T0 + 510, 10)
    store.save_incident(degraded)
    store.save_incident(later)
    assert store.open_incidents() == [degraded]
    assert store.incidents(T0, T0 + 1000) == [closed, degraded, later]
    assert store.incidents(T0 + 71, T0 + 499) == [degraded]  # open ones overlap everything after their start
    assert store.incidents(T0 + 70, T0 + 70) == [closed, degraded]
    assert store.incidents(0, T0 + 9) == []
    assert store.recent_incidents(2) == [later, degraded]
    assert store.recent_incidents(0) == []


def test_sessions_running_and_ended(store: Store, reader: Store) -> None:
    store.begin_session(T0)
    assert reader.sessions(0, T0 + 100) == [Coverage(T0, T0, True)]
    store.add_round(rnd(T0 + 1))
    store.add_round(rnd(T0 + 2))
    assert reader.sessions(0, T0 + 100) == [Coverage(T0, T0, True)]  # running: its last committed round
    store.commit()
    assert reader.sessions(0, T0 + 100) == [Coverage(T0, T0 + 2, True)]
    store.add_round(rnd(T0 + 3))
    store.end_session(T0 + 3)
    assert reader.last_round() == rnd(T0 + 3)
    store.begin_session(T0 + 100)
    assert reader.sessions(0, T0 + 1000) == [Coverage(T0, T0 + 3, True), Coverage(T0 + 100, T0 + 100, True)]
    assert reader.sessions(T0 + 4, T0 + 99) == []
    assert reader.sessions(T0 + 3, T0 + 3) == [Coverage(T0, T0 + 3, True)]


def test_batching_nothing_visible_before_commit(store: Store, reader: Store) -> None:
    store.begin_session(T0)
    for i in range(5):
        store.add_round(rnd(T0 + i))
    assert reader.last_round() is None and reader.rollups(0, T0 + 3600) == []
    store.commit()
    assert len(list(reader.rounds(T0, T0 + 10))) == 5
    assert reader.rollups(0, T0 + 3600)[0].sent == 5
    store.add_round(rnd(T0 + 5))
    assert len(list(reader.rounds(T0, T0 + 10))) == 5
    store.commit()
    store.commit()  # nothing buffered: a no-op
    assert len(list(reader.rounds(T0, T0 + 10))) == 6


def test_save_incident_commits_the_buffered_rounds_at_once(store: Store, reader: Store) -> None:
    for i in range(3):
        store.add_round(rnd(T0 + i, 1.0, None, None, None))
    store.save_incident(Incident(Kind.OUTAGE, Cause.ISP, T0))
    assert store.pending() == 0
    assert len(list(reader.rounds(T0, T0 + 10))) == 3
    assert reader.open_incidents() == [Incident(Kind.OUTAGE, Cause.ISP, T0)]


def test_buffer_cap_drops_the_oldest(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with Store(migrations.connect(path, False), path, False, max_pending=3) as store:
        for i in range(5):
            store.add_round(rnd(T0 + i))
        assert store.pending() == 3
        assert "dropping the oldest" in caplog.text
        store.commit()
        assert [r.at for r in store.rounds(0, T0 + 10)] == [T0 + 2, T0 + 3, T0 + 4]
        assert "2 rounds were dropped" in caplog.text


def test_readonly_store_refuses_writes(reader: Store, path: Path) -> None:
    with pytest.raises(StoreError, match=r"opened read-only$"):
        reader.add_round(rnd(T0))
    reader.close()
    reader.close()  # idempotent
    with pytest.raises(StoreError, match="is closed"):
        reader.last_round()


# --- recovery and retention ----------------------------------------------------------------------------------


def test_recover_ends_sessions_unclean_and_closes_open_incidents(path: Path) -> None:
    with Store.open(path) as crashed:
        crashed.begin_session(T0)
        for i in range(10):
            crashed.add_round(rnd(T0 + i))
        crashed.save_incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 4, rounds=6))
        crashed.save_incident(Incident(Kind.DEGRADED, Cause.UNKNOWN, T0 + 20))  # after the last stored round
        crashed.save_incident(Incident(Kind.SLOW, Cause.UNKNOWN, T0 + 1, T0 + 2))
        crashed.begin_session(T0 + 50)  # a second session that crashed before its first commit
        crashed.add_round(rnd(T0 + 51))  # never committed: lost in the "crash"
        crashed._pending.clear()  # simulate the crash: close() would only log the loss
    with Store.open(path) as store:
        closed = store.recover()
        assert closed == [
            Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 4, T0 + 9, rounds=6),
            Incident(Kind.DEGRADED, Cause.UNKNOWN, T0 + 20, T0 + 20),
        ]
        assert store.open_incidents() == []
        assert store.incidents(0, T0 + 100)[0] == Incident(Kind.SLOW, Cause.UNKNOWN, T0 + 1, T0 + 2)
        assert store.sessions(0, T0 + 100) == [Coverage(T0, T0 + 9, False), Coverage(T0 + 50, T0 + 50, False)]
        assert store.recover() == []
        store.begin_session(T0 + 60)
        assert store.recover() == []  # never ends this process's own session
        assert store.sessions(T0 + 60, T0 + 100) == [Coverage(T0 + 60, T0 + 60, True)]


def test_prune_keeps_rollups_and_never_reuses_round_ids(store: Store, path: Path) -> None:
    for i in range(130):  # committed in batches of 10, as the daemon does: rounds are pruned by whole batches
        store.add_round(rnd(T0 + i, float(i), None, 1.0, 2.0))
        if i % 10 == 9:
            store.commit()
    store.commit()
    before = store.rollups(0, T0 + 3600)
    assert store.prune(T0 + 100 + 86_400, 1) == 100
    assert [r.at for r in store.rounds(0, T0 + 3600)][:2] == [T0 + 100, T0 + 101]
    assert store.rollups(0, T0 + 3600) == before
    assert store.prune(T0 + 3600 + 86_400, 1) == 30  # everything, in chunks
    assert store.prune(T0 + 3600 + 86_400, 1) == 0
    assert store.last_round() is None and store.rollups(0, T0 + 3600) == before
    store.add_round(rnd(T0 + 200))
    store.commit()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT id FROM rounds").fetchall() == [(131,)]
    finally:
        conn.close()


def test_prune_in_small_chunks(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_sqlite, "PRUNE_CHUNK", 4)
    for i in range(10):
        store.add_round(rnd(T0 + i))
        if i == 8:
            store.commit()
    store.commit()
    assert store.prune(T0 + 9 + 86_400, 1) == 9
    assert [r.at for r in store.rounds(0, T0 + 100)] == [T0 + 9]


def test_prune_goes_by_whole_batches(store: Store) -> None:
    """A batch (one commit, one seal) with a round after the cut-off is kept whole: rounds are pruned by seals."""
    for i in range(10):
        store.add_round(rnd(T0 + i))
    store.commit()
    assert store.prune(T0 + 9 + 86_400, 1) == 0
    assert store.prune(T0 + 10 + 86_400, 1) == 10


# --- rollups -------------------------------------------------------------------------------------------------


def brute_rollups(rounds: list[Round]) -> list[MinuteRollup]:
    """Rollups straight from the definition, over RTTs as stored (tenths of a millisecond)."""
    groups: dict[tuple[int, Target], list[float | None]] = defaultdict(list)
    for r in rounds:
        at = codec.from_ms(codec.to_ms(r.at))
        for s in r.samples:
            groups[(int(at // 60), s.target)].append(codec.tenths_rtt(codec.rtt_tenths(s.rtt_ms)))
    out = []
    for (minute, target), rtts in sorted(groups.items()):
        answered = [x for x in rtts if x is not None]
        out.append(
            MinuteRollup(
                minute,
                target,
                len(rtts),
                len(rtts) - len(answered),
                min(answered, default=None),
                sum(answered) / len(answered) if answered else None,
                max(answered, default=None),
            )
        )
    return out


ROUND_SHAPE = st.tuples(
    st.floats(min_value=T0 - 30, max_value=T0 + 200),
    st.sampled_from([TARGETS, (GW, DNS), (A1,)]),
    st.lists(st.one_of(st.none(), st.floats(min_value=0, max_value=300), st.just(9999.0)), min_size=4, max_size=4),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(ROUND_SHAPE, max_size=40), st.lists(st.integers(1, 7), min_size=1))
def test_rollups_equal_a_brute_force_computation(
    shapes: list[tuple[float, tuple[Target, ...], list[float | None]]], batches: list[int]
) -> None:
    rounds = [Line.of(*targets).answers(at, *rtts[: len(targets)]) for at, targets, rtts in shapes]
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "r.db") as store:
        cuts = iter(batches * (len(rounds) + 1))
        todo = list(rounds)
        while todo:  # batches of random sizes: a minute is accumulated across commits
            for _ in range(next(cuts)):
                if todo:
                    store.add_round(todo.pop(0))
            store.commit()
        got = store.rollups(T0 - 3600, T0 + 3600)
    want = brute_rollups(rounds)
    assert [(g.minute, g.target, g.sent, g.lost, g.rtt_min_ms, g.rtt_max_ms) for g in got] == [
        (w.minute, w.target, w.sent, w.lost, w.rtt_min_ms, w.rtt_max_ms) for w in want
    ]
    assert [g.rtt_avg_ms for g in got] == [pytest.approx(w.rtt_avg_ms) for w in want]


def test_rollups_period_is_by_minute_start(store: Store) -> None:
    for at in (T0 - 1, T0, T0 + 59.9, T0 + 60):
        store.add_round(rnd(at, 1.0, None, 3.0, 4.0))
    store.commit()
    minutes = store.rollups(T0, T0 + 60)
    assert {m.minute for m in minutes} == {int(T0 // 60)}
    gw = next(m for m in minutes if m.target == GW)
    isp = next(m for m in minutes if m.target == ISP)
    assert (gw.sent, gw.lost, gw.rtt_min_ms, gw.rtt_avg_ms, gw.rtt_max_ms) == (2, 0, 1.0, 1.0, 1.0)
    assert (isp.sent, isp.lost, isp.rtt_min_ms, isp.rtt_avg_ms, isp.rtt_max_ms) == (2, 2, None, None, None)
    assert len(store.rollups(T0 + 1, T0 + 60)) == 0
    assert len(store.rollups(float("-inf"), float("inf"))) == 3 * len(TARGETS)


# --- opening, migrations and errors --------------------------------------------------------------------------


def test_missing_store_readonly_is_reported_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "netwatch.db"
    with pytest.raises(StoreError) as err:
        Store.open(path, readonly=True)
    assert str(err.value) == (
        f"no store at {path}: netwatch has not recorded anything yet (run `netwatch run` first)"
        " or store.path points elsewhere"
    )
    assert not path.parent.exists()


def test_migrates_an_empty_file_and_creates_parent_directories(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    with Store.open(empty) as store:
        store.add_round(rnd(T0))
        store.commit()
    nested = tmp_path / "a" / "b" / "netwatch.db"
    Store.open(nested).close()
    for p in (empty, nested):
        conn = sqlite3.connect(p)
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA page_size").fetchone()[0] == migrations.PAGE_SIZE
        finally:
            conn.close()
    with Store.open(empty) as again, Store.open(empty, readonly=True) as reader:  # reopening migrates nothing
        assert again.last_round() == reader.last_round() == rnd(T0)


def test_newer_schema_is_refused(path: Path) -> None:
    Store.open(path).close()
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    finally:
        conn.close()
    for readonly in (False, True):
        with pytest.raises(StoreError) as err:
            Store.open(path, readonly=readonly)
        assert str(err.value) == (
            f"store {path} has schema version {migrations.LATEST + 1}, newer than this netwatch understands"
            f" ({migrations.LATEST}): upgrade netwatch"
        )


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not SQLite at all, just some text that is long enough to look like a header" * 20)
    for readonly in (False, True):
        with pytest.raises(StoreError) as err:
            Store.open(path, readonly=readonly)
        assert str(err.value) == (
            f"{path} is not a netwatch store (file is not a database): point store.path at another file"
        )
    assert path.read_bytes().startswith(b"this is not SQLite")


def test_foreign_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE rounds (x)")
        conn.commit()
    finally:
        conn.close()
    for readonly in (False, True):
        with pytest.raises(StoreError) as err:
            Store.open(path, readonly=readonly)
        assert (
            str(err.value)
            == f"{path} is not a netwatch store (it holds other tables): point store.path at another file"
        )
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()


def test_readonly_refuses_an_unmigrated_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(StoreError) as err:
        Store.open(path, readonly=True)
    assert (
        str(err.value)
        == f"{path} is not a netwatch store (it has no netwatch tables): point store.path at another file"
    )


def test_unusable_directory_is_one_line_with_a_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    path = blocker / "netwatch.db"
    with pytest.raises(StoreError) as err:
        Store.open(path)
    assert str(err.value).startswith(f"cannot create the directory of store {path}: ")
    assert str(err.value).endswith("; create it or point store.path elsewhere")
    with pytest.raises(StoreError) as err2:
        Store.open(tmp_path)  # a directory, not a file
    assert str(err2.value).startswith(f"cannot open store {tmp_path} (unable to open database file): ")
    assert "\n" not in str(err.value) + str(err2.value)


def test_a_failed_write_keeps_everything_for_the_next_commit(store: Store, reader: Store) -> None:
    def explode(conn: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    store.begin_session(T0)
    store.add_round(rnd(T0 + 1))
    store.save_incident(Incident(Kind.OUTAGE, Cause.LOCAL, T0 + 1))
    store.add_round(rnd(T0 + 2))
    with pytest.raises(StoreError) as err:
        store._write(explode)
    assert str(err.value) == (
        f"cannot write to {store.path}: disk I/O error; check that disk and the file's permissions"
        " (1 rounds kept in memory and retried)"
    )
    assert store.pending() == 1 and reader.last_round() == rnd(T0 + 1)

    def bug(conn: sqlite3.Connection) -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        store._write(bug)
    store.commit()  # no transaction was left open
    assert [r.at for r in reader.rounds(0, T0 + 10)] == [T0 + 1, T0 + 2]
    assert reader.sessions(0, T0 + 10) == [Coverage(T0, T0 + 2, True)]


# --- anchor series (report chart) ------------------------------------------------------------------------------


def brute_series(
    rounds: list[Round], since: float, until: float, bucket: int
) -> list[tuple[int, int, int, float | None, float | None]]:
    """The anchor series straight from the rounds: minutes starting in [since, until), buckets from since's minute."""
    origin = math.ceil(since / 60) * 60
    groups: dict[int, list[float | None]] = defaultdict(list)
    for r in rounds:
        minute = int(codec.from_ms(codec.to_ms(r.at)) // 60) * 60
        if not since <= minute < until:
            continue
        for s in r.samples:
            if s.target.role is Role.ANCHOR:
                groups[origin + (minute - origin) // bucket * bucket].append(
                    codec.tenths_rtt(codec.rtt_tenths(s.rtt_ms))
                )
    out = []
    for start, rtts in sorted(groups.items()):
        answered = [x for x in rtts if x is not None]
        average = sum(answered) / len(answered) if answered else None
        out.append((start, len(rtts), len(rtts) - len(answered), average, max(answered, default=None)))
    return out


@settings(max_examples=40, deadline=None)
@given(
    st.lists(ROUND_SHAPE, max_size=40),
    st.sampled_from([60, 120, 300, 3600]),
    st.integers(-3600, 120).map(lambda s: T0 + s),
    st.integers(0, 7200),
)
def test_anchor_series_equals_a_brute_force_computation(
    shapes: list[tuple[float, tuple[Target, ...], list[float | None]]], bucket: int, since: float, length: int
) -> None:
    rounds = [Line.of(*targets).answers(at, *rtts[: len(targets)]) for at, targets, rtts in shapes]
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "s.db") as store:
        for r in rounds:
            store.add_round(r)
        store.commit()
        with Store.open(Path(tmp) / "s.db", readonly=True) as reader:
            got = reader.anchor_series(since, since + length, bucket)
    want = brute_series(rounds, since, since + length, bucket)
    assert [(g[0], g[1], g[2], g[4]) for g in got] == [(w[0], w[1], w[2], w[4]) for w in want]
    assert [g[3] for g in got] == [pytest.approx(w[3]) for w in want]


def test_anchor_series_buckets_sums_and_edges(store: Store) -> None:
    # Two anchors (A1, A6) every 30 s for 3 minutes; A6 lost once; the gateway and ISP hop are not anchors.
    for i, at in enumerate((T0, T0 + 30, T0 + 60, T0 + 90, T0 + 120, T0 + 150)):
        store.add_round(rnd(at, 1.0, None, 10.0 + i, None if i == 3 else 20.0))
    store.add_round(rnd(T0 + 3600, 1.0, 1.0, None, None))  # an hour later: everything lost
    store.commit()
    assert store.anchor_series(T0, T0 + 7200, 120) == [
        (int(T0), 8, 1, pytest.approx((10 + 11 + 12 + 13 + 20 * 3) / 7), 20.0),
        (int(T0) + 120, 4, 0, pytest.approx((14 + 15 + 40) / 4), 20.0),
        (int(T0) + 3600, 2, 2, None, None),
    ]
    # Buckets start at since rounded up to a whole minute, and hold minutes starting before until.
    assert [row[0] for row in store.anchor_series(T0 - 59, T0 + 60, 120)] == [int(T0)]
    assert [row[:3] for row in store.anchor_series(T0 + 60, T0 + 121, 60)] == [
        (int(T0) + 60, 4, 1),
        (int(T0) + 120, 4, 0),
    ]
    assert sum(row[1] for row in store.anchor_series(float("-inf"), float("inf"), 3600)) == 14  # no endless buckets
    assert store.anchor_series(T0 + 5, T0 + 50, 60) == []  # no minute starts inside
    assert store.anchor_series(T0 + 7200, T0 + 9000, 60) == []
    with pytest.raises(ValueError, match="bucket_seconds must be a positive multiple of 60, got 90"):
        store.anchor_series(T0, T0 + 60, 90)


def test_a_corrupt_store_is_named_with_the_fix(path: Path) -> None:
    with Store.open(path) as store:
        for i in range(3000):
            store.add_round(rnd(T0 + i))
            if i % 100 == 99:
                store.commit()
        store.commit()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    for page in (5, 40, 90):  # tables and index pages in the middle of the file, as a failing SD card leaves them
        data[page * 1024 : (page + 1) * 1024] = b"\xde\xad\xbe\xef" * 256
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as err, Store.open(path, readonly=True) as reader:
        list(reader.rounds(0, T0 + 4000))
    assert str(err.value) == (
        f"store {path} is corrupt (database disk image is malformed): move it aside to start a new store, or"
        " restore it from a backup"
    )


def test_a_store_locked_by_another_program_is_named(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.open(path).close()
    monkeypatch.setattr(migrations, "BUSY_TIMEOUT_S", 0.2)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # e.g. a backup tool or a sqlite3 shell holding a write lock
        with pytest.raises(StoreError) as err:
            Store.open(path)
    finally:
        other.close()
    assert str(err.value) == (
        f"store {path} is locked (database is locked): stop the other process using it, or point store.path elsewhere"
    )
