"""Speed test backends against real servers inside the simulated ISP, on a line shaped to 20 Mbit/s with tc.

Servers run in the `internet` namespace on addresses of their own (HTTP 203.0.113.80, iperf3 .81, the fake
speedtest.net .82); each backend runs in the `home` namespace through speed_runner.py, the way the daemon runs
it (worker thread, SIGTERM sets the cancel event). speedtest-cli finds the fake speedtest.net under its real host
names through the home namespace's own hosts file, and trusts it through SSL_CERT_FILE (a CA made for the test):
nothing leaves the namespaces. Tests that need no network (missing binaries, a fake Ookla CLI) are in
test_speed_tools.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from netwatch.core.model import SpeedResult
from tests.support.netns_isp import HOME, Isp
from tests.support.processes import stop, wait_line
from tests.support.scripts import FAKE_SPEEDTEST, SPEED_RUNNER
from tests.support.skipping import unavailable
from tests.support.speed import HTTP, HTTP_FAST, IPERF_HOST, SPEEDTEST_HOST, within

RATE_MBIT = 20
FAKE_NAMES = ("www.speedtest.net", "c.speedtest.net", "speedtest.fake-isp.test")
IPERF_FAILED = f"iperf3 download to {IPERF_HOST}:{{}} failed: "


@dataclass
class FakeSpeedtest:
    ca: Path
    control: Path
    log: Path

    def fail(self, **stages: int) -> None:
        self.control.write_text(json.dumps(stages))

    def requests(self) -> list[str]:
        return self.log.read_text().splitlines()


def make_ca(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for the speedtest.net names: (ca.pem, server.pem, server.key)."""
    ca_key, ca, key, csr, cert = (directory / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    ext = directory / "server.ext"
    ext.write_text(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
        f"subjectAltName={','.join(f'DNS:{n}' for n in FAKE_NAMES)}\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for argv in (
        [
            "openssl",
            "req",
            "-x509",
            *ec,
            "-keyout",
            ca_key,
            "-out",
            ca,
            "-days",
            "2",
            "-subj",
            "/CN=netwatch test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        ["openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=www.speedtest.net"],
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            ca,
            "-CAkey",
            ca_key,
            "-CAcreateserial",
            "-out",
            cert,
            "-days",
            "2",
            "-extfile",
            ext,
        ],
    ):
        subprocess.run([str(a) for a in argv], check=True, capture_output=True, timeout=30)
    return ca, cert, key


@pytest.fixture(scope="module")
def speedtest_net(isp: Isp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeSpeedtest]:
    if importlib.util.find_spec("speedtest") is None:
        unavailable("speedtest-cli is not installed (pip install 'netwatch[speedtest]')")
    if shutil.which("openssl") is None:
        unavailable("the openssl command is needed to make the fake speedtest.net's certificate")
    directory = tmp_path_factory.mktemp("fake_speedtest")
    ca, cert, key = make_ca(directory)
    fake = FakeSpeedtest(ca, directory / "control.json", directory / "requests.log")
    fake.fail()
    fake.log.touch()
    isp.add_host(SPEEDTEST_HOST)
    proc = isp.popen(
        "internet",
        sys.executable,
        str(FAKE_SPEEDTEST),
        "--listen",
        SPEEDTEST_HOST,
        "--cert",
        str(cert),
        "--key",
        str(key),
        "--control",
        str(fake.control),
        "--log",
        str(fake.log),
        "--length",
        "3",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    hosts = Path("/etc/netns") / isp.home / "hosts"
    original = hosts.read_text()
    try:
        wait_line(proc, "ready")
        hosts.write_text(original + "".join(f"{SPEEDTEST_HOST} {name}\n" for name in FAKE_NAMES))
        yield fake
    finally:
        hosts.write_text(original)
        stop(proc)


@pytest.fixture
def fake(speedtest_net: FakeSpeedtest) -> Iterator[FakeSpeedtest]:
    """The fake speedtest.net with no faults and an empty request log, faults removed after the test."""
    speedtest_net.fail()
    speedtest_net.log.write_text("")
    try:
        yield speedtest_net
    finally:
        speedtest_net.fail()


# -- running backends inside home -----------------------------------------------------------------------------


@dataclass
class Run:
    results: list[SpeedResult]
    after_cancel: float | None
    wall: float

    @property
    def last(self) -> SpeedResult:
        return self.results[-1]


def run_in_home(
    net: Isp, *chain: tuple[str, dict[str, Any]], env: dict[str, str] | None = None, sigterm_after: float | None = None
) -> Run:
    """Run the backends (the first, then its fallbacks) inside home and return every attempt."""
    environ = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}  # no proxies, ever
    environ.update(env or {})
    spec = json.dumps({"chain": [list(link) for link in chain]})
    start = time.monotonic()
    proc = net.popen(
        "home",
        sys.executable,
        str(SPEED_RUNNER),
        spec,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_line(proc, "started", timeout=20)
        if sigterm_after is not None:
            time.sleep(sigterm_after)
            proc.terminate()
        out, err = proc.communicate(timeout=120)
    finally:
        stop(proc)
    assert proc.returncode == 0, err
    data = json.loads(out.strip().splitlines()[-1])
    results = [SpeedResult.from_dict(r) for r in data["results"]]
    return Run(results, data["after_cancel"], time.monotonic() - start)


def describe(result: SpeedResult) -> str:
    figures = {k: v for k, v in result.to_dict().items() if k != "raw"}
    return json.dumps(figures)


# -- accuracy on a 20 Mbit/s line -----------------------------------------------------------------------------


@pytest.mark.netns
def test_iperf3_measures_a_20_mbit_line_within_15_percent(net: Isp, iperf_server: str) -> None:
    net.rate_limit("access", RATE_MBIT * 1000)
    run = run_in_home(net, ("iperf3", {"host": iperf_server, "duration": 3, "omit": 1, "streams": 4}))
    result = run.last
    assert result.ok, result.error
    print(describe(result))
    assert within(result.download_mbps, RATE_MBIT), describe(result)
    assert within(result.upload_mbps, RATE_MBIT), describe(result)
    assert result.tool == "iperf3" and result.tool_version.startswith("3.")
    assert result.server == f"{IPERF_HOST}:5201"
    assert result.loaded_latency_ms is not None and result.loaded_latency_ms > 0
    # two runs of 1 + 3 s at 20 Mbit/s move about 2 x 10 MB
    assert 12e6 < result.bytes_used < 25e6, describe(result)


@pytest.mark.netns
def test_http_measures_a_20_mbit_line_within_15_percent(net: Isp, http_server: str) -> None:
    net.rate_limit("access", RATE_MBIT * 1000)
    options = {
        "urls": [f"{http_server}/down?bytes={{bytes}}"],
        "upload_url": f"{http_server}/up",
        "latency_url": f"{http_server}/latency",
        **HTTP_FAST,
    }
    result = run_in_home(net, ("http", options)).last
    assert result.ok, result.error
    print(describe(result))
    assert within(result.download_mbps, RATE_MBIT), describe(result)
    assert within(result.upload_mbps, RATE_MBIT), describe(result)
    assert result.latency_ms is not None and result.jitter_ms is not None
    # tbf queues up to 100 ms: a saturated line answers more slowly than an idle one (bufferbloat)
    assert result.loaded_latency_ms is not None and result.loaded_latency_ms > result.latency_ms + 5
    assert result.server == f"{HTTP}:80" and result.tool == "netwatch-http"
    raw = json.loads(result.raw)
    assert raw["download"]["kernel_counted"] and raw["upload"]["kernel_counted"]  # TCP_INFO, not app counts
    assert 12e6 < result.bytes_used < 20e6, describe(result)


@pytest.mark.netns
def test_http_plain_url_is_fetched_repeatedly_and_the_byte_cap_ends_the_test(net: Isp, http_server: str) -> None:
    net.rate_limit("access", RATE_MBIT * 1000)
    cap = 8_000_000  # half each way: 1.6 s at 20 Mbit/s of a 10 s test; /blob is 2 MiB, so streams fetch it again
    options = {
        **HTTP_FAST,
        "urls": [f"{http_server}/blob"],
        "upload_url": f"{http_server}/up",
        "duration": 10,
        "max_bytes": cap,
    }
    result = run_in_home(net, ("http", options)).last
    assert result.ok, result.error
    print(describe(result))
    assert within(result.download_mbps, RATE_MBIT), describe(result)
    assert within(result.upload_mbps, RATE_MBIT), describe(result)
    raw = json.loads(result.raw)
    assert raw["download"]["capped"] and raw["upload"]["capped"]
    assert cap // 2 - 5_000 <= raw["download"]["bytes"] < cap // 2 + 300_000, raw  # latency requests count too
    # idle means idle: the previous test's queued upload data was dropped (RST), not sent after it ended
    assert result.latency_ms is not None and result.latency_ms < 10, describe(result)
    assert cap <= result.bytes_used < cap + 600_000, describe(result)
    assert result.duration_s < 6


@pytest.mark.netns
def test_speedtest_cli_against_the_fake_speedtest_net(net: Isp, fake: FakeSpeedtest) -> None:
    net.rate_limit("access", RATE_MBIT * 1000)
    run = run_in_home(net, ("speedtest", {"timeout": 5}), env={"SSL_CERT_FILE": str(fake.ca)})
    result = run.last
    assert result.ok, result.error
    print(describe(result))
    assert result.tool == "speedtest-cli" and result.tool_version == "2.1.3"
    assert result.server_id == "4242"  # chosen automatically: the other server does not answer
    assert result.server == "Fake ISP, London (speedtest.fake-isp.test:8080)"
    assert result.result_url == "http://www.speedtest.net/result/987654321.png"
    assert result.external_ip == HOME
    assert result.latency_ms is not None and result.latency_ms < 50
    # speedtest-cli's own method (whole files, fixed thread pool, time to join included) reads a little low
    assert within(result.download_mbps, RATE_MBIT, 0.25), describe(result)
    assert within(result.upload_mbps, RATE_MBIT, 0.25), describe(result)
    requests = fake.requests()
    assert "443 GET /speedtest-config.php 200" in requests  # secure mode: the config over HTTPS
    assert any(r.startswith("443 GET /speedtest-servers-static.php") for r in requests)
    assert any(r.startswith("8080 POST /speedtest/upload.php") for r in requests)


# -- speedtest.net refusing, and the fallback ------------------------------------------------------------------


@pytest.mark.netns
def test_speedtest_403_on_the_config_falls_back_to_http(net: Isp, fake: FakeSpeedtest, http_server: str) -> None:
    fake.fail(config=403)
    http = {**HTTP_FAST, "urls": [f"{http_server}/down?bytes={{bytes}}"], "duration": 1, "warmup": 0.2}
    run = run_in_home(net, ("speedtest", {"timeout": 5}), ("http", http), env={"SSL_CERT_FILE": str(fake.ca)})
    first, second = run.results
    assert not first.ok and first.download_mbps is None
    assert first.error == (
        "speedtest.net refused speedtest-cli while fetching speedtest.net's configuration: "
        "HTTP 403 Forbidden from https://www.speedtest.net/speedtest-config.php"
    )
    assert second.ok and second.backend == "http" and second.download_mbps
    assert run.last is second


@pytest.mark.netns
def test_speedtest_429_on_the_server_list_is_a_failed_test(net: Isp, fake: FakeSpeedtest) -> None:
    fake.fail(servers=429)
    result = run_in_home(net, ("speedtest", {"timeout": 5}), env={"SSL_CERT_FILE": str(fake.ca)}).last
    assert not result.ok and result.download_mbps is None
    assert result.error.startswith("speedtest.net rate-limited speedtest-cli while fetching speedtest.net's server")
    assert "HTTP 429 Too Many Requests" in result.error


@pytest.mark.netns
def test_speedtest_refused_downloads_are_a_failure_not_a_slow_line(net: Isp, fake: FakeSpeedtest) -> None:
    fake.fail(download=403)
    options = {"timeout": 5, "server_id": "4242", "upload": False}
    result = run_in_home(net, ("speedtest", options), env={"SSL_CERT_FILE": str(fake.ca)}).last
    assert not result.ok and result.download_mbps is None
    assert result.server_id == "4242"
    source = "http://speedtest.fake-isp.test:8080/speedtest/random"
    assert f"of the download test failed: HTTP 403 Forbidden from {source}" in result.error


@pytest.mark.netns
def test_speedtest_unknown_server_id(net: Isp, fake: FakeSpeedtest) -> None:
    result = run_in_home(net, ("speedtest", {"server_id": "1"}), env={"SSL_CERT_FILE": str(fake.ca)}).last
    assert not result.ok
    assert result.error == "the configured server_id is not in speedtest.net's server list"


@pytest.mark.netns
def test_speedtest_untrusted_certificate_is_a_failed_test(net: Isp, fake: FakeSpeedtest) -> None:
    result = run_in_home(net, ("speedtest", {"timeout": 5}), env={"SSL_CERT_FILE": "/dev/null"}).last
    assert not result.ok
    assert result.error.startswith("fetching speedtest.net's configuration failed: ")
    assert "CERTIFICATE_VERIFY_FAILED" in result.error


# -- failures: unreachable, refused, silent servers -------------------------------------------------------------


@pytest.mark.netns
def test_unreachable_servers_are_failed_tests_with_the_reason(net: Isp, iperf_server: str, http_server: str) -> None:
    net.cut("access")
    run = run_in_home(
        net,
        ("iperf3", {"host": iperf_server, "duration": 2, "connect_timeout": 1}),
        ("http", {**HTTP_FAST, "urls": [f"{http_server}/blob"], "timeout": 1}),
    )
    assert [r.ok for r in run.results] == [False, False]
    iperf, http = run.results
    assert iperf.error == IPERF_FAILED.format(5201) + "unable to connect to server: Connection timed out"
    assert http.error == f"latency test failed: {HTTP}:80 timed out"
    assert run.wall < 8


@pytest.mark.netns
def test_refused_connections_are_failed_tests(net: Isp, iperf_server: str, http_server: str) -> None:
    run = run_in_home(
        net,
        ("iperf3", {"host": iperf_server, "port": 5299, "duration": 2, "connect_timeout": 1}),
        ("http", {**HTTP_FAST, "urls": [f"{http_server}:81/"], "timeout": 1}),
    )
    iperf, http = run.results
    assert iperf.error == IPERF_FAILED.format(5299) + "unable to connect to server: Connection refused"
    assert http.error == f"latency test failed: {HTTP}:81: [Errno 111] Connection refused"


@pytest.mark.netns
def test_a_silent_server_times_out(net: Isp, http_server: str) -> None:
    run = run_in_home(
        net,
        (
            "http",
            {**HTTP_FAST, "urls": [f"{http_server}/trickle"], "latency_url": f"{http_server}/latency", "timeout": 1},
        ),
        ("http", {**HTTP_FAST, "urls": [f"{http_server}/blob"], "latency_url": f"{http_server}/stall", "timeout": 1}),
    )
    trickle, stall = run.results
    assert trickle.error == f"download failed: {HTTP}:80 timed out"
    assert stall.error == f"latency test failed: {HTTP}:80 timed out"
    assert trickle.duration_s < 4 and stall.duration_s < 3


@pytest.mark.netns
def test_an_http_error_status_fails_the_test(net: Isp, http_server: str) -> None:
    options = {**HTTP_FAST, "urls": [f"{http_server}/status/429"], "latency_url": f"{http_server}/latency"}
    result = run_in_home(net, ("http", options)).last
    assert result.error == f"download failed: {HTTP}:80: HTTP 429 Too Many Requests"


# -- cancel (SIGTERM) ---------------------------------------------------------------------------------------------


@pytest.mark.netns
@pytest.mark.parametrize("backend", ["http", "iperf3", "speedtest"])
def test_sigterm_cancels_a_running_test_within_a_second(net: Isp, backend: str, request: pytest.FixtureRequest) -> None:
    net.rate_limit("access", RATE_MBIT * 1000)
    env: dict[str, str] = {}
    options: dict[str, Any]
    if backend == "http":
        options = {
            **HTTP_FAST,
            "urls": [f"{request.getfixturevalue('http_server')}/down?bytes={{bytes}}"],
            "duration": 60,
        }
    elif backend == "iperf3":
        options = {"host": request.getfixturevalue("iperf_server"), "port": 5202, "duration": 60}
    else:  # the fake speedtest.net's tests last 3 s each way: SIGTERM arrives during the download
        env = {"SSL_CERT_FILE": str(request.getfixturevalue("fake").ca)}
        options = {"timeout": 5}
    run = run_in_home(net, (backend, options), env=env, sigterm_after=1.5)
    result = run.last
    assert not result.ok and result.error == "cancelled" and result.cancelled
    assert run.after_cancel is not None and run.after_cancel < 1.0, run.after_cancel
    assert run.wall < 1.5 + 3 + 2  # start-up, 1.5 s of test, the generous bound on stopping
