"""The installed service under a real systemd: `./bootstrap install` inside a container whose PID 1 is systemd 252.

One container per module (tests/support/nspawn.py: a cached minbase bookworm, booted with systemd-nspawn), with no
network: netwatch is installed by the real installer from the checkout and a wheelhouse built outside. A simulated
line is built inside it (network namespaces joined by veth pairs): this machine, a router (the gateway), the ISP
(its first hop) with the anchors behind it. Then, against the shipped units: readiness through Type=notify with the
status line, the sandbox as the daemon really has it (capabilities of its process; / and /etc/netwatch read-only
and /var/lib/netwatch writable, checked by a process running under the unit's own sandbox properties), rounds
stored, an outage shown by `systemctl status`, a clean stop, a restart after SIGKILL, the watchdog restarting a
stopped daemon, the monthly report's service writing its files, the dashboard's page, and a bad configuration's
error in the journal at priority err.

Commands that only look (systemctl, journalctl, reading a file) run nsenter'd; whatever checks a restriction runs
as a unit of the container's systemd. Needs root, systemd-nspawn and debootstrap (and the Debian mirror the first
time): skipped otherwise, failed under CI.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from tests.support import nspawn
from tests.support.skipping import unavailable
from tests.support.units import settings

T = TypeVar("T")
EXTRAS = "speedtest,web"
DB = "/var/lib/netwatch/netwatch.db"
CONFIG = """\
[probe]
interval = 1.0
timeout = 0.25

[targets]
gateway = "192.0.2.1"
isp = "198.51.100.1"
anchors = ["1.1.1.1", "8.8.8.8", "9.9.9.9"]

[dns]
names = []
timeout = 0.25

[store]
path = "/var/lib/netwatch/netwatch.db"
commit_interval = 1.0
seal_interval = 1.0

[web]
listen = "127.0.0.1:8480"
password_file = "/var/lib/netwatch/web-password"
"""
# This machine (wan0) -- router (the gateway, 192.0.2.1) -- isp (its first hop, 198.51.100.1) with the anchors on
# its loopback. Cutting the router's uplink is an outage caused by the ISP: the gateway still answers.
ISP = """\
set -e
ip netns add router
ip netns add isp
ip link add wan0 type veth peer name lan0 netns router
ip -n router link add up0 type veth peer name down0 netns isp
ip addr add 192.0.2.2/24 dev wan0
ip link set wan0 up
ip route add default via 192.0.2.1
ip -n router addr add 192.0.2.1/24 dev lan0
ip -n router addr add 198.51.100.2/30 dev up0
for l in lo lan0 up0; do ip -n router link set $l up; done
ip -n router route add default via 198.51.100.1
ip netns exec router sysctl -q -w net.ipv4.ip_forward=1
ip -n isp addr add 198.51.100.1/30 dev down0
for l in lo down0; do ip -n isp link set $l up; done
ip -n isp route add 192.0.2.0/24 via 198.51.100.2
for a in 1.1.1.1 8.8.8.8 9.9.9.9; do ip -n isp addr add $a/32 dev lo; done
"""
# The shipped unit with a watchdog short enough for a test (the configuration above needs 2 x (1 + 0.25 + 0.25 + 1)
# = 5 s, so the daemon keeps it) and a quick restart; Restart= and everything else stay as shipped.
DROP_IN = "[Service]\nWatchdogSec=5s\nRestartSec=1s\n"
# Settings of [Service] that say how to run the daemon rather than what it may do: not given to a test unit.
NOT_SANDBOX = frozenset(
    {"Type", "NotifyAccess", "ExecStart", "WatchdogSec", "Restart", "RestartSec", "RestartPreventExitStatus"}
    | {"TimeoutStartSec", "TimeoutStopSec", "Environment"}
)
# Ten minutes monitored on the 2nd of last month at 10:00 UTC, line up: written through netwatch's own Store (by
# tests/support/stores.py, run from the checkout inside) as the user netwatch, so that the monthly report has a
# month to show.
LAST_MONTH = f"""
import datetime
from pathlib import Path
from netwatch.core.model import Role, Target
from tests.support import stores
from tests.support.rounds import Line
today = datetime.datetime.now(datetime.UTC)
start = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=2, hour=10, minute=0, second=0, microsecond=0)
at = start.timestamp()
anchors = [Target(Role.ANCHOR, a) for a in ("1.1.1.1", "8.8.8.8", "9.9.9.9")]
line = Line.of(Target(Role.GATEWAY, "192.0.2.1"), Target(Role.ISP, "198.51.100.1"), *anchors)
stores.record(Path("{DB}"), at, at + 600, [line.round(at + i) for i in range(600)])
"""
PROBE = r"""
import os, socket
for line in open("/proc/self/status"):
    if line.startswith(("CapEff", "CapBnd", "CapAmb")):
        print(line.split()[0], line.split()[1])
