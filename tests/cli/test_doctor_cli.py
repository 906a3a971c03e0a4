"""`netwatch doctor` on the command line, in process: a machine where netwatch never ran, a recorded store (intact,
tampered with, too large for a quick check), an InfluxDB on a closed port, where notifications go (a closed port, a
listening one, a black hole, a command), an extra the configuration needs, colour only on a terminal, and the exit
code by the worst finding. Nothing leaves this machine: every address is a loopback one.
"""

from __future__ import annotations

import re
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from netwatch.adapters.store import Store
from netwatch.app import doctor as checkup
from netwatch.cli import ExitCode, main
from netwatch.core.model import Cause, Role
from netwatch.report.doctor import size
from tests.support import stores
from tests.support.cli import invoke, isolate
from tests.support.doctor import SEVERITY, finding
from tests.support.instants import ts
from tests.support.rounds import Line
from tests.support.sockets import free_port
from tests.support.targets import A1, GW, ISP

T0 = ts("2026-11-03T09:00")
LINE = Line.of(GW, ISP, A1, rtts={Role.GATEWAY: 0.4, Role.ISP: 3.0, Role.ANCHOR: 9.5})
START = "start monitoring: sudo systemctl start netwatch (or netwatch run)"
CODES = {"ok": ExitCode.OK, "warning": ExitCode.DOCTOR_WARNING, "problem": ExitCode.DOCTOR_PROBLEM}


def doctor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str = "") -> tuple[int, list[str]]:
    """`netwatch doctor` with ``toml`` as its configuration (the store in TMP/state); its exit code and lines.
    Every run checks what the screen shows against the exit code and the last line."""
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(toml)
    isolate(monkeypatch, tmp_path, cfg=cfg)
    code, out, err = invoke("doctor")
    assert err == ""
    lines = out.splitlines()
    severities = [m.group(1) for m in map(SEVERITY.match, lines) if m]
    worst = max(severities, key=["ok", "warning", "problem"].index)
    assert code == CODES[worst]
    problems, warnings = severities.count("problem"), severities.count("warning")
    assert lines[-1] == (
        f"all {len(severities)} checks ok"
        if worst == "ok"
        else " and ".join(
            [f"{problems} problem{'s' * (problems > 1)}"] * bool(problems)
            + [f"{warnings} warning{'s' * (warnings > 1)}"] * bool(warnings)
        )
        + f" in {len(severities)} checks"
    )
    return code, lines


def recorded(tmp_path: Path) -> Path:
    """One recorded hour in TMP/state/netwatch.db, with an outage of the provider's access network."""
    rounds = [LINE.round(T0 + i, Cause.ISP if 600 <= i < 720 else None) for i in range(0, 3601, 10)]
    return stores.record(tmp_path / "state" / "netwatch.db", T0, T0 + 3600, rounds)


