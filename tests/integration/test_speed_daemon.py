"""Scheduled speed tests in the real daemon, and `netwatch speedtest`, inside the simulated ISP (issue 5).

The daemon runs in `home` with ``[speedtest] backend = "http"`` against speed_http_server.py in `internet`, the
access link shaped to 20 Mbit/s and a plan of 100 Mbit/s: its scheduled tests are slow and open a slow
incident; with the access link cut, the test due is skipped and stored with the reason, and so is one due while a
speed campaign holds the speed test lock. The test interval (5 s)
is below the configured minimum, which the daemon process lowers through the documented constant
``netwatch.config.speed.SPEED_MIN_INTERVAL``. Nothing leaves the namespaces.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwatch.adapters import locks
from netwatch.adapters.store.sqlite import Store
from netwatch.app.daemon.speed import CAMPAIGN_RUNNING
from netwatch.core.model import Kind, SpeedResult
from tests.support import configs
from tests.support.metrics import scrape, value
from tests.support.netns_daemon import environment, start, wait_for
from tests.support.netns_isp import ANCHORS, Isp
from tests.support.speed import HTTP_FAST, IPERF_HOST, within

pytestmark = pytest.mark.netns

RATE_KBIT = 20_000
LOWERED = (
    "import runpy, netwatch.config.speed as c; c.SPEED_MIN_INTERVAL = 1.0; "
    "runpy.run_module('netwatch', run_name='__main__')"
)


@pytest.fixture
def shaped(isp: Isp) -> Iterator[None]:
    isp.rate_limit("access", RATE_KBIT)
    try:
        yield
    finally:
        isp.rate_limit("access", None)
        isp.reset()


def speed_results(store: Path) -> list[SpeedResult]:
    try:
        with Store.open(store, readonly=True) as reader:
            return reader.speed_results(0, time.time() + 60)
    except Exception:
        return []  # not created yet


def test_daemon_schedules_slow_and_skipped_tests(isp: Isp, http_server: str, shaped: None, tmp_path: Path) -> None:
    store = tmp_path / "speed.db"
    http = {**HTTP_FAST, "duration": 2, "urls": [f"{http_server}/blob"]}
    speedtest = {"enabled": True, "backend": "http", "fallback": [], "interval": 5.0, "jitter": 1.0, "http": http}
    document = configs.daemon(
        store,
        ANCHORS,
        interval=0.5,
        timeout=0.3,
        detect={"confirm": 2},
        plan={"download_mbps": 100.0},
        speedtest=speedtest,
        metrics={"enabled": True, "listen": "127.0.0.1:9850"},
    )
    log = tmp_path / "daemon.log"
    daemon = start(isp, configs.write(tmp_path / "netwatch.toml", document), store, log, python=("-c", LOWERED))
    proc = daemon.proc
    try:

        def slow_open() -> bool:
            with Store.open(store, readonly=True) as reader:
                return any(i.kind is Kind.SLOW for i in reader.open_incidents())

        wait_for("a slow incident", lambda: speed_results(store) and slow_open(), 20, daemon, every=0.1)
        measured = [r for r in speed_results(store) if r.ok]
        assert measured and within(measured[0].download_mbps, RATE_KBIT / 1000), measured[0]
        assert "speed test via http" in log.read_text() and "SLOW STARTED" in log.read_text()
        # The same figures on the Prometheus endpoint (scraped inside home, where it listens).
        samples = scrape("http://127.0.0.1:9850/metrics", netns=isp.home, timeout=2)
        assert value(samples, "netwatch_incidents_total", kind="slow", cause="isp") == 1.0
        assert (value(samples, "netwatch_speedtests_total", result="ok") or 0) >= len(measured)
        speed = value(samples, "netwatch_speedtest_download_bits_per_second")
        assert speed is not None and within(speed / 1e6, RATE_KBIT / 1000), speed

        isp.cut("access")
        wait_for(
            "a skipped test",
            lambda: any("skipped: line down" in r.error for r in speed_results(store)),
            15,
            daemon,
            every=0.1,
        )
        skipped = next(r for r in speed_results(store) if r.error.startswith("skipped"))
        assert skipped.error.startswith("skipped: line down (outage since ") and not skipped.ok
        isp.restore("access")
        # While `netwatch campaign run` holds the speed test lock, the daemon's test is skipped, never run alongside.
        with locks.speed_test(locks.path_for(store, "speed")) as free:
            assert free
            campaign_skip = lambda: any(r.error == CAMPAIGN_RUNNING for r in speed_results(store))  # noqa: E731
            wait_for("a test skipped for a campaign", campaign_skip, 20, daemon, every=0.1)
    finally:
        daemon.stop(timeout=30)  # within systemd's TimeoutStopSec
    assert proc.returncode == 0, daemon.logs()


def write_cli_config(tmp: Path, port: int) -> Path:
    cfg = tmp / f"cli-{port}.toml"
    cfg.write_text(f'[speedtest.iperf3]\nhost = "{IPERF_HOST}"\nport = {port}\nduration = 2\nconnect_timeout = 2\n')
    return cfg


def test_cli_speedtest_iperf3(isp: Isp, iperf_server: str, shaped: None, tmp_path: Path) -> None:
    cfg = write_cli_config(tmp_path, 5201)
    argv = (sys.executable, "-m", "netwatch", "speedtest", "--config", str(cfg), "--backend", "iperf3")
    proc = isp.popen("home", *argv, "--json", env=environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    doc = json.loads(out)
    assert doc["ok"] and doc["backend"] == "iperf3" and "raw" not in doc and len(doc["attempts"]) == 1
    assert within(doc["download_mbps"], RATE_KBIT / 1000), doc

    bad = write_cli_config(tmp_path, 5299)  # nothing listens there
    argv = (sys.executable, "-m", "netwatch", "speedtest", "--config", str(bad), "--backend", "iperf3")
    proc = isp.popen(
        "home", *argv, env=environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 8, (out, err)
    assert out.startswith("speed test via iperf3 (server 203.0.113.81:5299) failed: iperf3 download to")
    assert err.startswith("netwatch: speed test failed: iperf3 download to 203.0.113.81:5299 failed: ")
