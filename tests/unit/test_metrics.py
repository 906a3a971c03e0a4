"""The Prometheus exporter's pure parts and its HTTP server on loopback: the line state, per-target figures over
the detector's window, incident and speed test counters, the ``[metrics]`` table's errors verbatim, and the
server's start errors (port in use, extra missing) verbatim."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from netwatch import __version__, config
from netwatch.adapters.metrics import Tracker, line_state, serve
from netwatch.config.records import MetricsConfig
from netwatch.core import detect
from netwatch.core.model import Cause, Incident, Kind, Round, Sample, SpeedResult, Target
from netwatch.errors import ConfigError
from tests.support.configs import error
from tests.support.configs import parse as parse_config
from tests.support.detector import run
from tests.support.metrics import Samples, parse, scrape, value
from tests.support.sockets import free_port
from tests.support.targets import DOC_A1 as A1
from tests.support.targets import DOC_A6 as A6
from tests.support.targets import DOC_DNS
from tests.support.targets import DOC_GW as GW
from tests.support.targets import DOC_ISP as HOP

RULES = detect.Rules(confirm=2, window=5, loss_percent=30.0, latency_ms=100.0)


def text(tracker: Tracker) -> str:
    class Adapter(Collector):
        def collect(self):  # type: ignore[no-untyped-def]
            return tracker.collect()

    registry = CollectorRegistry()
    registry.register(Adapter())
    return generate_latest(registry).decode()


def of(target: Target) -> dict[str, str]:
    return {"role": target.role.value, "address": target.address}


class Feed:
    """Rounds through the real detector into a Tracker, as the daemon does."""

    def __init__(self) -> None:
        self.tracker = Tracker(RULES.window)
        self.state = detect.State()
        self.at = 1_000.0

    def round(self, *samples: Sample, seconds: float = 0.01) -> Samples:
        rnd = Round(at=self.at, samples=samples, mono=self.at)
        self.at += 1.0
        self.state, events = run([rnd], RULES, self.state)
        self.tracker.round(
            rnd, self.state, events, seconds=seconds, overruns=2, pending=3, write_failures=1, slow_open=False
        )
        return parse(text(self.tracker))


def up(*extra: Sample) -> tuple[Sample, ...]:
    return (Sample(GW, 0.5), Sample(HOP, 4.0), Sample(A1, 20.0), Sample(A6, 21.0), *extra)


def down() -> tuple[Sample, ...]:
    return (Sample(GW, 0.5), Sample(HOP, 4.0), Sample(A1, None), Sample(A6, None, "network unreachable"))


def states(samples: Samples) -> tuple[list[str], list[str]]:
    on = [dict(k[1]) for k, v in samples.items() if v == 1.0]
    return (
        [labels["state"] for labels in on if "state" in labels and len(labels) == 1],
        [labels["cause"] for labels in on if "cause" in labels and len(labels) == 1],
    )


# --- the line state --------------------------------------------------------------------------------------------


def test_line_state_prefers_the_outage_then_failed_rounds_then_degradation() -> None:
    outage = Incident(Kind.OUTAGE, Cause.ISP, 1.0)
    degraded = Incident(Kind.DEGRADED, Cause.UPSTREAM, 1.0)
    failed = detect.Failed(2.0, Cause.LOCAL, detect.NO_ENTRY)
    assert line_state(detect.State()) == ("up", "none")
    assert line_state(detect.State(degraded=degraded)) == ("degraded", "upstream")
    assert line_state(detect.State(pending=(failed,), degraded=degraded)) == ("failing", "local")
    assert line_state(detect.State(outage=outage)) == ("outage", "isp")


def test_nothing_about_the_line_before_the_first_round() -> None:
    samples = parse(text(Tracker(5)))
    assert value(samples, "netwatch_build_info", version=__version__, python=sys.version.split()[0]) == 1.0
    assert not [k for k in samples if k[0] in ("netwatch_line_state", "netwatch_last_round_timestamp_seconds")]
    assert value(samples, "netwatch_rounds_total") == 0.0


def test_an_outage_through_the_detector() -> None:
    feed = Feed()
    first = feed.round(*up())
    assert states(first) == (["up"], ["none"])
    failing = feed.round(*down())
    assert states(failing) == (["failing"], ["upstream"])
    assert value(failing, "netwatch_incidents_total", kind="outage", cause="upstream") == 0.0
    opened = feed.round(*down())
    assert states(opened) == (["outage"], ["upstream"])
    assert value(opened, "netwatch_incidents_total", kind="outage", cause="upstream") == 1.0
    assert value(opened, "netwatch_open_incidents", kind="outage") == 1.0
    assert value(opened, "netwatch_last_up_round_timestamp_seconds") == 1_000.0
    assert value(opened, "netwatch_last_round_timestamp_seconds") == 1_002.0
    still = feed.round(*down())
    assert value(still, "netwatch_incidents_total", kind="outage", cause="upstream") == 1.0, "counted once, at opening"
    back = feed.round(*up())
    assert states(back) == (["up"], ["none"])
    assert value(back, "netwatch_open_incidents", kind="outage") == 0.0
    assert value(back, "netwatch_incidents_total", kind="outage", cause="upstream") == 1.0
    assert value(back, "netwatch_last_up_round_timestamp_seconds") == 1_004.0
    # Every kind and cause is there from the start, so increase() sees the first incident of each.
    assert len([k for k in back if k[0] == "netwatch_incidents_total"]) == len(Kind) * len(Cause)


def test_degradation_and_its_cause() -> None:
    feed = Feed()
    samples: Samples = {}
    for _ in range(RULES.window):  # half the anchors' echoes lost: over the 30 % threshold
        samples = feed.round(Sample(GW, 0.5), Sample(HOP, 4.0), Sample(A1, 20.0), Sample(A6, None))
    assert states(samples) == (["degraded"], ["upstream"])
    assert value(samples, "netwatch_open_incidents", kind="degraded") == 1.0
    assert value(samples, "netwatch_incidents_total", kind="degraded", cause="upstream") == 1.0


def test_per_target_rtt_loss_and_counters() -> None:
    feed = Feed()
    for _ in range(3):
        feed.round(*up())
    samples = feed.round(Sample(GW, 0.5), Sample(HOP, 4.0), Sample(A1, 20.0), Sample(A6, None))
    assert value(samples, "netwatch_target_rtt_seconds", **of(GW)) == pytest.approx(0.0005)
    assert value(samples, "netwatch_target_rtt_seconds", **of(A1)) == pytest.approx(0.020)
    assert value(samples, "netwatch_target_rtt_seconds", **of(A6)) is None, "absent while lost, never 0"
    assert (
        value(samples, "netwatch_target_up", **of(A6)) == 0.0 and value(samples, "netwatch_target_up", **of(A1)) == 1.0
    )
    assert value(samples, "netwatch_target_loss_ratio", **of(A6)) == pytest.approx(1 / 4)
    assert value(samples, "netwatch_target_probes_total", **of(A6)) == 4.0
    assert value(samples, "netwatch_target_lost_total", **of(A6)) == 1.0
    # The loss ratio covers the last detect.window rounds; the counters everything since the start.
    for _ in range(RULES.window):
        samples = feed.round(*up())
    assert value(samples, "netwatch_target_loss_ratio", **of(A6)) == 0.0
    assert value(samples, "netwatch_target_lost_total", **of(A6)) == 1.0
    assert value(samples, "netwatch_target_probes_total", **of(A6)) == 4.0 + RULES.window


def test_a_target_that_goes_away_is_no_longer_shown() -> None:
    feed = Feed()
    feed.round(*up())
    samples = feed.round(Sample(GW, 0.5), Sample(A1, 20.0), Sample(A6, 21.0))  # the ISP hop is gone
    assert value(samples, "netwatch_target_up", **of(HOP)) is None
    assert value(samples, "netwatch_target_probes_total", **of(GW)) == 2.0, "the others keep their counts"
    dns = DOC_DNS
    samples = feed.round(*up(Sample(dns, 3.0)))
    assert value(samples, "netwatch_target_probes_total", **of(HOP)) == 1.0, "counting restarts when it is back"
    assert value(samples, "netwatch_target_rtt_seconds", **of(dns)) == pytest.approx(0.003)


def test_round_totals() -> None:
    feed = Feed()
    feed.round(*up(), seconds=0.25)
    samples = feed.round(*up(), seconds=0.5)
    assert value(samples, "netwatch_rounds_total") == 2.0
    assert value(samples, "netwatch_round_duration_seconds_count") == 2.0
    assert value(samples, "netwatch_round_duration_seconds_sum") == 0.75
    assert value(samples, "netwatch_round_overruns_total") == 2.0
    assert value(samples, "netwatch_store_pending_rounds") == 3.0
    assert value(samples, "netwatch_store_write_failures_total") == 1.0


def test_speed_tests_and_slow_incidents() -> None:
    tracker = Tracker(5)
    tracker.speed(SpeedResult(at=5.0, backend="http", tool="netwatch-http", ok=True, download_mbps=18.5))
    tracker.speed(SpeedResult(at=6.0, backend="http", tool="netwatch-http", ok=False, error="connection refused"))
    tracker.speed(SpeedResult(at=7.0, backend="http", tool="netwatch", error="skipped: line down (outage since x)"))
    tracker.speed(SpeedResult(at=8.0, backend="http", tool="netwatch-http", error="cancelled"))
    slow = Incident(Kind.SLOW, Cause.ISP, 5.0)
    tracker.events([detect.Opened(slow), detect.Updated(slow)])
    samples = parse(text(tracker))
    assert [value(samples, "netwatch_speedtests_total", result=r) for r in ("ok", "failed", "skipped")] == [1, 1, 1]
    assert value(samples, "netwatch_speedtest_download_bits_per_second") == 18.5e6
    assert value(samples, "netwatch_speedtest_upload_bits_per_second") is None, "not measured"
    assert value(samples, "netwatch_speedtest_timestamp_seconds") == 5.0, "the last successful test"
    assert value(samples, "netwatch_incidents_total", kind="slow", cause="isp") == 1.0
    tracker.speed(SpeedResult(at=9.0, backend="http", tool="netwatch-http", ok=True, download_mbps=9, upload_mbps=2))
    samples = parse(text(tracker))
    assert value(samples, "netwatch_speedtest_download_bits_per_second") == 9e6
    assert value(samples, "netwatch_speedtest_upload_bits_per_second") == 2e6


# --- [metrics] ---------------------------------------------------------------------------------------------------


def test_metrics_defaults_and_values() -> None:
    cfg = parse_config("")
    assert cfg.metrics == MetricsConfig(enabled=False, listen="127.0.0.1:9847")
    assert cfg.metrics.address == ("127.0.0.1", 9847)
    six = parse_config('[metrics]\nenabled = true\nlisten = "[::1]:9100"\n')
    assert six.metrics.enabled and six.metrics.address == ("::1", 9100)
    lan = parse_config('[metrics]\nlisten = "0.0.0.0:80"\n')
    assert lan.metrics.address == ("0.0.0.0", 80)
    assert parse_config(config.render(six)) == six


FIX = 'write e.g. listen = "127.0.0.1:9847" or "[::1]:9847"'


@pytest.mark.parametrize(
    ("listen", "problem"),
    [
        ("127.0.0.1", 'must be ADDRESS:PORT, got "127.0.0.1"'),
        (":9847", 'must be ADDRESS:PORT, got ":9847"'),
        ("localhost:9847", 'the address must be an IP address, got "localhost:9847"'),
        ("::1:9847", 'an IPv6 address must be written in brackets, got "::1:9847"'),
        ("[127.0.0.1]:9847", 'the address in brackets must be an IPv6 address, got "[127.0.0.1]:9847"'),
        ("127.0.0.1:0", 'the port must be a number from 1 to 65535, got "127.0.0.1:0"'),
        ("127.0.0.1:65536", 'the port must be a number from 1 to 65535, got "127.0.0.1:65536"'),
        ("127.0.0.1:http", 'the port must be a number from 1 to 65535, got "127.0.0.1:http"'),
    ],
)
def test_bad_listen_addresses(listen: str, problem: str) -> None:
    text = error(f'[metrics]\nlisten = "{listen}"\n')
    assert text == f"1 configuration problem in netwatch.toml:\n  metrics.listen: {problem}; {FIX}"


def test_wrong_types() -> None:
    assert error('[metrics]\nenabled = "yes"\nlisten = 9847\n') == (
        "2 configuration problems in netwatch.toml:\n"
        '  metrics.enabled: must be a boolean, not a string ("yes"); write true or false, e.g. enabled = false\n'
        "  metrics.listen: must be a string, not an integer (9847); write an address and port in quotes, "
        'e.g. listen = "127.0.0.1:9847"'
    )


# --- the HTTP server -------------------------------------------------------------------------------------------


@pytest.fixture
def feed() -> Iterator[Feed]:
    feed = Feed()
    feed.round(*up())
    yield feed


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_serves_the_tracker_and_releases_the_port(feed: Feed, host: str) -> None:
    if host == "::1" and not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    port = free_port(host)
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    server = serve(MetricsConfig(True, listen), feed.tracker)
    try:
        samples = scrape(f"http://{listen}/metrics")
        assert value(samples, "netwatch_target_rtt_seconds", **of(A1)) == pytest.approx(0.020)
        assert value(samples, "process_resident_memory_bytes") is not None
    finally:
        server.close()
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as again:
        # SO_REUSEADDR binds past the closed connections' TIME_WAIT, never past a listening socket.
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind((host, port))
        again.listen()


def test_a_port_in_use_is_a_clear_error_naming_the_key(feed: Feed) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        listen = f"127.0.0.1:{other.getsockname()[1]}"
        with pytest.raises(ConfigError) as err:
            serve(MetricsConfig(True, listen), feed.tracker, "/etc/netwatch/netwatch.toml")
    assert str(err.value) == (
        "1 configuration problem in /etc/netwatch/netwatch.toml:\n"
        f"  metrics.listen: cannot listen on {listen}: the port is already in use; stop the program using it, "
        "or choose another port in metrics.listen"
    )


def test_without_prometheus_client_the_error_names_the_extra(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # what an environment without the extra sees
    with pytest.raises(ConfigError) as err:
        serve(MetricsConfig(True, "127.0.0.1:9847"), feed.tracker)
    assert str(err.value) == (
        "1 configuration problem:\n"
        "  metrics.enabled: needs the prometheus-client package, which is not installed; install the prometheus "
        "extra (in the netwatch checkout: .venv/bin/pip install '.[prometheus]'; for the service: sudo ./bootstrap "
        "install --extras speedtest,web,prometheus), or set metrics.enabled = false"
    )
