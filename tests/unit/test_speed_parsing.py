"""Speed test backends without a network: parsing real tool output, mapping speedtest-cli's report, the
fallback chain with fake backends, and building backends from configuration.

The sample outputs in data/speed/ are real: iperf3 3.12 runs through a 20 Mbit/s tc limit in the simulated ISP,
speedtest-cli 2.1.3 against the fake speedtest.net of the integration tests (both captured by the worker), and
an Ookla CLI 1.2 result line (figures and addresses replaced with documentation values).
"""

from __future__ import annotations

import inspect
import json
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netwatch.adapters.probes.speed import FACTORIES, make_backend, options_of, run_with_fallback, unavailable
from netwatch.adapters.probes.speed._transfer import Url
from netwatch.adapters.probes.speed.http import CLOUDFLARE_DOWN, HttpBackend, _jitter
from netwatch.adapters.probes.speed.iperf3 import Iperf3Backend, parse_iperf3
from netwatch.adapters.probes.speed.ookla import OoklaBackend, parse_errors, parse_ookla, parse_version
from netwatch.adapters.probes.speed.result import RAW_LIMIT, clip_raw, failure
from netwatch.adapters.probes.speed.speedtest_cli import MISSING, SpeedtestCliBackend, map_worker_output
from netwatch.config import speed as declared
from netwatch.core.model import CANCELLED, SpeedResult
from netwatch.errors import ConfigError
from tests.support.instants import T0 as AT

DATA = Path(__file__).parent / "data" / "speed"


def sample(name: str) -> str:
    return (DATA / name).read_text()


# -- iperf3 -----------------------------------------------------------------------------------------------------


def test_iperf3_download_run() -> None:
    run = parse_iperf3(sample("iperf3-download.json"))
    assert run.error == ""
    assert run.bits_per_second == pytest.approx(19_445_888.57, abs=0.01)  # end.sum_received: what arrived
    assert run.version == "3.12"
    assert run.bytes_total == 9_580_256  # every interval, the omitted warm-up second included
    assert run.mean_rtt_ms is None  # with -R the server sends: the client has no RTT to report


def test_iperf3_upload_run_gives_the_rtt_under_load() -> None:
    run = parse_iperf3(sample("iperf3-upload.json"))
    assert run.bits_per_second == pytest.approx(19_706_915.50, abs=0.01)
    assert run.mean_rtt_ms == 48.239  # mean of the streams' smoothed RTTs, microseconds to ms
    assert run.bytes_total == 11_165_528


def test_iperf3_errors() -> None:
    refused = parse_iperf3(sample("iperf3-refused.json"))
    assert refused.error == "unable to connect to server: Connection refused"
    assert refused.bits_per_second is None and refused.version == "3.12"
    assert parse_iperf3("iperf3: error - unable to connect").error == "iperf3 printed no JSON"
    assert parse_iperf3("[]").error == "iperf3 printed unexpected JSON"
    assert parse_iperf3('{"start": {}, "end": {}}').error == "iperf3 reported no received throughput"


def test_iperf3_command_lines() -> None:
    backend = Iperf3Backend("iperf.example.net", 5202, streams=2, duration=8, omit=2, binary="/usr/bin/iperf3")
    base = ["/usr/bin/iperf3", "-c", "iperf.example.net", "-p", "5202", "-J", "-t", "8", "-P", "2", "-O", "2"]
    assert backend.command(reverse=True) == [*base, "--connect-timeout", "5000", "-R"]
    assert backend.command(reverse=False) == [*base, "--connect-timeout", "5000"]


# -- Ookla ------------------------------------------------------------------------------------------------------


def test_ookla_result() -> None:
    result = parse_ookla(sample("ookla.json"), at=AT, version="1.2.0.84")
    assert result.ok and result.error == ""
    assert (result.backend, result.tool, result.tool_version) == ("ookla", "ookla", "1.2.0.84")
    assert result.download_mbps == 520.379  # bandwidth is bytes/s: 65 047 375 * 8
    assert result.upload_mbps == 52.555
    assert (result.latency_ms, result.jitter_ms, result.loaded_latency_ms) == (5.581, 3.592, 40.61)
    assert result.server == "Example Networks, London (speedtest.example.net:8080)"
    assert result.server_id == "16620"
    assert result.result_url == "https://www.speedtest.net/result/c/780b15e4-e9a9-49a2-b967-d98038e85418"
    assert result.external_ip == "198.51.100.23"
    assert result.bytes_used == 624_157_784 + 69_125_958
    assert json.loads(result.raw)["isp"] == "Example Broadband"