for path in ("/", "/etc/netwatch", "/var/lib/netwatch", "/opt/netwatch"):
    try:
        with open(os.path.join(path, "probe"), "w"):
            pass
        os.unlink(os.path.join(path, "probe"))
        print(path, "writable")
    except OSError as err:
        print(path, err.strerror)
try:
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
    print("raw ICMP socket: allowed")
except OSError as err:
    print("raw ICMP socket:", err.strerror)
"""


def sandbox_properties() -> tuple[str, ...]:
    """netwatch.service's sandbox, as shipped, for `systemd-run --property`."""
    service = settings("netwatch.service")
    unit_only = {"After", "Description", "StartLimitIntervalSec", "StartLimitBurst", "WantedBy"}
    return tuple(
        f"{key}={value}" for key, values in service.items() if key not in NOT_SANDBOX | unit_only for value in values
    )


def wait(what: str, read: Callable[[], T], ok: Callable[[T], object], timeout: float) -> T:
    """``read()`` polled until ``ok`` of it; the test fails with the last value read after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not ok(found := read()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s (last: {found!r})"
        time.sleep(0.2)
    return found


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[nspawn.Container]:
    reason = nspawn.missing()
    if reason:
        unavailable(reason)
    logs = tmp_path_factory.mktemp("nspawn")
    try:
        root = nspawn.rootfs(logs / "debootstrap.log")
    except nspawn.NspawnUnavailable as err:
        unavailable(str(err))
    build = tmp_path_factory.mktemp("wheelhouse")
    wheels = nspawn.wheelhouse(build, EXTRAS)
    box = nspawn.Container(
        f"netwatch-test-{os.getpid()}", root, logs / "console.log", (build / "source", "/src"), (wheels, "/wheels")
    )
    try:
        box.start()
        box.run("sh", "-c", ISP)
        installed = box.run("/src/bootstrap", "install", "--wheelhouse", "/wheels", "--extras", EXTRAS, timeout=300)
        assert "netwatch is running" in installed.stderr, installed.stderr
        box.run("sh", "-c", "cat > /etc/netwatch/netwatch.toml", input=CONFIG)
        box.run("mkdir", "-p", "/etc/systemd/system/netwatch.service.d")
        box.run("sh", "-c", "cat > /etc/systemd/system/netwatch.service.d/test.conf", input=DROP_IN)
        box.run("systemctl", "daemon-reload")
        box.run("systemctl", "stop", "netwatch.service")
        box.run("sh", "-c", 'cd /src && exec runuser -u netwatch -- /opt/netwatch/bin/python -c "$1"', "sh", LAST_MONTH)
        box.run("systemctl", "restart", "netwatch.service", "netwatch-web.service")
        yield box
    finally:
        box.stop()


def show(box: nspawn.Container, unit: str, *properties: str) -> dict[str, str]:
    out = box.run("systemctl", "show", unit, *(f"--property={p}" for p in properties)).stdout
    return dict(line.partition("=")[::2] for line in out.splitlines())


def state(box: nspawn.Container) -> dict[str, str]:
    return show(box, "netwatch.service", "ActiveState", "SubState", "StatusText", "MainPID", "NRestarts", "Result")


def running(box: nspawn.Container) -> dict[str, str]:
    """netwatch.service's state, started first when an earlier test left it stopped or failed."""
    if show(box, "netwatch.service", "ActiveState")["ActiveState"] in ("inactive", "failed"):
        box.run("sh", "-c", "cat > /etc/netwatch/netwatch.toml", input=CONFIG)
        box.run("systemctl", "reset-failed", "netwatch.service", check=False)
        box.run("systemctl", "start", "netwatch.service")
    return state(box)


def status(box: nspawn.Container) -> str:
    return state(box)["StatusText"]


