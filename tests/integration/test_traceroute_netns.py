"""Traceroutes from the home namespace of the simulated ISP, in both socket modes and both address families.

    home 198.18.1.2 → router 198.18.1.1 → ISP edge 198.18.2.1 (core side 198.18.3.1) → internet 198.18.3.2 (anchors)

The path to an anchor is gateway, ISP edge, anchor (the ISP's two addresses are one router). Each cut link must
end the path where it is: at the ISP with `core` cut, at the gateway with `access` cut, nowhere with `lan` cut.
Addresses of the simulation's ranges that `internet` has no route for (198.18.99.1, 2001:db8:99::1) are refused
there with "network unreachable". The traces run in-process on a thread that joined the home namespace, except
`netwatch traceroute`, which runs as a command there (once without CAP_NET_RAW, to show it needs none).
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwatch.adapters.probes import discover
from netwatch.adapters.probes.icmp import IcmpProber
from netwatch.adapters.probes.traceroute import trace
from netwatch.core.model import Role, Target, Trace
from tests.support.netns_isp import (
    ANCHOR6,
    ANCHORS,
    GATEWAY,
    GATEWAY6,
    INTERNET_CORE,
    INTERNET_CORE6,
    ISP_EDGE,
    ISP_EDGE6,
    Isp,
    in_netns,
)

pytestmark = pytest.mark.netns

PATHS = {4: (GATEWAY, ISP_EDGE, ANCHORS[0]), 6: (GATEWAY6, ISP_EDGE6, ANCHOR6)}
UNROUTED = {4: ("198.18.99.1", INTERNET_CORE), 6: ("2001:db8:99::1", INTERNET_CORE6)}
MODES = pytest.mark.parametrize("privileged", [False, True], ids=["unprivileged", "privileged"])
FAMILIES = pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
TIMEOUT = 0.5


def from_home(isp: Isp, destination: str, privileged: bool, **kw: float) -> Trace:
    return in_netns(isp.home, lambda: trace(destination, privileged=privileged, timeout=TIMEOUT, started_at=7.0, **kw))


def hops(result: Trace) -> list[str | None]:
    return [h.address for h in result.hops]


@MODES
@FAMILIES
def test_the_full_path_to_an_anchor(isp: Isp, family: int, privileged: bool) -> None:
    result = from_home(isp, PATHS[family][-1], privileged)
    assert result.error == "" and result.reached and result.started_at == 7.0
    assert hops(result) == list(PATHS[family])
    assert [h.ttl for h in result.hops] == [1, 2, 3] and all(h.note == "" for h in result.hops)
    assert all(h.rtt_ms is not None and 0 < h.rtt_ms < TIMEOUT * 1000 for h in result.hops), result


@MODES
@FAMILIES
@pytest.mark.parametrize(("link", "answering"), [("core", 2), ("access", 1), ("lan", 0)])
def test_a_cut_link_is_where_the_path_ends(net: Isp, family: int, privileged: bool, link: str, answering: int) -> None:
    net.cut(link)
    result = from_home(net, PATHS[family][-1], privileged)
    # The hops before the cut, then one silent hop for everything beyond (max_hops 30 were all sent).
    assert hops(result) == [*PATHS[family][:answering], None], result
    assert not result.reached and result.error == "" and all(h.note == "" for h in result.hops)
    assert result.hops[-1].ttl == answering + 1


@pytest.fixture
def internet_forwards(isp: Isp) -> Iterator[None]:
    """`internet` as a router (IPv4 forwarding on): Linux answers "network unreachable" for a missing IPv4 route
    only when it forwards (IPv6 always answers). Its error replies are rate-limited to about one a second after a
    burst of five per source, and a trace spends that burst (TTL 3 to 30 all arrive there): wait a little."""
    isp.run("internet", "sysctl", "-qw", "net.ipv4.ip_forward=1")
    time.sleep(1.2)
    try:
        yield
    finally:
        isp.run("internet", "sysctl", "-qw", "net.ipv4.ip_forward=0")


@MODES
@FAMILIES
def test_a_router_without_a_route_refuses_with_network_unreachable(
    isp: Isp, internet_forwards: None, family: int, privileged: bool
) -> None:
    destination, refusing = UNROUTED[family]
    result = from_home(isp, destination, privileged)
    assert hops(result) == [*PATHS[family][:2], refusing], result
    assert not result.reached
    assert result.hops[-1].note == (
        "network unreachable (ICMP code 0)" if family == 4 else "network unreachable (ICMPv6 code 0)"
    )


@MODES
def test_no_route_from_this_machine_is_an_error_in_the_trace(net: Isp, privileged: bool) -> None:
    net.ip("home", "-4", "route", "del", "default")
    try:
        result = from_home(net, ANCHORS[0], privileged)
    finally:
        net.ip("home", "-4", "route", "add", "default", "via", GATEWAY)
    assert result == Trace(
        ANCHORS[0], 7.0, (), False, "cannot send: Network is unreachable (this machine has no route to it)"
    )


def test_unprivileged_without_ping_permission_is_an_error_in_the_trace(isp: Isp) -> None:
    isp.run("home", "sysctl", "-qw", "net.ipv4.ping_group_range=1 0")
    try:
        result = from_home(isp, ANCHORS[0], False)
    finally:
        isp.run("home", "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
    assert result.hops == () and not result.reached
    assert result.error == 'cannot open ICMP ping sockets: Permission denied (see README "ICMP permissions")'


ROUNDS_AT_LEAST = 3
ROUND_GAP = 0.02  # seconds between the prober's rounds beside the traces


def test_a_raw_trace_and_the_daemons_raw_prober_keep_their_answers_apart(isp: Isp) -> None:
    """Both read every ICMP message arriving at the namespace; each must take only its own (by ICMP id)."""
    targets = tuple(Target(Role.ANCHOR, a) for a in (*ANCHORS, ANCHOR6))

    async def side_by_side() -> tuple[list[tuple[bool, ...]], list[Trace]]:
        prober = IcmpProber(privileged=True, timeout=TIMEOUT)
        traces: list[Trace] = []

        def tracing() -> None:
            for _ in range(5):
                traces.append(trace(ANCHORS[0], privileged=True, timeout=TIMEOUT, started_at=0.0))

        worker = threading.Thread(target=tracing)  # created by the namespace's thread: it is in home too
        worker.start()
        rounds = []
        try:
            # A few rounds whatever the timing (the traces may all be done before the first round starts on a
            # busy machine), and more for as long as the traces run beside them.
            while worker.is_alive() or len(rounds) < ROUNDS_AT_LEAST:
                rounds.append(tuple(s.ok for s in await prober.probe(targets)))
                # Paced, if far faster than the daemon's round a second: unpaced, the prober's echo replies (a
                # copy of each reaches every raw socket) came by the thousand a second and could fill the
                # tracer's receive buffer before its thread drained it, dropping its own answers on a busy machine.
                await asyncio.sleep(ROUND_GAP)
        finally:
            prober.close()
            worker.join()
        return rounds, traces

    rounds, traces = in_netns(isp.home, lambda: asyncio.run(side_by_side()))
    assert len(rounds) >= ROUNDS_AT_LEAST and all(all(r) for r in rounds), rounds
    wrong = [t for t in traces if not (t.reached and hops(t) == list(PATHS[4]))]
    assert wrong == [], f"{len(wrong)} of {len(traces)} traces went wrong"


@MODES
def test_isp_hop_discovery_uses_the_same_probe(net: Isp, privileged: bool) -> None:
    def find(anchors: tuple[str, ...]) -> str | None:
        return in_netns(net.home, lambda: discover.isp_hop(anchors, GATEWAY, privileged, TIMEOUT))

    assert find(ANCHORS) == ISP_EDGE
    assert find((ANCHOR6,)) == ISP_EDGE6
    net.cut("core")
    assert find(ANCHORS) == ISP_EDGE, "the edge still answers while the core is cut"
    net.cut("access")
    assert find(ANCHORS) is None


def write_config(directory: Path, mode: str) -> Path:
    cfg = directory / f"{mode}.toml"
    cfg.write_text(f'[probe]\nmode = "{mode}"\n[targets]\nanchors = ["{ANCHOR6}", "{ANCHORS[1]}"]\n')
    cfg.chmod(0o644)
    return cfg


def test_cli_prints_the_hops(net: Isp, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "privileged")
    command = (sys.executable, "-m", "netwatch", "traceroute", "--config", str(cfg), "--timeout", "0.5")
    done = net.run("home", *command)
    lines = done.stdout.splitlines()
    # The default destination is the first IPv4 anchor.
    assert [line.split()[:2] for line in lines[:4]] == [
        ["TTL", "ADDRESS"],
        ["1", GATEWAY],
        ["2", ISP_EDGE],
        ["3", ANCHORS[1]],
    ]
    assert lines[1].endswith(" ms") and lines[3].endswith(" ms  destination")
    assert lines[4:] == ["", f"Reached {ANCHORS[1]} in 3 hops"] and done.stderr == ""

    net.cut("access")
    done = net.run("home", *command, ANCHOR6)
    lines = done.stdout.splitlines()
    assert lines[1].split()[:2] == ["1", GATEWAY6] and lines[2].split() == ["2", "*", "-", "no", "reply"]
    assert lines[3:] == ["", f"The path to {ANCHOR6} ends after hop 1 ({GATEWAY6}): nothing answered beyond"]


def test_cli_needs_no_capability_and_names_bad_destinations(net: Isp) -> None:
    shared = Path(tempfile.mkdtemp(prefix="netwatch-trace-"))
    drop = ("setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw")  # root, but without CAP_NET_RAW

    def netwatch(mode: str, *args: str) -> tuple[str, ...]:
        cfg = write_config(shared, mode)
        return (*drop, sys.executable, "-m", "netwatch", "traceroute", "--config", str(cfg), "--timeout", "0.5", *args)

    try:
        shared.chmod(0o755)
        done = net.run("home", *netwatch("unprivileged", ANCHORS[2]))
        assert done.stdout.endswith(f"\n\nReached {ANCHORS[2]} in 3 hops\n"), done.stderr
        raw = net.run("home", *netwatch("privileged"), check=False)
        assert raw.returncode == 5 and "CAP_NET_RAW" in raw.stderr, "raw sockets do need the capability"
        bad = net.run("home", *netwatch("unprivileged", "example.test"), check=False)
        assert bad.returncode == 2
        assert bad.stderr.endswith(
            "Error: Invalid value for '[DESTINATION]': 'example.test' is not an IP address (names are not "
            "resolved: DNS may be what is down)\n"
        )
    finally:
        shutil.rmtree(shared)
