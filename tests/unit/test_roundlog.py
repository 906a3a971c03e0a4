"""The round log against real files and a real store: rounds made durable between seals, sealed by the next commit
or, after a stop that did not commit them, by ``recover``; never twice, never out of their session. And the compact
RTT codes the store writes since schema 14."""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwatch.adapters.store import Store, codec, roundlog
from netwatch.core.model import Coverage, Round
from tests.support.instants import T0
from tests.support.rounds import Line
from tests.support.targets import A1, A6, GW, ISP

TARGETS = (GW, ISP, A1, A6)
LINE = Line.of(*TARGETS)


def a_round(i: int) -> Round:
    """Target n answers in 2 + n + i % 7 ms (some over 23.9 ms: two bytes); every 11th round the anchors are lost."""
    return LINE.answers(T0 + i, *(None if i % 11 == 0 and n >= 2 else 2.0 + n + 4.0 * (i % 7) for n in range(4)))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "netwatch.db"


def stored(path: Path) -> list[Round]:
    with Store.open(path, readonly=True) as reader:
        return list(reader.rounds(0.0, float("inf")))


def add(store: Store, first: int, last: int) -> None:
    for i in range(first, last):
        store.add_round(a_round(i))


@pytest.fixture
def logged(path: Path) -> Iterator[Store]:
    """A store whose session began at T0, with rounds 0-9 committed and 10-29 in its round log (two records)."""
    store = Store.open(path)
    store.begin_session(T0)
    add(store, 0, 10)
    store.commit()
    add(store, 10, 20)
    store.log()
    add(store, 20, 30)
    store.log()
    yield store
    store.close()


def test_logged_rounds_are_not_in_the_store_until_a_commit_takes_them(logged: Store, path: Path) -> None:
    assert [r.at for r in stored(path)] == [T0 + i for i in range(10)]
    assert logged.pending() == 20
    assert len(roundlog.read(roundlog.path_for(path))) == 2
    add(logged, 30, 35)
    logged.commit()
    assert stored(path) == [a_round(i) for i in range(35)]
    assert logged.pending() == 0
    assert logged.verify().ok