def rounds(box: nspawn.Container) -> int:
    count = "SELECT count(*) FROM rounds"
    query = f"import sqlite3; print(sqlite3.connect('file:{DB}?mode=ro', uri=True).execute('{count}').fetchone()[0])"
    return int(box.run("python3", "-c", query).stdout)


def journal(box: nspawn.Container, *options: str) -> str:
    return box.run("journalctl", "--no-pager", "--quiet", "--output=cat", *options).stdout


def test_ready_through_notify_with_its_status_line(container: nspawn.Container) -> None:
    now = running(container)
    # Type=notify: "active (running)" only once the daemon sent READY=1; its STATUS= is systemd's StatusText.
    assert (now["ActiveState"], now["SubState"]) == ("active", "running")
    line = wait("the line up", lambda: status(container), lambda t: t.startswith("line up"), 15)
    assert line == "line up · 5 targets · 0 open incidents"
    said = container.run("systemctl", "status", "--no-pager", "netwatch.service").stdout
    assert 'Status: "line up · 5 targets · 0 open incidents"' in said
    assert "systemd watchdog: 5 s, kept alive after rounds at most every 2.5 s" in journal(container, "-u", "netwatch")


def test_the_daemon_runs_in_its_sandbox(container: nspawn.Container) -> None:
    pid = running(container)["MainPID"]
    caps = container.run("grep", "-E", "^(CapEff|CapPrm|CapBnd|CapAmb)", f"/proc/{pid}/status").stdout.split()
    # CAP_NET_RAW is bit 13: the only capability the daemon has, may get, or passes on.
    assert dict(zip(caps[::2], caps[1::2], strict=True)) == {
        "CapPrm:": "0000000000002000",
        "CapEff:": "0000000000002000",
        "CapBnd:": "0000000000002000",
        "CapAmb:": "0000000000002000",
    }
    assert container.run("ps", "-o", "user=", "-p", pid).stdout.strip() == "netwatch"
    # The same sandbox, read from the installed unit, around a probe run by the container's systemd.
    said = container.in_unit("python3", "-c", PROBE, properties=sandbox_properties()).stdout
    assert said.splitlines() == [
        "CapEff: 0000000000002000",
        "CapBnd: 0000000000002000",
        "CapAmb: 0000000000002000",
        "/ Read-only file system",
        "/etc/netwatch Read-only file system",
        "/var/lib/netwatch writable",
        "/opt/netwatch Read-only file system",
        "raw ICMP socket: allowed",
    ]


def test_rounds_are_stored(container: nspawn.Container) -> None:
    running(container)
    before = rounds(container)
    # commit_interval = seal_interval = 1 s and a round a second: three more rounds within a few seals.
    wait("three more rounds stored", lambda: rounds(container), lambda n: n >= before + 3, 10)


def test_an_outage_shows_in_systemctl_status(container: nspawn.Container) -> None:
    running(container)
    wait("the line up", lambda: status(container), lambda t: t.startswith("line up"), 15)
    container.run("ip", "-n", "router", "link", "set", "up0", "down")
    try:
        # confirm = 3 rounds of a second each, backdated to the first failed round.
        outage = r"OUTAGE since \d\d:\d\d:\d\d \S+ \(cause isp\) · 5 targets · 1 open incident"
        wait("the outage", lambda: status(container), lambda t: re.fullmatch(outage, t), 15)
        said = container.run("systemctl", "status", "--no-pager", "netwatch.service").stdout
        assert re.search(f'Status: "{outage}"', said), said
    finally:
        # The link back, and the default route the kernel removed with it.
        container.run("ip", "-n", "router", "link", "set", "up0", "up")
        container.run("ip", "-n", "router", "route", "replace", "default", "via", "198.51.100.1")
    wait("the line up again", lambda: status(container), lambda t: t.startswith("line up"), 15)


def test_a_clean_stop(container: nspawn.Container) -> None:
    running(container)
    container.run("systemctl", "stop", "netwatch.service")
    stopped = show(container, "netwatch.service", "ActiveState", "Result", "ExecMainStatus")
    assert stopped == {"ActiveState": "inactive", "Result": "success", "ExecMainStatus": "0"}
    last = journal(container, "-u", "netwatch", "-n", "20")
    assert re.search(r"^netwatch stopped after \d+ rounds \(\d+ skipped slots\)$", last, re.M), last