def test_ookla_failures() -> None:
    log = '{"type":"log","timestamp":"2026-01-01T00:00:00Z","message":"Configuration - Could not retrieve or read '
    log += 'configuration (ConfigurationError)","level":"error"}\n'
    result = parse_ookla(log, at=AT)
    assert not result.ok and result.download_mbps is None
    assert result.error == (
        "Ookla speedtest: Configuration - Could not retrieve or read configuration (ConfigurationError)"
    )
    assert parse_ookla("", at=AT).error == "Ookla speedtest: printed no result"
    no_download = '{"type":"result","download":{"bandwidth":0},"upload":{"bandwidth":10}}'
    assert parse_ookla(no_download, at=AT).error == "Ookla speedtest: no download measured"


def test_ookla_log_parsing() -> None:
    text = "[2026-09-26 09:23:48.288] [error] Limit reached:\n\nSpeedtest CLI. Too many requests received.\n"
    assert parse_errors(text) == ["Limit reached: Speedtest CLI. Too many requests received."]
    assert parse_errors('{"type":"log","level":"info","message":"hi"}\n{"error":"Cannot write: "}') == ["Cannot write:"]
    assert parse_version("Speedtest by Ookla 1.2.0.84 (ea6b6773cf) Linux/x86_64-linux-musl") == "1.2.0.84"
    assert parse_version("speedtest-cli 2.1.3\nPython 3.11.2") is None


def test_ookla_command_line() -> None:
    assert OoklaBackend(binary="/opt/ookla/speedtest", server_id="16620").command() == [
        "/opt/ookla/speedtest",
        "--format=json",
        "--accept-license",
        "--accept-gdpr",
        "--server-id=16620",
    ]
    assert OoklaBackend().command() == ["speedtest", "--format=json", "--accept-license", "--accept-gdpr"]


# -- speedtest-cli ----------------------------------------------------------------------------------------------


def worker_sample() -> dict[str, object]:
    data = json.loads(sample("speedtest-cli-worker.json"))
    assert isinstance(data, dict)
    return data


def test_speedtest_cli_result_mapping() -> None:
    result = map_worker_output(worker_sample(), at=AT, duration=6.5)
    assert result.ok and result.error == ""
    assert (result.backend, result.tool, result.tool_version) == ("speedtest", "speedtest-cli", "2.1.3")
    assert result.download_mbps == 17.703  # speedtest-cli reports bit/s
    assert result.upload_mbps == 20.389
    assert result.latency_ms == 0.373
    assert result.loaded_latency_ms is None and result.jitter_ms is None  # speedtest-cli measures neither
    assert result.server == "Fake ISP, London (speedtest.fake-isp.test:8080)"
    assert result.server_id == "4242"
    assert result.result_url == "http://www.speedtest.net/result/987654321.png"
    assert result.external_ip == "198.18.1.2"
    assert result.bytes_used == 5_234_688 + 4_732_800
    assert result.duration_s == 6.5
    assert json.loads(result.raw)["results"]["client"]["isp"] == "Simulated ISP"


def test_speedtest_cli_refusals_are_failures_with_the_status() -> None:
    result = map_worker_output(json.loads(sample("speedtest-cli-worker-403.json")), at=AT)
    assert not result.ok and result.download_mbps is None
    assert result.error == (
        "speedtest.net refused speedtest-cli while fetching speedtest.net's configuration: "
        "HTTP 403 Forbidden from https://www.speedtest.net/speedtest-config.php"
    )
    limited = {
        "stage": "servers",
        "error": "RuntimeError: speedtest.net returned no servers",
        "http_errors": [
            {
                "url": "https://www.speedtest.net/speedtest-servers-static.php",
                "status": 429,
                "reason": "Too Many Requests",
            },
            {
                "url": "http://c.speedtest.net/speedtest-servers-static.php",
                "status": 429,
                "reason": "Too Many Requests",
            },
        ],
    }
    assert map_worker_output(limited, at=AT).error == (
        "speedtest.net rate-limited speedtest-cli while fetching speedtest.net's server list: "
        "HTTP 429 Too Many Requests from https://www.speedtest.net/speedtest-servers-static.php"
    )


