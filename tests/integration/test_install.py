"""`./bootstrap install --root DIR`: the real installer, staged into a temporary tree instead of the system.

It builds the virtualenv (pip installs netwatch from a copy of this checkout, with its dependencies from the
package index), links /usr/local/bin/netwatch, installs the units, creates the user with systemd-sysusers,
writes the sysctl drop-in and the configuration, and enables the units with `systemctl --root`. The staged tree
is then checked the way a Raspberry Pi would use it: `systemd-analyze verify --root` on the installed units and
the real installed command, that command run from /opt/netwatch (in a mount namespace of its own, the staging
directory hidden: the tree is relocatable) reading the installed configuration and rendering a report from the
templates the wheel installs. A second run keeps an edited configuration and changes nothing else.
Needs root (files owned by the netwatch group, mounts); skipped otherwise, failed under CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.core.model import Cause, Incident, Kind, Role, Round, Sample, Target
from tests.support.skipping import unavailable

REPO = Path(__file__).parents[2]
UNITS = ("netwatch.service", "netwatch-web.service", "netwatch-report.service", "netwatch-report.timer")


def as_installed(root: Path, *command: str | Path) -> list[str]:
    """The argv that runs ``command`` as on the installed system: the staged /opt/netwatch mounted at /opt/netwatch
    and the staging directory hidden behind an empty one, in a mount namespace of its own (nothing changes
    outside)."""
    script = (
        'mount -t tmpfs tmpfs /opt && mkdir /opt/netwatch && mount --bind "$1/opt/netwatch" /opt/netwatch'
        ' && mount -t tmpfs tmpfs "$1" && shift && exec "$@"'
    )
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(root), *map(str, command)]


def in_place(root: Path, *command: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``command`` run as on the installed system (see ``as_installed``), to its end."""
    return subprocess.run(as_installed(root, *command), capture_output=True, text=True, env=env, timeout=120)


def install(root: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(REPO / "bootstrap"), "install", "--root", str(root)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    missing = [t for t in ("systemd-analyze", "systemd-sysusers", "systemctl", "unshare") if shutil.which(t) is None]
    if os.geteuid() != 0 or missing:
        reason = f"needs root and {', '.join(missing) or 'systemd tools'} to stage an install"
        unavailable(reason)
    root = tmp_path_factory.mktemp("staged")
    yield root, install(root).stderr


def test_the_layout_of_an_install(staged: tuple[Path, str]) -> None:
    root, said = staged
    assert os.readlink(root / "usr/local/bin/netwatch") == "/opt/netwatch/bin/netwatch"
    version = in_place(root, "/opt/netwatch/bin/netwatch", "--version")
    assert version.stdout == "netwatch, version 0.1.0\n", version.stderr
    shipped = {f"usr/local/lib/systemd/system/{unit}": unit for unit in UNITS}
    shipped |= {"usr/local/lib/sysusers.d/netwatch.conf": "netwatch.sysusers"}
    shipped |= {"etc/sysctl.d/99-netwatch-ping.conf": "99-netwatch-ping.conf"}
    for installed, source in shipped.items():
        assert (root / installed).read_text() == (REPO / "systemd" / source).read_text(), installed
    (user,) = [line for line in (root / "etc/passwd").read_text().splitlines() if line.startswith("netwatch:")]
    _, _, uid, gid, gecos, home, shell = user.split(":")
    assert (gecos, home, shell) == ("netwatch internet outage monitor", "/var/lib/netwatch", "/usr/sbin/nologin")
    assert int(uid) < 1000 and f"netwatch:x:{gid}:" in (root / "etc/group").read_text()  # a system user
    wants = root / "etc/systemd/system"
    units = "/usr/local/lib/systemd/system"
    assert os.readlink(wants / "multi-user.target.wants/netwatch.service") == f"{units}/netwatch.service"
    assert os.readlink(wants / "multi-user.target.wants/netwatch-web.service") == f"{units}/netwatch-web.service"
    assert os.readlink(wants / "timers.target.wants/netwatch-report.timer") == f"{units}/netwatch-report.timer"
    # The configuration: the example with the store at an absolute path, readable by root and group netwatch.
    conf = root / "etc/netwatch/netwatch.toml"
    info = conf.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o640, 0, int(gid))
    example = (REPO / "config/netwatch.example.toml").read_text().splitlines()
    changed = [(a, b) for a, b in zip(example, conf.read_text().splitlines(), strict=True) if a != b]
    assert changed == [
        ('path = "netwatch.db"', 'path = "/var/lib/netwatch/netwatch.db"'),
        ('password_file = "web-password"', 'password_file = "/var/lib/netwatch/web-password"'),
    ]
    assert "staged into" in said and "nothing started" in said
    assert not list(REPO.glob("build")), "the build must not leave files in the checkout"


