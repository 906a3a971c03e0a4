"""A clean stop exports everything: after SIGTERM, every round, incident and speed test the store holds is in
InfluxDB, also what only the final commit wrote (the last rounds of a batch, the outage closed at shutdown).

The real daemon runs in `home` of the simulated ISP with one anchor nobody answers (an outage from the start,
still open when it stops) and rounds committed every 10 s, so the last seconds before SIGTERM reach the store
only at the stop; influxd runs in `internet`, reachable all along. A speed test is added to the store while the
daemon runs, as `netwatch campaign run` does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from netwatch.adapters.store import Store
from netwatch.core.model import Kind, SpeedResult
from netwatch.errors import StoreError

from .conftest import _server_unavailable
from .netns_isp import Isp
from .servers import InfluxDB1, ServerUnavailable

pytestmark = pytest.mark.netns

INFLUX_ADDR = "203.0.113.87"  # in `internet`
SILENT_ANCHOR = "198.51.100.99"  # no host has it: every round fails
PROBE = "stopping-probe"
COMMIT_INTERVAL = 10.0  # longer than the run after the outage opens: the last rounds are committed at the stop


@pytest.fixture(scope="module")
def influx(isp: Isp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB1]:
    isp.add_host(INFLUX_ADDR)
    try:
        server = InfluxDB1(tmp_path_factory.mktemp("influx"), host=INFLUX_ADDR, netns=isp.internet)
    except ServerUnavailable as err:
        _server_unavailable(err)
    try:
        server.start()
        server.create_database("netwatch")
        yield server
    finally:
        server.stop()


def configure(tmp: Path, server: InfluxDB1) -> Path:
    secret = tmp / "influx-password"
    secret.write_text(server.password + "\n")
    secret.chmod(0o600)
    path = tmp / "netwatch.toml"
    path.write_text(
        f"""
[probe]
name = "{PROBE}"
interval = 0.2
timeout = 0.15
mode = "unprivileged"

[targets]
isp = ""
anchors = ["{SILENT_ANCHOR}"]

[dns]
names = ["example.test"]

[store]
path = "{tmp / "netwatch.db"}"
commit_interval = {COMMIT_INTERVAL}

[influxdb]
url = "{server.url}"
api = "v1"
database = "netwatch"
username = "{server.username}"
password_file = "{secret}"
timeout = 2.0
"""
    )
    return path


def wait_for(what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while not check():
        if proc.poll() is not None:
            pytest.fail(f"the daemon exited ({proc.returncode}) while waiting for {what}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; daemon log:\n{log.read_text()}")
        time.sleep(0.1)


def test_after_sigterm_everything_stored_is_in_influxdb(isp: Isp, influx: InfluxDB1, tmp_path: Path) -> None:
    cfg = configure(tmp_path, influx)
    store_path = tmp_path / "netwatch.db"
    log = tmp_path / "daemon.log"

    def open_outages() -> list[float]:
        try:
            with Store.open(store_path, readonly=True) as store:
                return [i.start for i in store.open_incidents() if i.kind is Kind.OUTAGE]
        except StoreError:  # not created, or not migrated yet
            return []

    with log.open("ab") as err:
        st = os.fstat(err.fileno())  # as under systemd: priorities prefixed to every line
        env = {**os.environ, "NETWATCH_STATE_DIR": str(tmp_path), "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
        proc = isp.popen("home", sys.executable, "-m", "netwatch", "run", "--config", str(cfg), env=env, stderr=err)
    try:
        wait_for("the outage to open", lambda: bool(open_outages()), proc, log)
        with Store.open(store_path) as writer:  # another process adding a speed test, as a campaign run does
            writer.save_speed(SpeedResult(time.time(), "http", "netwatch", download_mbps=42.0, ok=True))
            writer.commit()
        time.sleep(2.0)  # rounds that only the final commit will write
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    with Store.open(store_path, readonly=True) as store:
        rounds = [round(r.at * 1000) for r in store.rounds(float("-inf"), float("inf"))]
        [outage] = store.incidents(float("-inf"), float("inf"))
        speeds = store.speed_results(float("-inf"), float("inf"))
    status = influx.rows(f"SELECT up FROM netwatch_status WHERE probe = '{PROBE}'", "netwatch")
    assert sorted(r["time"] for r in status) == sorted(rounds), "every round, the last batch included"
    assert outage.end is not None, "closed at the last round seen, on shutdown"
    [point] = influx.rows(f"SELECT * FROM netwatch_incident WHERE probe = '{PROBE}'", "netwatch")
    assert (point["kind"], point["cause"], point["open"], point["superseded"]) == (
        "outage",
        outage.cause.value,
        False,
        False,
    )
    assert (point["start"], point["end"]) == (
        pytest.approx(outage.start, abs=1e-3),
        pytest.approx(outage.end, abs=1e-3),
    )
    [speed] = influx.rows(f"SELECT * FROM netwatch_speed WHERE probe = '{PROBE}'", "netwatch")
    assert [(speed["time"], speed["download_mbps"])] == [(round(s.at * 1000), s.download_mbps) for s in speeds]
    text = log.read_text()
    assert "<6>exporting to InfluxDB at " in text
    assert [line for line in text.splitlines() if "InfluxDB export" in line and line[:3] in ("<3>", "<4>")] == []
