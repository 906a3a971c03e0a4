"""What `netwatch doctor` reads from this machine, through the adapters: free space, a process's write account and
which process holds a lock, a TCP connection, whether a module or a program is there, where an apprise channel
delivers, and the clock's maximum error."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

import pytest

from netwatch.adapters import clock, disk, extras, locks, reach
from netwatch.adapters.notify import build, endpoint
from netwatch.config.records import NotifyConfig
from tests.support.sockets import free_port


def test_space_is_the_file_system_s_and_a_missing_store_s_parent_counts(tmp_path: Path) -> None:
    free, total = disk.space(tmp_path / "not" / "yet" / "netwatch.db")
    usage = shutil.disk_usage(tmp_path)
    assert total == usage.total
    assert 0 <= free <= total


def test_written_reads_a_process_s_own_account(tmp_path: Path) -> None:
    before = disk.written(os.getpid())
    assert before is not None
    data = tmp_path / "data"
    with data.open("wb") as f:
        f.write(b"\0" * 1_000_000)
        f.flush()
        os.fsync(f.fileno())
    after = disk.written(os.getpid())
    assert after is not None
    # On a file system with a block device, what was synced was written; tmpfs counts nothing.
    assert after[0] >= before[0]
    assert after[1] >= before[1] >= 0


def test_written_of_no_such_process_is_none(tmp_path: Path) -> None:
    assert disk.written(2**22 + 1) is None  # above the kernel's pid_max limit
    assert disk.written(os.getpid(), proc=tmp_path) is None


def test_locker_names_the_process_holding_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db.lock"
    assert locks.locker(path) is None  # no file
    with locks.held(path) as taken:
        assert taken
        assert locks.locker(path) == os.getpid()
    assert locks.locker(path) is None
    assert locks.is_locked(path) is False


def test_connect_to_a_closed_port_is_refused_and_to_a_listening_one_takes_its_time() -> None:
    with pytest.raises(ConnectionRefusedError):
        reach.connect("127.0.0.1", free_port(), 1.0)
    with socket.create_server(("127.0.0.1", 0)) as server:
        assert reach.connect("127.0.0.1", server.getsockname()[1], 1.0) >= 0.0


def test_installed_and_program() -> None:
    assert extras.installed("json")
    assert not extras.installed("netwatch_no_such_module")
    assert not extras.installed("..relative")
    assert extras.program(sys.executable)
    assert not extras.program("/nonexistent/program")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("json://127.0.0.1:9/", ("127.0.0.1", 9)),
        ("jsons://hooks.example.org/x", ("hooks.example.org", 443)),
        ("ntfy://ntfy.example.org/topic", ("ntfy.example.org", 80)),
        ("tgram://123456789:abcdefg_hijklmnop/12315544/", ("api.telegram.org", 443)),
        ("mailto://user:pass@gmail.com", ("smtp.gmail.com", 587)),
    ],
)
def test_endpoint_of_an_apprise_channel(url: str, expected: tuple[str, int]) -> None:
    [channel], problems = build(NotifyConfig(urls=(url,)))
    assert problems == []
    assert endpoint(channel) == expected


def test_a_command_has_no_endpoint() -> None:
    [channel], _ = build(NotifyConfig(command=("/bin/true",)))
    assert endpoint(channel) is None


def test_max_error_is_seconds_or_unknown() -> None:
    found = clock.SystemClock().max_error()
    assert found is None or found >= 0.0
