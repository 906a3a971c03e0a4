"""Before the first route (slow DHCP at boot): what systemd is told while netwatch waits for the network, over a real
datagram socket (the wait itself, in the simulated ISP: tests/integration/test_detect_netns.py)."""

from __future__ import annotations

import socket
from pathlib import Path

from netwatch.adapters.sdnotify import Notifier
from netwatch.app.daemon.service import Supervision
from tests.support.clocks import Clock
from tests.support.daemons import make_daemon
from tests.support.sockets import received


def test_waiting_is_ready_with_its_reason_and_keeps_the_watchdog_alive(
    tmp_path: Path, listener: tuple[socket.socket, str]
) -> None:
    sock, path = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"})
    daemon = make_daemon(tmp_path, "", notifier)
    clock = Clock()
    service = Supervision(notifier, daemon.config, clock=clock)
    service.waiting("no route to any anchor yet")
    # Up and doing what it must: the start may not time out, however long DHCP takes.
    assert received(sock) == [b"READY=1\nSTATUS=waiting for the network: no route to any anchor yet", b"WATCHDOG=1"]
    clock.now += 14.9
    service.keep_alive()
    assert received(sock) == []
    clock.now += 0.1
    service.keep_alive()
    assert received(sock) == [b"WATCHDOG=1"]
    # The network is up and the session begun: the status line, no second READY=1.
    service.ready(daemon.line())
    assert received(sock) == ["STATUS=line up · 4 targets · 0 open incidents".encode()]
    notifier.close()


def test_without_systemd_waiting_sends_nothing(tmp_path: Path) -> None:
    notifier = Notifier.from_env({})
    service = Supervision(notifier, make_daemon(tmp_path, "", notifier).config)
    service.waiting("no route to any anchor yet")
    service.keep_alive()
    assert service.pings == 0