def stored(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_where_netwatch_never_ran_the_store_is_a_problem_and_each_check_has_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, lines = doctor(tmp_path, monkeypatch)
    assert code == ExitCode.DOCTOR_PROBLEM
    store = tmp_path / "state" / "netwatch.db"
    assert finding(lines, "store:") == [
        f"problem  store: none at {store} (netwatch has not recorded anything there)",
        f"         → {START}; or give doctor the --config the daemon runs with",
    ]
    assert finding(lines, "card writes:") == [
        "warning  card writes: not measured (netwatch is not running)",
        f"         → {START}",
    ]
    assert finding(lines, "InfluxDB:") == ["ok       InfluxDB: not configured (nothing is exported)"]
    assert finding(lines, "notifications:") == ["ok       notifications: none configured"]
    labels = [SEVERITY.sub("", line).split(":")[0] for line in lines if SEVERITY.match(line)]
    assert labels == ["ICMP", "clock", "free disk", "card writes", "store", "InfluxDB", "notifications", "extras"]
    assert not any("\x1b" in line for line in lines)  # not a terminal: no colour


def test_an_intact_store_is_verified_and_its_growth_gives_the_days_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = recorded(tmp_path)
    found = stores.verified(path)
    _, lines = doctor(tmp_path, monkeypatch)
    [line] = finding(lines, "store:")
    checked = f"{found.seals} seals, {found.rounds} rounds"
    assert re.fullmatch(
        rf"ok       store: netwatch\.db intact \({checked} verified in \d+\.\d s; {re.escape(size(stored(path)))}\)",
        line,
    ), line
    [free] = finding(lines, "free disk:")
    assert "days" not in free and "growth" not in free  # an hour is too soon: the WAL outweighs the rounds


def test_a_day_monitored_gives_the_store_growth_per_day_monitored_and_the_days_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two half days three weeks apart: the store grew by what a day of monitoring adds, not by a 22nd of it."""
    path = tmp_path / "state" / "netwatch.db"
    for first in (T0, T0 + 21 * 86_400):
        rounds = [LINE.round(first + i, None) for i in range(0, 43_201, 60)]
        stores.record(path, first, first + 43_200, rounds)
    growth = size(stored(path))  # a day monitored (before doctor leaves its verified checkpoint)
    _, lines = doctor(tmp_path, monkeypatch)
    assert f" days at the store's growth of {growth} a day" in finding(lines, "free disk:")[0]


def test_a_tampered_store_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = recorded(tmp_path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("UPDATE rounds SET at_ms = at_ms + 1000 WHERE id = 5")
    finally:
        conn.close()
    breaks = len(stores.verified(path).breaks)
    assert breaks >= 1
    code, lines = doctor(tmp_path, monkeypatch)
    assert code == ExitCode.DOCTOR_PROBLEM
    assert finding(lines, "store:") == [
        f"problem  store: the evidence chain of netwatch.db is broken at {breaks} place{'s' * (breaks > 1)}",
        "         → keep a copy of the store as it is, and run netwatch verify to see each place",
    ]


def test_a_store_too_large_for_a_quick_check_is_left_to_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = recorded(tmp_path)
    with Store.open(path, readonly=True) as store:
        waiting = store.unverified_rounds()
    monkeypatch.setattr(checkup, "QUICK_ROUNDS", waiting - 1)
    _, lines = doctor(tmp_path, monkeypatch)
    assert finding(lines, "store:") == [
        f"warning  store: netwatch.db has {waiting:,} rounds not verified yet, too many for a quick check",
        "         → run netwatch verify once (it leaves a checkpoint; doctor then checks only what is new)",
    ]
    code, out, err = invoke("verify")
    assert code == 0, out + err
    _, lines = doctor(tmp_path, monkeypatch)
    assert finding(lines, "store:")[0].startswith("ok       store: netwatch.db intact")


def test_an_influxdb_on_a_closed_port_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    toml = f'[influxdb]\nurl = "http://127.0.0.1:{port}"\napi = "v1"\ndatabase = "netwatch"\n'
    _, lines = doctor(tmp_path, monkeypatch, toml)
    assert finding(lines, "InfluxDB:") == [
        f"warning  InfluxDB: connection to http://127.0.0.1:{port} refused: is InfluxDB running there? check"
        " influxdb.url",
        "         → nothing is lost (the backlog is sent once it answers); netwatch influx check tries again",
    ]


@pytest.fixture
def listening() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel completes them; nothing is read)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A loopback port whose accept queue is full: the kernel drops new connections' SYNs, as a firewall that
    drops packets does, so a connection attempt waits until it times out."""
    with socket.create_server(("127.0.0.1", 0), backlog=0) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            yield port


def test_where_notifications_go_is_tried_without_sending_and_silence_is_not_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listening: int, black_hole: int
) -> None:
    closed = free_port()
    urls = [f"json://127.0.0.1:{closed}/", f"json://127.0.0.1:{listening}/", f"json://127.0.0.1:{black_hole}/"]
    toml = f'[notify]\nurls = {urls!r}\ncommand = ["/bin/true"]\n'.replace("'", '"')
    # InfluxDB in the black hole too, with its default timeout (10 s): the doctor stops waiting at its DEADLINE.
    toml += f'[influxdb]\nurl = "http://127.0.0.1:{black_hole}"\napi = "v1"\ndatabase = "netwatch"\n'
    _, lines = doctor(tmp_path, monkeypatch, toml)
    silent = f"no answer in the {checkup.DEADLINE:g} s netwatch doctor waits"
    assert finding(lines, "InfluxDB:") == [
        f"warning  InfluxDB: http://127.0.0.1:{black_hole} (api v1, database netwatch): {silent}",
        "         → nothing is lost (the backlog is sent once it answers); netwatch influx check tries again",
    ]
    fix = "         → check the URL and that the service is up, then netwatch notify test (messages wait in the outbox)"
    assert finding(lines, f"notifications: json://127.0.0.1:{closed}/") == [
        f"warning  notifications: json://127.0.0.1:{closed}/ unreachable (127.0.0.1:{closed}: connection refused)",
        fix,
    ]
    [reached] = finding(lines, f"notifications: json://127.0.0.1:{listening}/")
    assert re.fullmatch(
        rf"ok       notifications: json://127\.0\.0\.1:{listening}/ reachable \(127\.0\.0\.1:{listening} answered in"
        r" \d+ ms\)",
        reached,
    ), reached
    assert finding(lines, f"notifications: json://127.0.0.1:{black_hole}/") == [
        f"warning  notifications: json://127.0.0.1:{black_hole}/ unreachable (127.0.0.1:{black_hole}: {silent})",
        fix,
    ]
    assert finding(lines, "notifications: command") == [
        "ok       notifications: command /bin/true (not contacted; netwatch notify test sends one)"
    ]


def test_a_channel_that_cannot_be_built_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines = doctor(tmp_path, monkeypatch, '[notify]\ncommand = ["/nonexistent/alert"]\n')
    assert code == ExitCode.DOCTOR_PROBLEM
    assert finding(lines, "notifications:") == [
        'problem  notifications: notify.command the program "/nonexistent/alert" is not an executable file',
        "         → give the absolute path of an executable program",
    ]


def test_a_speed_test_backend_the_configuration_needs_is_named_with_its_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = (
        '[speedtest]\nenabled = true\nbackend = "ookla"\nfallback = []\n'
        '[speedtest.ookla]\nbinary = "/nonexistent/speedtest"\n'
    )
    _, lines = doctor(tmp_path, monkeypatch, toml)
    seen, fix = finding(lines, "extras:")
    assert seen.startswith("warning  extras: ")
    assert fix == (
        "         → speed test backend ookla: Ookla speedtest CLI '/nonexistent/speedtest' not found: install it from"
        " speedtest.net/apps/cli or set the binary path"
    )


def test_colour_only_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(monkeypatch, tmp_path)
    result = CliRunner().invoke(main, ["doctor"], color=True)
    assert "\x1b[33m\x1b[1mwarning\x1b[0m  card writes: not measured (netwatch is not running)" in result.stdout
    assert "\x1b[31m\x1b[1mproblem\x1b[0m  store: none at " in result.stdout
    assert "\x1b[32m\x1b[1mok\x1b[0m       InfluxDB: not configured (nothing is exported)" in result.stdout