def test_speedtest_cli_transfer_errors_are_failures_not_low_speeds() -> None:
    refused = worker_sample()
    refused["download_errors"] = [
        {"url": "http://s.example:8080/speedtest/random350x350.jpg", "status": 503, "reason": "Service Unavailable"}
    ]
    assert map_worker_output(refused, at=AT).error == (
        "1 request(s) of the download test failed: HTTP 503 Service Unavailable from "
        "http://s.example:8080/speedtest/random350x350.jpg"
    )
    nothing = worker_sample()
    nothing["results"]["bytes_received"] = 0  # type: ignore[index]
    assert map_worker_output(nothing, at=AT).error.startswith("the download test received no data")
    assert map_worker_output(nothing, at=AT).download_mbps is None
    silent = worker_sample()
    silent["results"]["ping"] = 1_800_000.0  # type: ignore[index]
    assert map_worker_output(silent, at=AT).error == (
        "the server Fake ISP, London (speedtest.fake-isp.test:8080) did not answer speedtest-cli's latency requests"
    )
    no_upload = worker_sample()
    no_upload["results"]["bytes_sent"] = 0  # type: ignore[index]
    assert not map_worker_output(no_upload, at=AT).ok
    assert map_worker_output(no_upload, at=AT, upload=False).upload_mbps is None


def test_speedtest_cli_other_failures() -> None:
    missing = {"stage": "import", "error": "ImportError: No module named 'speedtest'", "http_errors": []}
    assert map_worker_output(missing, at=AT).error == MISSING
    assert MISSING == (
        "speedtest-cli is not installed: install the speedtest extra (in the netwatch checkout: .venv/bin/pip install "
        "'.[speedtest]'; for the service: sudo ./bootstrap install --extras speedtest,web)"
    )
    unknown = {"stage": "servers", "error": "NoMatchedServers: ", "http_errors": []}
    assert map_worker_output(unknown, at=AT).error == "the configured server_id is not in speedtest.net's server list"
    timeout = {
        "stage": "config",
        "error": "ConfigRetrievalError: <urlopen error timed out>",
        "http_errors": [
            {"url": "https://www.speedtest.net/speedtest-config.php", "status": None, "reason": "timed out"}
        ],
    }
    assert map_worker_output(timeout, at=AT).error == (
        "fetching speedtest.net's configuration failed: timed out from https://www.speedtest.net/speedtest-config.php"
    )


def test_speedtest_cli_worker_command_runs_isolated_from_this_package() -> None:
    argv = SpeedtestCliBackend(server_id="4242", share=False).command()
    assert argv[:2] == [sys.executable, "-P"]  # -P: netwatch/adapters/probes/speed/http.py must not shadow `http`
    assert argv[2].endswith("_speedtest_worker.py")
    assert json.loads(argv[3]) == {"server_id": "4242", "upload": True, "share": False, "secure": True, "timeout": 10.0}


# -- results ----------------------------------------------------------------------------------------------------


def test_result_round_trip_and_failure() -> None:
    result = map_worker_output(worker_sample(), at=AT)
    assert SpeedResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    assert SpeedResult.from_dict({**result.to_dict(), "field_from_the_future": 1}) == result
    failed = failure("http", "netwatch-http", "  ", at=AT)
    assert (failed.ok, failed.error, failed.download_mbps) == (False, "failed without a reason", None)
    assert failure("http", "netwatch-http", CANCELLED, at=AT).cancelled


@given(st.text(max_size=3000), st.integers(min_value=60, max_value=2000))
def test_clip_raw_keeps_head_and_tail_within_the_limit(text: str, limit: int) -> None:
    clipped = clip_raw(text, limit)
    if len(text) <= limit:
        assert clipped == text
    else:
        assert len(clipped) <= limit and "characters cut" in clipped
        assert clipped.startswith(text[:10]) and clipped.endswith(text[-10:])