def restarted(box: nspawn.Container, before: dict[str, str], timeout: float) -> dict[str, str]:
    """The service's state once systemd has restarted it by itself (a new main process, running)."""
    after = wait(
        "a restart",
        lambda: state(box),
        lambda s: s["MainPID"] not in ("0", before["MainPID"]) and s["SubState"] == "running",
        timeout,
    )
    assert int(after["NRestarts"]) == int(before["NRestarts"]) + 1
    return after


def test_restarted_after_sigkill(container: nspawn.Container) -> None:
    before = running(container)
    container.run("kill", "-KILL", before["MainPID"])
    # Restart=on-failure, after RestartSec= (1 s in the test's drop-in).
    restarted(container, before, 15)
    assert "netwatch.service: Main process exited, code=killed, status=9/KILL" in journal(container, "-u", "netwatch")


def test_the_watchdog_restarts_a_stopped_daemon(container: nspawn.Container) -> None:
    before = running(container)
    container.run("kill", "-STOP", before["MainPID"])
    # No WATCHDOG=1 for 5 s: systemd sends SIGABRT (and SIGCONT), then restarts the service.
    restarted(container, before, 30)
    said = journal(container, "-u", "netwatch")
    assert "netwatch.service: Watchdog timeout (limit 5s)!" in said
    assert "netwatch.service: Failed with result 'watchdog'." in said


def test_the_monthly_report_service_writes_its_files(container: nspawn.Container) -> None:
    running(container)
    assert show(container, "netwatch-report.timer", "ActiveState")["ActiveState"] == "active"
    started = container.run("systemctl", "start", "netwatch-report.service", timeout=120, check=False)
    assert started.returncode == 0, journal(container, "-u", "netwatch-report")
    files = container.run("ls", "/var/lib/netwatch/reports").stdout.split()
    month = re.fullmatch(r"netwatch-(\d{4}-\d\d)\.html", files[0])
    assert month, files
    assert files == [f"netwatch-{month[1]}.{ext}" for ext in ("html", "json", "md", "txt")]
    figures = json.loads(container.run("cat", f"/var/lib/netwatch/reports/netwatch-{month[1]}.json").stdout)
    # The ten minutes of last month that were monitored, and nothing else claimed up or down.
    assert figures["coverage"]["monitored_seconds"] == 600.0
    assert figures["summary"]["outage_count"] == 0


def test_the_dashboard_serves_its_page(container: nspawn.Container) -> None:
    running(container)
    assert show(container, "netwatch-web.service", "ActiveState")["ActiveState"] == "active"
    fetch = (
        "import re, urllib.request\n"
        "with urllib.request.urlopen('http://127.0.0.1:8480/', timeout=5) as r:\n"
        "    print(r.status, re.search('<title>(.*?)</title>', r.read().decode())[1])"
    )
    # The page is the dashboard's (its own service, user and sandbox) showing the line's state as the daemon's
    # service wrote it into /run/netwatch; a freshly (re)started dashboard may need a moment to listen.
    page = wait("the page", lambda: container.run("python3", "-c", fetch, check=False).stdout, bool, 15)
    assert page == "200 UP · netwatch\n"


def test_a_bad_configuration_is_an_error_in_the_journal(container: nspawn.Container) -> None:
    running(container)
    container.run("sh", "-c", "cat > /etc/netwatch/netwatch.toml", input="[probe]\ninterval = 0\n")
    try:
        container.run("systemctl", "restart", "netwatch.service", check=False)
        wait("the service failed", lambda: state(container)["ActiveState"], lambda s: s == "failed", 15)
        # Exit status 3 is in RestartPreventExitStatus=: no restart can fix a configuration.
        assert show(container, "netwatch.service", "ExecMainStatus")["ExecMainStatus"] == "3"
        # What the daemon said (not systemd's own "Failed to start" line, also at priority err).
        errors = journal(container, "_SYSTEMD_UNIT=netwatch.service", "-p", "err", "-n", "2")
        assert errors.splitlines() == [
            "netwatch: 1 configuration problem in /etc/netwatch/netwatch.toml:",
            "  probe.interval: must be between 0.05 and 3600, got 0.0; set probe.interval to a value between 0.05 and"
            " 3600",
        ]
    finally:
        container.run("sh", "-c", "cat > /etc/netwatch/netwatch.toml", input=CONFIG)
        container.run("systemctl", "reset-failed", "netwatch.service", check=False)
