"""The live state file: where it is written (RAM only), its bytes, and reading the newest of the candidates."""

from __future__ import annotations

import os
from pathlib import Path

from netwatch.adapters import live
from netwatch.core.model import Cause, Incident, Kind, Live, Role, Round, Sample, Target

AT = 1_796_000_000.0
GW = Target(Role.GATEWAY, "192.168.1.1")
ANCHOR = Target(Role.ANCHOR, "1.1.1.1")


def state(written: float, down: bool = False) -> Live:
    rnd = Round(AT, (Sample(GW, 0.4), Sample(ANCHOR, None if down else 12.5, "timeout" if down else "")))
    incidents = (
        (Incident(Kind.OUTAGE, Cause.UPSTREAM, AT - 30, rounds=30, detail="no anchor answered"),) if down else ()
    )
    return Live(os.getpid(), "boot", written, 5.0, 1.0, AT - 3600, rnd, incidents, 2, True, "0.1.0")


def test_the_bytes_round_trip() -> None:
    for value in (state(AT), state(AT + 1, down=True), Live(1, "b", AT, 1.0, 1.0, AT, None)):
        assert live.decode(live.encode(value)) == value


def test_the_daemon_writes_into_systemds_runtime_directory_and_readers_find_it(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    store = tmp_path / "netwatch.db"
    env = {"RUNTIME_DIRECTORY": str(run)}
    path = live.writable_path(store, env)
    assert path == run / live.name_for(store)
    live.write(path, state(AT))
    assert live.read(store, env) == state(AT)
    assert live.read(tmp_path / "other.db", env) is None  # another store's daemon is not this one
    live.remove(path)
    assert live.read(store, env) is None and list(run.iterdir()) == []


def test_the_newest_file_wins_and_a_broken_one_is_ignored(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b" / "netwatch"
    first.mkdir()
    second.mkdir(parents=True)
    store = tmp_path / "netwatch.db"
    env = {"RUNTIME_DIRECTORY": str(first), "XDG_RUNTIME_DIR": str(second.parent)}
    live.write(first / live.name_for(store), state(AT))
    live.write(second / live.name_for(store), state(AT + 5, down=True))
    assert live.read(store, env) == state(AT + 5, down=True)
    (second / live.name_for(store)).write_text("{not json")
    assert live.read(store, env) == state(AT)


def test_no_ram_directory_means_no_file(tmp_path: Path) -> None:
    env = {"RUNTIME_DIRECTORY": str(tmp_path / "missing" / "run")}
    found = live.writable_path(tmp_path / "netwatch.db", env)
    assert found is None or found.parent != tmp_path / "missing" / "run"


def test_the_daemon_rewrites_its_file_in_place_and_a_read_that_meets_a_write_half_way_is_never_taken(
    tmp_path: Path,
) -> None:
    """The daemon's file is rewritten in place every round (one write, no temporary file, no rename): a shorter
    state leaves nothing of a longer one, and bytes that mix two states (a read that met the write half-way) fail
    the checksum and are read again, never decoded into a state that never was."""
    store = tmp_path / "netwatch.db"
    env = {"RUNTIME_DIRECTORY": str(tmp_path)}
    path = live.writable_path(store, env)
    assert path is not None
    writer = live.LiveFile(path)
    longer, shorter = state(AT + 5, down=True), state(AT + 6)
    writer.write(longer)
    inode = path.stat().st_ino
    writer.write(shorter)
    assert path.stat().st_ino == inode and list(tmp_path.iterdir()) == [path]  # in place
    assert live.read(store, env) == shorter
    assert path.stat().st_size == len(live.framed(live.encode(longer)))  # padded, never shrunk below the longest

    old, new = (
        live.framed(live.encode(longer)),
        live.framed(live.encode(shorter), len(live.framed(live.encode(longer)))),
    )
    cut = next(i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b) + 1
    torn = new[:cut] + old[cut:]  # the new state's first differing byte, the old one's rest
    assert len(torn) == len(old)
    assert live.unframed(torn) is None
    assert live.unframed(new) is not None and live.decode(live.unframed(new) or b"") == shorter
    path.write_bytes(torn)
    assert live.read(store, env) is None  # still torn at every read: passed over, the store answers

    writer.remove()
    assert live.read(store, env) is None and list(tmp_path.iterdir()) == []
    writer.write(shorter)  # monitoring resumed: the file is created again
    assert live.read(store, env) == shorter


def test_a_file_of_the_previous_version_without_a_checksum_is_still_read(tmp_path: Path) -> None:
    """Until a daemon of the previous version restarts after an upgrade, its file (one JSON document, replaced
    atomically) is read as it is."""
    store = tmp_path / "netwatch.db"
    env = {"RUNTIME_DIRECTORY": str(tmp_path)}
    (tmp_path / live.name_for(store)).write_bytes(live.encode(state(AT)))
    assert live.read(store, env) == state(AT)


def test_a_file_deleted_under_the_daemon_is_written_again_within_its_relink_period(tmp_path: Path) -> None:
    store = tmp_path / "netwatch.db"
    env = {"RUNTIME_DIRECTORY": str(tmp_path)}
    path = live.writable_path(store, env)
    assert path is not None
    writer = live.LiveFile(path)
    writer.write(state(AT))
    path.unlink()  # someone cleaned /run under the running daemon
    for k in range(1, live.LiveFile.RELINK_EVERY):
        writer.write(state(AT + k))
    assert live.read(store, env) == state(AT + live.LiveFile.RELINK_EVERY - 1)
    writer.remove()
