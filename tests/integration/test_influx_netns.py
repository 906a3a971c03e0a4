"""The real daemon exporting to a remote InfluxDB across the simulated ISP: the line goes down, so does the path
to InfluxDB, and when it comes back every round recorded meanwhile arrives, once, without probing ever stalling;
and after a clean stop everything the store holds is in InfluxDB, what only the final commit wrote included.

influxd runs inside the `internet` namespace on an address of its own; the daemon runs in `home` (see
tests/support/netns_isp.py). Nothing here touches the host's network.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwatch.adapters.influx.sinks import sink_key
from netwatch.adapters.store import Store
from netwatch.config import load
from netwatch.core.model import Kind, SpeedResult
from netwatch.errors import StoreError
from tests.support import configs
from tests.support.netns_daemon import start, wait_for
from tests.support.netns_isp import ANCHOR6, ANCHORS, Isp
from tests.support.servers import InfluxDB1, ServerUnavailable
from tests.support.skipping import unavailable

pytestmark = pytest.mark.netns

INFLUX_ADDR = "203.0.113.86"  # in `internet`, behind the access link
INTERVAL = 0.2
PROBE = "netns-probe"
WRITE_TIMEOUT = 1.0  # while the line is cut, each export attempt blocks this long (in the exporter's thread)
SILENT_ANCHOR = "198.51.100.99"  # no host has it: every round fails
STOPPING = "stopping-probe"


@pytest.fixture(scope="module")
def remote_influx(isp: Isp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB1]:
    isp.add_host(INFLUX_ADDR)
    try:
        server = InfluxDB1(tmp_path_factory.mktemp("remote-influx"), host=INFLUX_ADDR, netns=isp.internet)
    except ServerUnavailable as err:
        unavailable(str(err))
    try:
        server.start()
        server.create_database("netwatch")
        yield server
    finally:
        server.stop()


def write_config(
    tmp: Path,
    server: InfluxDB1,
    *,
    anchors: tuple[str, ...] = (*ANCHORS, ANCHOR6),
    commit_interval: float = 0.5,
    write_timeout: float = WRITE_TIMEOUT,
    probe: str = PROBE,
) -> Path:
    secret = tmp / "influx-password"
    secret.write_text(server.password + "\n")
    secret.chmod(0o600)
    influxdb = {
        "url": server.url,
        "api": "v1",
        "database": "netwatch",
        "username": server.username,
        "password_file": str(secret),
        "timeout": write_timeout,
    }
    document = configs.daemon(
        tmp / "netwatch.db",
        anchors,
        interval=INTERVAL,
        timeout=0.15,
        dns_names=["example.test"],
        commit_interval=commit_interval,
        probe={"name": probe},
        influxdb=influxdb,
    )
    return configs.write(tmp / "netwatch.toml", document)


def test_the_daemon_backfills_influxdb_after_the_line_comes_back(
    net: Isp, remote_influx: InfluxDB1, tmp_path: Path
) -> None:
    cfg_path = write_config(tmp_path, remote_influx)
    store_path = tmp_path / "netwatch.db"
    log = tmp_path / "daemon.log"

    def exported() -> list[int]:
        rows = remote_influx.rows(f"SELECT up FROM netwatch_status WHERE probe = '{PROBE}'", "netwatch")
        return [r["time"] for r in rows]

    def stored(until: float = float("inf")) -> list[int]:
        with Store.open(store_path, readonly=True) as store:
            return [round(r.at * 1000) for r in store.rounds(float("-inf"), until)]

    daemon = start(net, cfg_path, store_path, log)
    proc = daemon.proc
    try:
        wait_for("the first exported rounds", lambda: len(exported()) >= 5, 30, daemon, every=0.1)
        cut = net.cut("access")
        time.sleep(3.0)
        restored = net.restore("access")
        wait_for("the backfill", lambda: set(stored(restored + 1)) <= set(exported()), 30, daemon, every=0.1)
        daemon.stop(timeout=30)  # within systemd's TimeoutStopSec, exporter included
        assert proc.returncode == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    times, sent = stored(), exported()
    assert len(sent) == len(set(sent)), "no point twice"
    assert set(sent) <= set(times)
    outage = [t for t in times if cut * 1000 <= t <= restored * 1000]
    assert len(outage) >= 3.0 / INTERVAL - 2 and set(outage) <= set(sent)  # recorded offline, exported later
    # Had probing waited for a blocked write, a gap of WRITE_TIMEOUT would show; a busy machine may skip a slot.
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) < WRITE_TIMEOUT * 1000 - 100, f"probing waited: {sorted(gaps)[-5:]} ms"
    cfg = load(cfg_path, {"HOME": str(tmp_path)})
    with Store.open(store_path, readonly=True) as store:
        state = store.export_state(sink_key(cfg.influxdb))
    assert state is not None and not state.stopped
    assert {t for t in times[: state.round_id]} <= set(sent)  # everything up to the saved cursor arrived
    text = log.read_text()
    assert "<4>InfluxDB export paused: " in text and "<6>InfluxDB export resumed after " in text
    assert remote_influx.password not in text
    status = subprocess.run(
        [sys.executable, "-m", "netwatch", "status", "--config", str(cfg_path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NETWATCH_STATE_DIR": str(tmp_path)},
    )
    assert re.fullmatch(r"InfluxDB: (up to date|\d+ rounds behind)", status.stdout.splitlines()[-1]), status.stdout


def test_after_sigterm_everything_stored_is_in_influxdb(net: Isp, remote_influx: InfluxDB1, tmp_path: Path) -> None:
    """A clean stop exports everything, also what only the final commit wrote: the last rounds of a batch and the
    outage closed at shutdown. One anchor nobody answers makes an outage from the start, still open at the stop;
    rounds are committed every 10 s, so the last seconds reach the store only then; InfluxDB stays reachable. A
    speed test is added to the store while the daemon runs, as `netwatch campaign run` does."""
    influx = remote_influx
    cfg = write_config(
        tmp_path, influx, anchors=(SILENT_ANCHOR,), commit_interval=10.0, write_timeout=2.0, probe=STOPPING
    )
    store_path = tmp_path / "netwatch.db"
    log = tmp_path / "daemon.log"

    def open_outages() -> list[float]:
        try:
            with Store.open(store_path, readonly=True) as store:
                return [i.start for i in store.open_incidents() if i.kind is Kind.OUTAGE]
        except StoreError:  # not created, or not migrated yet
            return []

    daemon = start(net, cfg, store_path, log)
    proc = daemon.proc
    try:
        wait_for("the outage to open", lambda: bool(open_outages()), 30, daemon, every=0.1)
        with Store.open(store_path) as writer:  # another process adding a speed test, as a campaign run does
            writer.save_speed(SpeedResult(time.time(), "http", "netwatch", download_mbps=42.0, ok=True))
            writer.commit()
        time.sleep(2.0)  # rounds that only the final commit will write
        daemon.stop(timeout=60)
        assert proc.returncode == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    with Store.open(store_path, readonly=True) as store:
        rounds = [round(r.at * 1000) for r in store.rounds(float("-inf"), float("inf"))]
        [outage] = store.incidents(float("-inf"), float("inf"))
        speeds = store.speed_results(float("-inf"), float("inf"))
    status = influx.rows(f"SELECT up FROM netwatch_status WHERE probe = '{STOPPING}'", "netwatch")
    assert sorted(r["time"] for r in status) == sorted(rounds), "every round, the last batch included"
    assert outage.end is not None, "closed at the last round seen, on shutdown"
    [point] = influx.rows(f"SELECT * FROM netwatch_incident WHERE probe = '{STOPPING}'", "netwatch")
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
    [speed] = influx.rows(f"SELECT * FROM netwatch_speed WHERE probe = '{STOPPING}'", "netwatch")
    assert [(speed["time"], speed["download_mbps"])] == [(round(s.at * 1000), s.download_mbps) for s in speeds]
    text = log.read_text()
    assert "<6>exporting to InfluxDB at " in text
    assert [line for line in text.splitlines() if "InfluxDB export" in line and line[:3] in ("<3>", "<4>")] == []
