"""Fixtures shared by every test directory (the integration ones have more in integration/conftest.py), built
from tests/support."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwatch.adapters.store import Store
from tests.support.journald import Journald


@pytest.fixture(autouse=True)
def runtime_directory(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A RAM-like directory of the test's own for the daemon's live state (as systemd's $RUNTIME_DIRECTORY), so that
    no test writes into /run/netwatch or sees another test's daemon there."""
    run = tmp_path_factory.mktemp("run")
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(run))
    return run


@pytest.fixture(autouse=True)
def installation(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No state directory recorded by ./bootstrap and no installed service's store, whatever this machine has
    (`./bootstrap test` records the checkout's ./state in .venv); returns where a test may write that record."""
    from netwatch.app import settings

    place = tmp_path_factory.mktemp("installation")
    monkeypatch.setattr(settings, "RECORD", place / "share/netwatch/state-directory")
    monkeypatch.setattr(settings, "SERVICE_STATE", place / "var/lib/netwatch")
    return place / "share/netwatch/state-directory"


@pytest.fixture(autouse=True)
def system_zone(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A system that names no time zone, whatever this machine's is: business hours in commands run in process
    default to UTC, as the tests expect (tests of the system's zone point these elsewhere)."""
    from netwatch.adapters import localzone

    none = tmp_path_factory.mktemp("zone")
    monkeypatch.setattr(localzone, "LOCALTIME", none / "localtime")
    monkeypatch.setattr(localzone, "TIMEZONE", none / "timezone")


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A bound AF_UNIX datagram socket (as systemd's $NOTIFY_SOCKET) and its path."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify")
    sock.bind(path)
    yield sock, path
    sock.close()


@pytest.fixture
def journald(tmp_path: Path) -> Iterator[Journald]:
    """A local server speaking journald's stream protocol at ``tmp_path/stdout``, closed afterwards."""
    server = Journald(tmp_path / "stdout")
    yield server
    server.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A new store, open read-write, at ``store.path`` in the test's temporary directory."""
    with Store.open(tmp_path / "netwatch.db") as s:
        yield s


@pytest.fixture
def netwatch_logger() -> Iterator[None]:
    """The CLI's logs.setup() takes over the "netwatch" logger (a handler on CliRunner's stderr, no propagation):
    give it back afterwards, for caplog in later tests. Modules whose tests run the CLI in process use it."""
    logger = logging.getLogger("netwatch")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved
