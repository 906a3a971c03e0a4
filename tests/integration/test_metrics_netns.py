"""The real daemon's Prometheus endpoint inside the simulated ISP: scraped over HTTP from within the namespaces.

One daemon (a round every 0.2 s, ``[metrics] enabled`` with the default listen address) runs in the home
namespace for the whole module. The tests scrape it from a thread that joined the home namespace, parse the
exposition with prometheus_client's parser, and compare it with what the simulation does: every target answering,
then the core link cut (an upstream outage) and restored. The default address is reachable only from the home
machine itself; a second daemon listening on the home LAN address (IPv6) is reachable from the router. Start
errors (port in use, an address not of this machine) are checked on the real command line.
"""

from __future__ import annotations

import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from netwatch import __version__
from tests.support.metrics import Samples, on, scrape, value
from tests.support.netns_daemon import CONFIRM, INTERVAL, Daemon, start_daemon, wait_for
from tests.support.netns_isp import ANCHOR6, ANCHORS, GATEWAY, HOME, HOME6, ISP_EDGE, Isp, in_netns

pytestmark = pytest.mark.netns

PORT = 9847  # the default of metrics.listen


def start(isp: Isp, tmp: Path, name: str, listen: str | None = None) -> Daemon:
    return start_daemon(isp, tmp, name, commit_interval=0.5, metrics={"enabled": True, "listen": listen})


