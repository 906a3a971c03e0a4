"""The shipped systemd files, checked by systemd's own tools (no running systemd needed: PID 1 here is not one).

`systemd-analyze verify` loads each unit from a temporary root tree holding the distribution's stock units, ours
where `./bootstrap install` puts them, and a stand-in executable at the ExecStart path (verify insists that it
exists; tests/integration/test_install.py verifies the tree the real installer builds instead). verify exits 0
on mere warnings, so stderr must be empty too. `systemd-analyze security --offline=true` scores the exposure of
both services against fixed ceilings, and systemd-sysusers parses the sysusers file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwatch.cli import ExitCode
from tests.support import skipping
from tests.support.units import SYSTEMD, settings

UNITS = ("netwatch.service", "netwatch-web.service", "netwatch-report.service", "netwatch-report.timer")
STOCK = Path("/usr/lib/systemd/system")
EXECUTABLE = "/opt/netwatch/bin/netwatch"  # where `./bootstrap install` puts the command
UNIT_DIR = "usr/local/lib/systemd/system"
# Exposure ceilings (0 = locked down, 10 = unprotected): netwatch.service scores 1.8 with systemd 252, the
# report 0.2. The daemon cannot go lower without losing what it is for: it needs the network (PrivateNetwork,
# IPAddressDeny: 0.5 + 0.2 + 0.3 for AF_INET), CAP_NET_RAW (0.1 + 0.1 ambient), netlink and /proc/net, and it
# reads the kernel's NTP status with adjtimex (ProtectClock=no, the @clock calls allowed: 0.3), which without
# CAP_SYS_TIME cannot set the clock. The dashboard scores 1.2: it serves the network and may run a speed test
# (PrivateNetwork, IPAddressDeny, AF_INET: 1.0), reads the kernel's lock table (ProcSubset=pid would hide it) and
# creates group-readable files like the daemon (UMask=0027); it has no capability at all.
CEILINGS = {"netwatch.service": 1.8, "netwatch-web.service": 1.2, "netwatch-report.service": 0.2}


def need(tool: str) -> str:
    return skipping.need(tool, "Debian package systemd; ./bootstrap test installs it")


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env={**os.environ, "TZ": "UTC"})


def unit_tree(root: Path, *, executable: bool = True) -> Path:
    shutil.copytree(STOCK, root / "usr/lib/systemd/system", symlinks=True)
    (root / UNIT_DIR).mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(SYSTEMD / unit, root / UNIT_DIR / unit)
    if executable:
        stand_in = root / EXECUTABLE.lstrip("/")
        stand_in.parent.mkdir(parents=True)
        stand_in.write_text("#!/bin/sh\nexit 0\n")
        stand_in.chmod(0o755)
    return root


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    need("systemd-analyze")
    if not (STOCK / "sysinit.target").exists():
        pytest.skip(f"needs the stock units in {STOCK} (Debian package systemd)")
    yield unit_tree(tmp_path_factory.mktemp("root"))


@pytest.mark.parametrize("unit", UNITS)
def test_every_unit_verifies_without_a_word(root: Path, unit: str) -> None:
    result = run("systemd-analyze", "verify", f"--root={root}", unit)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "")


def test_verify_checks_the_executable(tmp_path: Path, root: Path) -> None:
    """Without the stand-in, verify fails: so a clean verify of the installed tree proves the path is right."""
    bare = unit_tree(tmp_path / "bare", executable=False)
    result = run("systemd-analyze", "verify", f"--root={bare}", "netwatch.service")
    assert result.returncode != 0
    assert f"netwatch.service: Command {EXECUTABLE} is not executable: No such file or directory" in result.stderr


def test_the_units_run_the_installed_command_as_netwatch_on_one_state_directory() -> None:
    daemon, report = settings("netwatch.service"), settings("netwatch-report.service")
    web = settings("netwatch-web.service")
    assert daemon["ExecStart"] == [f"{EXECUTABLE} run"]
    assert web["ExecStart"] == [f"{EXECUTABLE} web"]
    assert all(line.startswith(f"{EXECUTABLE} report --period last-month ") for line in report["ExecStart"])
    assert [line.split("--format ")[1].split()[0] for line in report["ExecStart"]] == ["html", "md", "txt", "json"]
    assert all(line.endswith(" --output-dir /var/lib/netwatch/reports --skip-empty") for line in report["ExecStart"])
    for unit in (daemon, web, report):
        assert (unit["User"], unit["Group"], unit["StateDirectory"]) == (["netwatch"], ["netwatch"], ["netwatch"])
        assert unit["Environment"] == ["NETWATCH_CONFIG=/etc/netwatch/netwatch.toml"]
        assert unit["ConfigurationDirectory"] == ["netwatch"]
    assert (daemon["Type"], daemon["NotifyAccess"], daemon["Restart"]) == (["notify"], ["main"], ["on-failure"])
    assert daemon["AmbientCapabilities"] == daemon["CapabilityBoundingSet"] == ["CAP_NET_RAW"]
    assert report["CapabilityBoundingSet"] == web["CapabilityBoundingSet"] == web["AmbientCapabilities"] == [""]
    # The dashboard reads the daemon's /run/netwatch but must not own it: systemd removes a unit's RuntimeDirectory
    # when that unit stops, and the daemon's live state would go with the dashboard.
    assert "RuntimeDirectory" not in web and daemon["RuntimeDirectory"] == ["netwatch"]
    assert web["RestartPreventExitStatus"] == [f"2 3 {ExitCode.WEB.value}"]
    bootstrap = (SYSTEMD.parent / "bootstrap").read_text()
    assert f"opt={EXECUTABLE.removesuffix('/bin/netwatch')} units=/{UNIT_DIR} " in bootstrap


@pytest.mark.parametrize("unit", ["netwatch.service", "netwatch-report.service"])
def test_the_configuration_directory_is_read_only_for_the_service(unit: str) -> None:
    """ConfigurationDirectory= bind-mounts /etc/netwatch writable even under ProtectSystem=strict (seen with a
    real systemd 252 in a container: a touch there succeeded); ReadOnlyPaths= makes it read-only again."""
    found = settings(unit)
    assert found["ProtectSystem"] == ["strict"]
    assert found["ConfigurationDirectory"] == ["netwatch"] and found["ReadOnlyPaths"] == ["/etc/netwatch"]


def test_the_start_limit_and_how_to_clear_it_are_documented() -> None:
    """Manual restarts count towards StartLimitBurst: the unit, the README and the installer say what clears it."""
    found = settings("netwatch.service")
    assert (found["StartLimitIntervalSec"], found["StartLimitBurst"]) == (["10min"], ["5"])
    assert "`systemctl reset-failed netwatch`" in (SYSTEMD / "netwatch.service").read_text()
    readme = (SYSTEMD.parent / "README.md").read_text()
    assert "start of the service was attempted too often" in readme
    assert "sudo systemctl reset-failed netwatch" in readme
    assert "systemctl reset-failed netwatch.service" in (SYSTEMD.parent / "bootstrap").read_text()


@pytest.mark.parametrize("unit", sorted(CEILINGS))
def test_exposure_stays_at_or_below_its_ceiling(unit: str) -> None:
    need("systemd-analyze")
    # --threshold is in tenths of the printed score: the exit status is non-zero above it.
    threshold = round(CEILINGS[unit] * 10)
    result = run("systemd-analyze", "security", "--offline=true", f"--threshold={threshold}", str(SYSTEMD / unit))
    found = re.search(rf"Overall exposure level for {re.escape(unit)}: (\d+\.\d)", result.stdout)
    assert found is not None, result.stdout + result.stderr
    assert float(found.group(1)) <= CEILINGS[unit], found.group(0)
    assert result.returncode == 0, found.group(0)


def test_the_timer_fires_on_the_first_of_every_month_at_six() -> None:
    need("systemd-analyze")
    (spec,) = settings("netwatch-report.timer")["OnCalendar"]
    result = run("systemd-analyze", "calendar", "--iterations=3", "--base-time=2026-11-15 12:00:00 UTC", spec)
    assert result.returncode == 0, result.stderr
    elapses = re.findall(r"(?:Next elapse|Iter\. #\d): \w{3} (\S+ \S+) UTC", result.stdout)
    assert elapses == ["2026-12-01 06:00:00", "2027-01-01 06:00:00", "2027-02-01 06:00:00"]
    timer = settings("netwatch-report.timer")
    assert (timer["Persistent"], timer["RandomizedDelaySec"]) == (["true"], ["10min"])


def test_the_sysusers_file_creates_the_netwatch_user(tmp_path: Path) -> None:
    sysusers = need("systemd-sysusers")
    result = run(sysusers, "--dry-run", f"--root={tmp_path}", str(SYSTEMD / "netwatch.sysusers"))
    assert result.returncode == 0, result.stderr
    assert "Creating group 'netwatch' with GID " in result.stderr
    assert "Creating user 'netwatch' (netwatch internet outage monitor) with UID " in result.stderr
    broken = tmp_path / "broken.conf"
    broken.write_text('u netwatch - "unterminated\n')  # the parser is strict: a broken line is refused
    assert run(sysusers, "--dry-run", f"--root={tmp_path}", str(broken)).returncode != 0
