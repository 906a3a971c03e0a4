"""`netwatch doctor` against real things: a real InfluxDB 1.x up (the test point arrives) and down (stopped: a
warning, not a hang), a wrong password (a problem: exports stop until it is fixed), the running daemon's writes
to its disk read from its own /proc account, another user told what it may not see (root only), and a disk really
full (a small tmpfs, root only).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwatch.cli import ExitCode
from netwatch.report.doctor import size
from tests.support import configs
from tests.support.cli import invoke, isolate
from tests.support.disk import fill, tmpfs
from tests.support.doctor import finding
from tests.support.processes import stop, wait_for
from tests.support.servers import InfluxDB1
from tests.support.skipping import unavailable
from tests.support.unprivileged import as_user, environment, importable, python


def doctor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cfg: Path) -> tuple[int, list[str]]:
    isolate(monkeypatch, tmp_path, cfg=cfg)
    code, out, err = invoke("doctor")
    assert err == ""
    return code, out.splitlines()


def influx_config(tmp_path: Path, server: InfluxDB1, password: str) -> Path:
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(
        f'[probe]\nname = "doctor"\n[influxdb]\nurl = "{server.url}"\napi = "v1"\ndatabase = "doctor"\n'
        f'username = "{server.username}"\npassword = "{password}"\n'
    )
    return cfg


def test_a_running_influxdb_takes_the_test_point(
    influxdb1: InfluxDB1, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    influxdb1.create_database("doctor")
    _, lines = doctor(tmp_path, monkeypatch, influx_config(tmp_path, influxdb1, influxdb1.password))
    [line] = finding(lines, "InfluxDB:")
    where = re.escape(f"{influxdb1.url} (api v1, database doctor)")
    assert re.fullmatch(rf"ok       InfluxDB: {where} accepted a test point in \d+ ms", line), line
    assert [r["probe"] for r in influxdb1.rows("SELECT * FROM netwatch_check", "doctor")] == ["doctor"]


def test_a_wrong_password_is_a_problem(influxdb1: InfluxDB1, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    influxdb1.create_database("doctor")
    code, lines = doctor(tmp_path, monkeypatch, influx_config(tmp_path, influxdb1, "not-the-password"))
    assert code == ExitCode.DOCTOR_PROBLEM
    seen, fix = finding(lines, "InfluxDB:")
    assert seen.startswith("problem  InfluxDB: ")
    assert "check influxdb.username and influxdb.password (the user needs WRITE on the database)" in seen
    assert fix == "         → fix [influxdb], then run netwatch influx check"


def test_a_stopped_influxdb_is_a_warning(influxdb1: InfluxDB1, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = influx_config(tmp_path, influxdb1, influxdb1.password)
    influxdb1.stop()
    try:
        _, lines = doctor(tmp_path, monkeypatch, cfg)
    finally:
        influxdb1.start()
    assert finding(lines, "InfluxDB:") == [
        f"warning  InfluxDB: connection to {influxdb1.url} refused: is InfluxDB running there? check influxdb.url",
        "         → nothing is lost (the backlog is sent once it answers); netwatch influx check tries again",
    ]


def stored_rounds(path: Path) -> int:
    """Rounds committed to the store at ``path`` so far (0 before it exists)."""
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return int(db.execute("SELECT count(*) FROM rounds").fetchone()[0])


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Path]:
    """`netwatch run` probing loopback anchors (unprivileged ICMP) every 0.1 s into TMP/netwatch.db, until the
    store holds its first rounds; its configuration file."""
    cfg = configs.loopback(tmp_path, interval=0.1)
    log = tmp_path / "daemon.log"
    env = {**os.environ, "NETWATCH_STATE_DIR": str(tmp_path)}
    with log.open("ab") as err:
        proc = subprocess.Popen([sys.executable, "-m", "netwatch", "run", "--config", str(cfg)], env=env, stderr=err)
    try:
        db = tmp_path / "netwatch.db"
        wait_for(
            "the daemon's first rounds",
            lambda: stored_rounds(db),
            30,
            proc=proc,
            log=log,
            tolerate=(sqlite3.OperationalError,),  # the store exists before its tables do
        )
        yield cfg
    finally:
        stop(proc)


def test_the_running_daemon_s_writes_are_read_from_its_own_account(
    daemon: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, lines = doctor(tmp_path, monkeypatch, daemon)
    [line] = finding(lines, "card writes:")
    # Started seconds ago: its figure, but no daily rate yet (SETTLED).
    assert re.fullmatch(
        r"ok       card writes: \d+(\.\d)? [kMG]?B since netwatch started (\d+ min )?\d+ s ago \(too soon for a daily"
        r" rate\)",
        line,
    ), line


def test_a_full_disk_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with tmpfs(tmp_path, "20m") as disk:
        fill(disk / "filler")
        cfg = tmp_path / "netwatch.toml"
        cfg.write_text(f'[store]\npath = "{disk / "netwatch.db"}"\n')
        code, lines = doctor(tmp_path, monkeypatch, cfg)
    assert code == ExitCode.DOCTOR_PROBLEM
    assert finding(lines, "free disk:") == [
        f"problem  free disk: 0 B of {size(20 * 1024 * 1024)} (0 %)",
        "         → free space: sudo apt clean; sudo journalctl --vacuum-size=100M; or keep fewer days of rounds"
        " with [store] retention_days (now 90)",
    ]


def test_another_user_is_told_what_it_may_not_see_and_how_to_see_it(daemon: Path) -> None:
    """The daemon records as root into a directory of mode 0700; `netwatch doctor` run as nobody, with no
    capability, cannot read the store nor see the daemon's lock: each says so with `sudo`, nothing crashes."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        unavailable("needs root and setpriv (util-linux) to run netwatch doctor as another user")
    store = daemon.parent / "netwatch.db"
    readable = Path(tempfile.mkdtemp(prefix="netwatch-doctor-"))
    try:
        readable.chmod(0o755)
        cfg = readable / "netwatch.toml"
        cfg.write_text(f'[store]\npath = "{store}"\n')
        cfg.chmod(0o644)
        with importable("netwatch.cli", "netwatch.cli.doctor", "netwatch.app.doctor") as code:
            env = environment(code, HOME="/nonexistent")
            env.pop("NETWATCH_STATE_DIR", None)
            done = subprocess.run(
                [*as_user(), python(), "-m", "netwatch", "doctor", "--config", str(cfg)],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=False,
                cwd="/",
            )
    finally:
        shutil.rmtree(readable)
    assert done.stderr == ""
    assert done.returncode == ExitCode.DOCTOR_PROBLEM
    lines = done.stdout.splitlines()
    assert finding(lines, "store:") == [
        "problem  store: cannot be read",
        f"         → cannot read store {store}: this user may not enter {store.parent}; run the command with sudo, or"
        " join the group netwatch (`sudo usermod -aG netwatch $USER`, then log in again)",
    ]
    assert finding(lines, "card writes:") == [
        "warning  card writes: not measured (this user may not see whether netwatch runs)",
        "         → sudo netwatch doctor",
    ]
    assert finding(lines, "free disk:")[0].startswith("ok       free disk: ")