def test_systemd_verifies_the_installed_units_against_the_installed_command(
    staged: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = staged
    stock = root / "usr/lib/systemd/system"  # what the distribution's systemd package provides on a real system
    if not stock.exists():
        shutil.copytree("/usr/lib/systemd/system", stock, symlinks=True)
    for unit in UNITS:
        result = subprocess.run(["systemd-analyze", "verify", f"--root={root}", unit], capture_output=True, text=True)
        assert (result.returncode, result.stderr, result.stdout) == (0, "", ""), unit


def test_the_installed_command_reads_the_installed_configuration_and_renders_reports(
    staged: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = staged
    netwatch = "/opt/netwatch/bin/netwatch"  # run where it is installed (the staging directory is hidden then)
    text = (root / "etc/netwatch/netwatch.toml").read_text()
    installed = tmp_path / "installed.toml"
    installed.write_text(text)
    # The same configuration with the store in this test's directory (the staged one points at /var/lib).
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(text.replace('path = "/var/lib/netwatch/netwatch.db"', f'path = "{tmp_path / "netwatch.db"}"'))
    checked = in_place(root, netwatch, "check-config", "--config", installed)
    assert checked.returncode == 0, checked.stderr
    assert 'path = "/var/lib/netwatch/netwatch.db"' in checked.stdout
    anchor = Target(Role.ANCHOR, "192.0.2.1")
    with Store.open(tmp_path / "netwatch.db") as store:
        store.begin_session(1_793_520_000.0)  # 2026-11-01 08:00 UTC
        for i in range(120):
            store.add_round(Round(1_793_520_000.0 + 60 * i, (Sample(anchor, None if 30 <= i < 40 else 9.0),)))
        store.save_incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, 1_793_521_800.0, 1_793_522_400.0, rounds=10))
        store.end_session(1_793_520_000.0 + 7200)
    reports = tmp_path / "reports"
    period = ("--since", "2026-11-01", "--until", "2026-11-30")
    made = in_place(
        root,
        netwatch,
        "report",
        "--config",
        cfg,
        *period,
        "--format",
        "html",
        "--output-dir",
        reports,
        env={**os.environ, "NETWATCH_STATE_DIR": str(tmp_path)},
    )
    assert made.returncode == 0, made.stderr
    html = (reports / "netwatch-2026-11-01_2026-11-30.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html>") and "upstream" in html


def test_the_staged_tree_names_no_staging_directory(staged: tuple[Path, str]) -> None:
    """Copied to / (an image for the SD card, say), the tree must run from /opt/netwatch: no script's #! line,
    activate script or .pyc may point into the directory it was staged in."""
    root, _ = staged
    stage = str(root).encode()
    naming = [
        p for p in (root / "opt/netwatch").rglob("*") if p.is_file() and not p.is_symlink() and stage in p.read_bytes()
    ]
    assert naming == []
    assert (root / "opt/netwatch/bin/netwatch").read_text().splitlines()[0] == "#!/opt/netwatch/bin/python"
    assert (root / "opt/netwatch/share/netwatch/state-directory").read_text() == "/var/lib/netwatch\n"


def test_a_second_install_keeps_the_configuration_and_the_user(staged: tuple[Path, str]) -> None:
    root, _ = staged
    conf = root / "etc/netwatch/netwatch.toml"
    conf.write_text(conf.read_text() + "\n# edited by the owner\n")
    passwd = (root / "etc/passwd").read_text()
    said = install(root).stderr
    assert f"keeping your configuration {conf}" in said
    assert conf.read_text().endswith("\n# edited by the owner\n")
    assert (root / "etc/passwd").read_text() == passwd
    assert os.readlink(root / "usr/local/bin/netwatch") == "/opt/netwatch/bin/netwatch"


def test_the_installed_dashboard_serves_its_pages_from_the_wheel(staged: tuple[Path, str], tmp_path: Path) -> None:
    """The templates and static files ship in the package: the installed `netwatch web` (the web extra is a
    default of the installer) serves every page from the staged tree, not from this checkout."""
    root, _ = staged
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(f'[store]\npath = "{tmp_path / "netwatch.db"}"\n')
    with Store.open(tmp_path / "netwatch.db") as store:
        store.begin_session(1_793_520_000.0)
        store.add_round(Round(1_793_520_000.0, (Sample(Target(Role.ANCHOR, "192.0.2.1"), 9.0),)))
        store.end_session(1_793_520_060.0)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "NETWATCH_STATE_DIR": str(tmp_path), "PYTHONPATH": ""}
    web = subprocess.Popen(
        as_installed(root, "/opt/netwatch/bin/netwatch", "web", "--config", cfg, "--listen", f"127.0.0.1:{port}"),
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pages = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not pages:
            try:
                for path in ("/", "/act", "/static/app.css", "/static/live.js", "/static/icon-192.png"):
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
                        pages[path] = (answer.status, answer.read())
            except OSError:
                pages = {}
                time.sleep(0.2)
        assert pages, "the installed dashboard did not answer"
        assert all(status == 200 for status, _ in pages.values())
        assert b'data-state="not running"' in pages["/"][1]
    finally:
        web.terminate()
        _, err = web.communicate(timeout=30)
    assert web.returncode == 0, err
    assert str(REPO) not in err
