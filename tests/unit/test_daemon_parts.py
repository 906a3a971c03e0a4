"""Pieces of the daemon's shell that can be exercised without a network: probe isolation, the store lock and the
discovery thread."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from netwatch.daemon import Daemon, exclusive_lock, in_daemon_thread
from netwatch.errors import StoreError
from netwatch.model import Role, Sample, Target

GW = Target(Role.GATEWAY, "198.18.1.1")
NAME = Target(Role.DNS, "example.test")


def test_a_failing_probe_marks_only_its_own_targets_lost() -> None:
    answered = (Sample(GW, 0.4),)
    assert Daemon._samples(answered, (GW,)) == answered
    assert Daemon._samples(OSError("Address family not supported"), (NAME,)) == (
        Sample(NAME, None, "probe error: Address family not supported"),
    )
    with pytest.raises(asyncio.CancelledError):
        Daemon._samples(asyncio.CancelledError(), (NAME,))


def test_one_daemon_per_store(tmp_path: Path) -> None:
    store = tmp_path / "netwatch.db"
    first = exclusive_lock(store)
    try:
        with pytest.raises(StoreError) as err:
            exclusive_lock(store)
        assert str(err.value) == (
            f"another netwatch is already recording into {store}: stop it first, or give this one its own store.path"
        )
    finally:
        os.close(first)
    os.close(exclusive_lock(store))  # released with the descriptor


def test_discovery_thread_returns_results_and_errors_without_blocking_exit() -> None:
    release = threading.Event()

    def slow() -> str:
        release.wait(30)
        return "never awaited"

    async def scenario() -> tuple[str, str]:
        ok = await in_daemon_thread(lambda x: x * 2, "ab")
        try:
            await in_daemon_thread(int, "not a number")
        except ValueError as err:
            failed = str(err)
        # A discovery still running when the loop stops is abandoned, not joined.
        task = asyncio.ensure_future(in_daemon_thread(slow))
        await asyncio.sleep(0)
        task.cancel()
        return ok, failed

    ok, failed = asyncio.run(scenario())
    release.set()
    assert ok == "abab"
    assert failed == "invalid literal for int() with base 10: 'not a number'"
