"""A local client cannot fake an outage: the review's attack, replayed against a real `netwatch run`.

The daemon runs with systemd's default limit of 1024 file descriptors, the Prometheus endpoint on, echoes to
127.0.0.1 and DNS to a real server on 127.0.0.2:53. A client then opens 1100 idle connections to the metrics port
(prometheus_client's server took one thread and one descriptor each, until the next DNS probe failed with EMFILE
and an "outage (cause dns)" was sealed). Now the endpoint holds a handful of them at a time, the daemon's
descriptors stay bounded, and nothing but rounds with the line up is recorded. Needs root (port 53, raw ICMP).
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from netwatch.adapters.metrics import MAX_CLIENTS
from netwatch.adapters.store import Store
from netwatch.errors import StoreError
from tests.support import scripts
from tests.support.skipping import unavailable
from tests.support.sockets import free_port

RESOLVER = "127.0.0.2"
FLOOD = 1100


@pytest.fixture
def resolver() -> Iterator[None]:
    if os.geteuid() != 0:
        unavailable("needs root: a DNS server on port 53 and ICMP from the daemon")
    server = subprocess.Popen(
        [sys.executable, str(scripts.DNS_SERVER), "--listen", RESOLVER, "--port", "53"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        yield
    finally:
        server.terminate()
        server.wait(5)
        if server.stdout is not None:
            server.stdout.close()


def rounds(store: Path) -> int:
    try:
        with Store.open(store, readonly=True) as s:
            return s.count_rounds(0, time.time() + 60)
    except StoreError:  # not there yet, or being created
        return 0


def wait(what: str, ready: Callable[[], bool], daemon: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30  # a bound for a broken daemon, not a measure of a working one
    while not ready():
        assert daemon.poll() is None, f"the daemon stopped while waiting for {what}"
        assert time.monotonic() < deadline, f"no {what} after 30 s"
        time.sleep(0.1)


def descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_idle_connections_to_the_metrics_port_never_take_the_daemons_descriptors(
    resolver: None, tmp_path: Path
) -> None:
    port = free_port()
    store = tmp_path / "netwatch.db"
    config = tmp_path / "netwatch.toml"
    config.write_text(
        f"""
[probe]
interval = 0.2
timeout = 0.15
[targets]
gateway = ""
isp = ""
anchors = ["127.0.0.1"]
[dns]
names = ["example.test"]
servers = ["{RESOLVER}"]
[detect]
confirm = 3
[store]
path = "{store}"
commit_interval = 0.5
seal_interval = 0.5
[clock]
sync = "trust"
[traceroute]
enabled = false
[metrics]
enabled = true
listen = "127.0.0.1:{port}"
"""
    )

    def systemds_default_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    env = {**os.environ, "NETWATCH_STATE_DIR": str(tmp_path), "NETWATCH_CONFIG": str(config)}
    log = (tmp_path / "daemon.log").open("w")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "netwatch", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
        preexec_fn=systemds_default_limit,
    )
    clients: list[socket.socket] = []
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        wait("10 rounds", lambda: rounds(store) >= 10, daemon)
        before = descriptors(daemon.pid)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))  # the client's own
        most = before
        for _ in range(FLOOD):  # connect without waiting: the backlog fills, the rest wait for a SYN-ACK
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", port))
            clients.append(client)
        flooded = rounds(store)
        wait("30 rounds under the flood", lambda: rounds(store) >= flooded + 30, daemon)
        most = max(most, descriptors(daemon.pid))
        for client in clients:
            client.close()
        clients.clear()
        after = rounds(store)
        wait("10 rounds after it", lambda: rounds(store) >= after + 10, daemon)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(10) == 0, (tmp_path / "daemon.log").read_text()
    finally:
        for client in clients:
            client.close()
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        log.close()
    assert most <= before + MAX_CLIENTS + 2  # a client at most per slot (and a thread's own, passing)
    with Store.open(store, readonly=True) as s:
        assert s.incidents(0, time.time() + 60) == []
        stored = list(s.rounds(0, time.time() + 60))
        assert len(s.sessions(0, time.time() + 60)) == 1  # never paused: nothing ran out
        assert s.verify().ok
    assert stored and all(sample.ok for r in stored for sample in r.samples)