def test_raw_output_is_bounded() -> None:
    assert len(parse_ookla(sample("ookla.json") + "x" * (3 * RAW_LIMIT), at=AT).raw) <= RAW_LIMIT


def test_jitter_is_the_mean_difference_of_consecutive_round_trips() -> None:
    assert _jitter([10.0, 12.0, 11.0, 15.0]) == pytest.approx((2 + 1 + 4) / 3, abs=0.001)
    assert _jitter([10.0]) is None


# -- the fallback chain -----------------------------------------------------------------------------------------


class FakeBackend:
    """A SpeedBackend that answers what it is told, counting its runs."""

    def __init__(self, name: str, ok: bool = True, error: str = "", crash: bool = False) -> None:
        self.name = name
        self.ok, self.error, self.crash = ok, error, crash
        self.runs = 0

    def run(self, cancel: threading.Event) -> SpeedResult:
        self.runs += 1
        if self.crash:
            raise RuntimeError("boom")
        if not self.ok:
            return failure(self.name, "fake", self.error, at=AT)
        return SpeedResult(at=AT, backend=self.name, tool="fake", download_mbps=50.0, ok=True)


def test_fallback_runs_until_one_succeeds_and_keeps_every_attempt() -> None:
    chain = [FakeBackend("speedtest", ok=False, error="HTTP 429"), FakeBackend("cloudflare"), FakeBackend("http")]
    attempts = run_with_fallback(chain, threading.Event())
    assert [(a.backend, a.error) for a in attempts] == [("speedtest", "HTTP 429"), ("cloudflare", "")]
    assert chain[2].runs == 0


def test_fallback_survives_a_crashing_backend_and_all_failing() -> None:
    chain = [FakeBackend("ookla", crash=True), FakeBackend("http", ok=False, error="timed out")]
    attempts = run_with_fallback(chain, threading.Event())
    assert [a.ok for a in attempts] == [False, False]
    assert attempts[0].error == "internal error in the ookla backend: RuntimeError: boom"
    assert run_with_fallback([], threading.Event()) == ()


def test_fallback_stops_when_cancelled() -> None:
    cancelled = FakeBackend("speedtest", ok=False, error=CANCELLED)
    after = FakeBackend("cloudflare")
    assert [a.error for a in run_with_fallback([cancelled, after], threading.Event())] == [CANCELLED]
    assert after.runs == 0
    stop = threading.Event()
    stop.set()
    assert run_with_fallback([after], stop) == ()


# -- building backends ------------------------------------------------------------------------------------------


def test_make_backend_builds_each_backend() -> None:
    assert isinstance(make_backend("speedtest", {"server_id": "4242"}), SpeedtestCliBackend)
    assert isinstance(make_backend("ookla"), OoklaBackend)
    assert isinstance(make_backend("iperf3", {"host": "192.0.2.10", "port": 5201}), Iperf3Backend)
    http = make_backend("http", {"urls": ["https://files.example.net/100MB.bin"], "streams": 2})
    assert isinstance(http, HttpBackend) and http.streams == 2 and http.latency_url == http.urls[0]
    cloudflare = make_backend("cloudflare", {"duration": 8})
    assert isinstance(cloudflare, HttpBackend) and cloudflare.name == "cloudflare"
    assert cloudflare.urls == [Url.parse(CLOUDFLARE_DOWN)] and cloudflare.upload_url is not None
    assert cloudflare.latency_url.target(0) == "/__down?bytes=0"
    assert make_backend("cloudflare", {"upload": False}).upload_url is None  # type: ignore[attr-defined]
    assert "server_id" in options_of("speedtest")


