"""`./bootstrap run` records the state directory in the virtualenv, where every command run from it finds it.

The real script runs in a copy of the checkout whose virtualenv is already set up (a bare one that imports this
netwatch), so nothing is downloaded: it records ./state (or $NETWATCH_STATE_DIR, which then stays recorded) and
starts `netwatch run`, here with --help. Then `.venv/bin/netwatch check-config` with no variable set shows that
state directory. Needs the ping sysctl drop-in installed (or root, for bootstrap to install it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.skipping import unavailable
from tests.support.sockets import free_port

REPO = Path(__file__).parents[2]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    if os.geteuid() != 0 and not Path("/etc/sysctl.d/99-netwatch-ping.conf").exists():
        unavailable("needs root, or the ping sysctl drop-in installed, for ./bootstrap to run")
    place = tmp_path / "netwatch"
    place.mkdir()
    for name in ("bootstrap", "pyproject.toml"):
        shutil.copy2(REPO / name, place / name)
    shutil.copytree(REPO / "systemd", place / "systemd")
    venv = place / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    site = Path(sysconfig.get_path("purelib"))  # this virtualenv's: netwatch (editable) and its dependencies
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (venv / "lib" / version / "site-packages" / "netwatch-under-test.pth").write_text(
        f"import site; site.addsitedir({str(site)!r})\n", encoding="utf-8"
    )
    command = venv / "bin" / "netwatch"
    command.write_text(f"#!{venv}/bin/python\nimport sys\nfrom netwatch.__main__ import main\nsys.exit(main())\n")
    command.chmod(0o755)
    (venv / ".netwatch-installed[speedtest,web]").touch()  # set up already: installs nothing
    return place


def run(checkout: Path, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NETWATCH_", "STATE_DIRECTORY", "XDG_STATE"))}
    own = checkout.parent / "own.toml"
    if not own.exists():  # the dashboard on a port of its own: 8480 may be another checkout's
        own.write_text(f'[web]\nlisten = "127.0.0.1:{free_port()}"\n', encoding="utf-8")
    environment = {**base, "HOME": str(checkout.parent / "home"), "NETWATCH_CONFIG": str(own), **env}
    return subprocess.run(
        command, cwd=checkout, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def test_bootstrap_records_the_state_directory_every_command_then_uses(checkout: Path) -> None:
    record = checkout / ".venv/share/netwatch/state-directory"
    started = run(checkout, "./bootstrap", "run", "--help")
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("Usage: netwatch run [OPTIONS]")
    listen = (checkout.parent / "own.toml").read_text().split('"')[1]
    assert (
        f"bootstrap: state directory {checkout}/state (every .venv/bin/netwatch command uses it); the dashboard: "
        f"http://{listen}/ ; stop both with Ctrl-C"
    ) in started.stderr
    assert record.read_text() == f"{checkout}/state\n"

    shown = run(checkout, ".venv/bin/netwatch", "check-config")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[1:3] == [
        f'# state directory "{checkout}/state" (from ./bootstrap\'s record in {record})',
        f"# store {checkout}/state/netwatch.db (not there yet: `netwatch run` creates it)",
    ]

    # A directory given once is recorded, and kept by the next plain run: its store holds the evidence.
    elsewhere = checkout.parent / "data"
    assert run(checkout, "./bootstrap", "run", "--help", NETWATCH_STATE_DIR=str(elsewhere)).returncode == 0
    assert record.read_text() == f"{elsewhere}\n"
    assert run(checkout, "./bootstrap", "run", "--help").returncode == 0
    assert record.read_text() == f"{elsewhere}\n"


def test_a_taken_port_stops_bootstrap_run_before_it_prints_an_address(checkout: Path) -> None:
    with socket.socket() as other:  # another checkout's dashboard, say: it would show another store
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        config = checkout.parent / "taken.toml"
        config.write_text(f'[web]\nlisten = "127.0.0.1:{port}"\n', encoding="utf-8")
        started = run(checkout, "./bootstrap", "run", "--config", str(config))
    assert started.returncode == 1
    assert "the dashboard:" not in started.stderr
    assert "http://" not in started.stderr
    lines = started.stderr.splitlines()
    assert lines[-1].startswith(
        f"bootstrap: the dashboard did NOT start, so nothing is monitoring: 127.0.0.1:{port} is taken by another "
        'program (another netwatch dashboard?). Set [web] listen = "127.0.0.1:'
    )
    suggested = int(lines[-1].split('"127.0.0.1:')[1].split('"')[0])
    assert suggested > port
    assert lines[-1].endswith(
        '" in a configuration file (cp config/netwatch.example.toml netwatch.toml) and run ./bootstrap run --config '
        "netwatch.toml"
    )


def test_a_dashboard_that_refuses_to_start_stops_bootstrap_run_with_its_reason(checkout: Path) -> None:
    config = checkout.parent / "open.toml"
    config.write_text(f'[web]\nlisten = "0.0.0.0:{free_port("0.0.0.0")}"\n', encoding="utf-8")  # no password set
    started = run(checkout, "./bootstrap", "run", "--config", str(config))
    assert started.returncode == 1
    assert "http://" not in started.stderr
    lines = started.stderr.splitlines()
    assert "reaches beyond this machine, but no password is set: run `netwatch web passwd`" in lines[-2]
    assert lines[-1] == (
        "bootstrap: the dashboard did NOT start (its reason is above), so nothing is monitoring: fix that and run "
        "./bootstrap run again"
    )
