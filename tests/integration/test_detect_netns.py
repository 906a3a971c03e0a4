"""The real daemon where detection meets the network's edges, in the simulated ISP: what it logs while a router
answers echoes with rate-limited "destination unreachable", a total loss inside a DNS outage, a start while the
access link is already down (with and without an ISP hop remembered in the store), and a start before the network
has a route (slow DHCP at boot).
"""

from __future__ import annotations

import collections
import contextlib
import re
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from netwatch.core.model import Kind

from .netns_isp import Isp
from .test_daemon_netns import Daemon, incidents_since, settle, start_daemon, wait_for

pytestmark = pytest.mark.netns

# The router cannot forward anything from the home network and says so, as a router whose uplink is down does.
REJECT = """table inet netwatch_reject {
    chain forward {
        type filter hook forward priority 0; policy accept;
        iifname "lan0" reject with icmpx type host-unreachable
    }
}
"""


@contextlib.contextmanager
def router_rejects(isp: Isp) -> Iterator[None]:
    """Every packet from home is answered "host unreachable", at most about once a second per sender as Linux
    rate-limits ICMP errors by default (1000 ms): the other probes simply time out."""
    router = ("ip", "netns", "exec", isp.ns("router"))
    isp.run("router", "sysctl", "-qw", "net.ipv4.icmp_ratelimit=1000", "net.ipv6.icmp.ratelimit=1000")
    subprocess.run([*router, "nft", "-f", "-"], input=REJECT, text=True, check=True)
    try:
        yield
    finally:
        subprocess.run([*router, "nft", "delete", "table", "inet", "netwatch_reject"], check=True)
        isp.run("router", "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0")


def stop(daemon: Daemon) -> None:
    if daemon.proc.poll() is None:
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.proc.wait(timeout=10) == 0, daemon.logs()


@pytest.fixture(scope="module")
def raw(isp: Isp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """A daemon with raw ICMP sockets (root without the ping sysctl): they see the routers' ICMP errors."""
    d = start_daemon(isp, tmp_path_factory.mktemp("raw"), "raw", commit_interval=0.5, mode="privileged")
    wait_for("the ISP hop", lambda: "<6>ISP hop is " in d.logs(), 30, d)
    yield d
    stop(d)


def test_a_probe_error_that_comes_and_goes_is_logged_once_per_outage(raw: Daemon, net: Isp) -> None:
    since = settle(raw)
    before = len(raw.logs())
    with router_rejects(net):
        wait_for("the outage", lambda: [i for i in incidents_since(raw, since) if i.kind is Kind.OUTAGE], 10, raw)
        time.sleep(4.0)  # 20 rounds: each probe meets "host unreachable" now and then, a timeout otherwise
    wait_for("the outage to end", lambda: "<4>OUTAGE ENDED" in raw.logs()[before:], 10, raw)
    logged = re.findall(r"^<6>probe: (.*)$", raw.logs()[before:], re.MULTILINE)
    unreachable = [line for line in logged if "destination unreachable" in line]
    assert unreachable, logged
    repeated = {line: n for line, n in collections.Counter(logged).items() if n > 1}
    assert repeated == {}, repeated
