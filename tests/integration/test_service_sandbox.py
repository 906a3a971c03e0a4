"""The units' sandbox against what netwatch really does, traced with strace (no systemd needed to run it).

Under netwatch.service the daemon may only make the system calls of its SystemCallFilter= (as systemd-analyze
expands the groups), open sockets of its RestrictAddressFamilies=, and never map memory writable and executable
at once: MemoryDenyWriteExecute= in systemd 252 is a seccomp filter refusing mmap with PROT_WRITE|PROT_EXEC and
any mprotect or pkey_mprotect asking for PROT_EXEC. The same is checked for a report (netwatch-report.service)
and for iperf3, a speed-test child that inherits the daemon's filter. Both filters are read from the unit files.

Traced as root (the venv's Python is not reachable by other users here); the one call a root SQLite adds is
fchown (it gives its -wal/-shm files the database's owner only when running as root; the unit runs as netwatch,
and an EPERM there is ignored by SQLite anyway), so it is the only exception.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.core.model import Role, Round, Sample, Target
from tests.support import configs
from tests.support.skipping import need
from tests.support.units import SYSTEMD

ROOT_ONLY = frozenset({"fchown"})
_CALL = re.compile(r"^(\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()")


@cache
def syscall_groups() -> dict[str, frozenset[str]]:
    """Every @group of `systemd-analyze syscall-filter`, with its members (names and nested @groups)."""
    out = subprocess.run([need("systemd-analyze"), "syscall-filter"], capture_output=True, text=True, check=True)
    groups: dict[str, set[str]] = {}
    current = ""
    for line in out.stdout.splitlines():
        word = line.strip()
        if line.startswith("@"):
            current = word
            groups[current] = set()
        elif word and not word.startswith("#") and current:
            groups[current].add(word)
    return {name: frozenset(members) for name, members in groups.items()}


def expand(item: str) -> frozenset[str]:
    if not item.startswith("@"):
        return frozenset({item})
    return frozenset().union(*(expand(member) for member in syscall_groups()[item]))


@dataclass(frozen=True)
class Sandbox:
    syscalls: frozenset[str]
    families: frozenset[str]


def sandbox(unit: str) -> Sandbox:
    """What ``unit``'s SystemCallFilter= lines (an allow list, then ~deny lists) and RestrictAddressFamilies=
    allow."""
    allowed: set[str] = set()
    families: set[str] = set()
    for line in (SYSTEMD / unit).read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "SystemCallFilter":
            items = value.removeprefix("~").split()
            if value.startswith("~"):
                allowed -= set().union(*(expand(i) for i in items))
            else:
                allowed |= set().union(*(expand(i) for i in items))
        elif key == "RestrictAddressFamilies":
            families |= set(value.split())
    assert allowed and families, f"{unit} has no SystemCallFilter= or RestrictAddressFamilies="
    return Sandbox(frozenset(allowed), frozenset(families))


@dataclass(frozen=True)
class Trace:
    calls: frozenset[str]
    families: frozenset[str]
    wx: tuple[str, ...]  # calls that W^X (MemoryDenyWriteExecute=) refuses

    @classmethod
    def read(cls, path: Path) -> Trace:
        calls: set[str] = set()
        families: set[str] = set()
        wx: list[str] = []
        for line in path.read_text(errors="replace").splitlines():
            found = _CALL.match(line)
            if not found:
                continue
            name = found.group(2) or found.group(3)
            calls.add(name)
            if name == "socket" and found.group(3):
                families.add(line.split("socket(", 1)[1].split(",", 1)[0])
            exec_asked = "PROT_EXEC" in line
            if (name in ("mmap", "mmap2") and exec_asked and "PROT_WRITE" in line) or (
                name in ("mprotect", "pkey_mprotect") and exec_asked
            ):
                wx.append(line)
        return cls(frozenset(calls), frozenset(families), tuple(wx))

    def check(self, box: Sandbox, what: str) -> None:
        assert len(self.calls) > 20, f"{what}: the trace is nearly empty: {sorted(self.calls)}"
        assert sorted(self.calls - box.syscalls - ROOT_ONLY) == [], f"{what}: calls outside SystemCallFilter="
        assert sorted(self.families - box.families) == [], f"{what}: socket families outside RestrictAddressFamilies="
        assert self.wx == (), f"{what}: refused by MemoryDenyWriteExecute="


def strace(trace: Path, *argv: str, **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [need("strace"), "-f", "-qq", "-e", "signal=none", "-s", "64", "-o", str(trace), *argv],
        **kw,  # type: ignore[call-overload]
    )


@pytest.fixture(scope="module")
def traced_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """One real daemon run under strace (start, rounds on loopback, commits, SIGTERM): (its trace, its store)."""
    need("strace")
    tmp = tmp_path_factory.mktemp("sandbox")
    document = configs.daemon(
        tmp / "netwatch.db",
        ["127.0.0.1", "::1"],
        interval=0.1,
        timeout=0.05,
        dns_names=["localhost"],
        commit_interval=0.3,
        targets={"gateway": "", "isp": ""},
        dns={"servers": ["127.0.0.1"]},
    )
    cfg = configs.write(tmp / "netwatch.toml", document)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(tmp / "notify"))
    listener.settimeout(60)
    env = {
        **os.environ,
        "NOTIFY_SOCKET": str(tmp / "notify"),
        "WATCHDOG_USEC": "3000000",
        "NETWATCH_STATE_DIR": str(tmp),
    }
    trace = tmp / "daemon.trace"
    proc = strace(
        trace, sys.executable, "-m", "netwatch", "run", "--config", str(cfg), env=env, stderr=subprocess.DEVNULL
    )
    try:
        while not listener.recv(4096).startswith(b"READY=1"):
            pass
        time.sleep(1.5)  # rounds, a commit or more, a watchdog ping
        daemon = int(trace.read_text().split(None, 1)[0])  # the first traced PID is the daemon's
        os.kill(daemon, signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        listener.close()
    yield trace, tmp / "netwatch.db"


def test_the_daemon_stays_inside_netwatch_service(traced_daemon: tuple[Path, Path]) -> None:
    trace = Trace.read(traced_daemon[0])
    trace.check(sandbox("netwatch.service"), "netwatch run")
    assert {"AF_INET", "AF_INET6", "AF_UNIX"} <= trace.families  # ICMP over both families, and the notify socket


def test_a_report_stays_inside_netwatch_report_service(traced_daemon: tuple[Path, Path], tmp_path: Path) -> None:
    store = traced_daemon[1]
    with Store.open(tmp_path / "history.db") as history:  # a month's worth of rollups to render, besides the store
        history.begin_session(1_793_520_000.0)
        for i in range(60):
            history.add_round(Round(1_793_520_000.0 + 60 * i, (Sample(Target(Role.ANCHOR, "192.0.2.1"), 9.0),)))
        history.end_session(1_793_520_000.0 + 3600)
    for db, name in ((store, "daemon"), (tmp_path / "history.db", "history")):
        cfg = tmp_path / f"{name}.toml"
        cfg.write_text(f'[store]\npath = "{db}"\n')
        trace = tmp_path / f"{name}.trace"
        proc = strace(
            trace,
            sys.executable,
            "-m",
            "netwatch",
            "report",
            "--config",
            str(cfg),
            "--since",
            "2026-11-01",
            "--format",
            "html",
            "--output-dir",
            str(tmp_path / "reports"),
            env={**os.environ, "NETWATCH_STATE_DIR": str(tmp_path)},
            stderr=subprocess.PIPE,
        )
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        Trace.read(trace).check(sandbox("netwatch-report.service"), f"netwatch report ({name})")
    assert len(list((tmp_path / "reports").iterdir())) == 1  # both named after the same period: one file


def test_an_iperf3_speed_test_child_stays_inside_netwatch_service(tmp_path: Path) -> None:
    iperf3 = need("iperf3")
    need("strace")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([iperf3, "-s", "-1", "-B", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        trace = tmp_path / "iperf3.trace"
        client = strace(trace, iperf3, "-c", "127.0.0.1", "-p", str(port), "-t", "1", "-J", stdout=subprocess.PIPE)
        out, _ = client.communicate(timeout=60)
        assert client.returncode == 0 and b'"sum_received"' in out
    finally:
        server.kill()
        server.wait()
    Trace.read(trace).check(sandbox("netwatch.service"), "iperf3 -c")
