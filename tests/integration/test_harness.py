"""The simulated ISP itself: topology, reachability per layer, faults, DNS modes, and isolation from the host.

Everything probes from inside the `home` namespace; the host namespace only reads routing tables.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from tests.support.netns_isp import (
    ANCHOR6,
    ANCHORS,
    DNS,
    DNS6,
    GATEWAY,
    GATEWAY6,
    ISP_EDGE,
    ISP_EDGE6,
    Isp,
)

pytestmark = pytest.mark.netns

EVERYTHING = (GATEWAY, GATEWAY6, ISP_EDGE, ISP_EDGE6, *ANCHORS, ANCHOR6, DNS)

# One DNS question from home, straight to the server: prints the rcode name and the answer count, or "timeout".
QUERY = r"""
import socket, struct, sys
server, name, qtype = sys.argv[1], sys.argv[2], int(sys.argv[3])
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack("!HH", qtype, 1)
family = socket.AF_INET6 if ":" in server else socket.AF_INET
with socket.socket(family, socket.SOCK_DGRAM) as s:
    s.settimeout(0.5)
    s.sendto(q, (server, 53))
    try:
        r = s.recv(512)
    except socket.timeout:
        print("timeout")
        raise SystemExit
rcode, answers = struct.unpack_from("!H", r, 2)[0] & 0xF, struct.unpack_from("!H", r, 6)[0]
print({0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN"}.get(rcode, rcode), answers)
"""


def dns_query(net: Isp, name: str, qtype: int = 1, server: str = DNS) -> str:
    return net.run("home", sys.executable, "-c", QUERY, server, name, str(qtype)).stdout.strip()


def resolve(net: Isp, name: str) -> str:
    """getaddrinfo inside home (through /etc/netns/<home>/resolv.conf): the addresses, or the error text."""
    script = (
        "import socket, sys\n"
        "try:\n"
        "    print(' '.join(sorted({a[4][0] for a in socket.getaddrinfo(sys.argv[1], None)})))\n"
        "except socket.gaierror as e:\n"
        "    print('error', e.args[1])\n"
    )
    return net.run("home", sys.executable, "-c", script, name).stdout.strip()


def reachable(net: Isp, *addresses: str) -> set[str]:
    return {a for a, n in net.replies_from_home(addresses, timeout=0.3).items() if n}


def test_home_reaches_every_layer(net: Isp) -> None:
    assert reachable(net, *EVERYTHING) == set(EVERYTHING)


def test_ttl_limited_probe_expires_at_the_isp_edge(net: Isp) -> None:
    assert net.hop_from_home(ANCHORS[0], 1) == GATEWAY
    assert net.hop_from_home(ANCHORS[0], 2) == ISP_EDGE
    assert net.hop_from_home(ANCHOR6, 2) == ISP_EDGE6
    assert not net.ping_from_home(ANCHORS[0], ttl=2)
    assert net.ping_from_home(ANCHORS[0], ttl=3)


@pytest.mark.parametrize(
    ("link", "alive"),
    [
        ("lan", set()),
        ("access", {GATEWAY, GATEWAY6}),
        ("core", {GATEWAY, GATEWAY6, ISP_EDGE, ISP_EDGE6}),
    ],
)
def test_cut_and_restore_each_link(net: Isp, link: str, alive: set[str]) -> None:
    before = time.time()
    at = net.cut(link)
    assert before <= net.last_change[0] <= at == net.last_change[1] <= time.time()
    assert net.cut_links == {link}
    assert reachable(net, *EVERYTHING) == alive
    net.restore(link)
    assert net.cut_links == set()
    assert reachable(net, *EVERYTHING) == set(EVERYTHING)


def test_cut_takes_effect_at_the_returned_instant(net: Isp) -> None:
    cmd = ("fping", "-D", "-c", "50", "-p", "10", "-t", "100", ANCHORS[0])
    with net.popen("home", *cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as proc:
        time.sleep(0.2)
        at = net.cut("core")
        out, _ = proc.communicate(timeout=10)
    replies = [float(m.group(1)) for m in re.finditer(r"^\[(\d+\.\d+)\] \S+ : \[\d+\], \d+ bytes", out, re.M)]
    assert replies, out
    assert max(replies) <= at + 0.002  # nothing crosses after the cut...
    assert max(replies) >= net.last_change[0] - 0.1  # ...and pings were answered until just before it


def test_dns_answers_fails_and_goes_silent(net: Isp) -> None:
    assert resolve(net, "example.test") == "192.0.2.1"
    assert resolve(net, "anchor.test") == "198.51.100.1 2001:db8:ff::1"
    assert dns_query(net, "anchor.test", 28, server=DNS6) == "NOERROR 1"
    assert dns_query(net, "nope.test") == "NXDOMAIN 0"

    net.dns_fail(True)
    assert dns_query(net, "example.test") == "SERVFAIL 0"
    assert resolve(net, "example.test").startswith("error")
    assert reachable(net, DNS, *ANCHORS) == {DNS, *ANCHORS}  # a DNS outage, not a line outage
    net.restore("dns")
    assert resolve(net, "example.test") == "192.0.2.1"

    net.dns_silent(True)
    assert dns_query(net, "example.test") == "timeout"
    net.dns_silent(False)
    assert dns_query(net, "example.test") == "NOERROR 1"


def test_random_loss_on_a_link(net: Isp) -> None:
    net.set_loss("access", 50)
    received = net.replies_from_home([ANCHORS[0]], count=40, period=0.005, timeout=0.2)[ANCHORS[0]]
    assert 8 <= received <= 32  # binomial(40, 0.5): outside this range once in ~10^4 runs
    net.set_loss("access", 0)
    assert net.replies_from_home([ANCHORS[0]], count=20, period=0.005)[ANCHORS[0]] == 20


SERVE = r"""
import socket, sys
with socket.create_server((sys.argv[1], 9000)) as srv:
    print("listening", flush=True)
    conn, _ = srv.accept()
    with conn:
        conn.sendall(b"x" * int(sys.argv[2]))
"""
FETCH = r"""
import socket, sys, time
start = time.monotonic()
with socket.create_connection((sys.argv[1], 9000), timeout=10) as s:
    got = 0
    while chunk := s.recv(65536):
        got += len(chunk)
print(got, time.monotonic() - start)
"""


def test_rate_limit_shapes_throughput(net: Isp) -> None:
    size = 250_000
    net.rate_limit("core", 4000)
    assert "tbf" in net.run("internet", "tc", "qdisc", "show", "dev", "core0").stdout
    server = net.popen(
        "internet", sys.executable, "-c", SERVE, ANCHORS[2], str(size), stdout=subprocess.PIPE, text=True
    )
    with server:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "listening"
        got, seconds = net.run("home", sys.executable, "-c", FETCH, ANCHORS[2]).stdout.split()
        server.wait(timeout=5)
    assert int(got) == size
    kbit = size * 8 / 1000 / float(seconds)
    assert 2400 <= kbit <= 4600, kbit
    net.rate_limit("core", None)
    assert "tbf" not in net.run("internet", "tc", "qdisc", "show", "dev", "core0").stdout


def test_add_host(net: Isp) -> None:
    net.add_host("192.0.2.77")
    net.add_host("2001:db8:ff::77")
    assert reachable(net, "192.0.2.77", "2001:db8:ff::77") == {"192.0.2.77", "2001:db8:ff::77"}


def test_nothing_leads_outside_the_simulation(isp: Isp) -> None:
    home = subprocess.run(["ip", "-n", isp.home, "route", "get", "8.8.8.8"], capture_output=True, text=True)
    assert "via 198.18.1.1" in home.stdout
    for outside in ("8.8.8.8", "2001:4860:4860::8888", "192.0.2.2"):  # 192.0.2.2: the host itself
        got = subprocess.run(["ip", "-n", isp.internet, "route", "get", outside], capture_output=True, text=True)
        assert got.returncode != 0 and "unreachable" in got.stderr, (outside, got)
    # Every veth's peer lives in one of our own namespaces, never in the host's.
    ours = set(isp.namespaces)
    for ns in isp.namespaces:
        links = json.loads(
            subprocess.run(
                ["ip", "-n", ns, "-j", "-d", "link", "show", "type", "veth"], capture_output=True, text=True, check=True
            ).stdout
        )
        ids = subprocess.run(["ip", "-n", ns, "netns", "list-id"], capture_output=True, text=True, check=True).stdout
        names = dict(re.findall(r"nsid (\d+) \(iproute2 netns name: (\S+)\)", ids))
        for link in links:
            assert names.get(str(link.get("link_netnsid"))) in ours, (ns, link["ifname"], names)