def test_a_stop_without_a_commit_keeps_the_logged_rounds_for_the_next_start(
    logged: Store, path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    add(logged, 30, 33)  # neither committed nor logged: lost, as with a crash
    logged.close()
    assert [m.getMessage() for m in caplog.records] == [
        f"store {path} closed with 3 uncommitted rounds: they are lost",
        f"store {path} closed with 20 rounds in its round log: the next start seals them",
    ]
    caplog.clear()
    with Store.open(path) as store:
        assert store.recover() == []
        assert caplog.messages == [f"store {path}: 20 rounds that an unclean stop left in the round log are now stored"]
        assert store.sessions(0.0, float("inf")) == [Coverage(T0, T0 + 29, clean=False)]  # to the last logged round
        assert sum(m.sent for m in store.rollups(0.0, float("inf"))) == 30 * len(TARGETS)
        verification = store.verify()
        assert verification.ok and verification.rounds == 30
    assert stored(path) == [a_round(i) for i in range(30)]


def test_a_log_the_store_already_took_is_never_replayed(logged: Store, path: Path) -> None:
    logged.commit()  # the log's file still holds both records: only the base they name tells they are sealed
    logged.close()
    assert len(roundlog.read(roundlog.path_for(path))) == 2
    with Store.open(path) as store:
        store.recover()
        store.recover()
    assert stored(path) == [a_round(i) for i in range(30)]


def test_what_an_earlier_log_left_beyond_a_shorter_new_one_is_not_read_as_its_own(logged: Store, path: Path) -> None:
    logged.commit()
    add(logged, 30, 32)
    logged.log()  # written over the start of the two longer records of before
    logged.close()
    size = roundlog.path_for(path).stat().st_size
    assert [len(r.rounds) for r in roundlog.read(roundlog.path_for(path))] == [2]
    with Store.open(path) as store:
        store.recover()
    assert stored(path) == [a_round(i) for i in range(32)]
    assert roundlog.path_for(path).stat().st_size == size  # never truncated: a sync writes no metadata


def end_of_records(log: Path) -> int:
    """Where the log's last record ends: its last sector holds zeros after it."""
    last = roundlog.encode(roundlog.read(log)[-1])
    return log.read_bytes().rfind(last) + len(last)


def test_a_torn_record_loses_only_its_own_rounds(logged: Store, path: Path) -> None:
    logged.close()
    log = roundlog.path_for(path)
    os.truncate(log, end_of_records(log) - 3)  # the power failed while the second record was written
    with Store.open(path) as store:
        store.recover()
        assert store.verify().ok
    assert stored(path) == [a_round(i) for i in range(20)]


def test_a_damaged_record_ends_the_log(logged: Store, path: Path) -> None:
    logged.close()
    log = roundlog.path_for(path)
    data = bytearray(log.read_bytes())
    data[end_of_records(log) - 5] ^= 0x40  # a flipped bit in the second record: its CRC no longer matches
    log.write_bytes(bytes(data))
    with Store.open(path) as store:
        store.recover()
    assert stored(path) == [a_round(i) for i in range(20)]


def test_a_target_set_the_store_never_saw_is_replayed_from_the_log(path: Path) -> None:
    line = Line.of(GW, A1)
    with Store.open(path) as store:
        store.begin_session(T0)
        store.add_round(line.answers(T0, 1.0, 30.0))
        store.log()
        record = roundlog.read(roundlog.path_for(path))[0]
        assert record.rounds[0].set_id == 0 and record.rounds[0].set_text == codec.targets_json((GW, A1))
        store.close()
        with Store.open(path) as again:
            again.recover()
            assert again.last_round() == line.answers(T0, 1.0, 30.0)


def test_a_log_left_by_a_store_that_never_sealed_is_replayed(path: Path) -> None:
    """The first log of a new store: its base is 0, the sequence of a store without rounds."""
    store = Store.open(path)
    store.begin_session(T0)
    add(store, 0, 5)
    store.log()
    store.close()
    with Store.open(path) as again:
        again.recover()
    assert stored(path) == [a_round(i) for i in range(5)]


def some_rounds(n: int, size: int) -> list[roundlog.LoggedRound]:
    """``n`` rounds with RTT blobs of ``size`` bytes (a record of about n * (size + 10) bytes)."""
    return [roundlog.LoggedRound(7, "", 1_767_225_600_000 + i, bytes(size), None, False) for i in range(n)]


class Refusing:
    """``os.pwrite`` of a disk whose direct writes must be aligned to ``sector`` bytes (0: refused outright), as
    the kernel answers: EINVAL. Buffered writes pass."""

    def __init__(self, sector: int, error: int = errno.EINVAL) -> None:
        self.sector = sector
        self.error = error
        self.pwrite = os.pwrite

    def __call__(self, fd: int, data: bytes | memoryview, offset: int) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT and (not self.sector or (offset | len(data)) % self.sector):
            raise OSError(self.error, os.strerror(self.error))
        return self.pwrite(fd, data, offset)


def o_direct(log: roundlog.RoundLog) -> bool:
    assert log._fd is not None
    return bool(fcntl.fcntl(log._fd, fcntl.F_GETFL) & os.O_DIRECT)


SIZES = [1, 30, 17, 600, 3, 90, 60, 1, 1200, 45, 7, 150]  # records of 20 B to 6 KiB: past 4 KiB, ends anywhere


@pytest.mark.parametrize(
    ("sector", "error", "direct"),
    [(512, errno.EINVAL, 512), (4096, errno.EINVAL, 4096), (0, errno.EINVAL, 0), (0, errno.EOPNOTSUPP, 0)],
    ids=["512", "4096", "refused", "not supported"],
)
def test_each_record_in_sectors_of_its_own_reads_back_whatever_the_disk_takes(
    tmp_path: Path, sector: int, error: int, direct: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk taking 512-byte direct writes, one taking only 4096-byte ones, one refusing them (EINVAL, or
    EOPNOTSUPP as some FUSE file systems answer): the log uses what it takes (buffered writes, O_DIRECT cleared,
    each record to the end of its page, for the last), every record starts on a sector of its own, and reads back
    whole, across 4-KiB blocks and a restart over the start of a longer log."""
    monkeypatch.setattr(roundlog.os, "pwrite", Refusing(sector, error))
    log = roundlog.RoundLog(tmp_path / "x.roundlog")
    log.restart(41)
    written, starts = [], []
    try:
        for n, size in enumerate(SIZES):
            rounds = some_rounds(1 + n % 5, size)
            starts.append(log._offset)
            log.append(n + 1, rounds)
            written.append(roundlog.Record(41, n, n + 1, tuple(rounds)))
            assert roundlog.read(log.path) == written
        assert log.direct == direct and o_direct(log) == bool(direct)
        assert log._offset > 4096 * 3
        data = log.path.read_bytes()
        assert all(at % (direct or mmap.PAGESIZE) == 0 and data[at : at + 2] == roundlog.MAGIC for at in starts)
        log.restart(42)
        log.append(9, some_rounds(2, 10))  # over the start of the longer log of before
    finally:
        log.close()
    assert roundlog.read(log.path) == [roundlog.Record(42, 0, 9, tuple(some_rounds(2, 10)))]


def test_a_file_system_without_direct_io_gets_buffered_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = os.open

    def without_direct(path: Path, flags: int, mode: int = 0o777) -> int:
        if flags & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return opened(path, flags, mode)

    monkeypatch.setattr(roundlog.os, "open", without_direct)
    log = roundlog.RoundLog(tmp_path / "x.roundlog")
    log.restart(1)
    try:
        log.append(1, some_rounds(3, 20))
        log.append(1, some_rounds(2, 20))
        assert log.direct == 0 and not o_direct(log)
    finally:
        log.close()
    assert [len(r.rounds) for r in roundlog.read(log.path)] == [3, 2]
    assert log.path.stat().st_size == 2 * mmap.PAGESIZE  # two records, a page each: what the kernel writes back


@pytest.mark.parametrize("failing", ["pwrite", "fdatasync"])
def test_a_write_or_sync_that_fails_leaves_the_log_as_before_and_the_next_append_takes_its_place(
    tmp_path: Path, failing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = roundlog.RoundLog(tmp_path / "x.roundlog")
    log.restart(5)
    try:
        log.append(1, some_rounds(2, 10))
        with monkeypatch.context() as patched:

            def broken(*_: object) -> int:
                raise OSError(errno.EIO, "Input/output error")

            patched.setattr(roundlog.os, failing, broken)
            with pytest.raises(OSError, match="Input/output error"):
                log.append(1, some_rounds(3, 10))
        log.append(1, some_rounds(4, 10))
    finally:
        log.close()
    assert [(r.number, len(r.rounds)) for r in roundlog.read(log.path)] == [(0, 2), (1, 4)]


def test_a_write_torn_by_a_power_cut_damages_only_its_own_record(tmp_path: Path) -> None:
    """Whatever the disk was writing when the power failed (every sector the last write touched, from the sector
    its record starts in) holds garbage: the record before it is intact, as it never shares a sector with it."""
    log = roundlog.RoundLog(tmp_path / "x.roundlog")
    log.restart(5)
    try:
        log.append(1, some_rounds(2, 10))
        start = log._offset
        log.append(1, some_rounds(40, 30))  # three sectors
        end = log._offset
    finally:
        log.close()
    data = bytearray(log.path.read_bytes())
    torn = start - start % 512
    data[torn:end] = b"\xff" * (end - torn)
    log.path.write_bytes(bytes(data))
    assert [len(r.rounds) for r in roundlog.read(log.path)] == [2]


def test_a_sector_that_is_neither_zeros_nor_a_record_ends_the_log() -> None:
    """Only padding (zeros) is skipped: a record found after anything else is not this log's next one."""
    first, second = (roundlog.encode(roundlog.Record(3, n, 1, tuple(some_rounds(2, 10)))) for n in (0, 1))
    padded = first + bytes(-len(first) % 512)
    garbage = b"\x01" + bytes(511)
    assert [r.number for r in roundlog.records(padded + second)] == [0, 1]
    assert [r.number for r in roundlog.records(padded + bytes(512) + second)] == [0, 1]
    assert [r.number for r in roundlog.records(padded + garbage + second)] == [0]


def test_records_written_back_to_back_by_earlier_versions_are_read() -> None:
    """A log left by a netwatch before sector-aligned records (records one after the other), replayed after an
    upgrade."""
    written = [roundlog.Record(3, n, 1, tuple(some_rounds(1 + n, 17))) for n in range(4)]
    data = b"".join(roundlog.encode(r) for r in written) + bytes(100)
    assert list(roundlog.records(data)) == written


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 30),  # rounds
            st.integers(0, 120),  # RTT bytes each
            st.sampled_from(["ok", "ok", "ok", "pwrite", "fdatasync", "restart"]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_every_acknowledged_record_reads_back_whatever_fails_between(
    steps: list[tuple[int, int, str]],
) -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/tmp")) as tmp:
        log = roundlog.RoundLog(Path(tmp) / "x.roundlog")
        log.restart(0)
        acknowledged: list[roundlog.Record] = []
        unacknowledged: list[roundlog.Record] = []  # failed appends' records since the last: one may be in the file
        base = 0
        try:
            for n, size, what in steps:
                if what == "restart":
                    base += 1
                    log.restart(base)
                    acknowledged, unacknowledged = [], []
                    continue
                rounds = some_rounds(n, size)
                record = roundlog.Record(base, len(acknowledged), n, tuple(rounds))
                if what == "ok":
                    log.append(n, rounds)
                    acknowledged.append(record)
                    unacknowledged = []
                    continue
                unacknowledged.append(record)
                real = getattr(os, what)

                def broken(*_: object) -> int:
                    raise OSError(errno.EIO, "Input/output error")

                setattr(roundlog.os, what, broken)
                try:
                    with pytest.raises(OSError):
                        log.append(n, rounds)
                finally:
                    setattr(roundlog.os, what, real)
        finally:
            log.close()
        if acknowledged:  # (before any, the file holds what the log before the restart left: another base)
            found = roundlog.read(log.path)
            assert found[: len(acknowledged)] == acknowledged
            assert found[len(acknowledged) :] in [[], *([r] for r in unacknowledged)]


def kernel_write_bytes() -> int:
    """What this process has made the disk receive so far (the figure `netwatch doctor` counts)."""
    line = next(x for x in Path("/proc/self/io").read_text().splitlines() if x.startswith("write_bytes:"))
    return int(line.split()[1])


def test_a_commit_of_a_few_hundred_bytes_costs_the_card_one_sector_not_a_page(tmp_path: Path) -> None:
    """Issue 17's card wear: 450 bytes every 10 s synced as a buffered 4-KiB page is 35 MB a day; as a sector of
    its own it is one 512-byte sector per commit (the file system's journal aside)."""
    log = roundlog.RoundLog(tmp_path / "x.roundlog")
    log.restart(1)
    try:
        for _ in range(8):  # the file's first blocks: allocated once, not counted below
            log.append(1, some_rounds(10, 30))
        log.restart(1)
        before = kernel_write_bytes()
        log.append(1, some_rounds(10, 30))
        if log.direct != 512 or kernel_write_bytes() == before:
            pytest.skip(f"{tmp_path} takes no 512-byte direct writes, or is in RAM: nothing to count")
        before = kernel_write_bytes()
        for _ in range(8):
            log.append(1, some_rounds(10, 30))  # about 420 bytes, a commit of 10 rounds
    finally:
        log.close()
    assert 8 * 512 <= kernel_write_bytes() - before < 8 * 1024


LOGGED = st.builds(
    roundlog.LoggedRound,
    set_id=st.just(0),
    set_text=st.text(max_size=40),
    at_ms=st.integers(-(2**62), 2**62),
    rtts=st.binary(max_size=40),
    errors=st.one_of(st.none(), st.text(min_size=1, max_size=30)),
    provisional=st.booleans(),
) | st.builds(  # a set the store has an id for: the log keeps the id, not the text
    roundlog.LoggedRound,
    set_id=st.integers(1, 2**40),
    set_text=st.just(""),
    at_ms=st.integers(-(2**62), 2**62),
    rtts=st.binary(max_size=40),
    errors=st.one_of(st.none(), st.text(min_size=1, max_size=30)),
    provisional=st.booleans(),
)


@given(
    st.integers(0, 2**62),
    st.integers(0, 2**31),
    st.lists(st.tuples(st.integers(0, 2**40), st.lists(LOGGED, max_size=12)), min_size=1, max_size=4),
)
def test_records_round_trip_and_stop_at_the_first_that_does_not_follow(
    base: int, session: int, commits: list[tuple[int, list[roundlog.LoggedRound]]]
) -> None:
    records = [roundlog.Record(base, n, s, tuple(rounds)) for n, (s, rounds) in enumerate(commits)]
    data = b"".join(roundlog.encode(r) for r in records)
    assert list(roundlog.records(data)) == records
    assert list(roundlog.records(data[:-1])) == records[:-1]
    other = roundlog.encode(roundlog.Record(base + 1, len(records), session, ()))
    assert list(roundlog.records(data + other)) == records  # another base: what an earlier log left
    skipped = roundlog.encode(roundlog.Record(base, len(records) + 1, session, ()))
    assert list(roundlog.records(data + skipped)) == records  # a number out of sequence


# --- compact RTT codes ------------------------------------------------------------------------------------------

RTT = st.one_of(
    st.none(),
    st.floats(min_value=0.0, max_value=7000.0),
    st.sampled_from([0.0, 23.9, 23.95, 24.0, 331.1, 331.2, 6553.3, 6553.4, float("inf"), -1.0]),
)


@given(st.lists(RTT, max_size=12))
def test_compact_codes_decode_to_what_the_fixed_layout_holds(rtts: list[float | None]) -> None:
    compact = codec.pack_compact(rtts)
    fixed = codec.pack_rtts(rtts)
    assert codec.unpack_tenths(compact) == codec.unpack_tenths(fixed)
    assert codec.unpack_rtts(compact) == codec.unpack_rtts(fixed)
    # Never longer than the fixed layout, and told apart from it by its length alone: odd, or the fixed one.
    assert compact == fixed or (len(compact) % 2 == 1 and len(compact) < len(fixed))


def test_compact_code_lengths() -> None:
    assert codec.pack_compact([0.6, 7.5, 23.9, None, 6553.4, 2.0]) == bytes((6, 75, 239, 0xFF, 0xFE, 20, 0xFD))
    assert codec.pack_compact([24.0, 1.0, 2.0]) == bytes((0xF0, 0, 10, 20, 0xFD))
    assert codec.pack_compact([331.1, 331.2, 1.0, 1.0, 1.0, 1.0]) == bytes(
        (0xFB, 0xFF, 0xFC, 0xF0, 0x0C, 10, 10, 10, 10)  # 331.2 ms: three bytes, 3312 little-endian; odd: no pad
    )
    assert codec.pack_compact([100.0]) == codec.pack_rtts([100.0])  # two bytes either way: the fixed layout
    assert codec.pack_compact([]) == b""
    assert len(codec.pack_compact([11.0, 13.0, 18.0, 12.0, 0.6, 7.5])) == 7  # the benchmark's line: 7 bytes, not 12