def test_make_backend_errors_name_the_key() -> None:
    with pytest.raises(ConfigError) as err:
        make_backend("fast.com", {})
    assert str(err.value.problems[0]) == (
        "speedtest.backend: unknown backend 'fast.com'; use one of speedtest, ookla, http, iperf3, cloudflare"
    )
    with pytest.raises(ConfigError) as err:
        make_backend("iperf3", {"hostname": "x"})
    assert err.value.problems[0].key == "speedtest.iperf3.hostname"
    with pytest.raises(ConfigError) as err:
        make_backend("iperf3", {})
    assert str(err.value.problems[0]) == "speedtest.iperf3.host: missing; set host to use the iperf3 backend"
    with pytest.raises(ConfigError) as err:
        make_backend("http", {"urls": ["ftp://example.net/file"]})
    assert str(err.value.problems[0]) == 'speedtest.http: not an http(s) URL: "ftp://example.net/file"; fix the option'


def test_the_declared_options_are_the_constructors_parameters() -> None:
    # netwatch.config.speed declares the options; the backends' constructors must take exactly those.
    assert list(FACTORIES) == list(declared.BACKENDS)
    for name, backend in declared.BACKENDS.items():
        params = dict(inspect.signature(FACTORIES[name]).parameters)
        if name == "cloudflare":  # upload; the rest goes on to HttpBackend, its URLs filled in
            passed = inspect.signature(HttpBackend).parameters.items()
            params = {"upload": params["upload"], **{k: p for k, p in passed if not k.endswith(("urls", "_url"))}}
        assert set(backend.options) <= set(params) - {"name"}, name
        required = [key for key, p in params.items() if p.default is p.empty and p.kind is not p.VAR_KEYWORD]
        assert required == list(backend.required), name


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("http", {"urls": []}),
        ("http", {"urls": ["https://a/"], "streams": 0}),
        ("http", {"urls": ["https://a/"], "duration": "10"}),
        ("http", {"urls": ["https://a/"], "max_bytes": -1}),
        ("http", {"urls": ["ftp://a/"]}),
        ("http", {"urls": 5}),
        ("http", {"urls": [["https://a/"]]}),
        ("http", {"urls": ["http://[::1"]}),
        ("http", {"urls": ["http://a:99999/"]}),
        ("http", {"urls": ["https://a/"], "upload_url": "a"}),
        ("http", {"urls": ["https://a/"], "latency_url": "mailto:x@y"}),
        ("http", {"urls": ["https://a/"], "warmup": "1"}),
        ("http", {"urls": ["https://a/"], "latency_count": [5]}),
        ("cloudflare", {"request_bytes": 0}),
        ("cloudflare", {"warmup": "x"}),
        ("iperf3", {"host": ""}),
        ("iperf3", {"host": "h", "duration": "ten"}),
        ("iperf3", {"host": "h", "omit": [1]}),
    ],
)
def test_the_declared_rules_say_what_the_constructors_refuse(name: str, options: dict[str, object]) -> None:
    with pytest.raises((TypeError, ValueError)) as refused:
        FACTORIES[name](**options)
    assert [str(p) for p in declared.problems(name, options)] == [f"speedtest.{name}: {refused.value}; fix the option"]


def test_url_templates() -> None:
    url = Url.parse("https://speed.example.net:8443/down?bytes={bytes}&x=1")
    assert (url.https, url.host, url.port, url.sized) == (True, "speed.example.net", 8443, True)
    assert url.target(1000) == "/down?bytes=1000&x=1"
    assert url.label == "https://speed.example.net:8443"
    plain = Url.parse("http://[2001:db8::1]/blob")
    assert (plain.port, plain.sized, plain.label) == (80, False, "http://[2001:db8::1]:80")


def test_unavailable_backends_say_why() -> None:
    iperf = make_backend("iperf3", {"host": "192.0.2.10", "binary": "/nonexistent/iperf3"})
    assert unavailable(iperf) == (
        "iperf3 binary '/nonexistent/iperf3' not found: install the Debian package iperf3 or set the binary path"
    )
    ookla = make_backend("ookla", {"binary": "/nonexistent/speedtest"})
    assert unavailable(ookla) == (
        "Ookla speedtest CLI '/nonexistent/speedtest' not found: install it from speedtest.net/apps/cli "
        "or set the binary path"
    )
    assert unavailable(make_backend("cloudflare")) is None
    assert unavailable(FakeBackend("fake")) is None
    speedtest = make_backend("speedtest")
    assert unavailable(speedtest) == SpeedtestCliBackend.missing()  # None wherever speedtest-cli is installed
