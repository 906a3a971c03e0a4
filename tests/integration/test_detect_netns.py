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
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.core.model import Cause, Incident, Kind, Role
from tests.support.netns_daemon import (
    CONFIRM,
    INTERVAL,
    SLACK,
    TIMEOUT,
    Daemon,
    incidents_since,
    settle,
    start_daemon,
    wait_for,
)
from tests.support.netns_isp import GATEWAY, GATEWAY6, ISP_EDGE, Isp

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
    d = start_daemon(isp, tmp_path_factory.mktemp("raw"), "raw", commit_interval=0.5, probe={"mode": "privileged"})
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


def test_a_total_loss_inside_a_dns_outage_is_an_outage_of_its_own(raw: Daemon, net: Isp) -> None:
    since = settle(raw)
    net.dns_fail(True)
    names_fail = net.last_change  # the DNS server switched between these instants: (asked, acknowledged)
    wait_for("the DNS outage", lambda: [i for i in incidents_since(raw, since) if i.cause is Cause.DNS], 10, raw)
    cut = net.cut("core")
    time.sleep(2.0)
    restored = net.restore("core")
    time.sleep(CONFIRM * INTERVAL + 1.0)
    net.dns_fail(False)
    names_back = net.last_change

    def closed() -> list[Incident] | None:
        found = [i for i in incidents_since(raw, since) if i.kind is Kind.OUTAGE]
        return found if len(found) == 3 and all(i.end is not None for i in found) else None

    before, loss, after = wait_for("three closed outages", closed, 10, raw)
    assert [before.cause, loss.cause, after.cause] == [Cause.DNS, Cause.UPSTREAM, Cause.DNS]
    assert names_fail[0] - TIMEOUT - 0.05 <= before.start <= names_fail[1] + SLACK
    assert before.end == loss.start and loss.end == after.start, "one after the other, without a gap"
    assert cut - TIMEOUT - 0.05 <= loss.start <= cut + SLACK, loss.start - cut
    assert loss.end is not None and restored - 0.05 <= loss.end <= restored + SLACK, loss.end - restored
    # A round stamped before the server switched back can still be answered: its query reaches the server within
    # TIMEOUT of the round's stamp, as for the start above.
    assert after.end is not None and names_back[0] - TIMEOUT - 0.05 <= after.end <= names_back[1] + SLACK
    assert loss.detail.startswith(f"{loss.rounds} failed rounds, no anchor answered; gateway answered "), loss


def outages_of(daemon: Daemon, since: float, closed: bool) -> list[Incident] | None:
    found = [i for i in incidents_since(daemon, since) if i.kind is Kind.OUTAGE and i.is_open != closed]
    return found or None


def test_started_while_the_access_link_is_down_it_says_isp_or_upstream(net: Isp, tmp_path: Path) -> None:
    """The very outage that made the owner install netwatch: no ISP hop can be found, and none is guessed."""
    cut = net.cut("access")
    d = start_daemon(net, tmp_path, "first", commit_interval=0.5)
    try:
        [opened] = wait_for("the outage", lambda: outages_of(d, cut, closed=False), 15, d)
        assert opened.cause is Cause.ISP_OR_UPSTREAM, opened
        assert opened.detail.endswith("; gateway answered 3/3; ISP hop not yet known"), opened.detail
        restored = net.restore("access")
        [closed] = wait_for("the outage to end", lambda: outages_of(d, cut, closed=True), 10, d)
        assert closed.cause is Cause.ISP_OR_UPSTREAM
        assert closed.end is not None and restored - 0.05 <= closed.end <= restored + SLACK
        wait_for("the ISP hop", lambda: "<6>ISP hop is " in d.logs(), 15, d)
    finally:
        stop(d)
    logs = d.logs()
    assert "<4>OUTAGE STARTED at " in logs and "outage (cause isp_or_upstream): " in logs
    with Store.open(d.store, readonly=True) as store:
        assert store.isp_hop() == ISP_EDGE, "found once the line was back, and remembered"


def test_the_isp_hop_an_earlier_run_found_is_remembered_in_the_store(net: Isp, tmp_path: Path) -> None:
    first = start_daemon(net, tmp_path, "hop", commit_interval=0.5, state=tmp_path / "one")
    try:
        wait_for("the ISP hop", lambda: "<6>ISP hop is " in first.logs(), 15, first)
    finally:
        stop(first)
    cut = net.cut("access")
    # Another state directory (the checkout's, then the service's), the same store: the store remembers.
    second = start_daemon(net, tmp_path, "hop", commit_interval=0.5, state=tmp_path / "two")
    try:
        [opened] = wait_for("the outage", lambda: outages_of(second, cut, closed=False), 15, second)
    finally:
        stop(second)
    assert opened.cause is Cause.ISP, opened
    assert f"<6>ISP hop is {ISP_EDGE} (found by an earlier run; checked again now)" in second.logs()
    assert not (tmp_path / "one" / "isp-hop").exists(), "kept in the store, not in the state directory"


@contextlib.contextmanager
def no_route_yet(isp: Isp) -> Iterator[Callable[[], float]]:
    """Home without its default routes, as a machine booting before DHCP has configured it; yields what adds them
    (returning the instant they are in), and puts them back in any case."""
    routes = (("-4", GATEWAY), ("-6", GATEWAY6))
    for family, _ in routes:
        isp.ip("home", family, "route", "del", "default")

    def add() -> float:
        for family, via in routes:
            isp.ip("home", family, "route", "replace", "default", "via", via)
        return time.time()

    try:
        yield add
    finally:
        add()


def test_before_the_first_route_it_waits_for_the_network_and_records_nothing(net: Isp, tmp_path: Path) -> None:
    with no_route_yet(net) as add_routes:
        started = time.time()
        d = start_daemon(net, tmp_path, "boot", commit_interval=0.5)
        try:
            wait_for("the wait", lambda: "<4>waiting for the network: no route to any anchor yet" in d.logs(), 15, d)
            time.sleep(CONFIRM * INTERVAL * 3)  # many rounds' worth: no outage may come of it
            routed = add_routes()
            wait_for("monitoring", lambda: "<6>network up after " in d.logs(), 10, d)
            time.sleep(CONFIRM * INTERVAL * 2)
        finally:
            stop(d)
    with Store.open(d.store, readonly=True) as store:
        incidents = store.incidents(started - 60, time.time() + 60)
        [session] = store.sessions(started - 60, time.time() + 60)
        rounds = list(store.rounds(started - 60, time.time() + 60))
    assert incidents == [], "waiting for the network is not an outage"
    # Not monitored: the session, and so the coverage, begins once the route is there.
    assert routed - 0.05 <= session.start <= routed + INTERVAL + 0.1, session.start - routed
    assert rounds and rounds[0].at >= session.start and all(r.by_role(Role.GATEWAY) for r in rounds)
    assert "<6>ISP hop is " in d.logs(), "found as soon as there is a network, not an hour later"