@pytest.fixture(scope="module")
def daemon(isp: Isp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = start(isp, tmp_path_factory.mktemp("metrics"), "metrics")
    wait_for("the metrics endpoint", lambda: metrics(isp, d), 30, d)
    yield d
    if d.proc.poll() is None:
        d.stop(timeout=30)  # the endpoint does not hold up a stop: it ends within systemd's TimeoutStopSec
        assert d.proc.returncode == 0, d.logs()


def metrics(isp: Isp, daemon: Daemon) -> Samples | None:
    try:
        return scrape(f"http://127.0.0.1:{PORT}/metrics", netns=isp.home, timeout=2)
    except OSError:
        return None  # not listening yet


def until(what: str, isp: Isp, daemon: Daemon, check: Callable[[Samples], bool], timeout: float = 10) -> Samples:
    def seen() -> Samples | None:
        samples = metrics(isp, daemon)
        return samples if samples is not None and check(samples) else None

    return wait_for(what, seen, timeout, daemon)


def targets(samples: Samples) -> dict[str, str]:
    return {dict(k[1])["address"]: dict(k[1])["role"] for k in samples if k[0] == "netwatch_target_up"}


def test_every_target_with_its_rtt_and_the_line_up(isp: Isp, daemon: Daemon) -> None:
    samples = until("the ISP hop in the metrics", isp, daemon, lambda s: ISP_EDGE in targets(s))
    icmp = {GATEWAY: "gateway", ISP_EDGE: "isp", **dict.fromkeys((*ANCHORS, ANCHOR6), "anchor")}
    assert targets(samples) == {**icmp, "example.test": "dns"}
    for address, role in icmp.items():
        rtt = value(samples, "netwatch_target_rtt_seconds", role=role, address=address)
        assert rtt is not None and 0 < rtt < 0.15, (address, rtt)  # seconds, below the probe timeout
        assert value(samples, "netwatch_target_loss_ratio", role=role, address=address) == 0.0
        assert value(samples, "netwatch_target_lost_total", role=role, address=address) == 0.0
    assert on(samples, "netwatch_line_state", "state") == ["up"]
    assert on(samples, "netwatch_line_cause", "cause") == ["none"]
    assert value(samples, "netwatch_build_info", version=__version__, python=sys.version.split()[0]) == 1.0
    rounds = value(samples, "netwatch_rounds_total")
    assert rounds is not None and rounds == value(samples, "netwatch_round_duration_seconds_count")
    last = value(samples, "netwatch_last_round_timestamp_seconds")
    assert last is not None and abs(time.time() - last) < 2.0
    later = until("more rounds", isp, daemon, lambda s: (value(s, "netwatch_rounds_total") or 0) > rounds + 3)
    # The anchors are probed in every round from the first (the ISP hop only once discovered).
    probes = value(later, "netwatch_target_probes_total", role="anchor", address=ANCHOR6)
    assert probes == value(later, "netwatch_rounds_total")


def test_a_core_cut_is_an_upstream_outage_in_the_metrics(isp: Isp, net: Isp, daemon: Daemon) -> None:
    before = until("the line up", isp, daemon, lambda s: on(s, "netwatch_line_state", "state") == ["up"])
    opened = value(before, "netwatch_incidents_total", kind="outage", cause="upstream")
    lost = value(before, "netwatch_target_lost_total", role="anchor", address=ANCHORS[0])
    assert opened is not None and lost is not None
    net.cut("core")
    down = until("the outage", isp, daemon, lambda s: on(s, "netwatch_line_state", "state") == ["outage"])
    assert on(down, "netwatch_line_cause", "cause") == ["upstream"]
    assert value(down, "netwatch_incidents_total", kind="outage", cause="upstream") == opened + 1
    assert value(down, "netwatch_open_incidents", kind="outage") == 1.0
    for anchor in ANCHORS:
        assert value(down, "netwatch_target_up", role="anchor", address=anchor) == 0.0
        assert value(down, "netwatch_target_rtt_seconds", role="anchor", address=anchor) is None
    assert (value(down, "netwatch_target_lost_total", role="anchor", address=ANCHORS[0]) or 0) >= lost + CONFIRM
    assert value(down, "netwatch_target_up", role="gateway", address=GATEWAY) == 1.0
    assert value(down, "netwatch_target_up", role="isp", address=ISP_EDGE) == 1.0
    net.restore("core")
    back = until("the line up again", isp, daemon, lambda s: on(s, "netwatch_line_state", "state") == ["up"])
    assert value(back, "netwatch_open_incidents", kind="outage") == 0.0
    assert value(back, "netwatch_incidents_total", kind="outage", cause="upstream") == opened + 1
    ratio = value(back, "netwatch_target_loss_ratio", role="anchor", address=ANCHORS[0])
    assert ratio is not None and 0 < ratio < 1, "the cut's losses are in the window (30 rounds)"
    time.sleep(INTERVAL)


def test_the_default_address_is_reachable_only_from_the_machine_itself(isp: Isp, daemon: Daemon) -> None:
    assert metrics(isp, daemon) is not None

    def connect(address: str) -> str:
        try:
            socket.create_connection((address, PORT), timeout=2).close()
        except OSError as err:
            return type(err).__name__
        return "connected"

    # Refused, not timed out: the home machine answers the router, but nothing listens on its LAN addresses.
    assert in_netns(isp.router, lambda: connect(HOME)) == "ConnectionRefusedError"
    assert in_netns(isp.router, lambda: connect(HOME6)) == "ConnectionRefusedError"
    assert in_netns(isp.home, lambda: connect(HOME)) == "ConnectionRefusedError"


def test_a_lan_address_is_reachable_from_the_lan_and_warned_about(isp: Isp, daemon: Daemon, tmp_path: Path) -> None:
    lan = start(isp, tmp_path, "lan", listen=f"[{HOME6}]:9848")
    try:
        url = f"http://[{HOME6}]:9848/metrics"

        def from_router() -> Samples | None:
            try:
                return scrape(url, netns=isp.router, timeout=2)
            except OSError:
                return None

        samples = wait_for("a scrape from the router", from_router, 30, lan)
        assert value(samples, "netwatch_build_info", version=__version__, python=sys.version.split()[0]) == 1.0
    finally:
        lan.proc.send_signal(signal.SIGTERM)
        assert lan.proc.wait(timeout=10) == 0, lan.logs()
    log = lan.logs()
    assert f"<6>Prometheus metrics on http://[{HOME6}]:9848/metrics" in log
    assert f"<4>metrics.listen [{HOME6}]:9848 is reachable from the network: anyone who can reach it" in log


@pytest.mark.parametrize(
    ("listen", "problem"),
    [
        (
            None,
            f"cannot listen on 127.0.0.1:{PORT}: the port is already in use; stop the program using it, or "
            "choose another port in metrics.listen",
        ),
        (
            f"{ISP_EDGE}:{PORT}",
            f"cannot listen on {ISP_EDGE}:{PORT}: the address is not one of this machine's; "
            'use "127.0.0.1:9847", or an address of one of its interfaces',
        ),
    ],
)
def test_start_errors_name_the_key(isp: Isp, daemon: Daemon, tmp_path: Path, listen: str | None, problem: str) -> None:
    assert metrics(isp, daemon) is not None, "the module's daemon holds the default port"
    cfg = tmp_path / "second.toml"
    cfg.write_text(
        f'[store]\npath = "{tmp_path / "second.db"}"\n[metrics]\nenabled = true\n'
        + (f'listen = "{listen}"\n' if listen else "")
    )
    command = ("env", f"NETWATCH_STATE_DIR={tmp_path}", sys.executable, "-m", "netwatch", "run", "--config", str(cfg))
    done = isp.run("home", *command, check=False)
    assert done.returncode == 3, done.stderr
    assert done.stderr == f"netwatch: 1 configuration problem in {cfg}:\n  metrics.listen: {problem}\n"
    assert not (tmp_path / "second.db").exists(), "nothing is opened before the endpoint listens"
