"""A tiny simulated ISP built from Linux network namespaces, for integration tests that need real packets.

    home ──lan── router ──access── isp ──core── internet (anchors, DNS server)
    eth0        lan0 · wan0        access0 · core0    core0 · lo (anchors: /32 and /128 addresses)

Owns building and removing the four namespaces, their addresses and routes, the DNS server process inside
`internet`, and the faults the tests inject: a link cut (everything dropped both ways, ARP included), random
loss, a rate limit, a DNS outage. It must not touch the host namespace: every veth is created directly inside
the namespaces, nothing is bridged or NATed to the host, `internet` has no default route, and every probe runs
inside a namespace (the host's own default gateway is 192.0.2.1, one of our anchors).

Faults are applied at the *upstream* end of each link (router/lan0, isp/access0, internet/core0) with a
`netdev` nftables table (ingress and egress hooks on that device): a cut is one atomic `nft` transaction that
adds a `drop` rule to both hooks, so it takes effect at a single instant and leaves routes and neighbours alone.

Run it by hand (as root) to poke at the topology: `python -m tests.support.netns_isp`.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ipaddress
import itertools
import math
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self, TypeVar

from tests.support import processes
from tests.support.scripts import DNS_SERVER

HOME = "198.18.1.2"
HOME6 = "2001:db8:1::2"
GATEWAY = "198.18.1.1"
GATEWAY6 = "2001:db8:1::1"
ROUTER_WAN = "198.18.2.2"
ROUTER_WAN6 = "2001:db8:2::2"
ISP_EDGE = "198.18.2.1"
ISP_EDGE6 = "2001:db8:2::1"
ISP_CORE = "198.18.3.1"
ISP_CORE6 = "2001:db8:3::1"
INTERNET_CORE = "198.18.3.2"
INTERNET_CORE6 = "2001:db8:3::2"
ANCHORS = ("192.0.2.1", "198.51.100.1", "203.0.113.1")
ANCHOR6 = "2001:db8:ff::1"
DNS = "203.0.113.53"
DNS6 = "2001:db8:ff::53"
DNS_PORT = 53
# What the DNS server answers (NXDOMAIN for anything else).
DNS_NAMES = {"example.test": ("192.0.2.1",), "anchor.test": ("198.51.100.1", "2001:db8:ff::1")}
LINKS = ("lan", "access", "core")

ROLES = ("home", "router", "isp", "internet")
NFT_TABLE = "netwatch_test"  # `table netdev netwatch_test` in router, isp and internet
REASON = "needs root and `ip netns` (network namespaces) to build the simulated ISP"
NETNS_ETC = Path("/etc/netns")
NETNS_RUN = Path("/run/netns")
# The single-home ISP's namespaces, and a Neighbourhood's (nw<pid>-<n>-h3-home, -edge-a, -internet).
_NAME_RE = re.compile(r"^nw(\d+)-(\d+)-(home|router|isp|internet|h\d+-home|h\d+-router|edge-[a-z])$")
_seq = itertools.count()
T = TypeVar("T")


@dataclass(frozen=True)
class _Link:
    """A veth pair: the home-side end and the upstream end (where faults are applied)."""

    down: tuple[str, str]  # (role, device)
    up: tuple[str, str]


_LINKS = {
    "lan": _Link(("home", "eth0"), ("router", "lan0")),
    "access": _Link(("router", "wan0"), ("isp", "access0")),
    "core": _Link(("isp", "core0"), ("internet", "core0")),
}

_ADDRESSES = {  # role -> [(device, address/prefix)]
    "home": [("eth0", f"{HOME}/24"), ("eth0", f"{HOME6}/64")],
    "router": [
        ("lan0", f"{GATEWAY}/24"),
        ("lan0", f"{GATEWAY6}/64"),
        ("wan0", f"{ROUTER_WAN}/24"),
        ("wan0", f"{ROUTER_WAN6}/64"),
    ],
    "isp": [
        ("access0", f"{ISP_EDGE}/24"),
        ("access0", f"{ISP_EDGE6}/64"),
        ("core0", f"{ISP_CORE}/24"),
        ("core0", f"{ISP_CORE6}/64"),
    ],
    "internet": [
        ("core0", f"{INTERNET_CORE}/24"),
        ("core0", f"{INTERNET_CORE6}/64"),
        *(("lo", f"{a}/32") for a in (*ANCHORS, DNS)),
        *(("lo", f"{a}/128") for a in (ANCHOR6, DNS6)),
    ],
}

_ROUTES = {  # role -> [(destination, via)]
    "home": [("default", GATEWAY), ("default", GATEWAY6)],
    "router": [("default", ISP_EDGE), ("default", ISP_EDGE6)],
    "isp": [
        ("198.18.1.0/24", ROUTER_WAN),
        ("2001:db8:1::/64", ROUTER_WAN6),
        ("default", INTERNET_CORE),
        ("default", INTERNET_CORE6),
    ],
    # No default route: traffic for anything outside the simulation dies here with "network unreachable".
    "internet": [
        ("198.18.1.0/24", ISP_CORE),
        ("198.18.2.0/24", ISP_CORE),
        ("2001:db8:1::/64", ISP_CORE6),
        ("2001:db8:2::/64", ISP_CORE6),
    ],
}

_SYSCTLS = [
    "net.ipv4.conf.all.rp_filter=0",  # asymmetric paths and ICMP errors must never be filtered
    "net.ipv4.conf.default.rp_filter=0",
    "net.ipv6.conf.all.accept_dad=0",  # addresses usable at once (we also add them with nodad)
    "net.ipv6.conf.default.accept_dad=0",
    "net.ipv6.conf.default.accept_ra=0",
    "net.ipv4.icmp_ratelimit=0",  # Time Exceeded / unreachable answers for every probe, not 1 per second
    "net.ipv6.icmp.ratelimit=0",
    "net.ipv4.ping_group_range=0 2147483647",  # unprivileged ICMP (icmplib privileged=False) works
]
_FORWARDING = ["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]


def in_netns(netns: str | None, fn: Callable[[], T]) -> T:
    """Run ``fn`` in the network namespace ``netns`` (None: here), in a thread of its own that dies afterwards:
    setns changes only the calling thread, so the test's own threads stay in the host's namespace."""
    if netns is None:
        return fn()
    result: list[T] = []
    error: list[BaseException] = []

    def run() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        clone_newnet = 0x40000000
        with open(NETNS_RUN / netns, "rb") as f:
            if libc.setns(f.fileno(), clone_newnet) != 0:
                error.append(OSError(ctypes.get_errno(), f"setns into {netns} failed"))
                return
        try:
            result.append(fn())
        except BaseException as err:
            error.append(err)

    thread = threading.Thread(target=run, name=f"netns-{netns}")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


class IspError(RuntimeError):
    """A command of the simulation failed; the message carries its stderr."""


class NetnsUnavailable(IspError):
    """Network namespaces cannot be created here (not root, no CAP_SYS_ADMIN, no `ip netns`)."""


def missing_requirements() -> str | None:
    """Why the simulation cannot run on this machine, or None when it can."""
    if sys.platform != "linux":
        return "not Linux"
    if os.geteuid() != 0:
        return "not root"
    for tool in ("ip", "nft", "tc", "fping", "sysctl"):
        if shutil.which(tool) is None:
            return f"`{tool}` not found"
    try:
        subprocess.run(["ip", "netns", "list"], check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as err:
        return f"`ip netns list` failed: {err}"
    return None


def remove_stale() -> list[str]:
    """Delete namespaces left by simulations whose process died (SIGKILL, crash); returns their names."""
    removed: list[str] = []
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    for line in listing.splitlines():
        name = line.split(" ", 1)[0]
        m = _NAME_RE.match(name)
        if not m or _pid_alive(int(m.group(1))):
            continue
        _kill_netns_pids(name)
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        shutil.rmtree(NETNS_ETC / name, ignore_errors=True)
        removed.append(name)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_netns_pids(name: str) -> None:
    """Stop whatever still runs inside namespace ``name`` (only processes of this test run can be there)."""
    for sig, pause in ((signal.SIGTERM, 0.5), (signal.SIGKILL, 0.0)):
        out = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True, check=False).stdout
        pids = [int(p) for p in out.split() if p.isdigit() and int(p) != os.getpid()]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + pause
        while time.monotonic() < deadline and any(_pid_alive(p) for p in pids):
            time.sleep(0.02)


class _Topology:
    """What the simulations share: ``with`` (or ``setup``) removes leftovers with their names first, builds, and
    always removes what it built (also at interpreter exit, and after a partial build)."""

    _atexit = False

    def _build(self) -> None:
        raise NotImplementedError

    def teardown(self) -> None:
        raise NotImplementedError

    def setup(self) -> Self:
        """Build the whole topology; on any failure, remove what was built."""
        self.teardown()  # leftovers with our names, and a clean state when called twice
        remove_stale()
        atexit.register(self.teardown)
        self._atexit = True
        try:
            self._build()
        except BaseException:
            self.teardown()
            raise
        return self

    def __enter__(self) -> Self:
        return self.setup()

    def __exit__(self, *exc: object) -> None:
        self.teardown()


class Isp(_Topology):
    """The simulated ISP. ``with Isp() as isp:`` builds it and always removes it.

    Namespace names are unique per process and instance (``nw<pid>-<n>-home`` ...); wherever a namespace is
    expected, the role ("home", "router", "isp", "internet") is accepted too.
    """

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix or f"nw{os.getpid()}-{next(_seq)}"
        self.home = f"{self.prefix}-home"
        self.router = f"{self.prefix}-router"
        self.isp = f"{self.prefix}-isp"
        self.internet = f"{self.prefix}-internet"
        self.namespaces = (self.home, self.router, self.isp, self.internet)
        self.dns_server: subprocess.Popen[bytes] | None = None
        self.last_change: tuple[float, float] = (0.0, 0.0)  # (before, after) the last fault's nft/signal call
        self._procs: list[subprocess.Popen[Any]] = []
        self._dns_buffer = b""
        self._dns_fail = False
        self._dns_silent = False
        self._cut: set[str] = set()
        self._loss: dict[str, float] = {}
        self._isp_muted = False
        self._rate: set[str] = set()
        self._made_netns_etc = False
        self._atexit = False

    # -- lifecycle (setup, with: see _Topology) ---------------------------------------------------------------

    def teardown(self) -> None:
        """Remove everything setup made. Idempotent, and safe after a partial setup."""
        for proc in self._procs:
            processes.stop(proc, timeout=3)
        self._procs.clear()
        self.dns_server = None
        for name in self.namespaces:
            if (NETNS_RUN / name).exists():
                _kill_netns_pids(name)
                subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        shutil.rmtree(NETNS_ETC / self.home, ignore_errors=True)
        if self._made_netns_etc:
            with contextlib.suppress(OSError):
                NETNS_ETC.rmdir()  # only if empty: a parallel run may be using it
            self._made_netns_etc = False
        self._dns_buffer = b""
        self._dns_fail = self._dns_silent = False
        self._cut.clear()
        self._loss.clear()
        self._rate.clear()
        if self._atexit:
            atexit.unregister(self.teardown)
            self._atexit = False

    def _build(self) -> None:
        first = subprocess.run(["ip", "netns", "add", self.home], capture_output=True, text=True, check=False)
        if first.returncode != 0:
            raise NetnsUnavailable(f"`ip netns add` failed: {first.stderr.strip()}")
        for name in self.namespaces[1:]:
            _check(["ip", "netns", "add", name])
        for role in ROLES:
            sysctls = _SYSCTLS + (_FORWARDING if role in ("router", "isp") else [])
            self.run(role, "sysctl", "-q", "-w", *sysctls)
            self.ip(role, "link", "set", "lo", "up")
        for link in _LINKS.values():
            (down_role, down_dev), (up_role, up_dev) = link.down, link.up
            self.ip(
                down_role, "link", "add", down_dev, "type", "veth", "peer", "name", up_dev, "netns", self.ns(up_role)
            )
        for role, entries in _ADDRESSES.items():
            for dev in dict.fromkeys(dev for dev, _ in entries):
                self.ip(role, "link", "set", dev, "up")
            for dev, address in entries:
                self.ip(role, "addr", "add", address, "dev", dev, *(["nodad"] if ":" in address else []))
        for role, routes in _ROUTES.items():
            for destination, via in routes:
                self.ip(role, "-6" if ":" in via else "-4", "route", "add", destination, "via", via)
        for link in _LINKS.values():
            role, dev = link.up
            self._nft(role, _nft_table(dev))
        self._write_etc()
        self._start_dns()

    def _write_etc(self) -> None:
        if not NETNS_ETC.exists():
            self._made_netns_etc = True
        etc = NETNS_ETC / self.home
        etc.mkdir(parents=True, exist_ok=True)
        # timeout/attempts keep getaddrinfo quick when the server is silent; netwatch reads only `nameserver`.
        (etc / "resolv.conf").write_text(f"nameserver {DNS}\noptions timeout:1 attempts:1\n")
        (etc / "hosts").write_text("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n")

    def _start_dns(self) -> None:
        self.dns_server = self.popen(
            "internet",
            sys.executable,
            str(DNS_SERVER),
            "--listen",
            DNS,
            "--listen",
            DNS6,
            "--port",
            str(DNS_PORT),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )
        self._dns_expect("ready", timeout=10.0)

    # -- commands inside the namespaces ----------------------------------------------------------------------

    def ns(self, name: str) -> str:
        """The namespace name for a role ("home", ...) or a namespace name of this Isp."""
        if name in ROLES:
            return f"{self.prefix}-{name}"
        if name in self.namespaces:
            return name
        raise ValueError(f"unknown namespace {name!r}: expected one of {ROLES} or {self.namespaces}")

    def run(self, ns: str, *cmd: str, check: bool = True, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Run ``cmd`` inside namespace ``ns`` and capture its output as text; IspError when check fails."""
        argv = ["ip", "netns", "exec", self.ns(ns), *cmd]
        return _check(argv, check=check, timeout=timeout)

    def popen(self, ns: str, *cmd: str, **kw: Any) -> subprocess.Popen[Any]:
        """Start ``cmd`` inside ``ns`` (Popen keywords pass through); teardown stops it if still running."""
        proc: subprocess.Popen[Any] = subprocess.Popen(["ip", "netns", "exec", self.ns(ns), *cmd], **kw)
        self._procs.append(proc)
        return proc

    def ip(self, ns: str, *args: str) -> subprocess.CompletedProcess[str]:
        """`ip -n NS ARGS` (netlink only: no process runs inside the namespace)."""
        return _check(["ip", "-n", self.ns(ns), *args])

    def _nft(self, ns: str, script: str) -> None:
        _check(["ip", "netns", "exec", self.ns(ns), "nft", "-f", "-"], stdin=script)

    # -- faults ----------------------------------------------------------------------------------------------

    def cut(self, link: str) -> float:
        """Drop everything crossing ``link`` ("lan", "access", "core"; "dns" = dns_fail(True)) both ways.

        Returns the time.time() instant right after the single nft transaction committed: every packet after
        it is dropped (the transaction itself takes a few milliseconds, see ``last_change``).
        """
        if link == "dns":
            return self.dns_fail(True)
        role, _dev = self._link(link).up
        self._cut.add(link)
        return self._timed_nft(role, _flush("cut_in", "cut_out") + _add_rule("drop", "cut_in", "cut_out"))

    def restore(self, link: str) -> float:
        """Undo ``cut(link)``; returns the instant the link carries packets again (like ``cut``)."""
        if link == "dns":
            return self.dns_fail(False)
        role, _dev = self._link(link).up
        self._cut.discard(link)
        return self._timed_nft(role, _flush("cut_in", "cut_out"))

    def set_loss(self, link: str, percent: float) -> None:
        """Random loss of IP packets on ``link``: ``percent`` of round trips crossing it fail (0 removes it).

        Both directions lose packets, each with probability 1 - sqrt(1 - percent/100), so an echo and its reply
        together are lost ``percent`` % of the time, as a ping across the link measures it.
        """
        if not 0 <= percent <= 100:
            raise ValueError(f"loss percent must be within 0..100, got {percent}")
        role, _dev = self._link(link).up
        script = _flush("loss_in", "loss_out")
        if percent > 0:
            one_way = 1 - math.sqrt(1 - percent / 100)
            threshold = min(1_000_000, round(one_way * 1_000_000))
            rule = f"meta protocol {{ ip, ip6 }} numgen random mod 1000000 < {threshold} drop"
            script += _add_rule(rule, "loss_in", "loss_out")
            self._loss[link] = percent
        else:
            self._loss.pop(link, None)
        self._nft(role, script)

    def rate_limit(self, link: str, kbit: int | None, upload_kbit: int | None = None) -> None:
        """Token-bucket rate limit on ``link``: ``kbit`` toward home, ``upload_kbit`` (default: ``kbit``) away
        from it. ``None`` removes both."""
        spec = self._link(link)
        if kbit is None:
            for role, dev in (spec.down, spec.up):
                self.run(role, "tc", "qdisc", "del", "dev", dev, "root", check=False)
            self._rate.discard(link)
            return
        for (role, dev), rate in ((spec.up, kbit), (spec.down, upload_kbit or kbit)):
            burst = max(3200, rate * 125 // 100)  # 10 ms worth of data, at least two full frames
            tbf = ("tbf", "rate", f"{rate}kbit", "burst", str(burst), "latency", "100ms")
            self.run(role, "tc", "qdisc", "replace", "dev", dev, "root", *tbf)
        self._rate.add(link)

    def dns_fail(self, on: bool) -> float:
        """DNS server answers SERVFAIL to everything (ICMP unaffected) while ``on``; returns when in force."""
        return self._dns_mode("fail", on)

    def dns_silent(self, on: bool) -> float:
        """DNS server answers nothing at all while ``on`` (queries time out); returns when in force."""
        return self._dns_mode("silent", on)

    def reset(self) -> None:
        """Undo every fault: links restored, no loss, no rate limit, DNS answering normally."""
        for link in sorted(self._cut):
            self.restore(link)
        for link in sorted(self._loss):
            self.set_loss(link, 0)
        for link in sorted(self._rate):
            self.rate_limit(link, None)
        self.dns_fail(False)
        self.dns_silent(False)
        if self._isp_muted:
            self.mute_isp_hop(False)

    def mute_isp_hop(self, on: bool) -> float:
        """The ISP edge stops answering pings (its own echo replies dropped where they leave it, towards home) but
        forwards everything and still sends Time Exceeded: an ISP hop that fails while the line works. Returns
        when it took effect."""
        role, _dev = self._link("access").up
        script = _flush("mute_out")
        if on:
            script += _add_rule(f"ip saddr {ISP_EDGE} icmp type echo-reply drop", "mute_out")
            script += _add_rule(f"ip6 saddr {ISP_EDGE6} icmpv6 type echo-reply drop", "mute_out")
        self._isp_muted = on
        return self._timed_nft(role, script)

    def add_host(self, address: str) -> None:
        """Another anchor-like address (IPv4 or IPv6) answering inside `internet`."""
        addr = ipaddress.ip_address(address)
        if addr.version == 4:
            self.ip("internet", "addr", "add", f"{addr}/32", "dev", "lo")
        else:
            self.ip("internet", "addr", "add", f"{addr}/128", "dev", "lo", "nodad")

    @property
    def cut_links(self) -> frozenset[str]:
        return frozenset(self._cut)

    def _link(self, link: str) -> _Link:
        try:
            return _LINKS[link]
        except KeyError:
            raise ValueError(f"unknown link {link!r}: expected one of {LINKS}") from None

    def _timed_nft(self, role: str, script: str) -> float:
        before = time.time()
        self._nft(role, script)
        after = time.time()
        self.last_change = (before, after)
        return after

    def _dns_mode(self, mode: str, on: bool) -> float:
        current = self._dns_fail if mode == "fail" else self._dns_silent
        if current == on:
            return time.time()
        if self.dns_server is None or self.dns_server.poll() is not None:
            raise IspError("the DNS server is not running")
        before = time.time()
        self.dns_server.send_signal(signal.SIGUSR1 if mode == "fail" else signal.SIGUSR2)
        self._dns_expect(f"{mode} {'on' if on else 'off'}", timeout=5.0)
        after = time.time()
        self.last_change = (before, after)
        if mode == "fail":
            self._dns_fail = on
        else:
            self._dns_silent = on
        return after

    def _dns_expect(self, line: str, timeout: float) -> None:
        """Wait for ``line`` on the DNS server's stdout (its acknowledgement of a mode change)."""
        proc = self.dns_server
        assert proc is not None and proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while True:
            got, sep, rest = self._dns_buffer.partition(b"\n")
            if sep:
                self._dns_buffer = rest
                if got.decode() == line:
                    return
                raise IspError(f"DNS server said {got.decode()!r}, expected {line!r}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise IspError(f"DNS server did not say {line!r} within {timeout} s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    proc.wait(timeout=5)
                    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                    raise IspError(f"DNS server exited with {proc.returncode}: {err.strip()}")
                self._dns_buffer += chunk

    # -- probes (for the harness's own tests; netwatch brings its own) ---------------------------------------

    def replies_from_home(
        self,
        addresses: Iterable[str],
        *,
        count: int = 1,
        period: float = 0.02,
        timeout: float = 0.5,
        ttl: int | None = None,
    ) -> dict[str, int]:
        """Echo replies received per address out of ``count`` pings each, all sent at once by one fping."""
        targets = list(addresses)
        period_ms, timeout_ms = max(1, round(period * 1000)), round(timeout * 1000)
        argv = ["fping", "-q", "-c", str(count), "-p", str(period_ms), "-t", str(timeout_ms)]
        if ttl is not None:
            argv += ["-H", str(ttl)]
        result = self.run("home", *argv, *targets, check=False)
        received = dict.fromkeys(targets, 0)
        for line in result.stderr.splitlines():
            m = re.match(r"^(\S+)\s+: xmt/rcv/%loss = (\d+)/(\d+)/", line)
            if m and m.group(1) in received:
                received[m.group(1)] = int(m.group(3))
        if result.returncode > 1:  # 0: all alive, 1: some unreachable; above: fping itself failed
            raise IspError(f"fping failed ({result.returncode}): {result.stderr.strip()}")
        return received

    def ping_from_home(self, address: str, ttl: int | None = None, *, timeout: float = 0.5) -> bool:
        """Whether one echo request from home to ``address`` gets its reply (``ttl``: IP TTL / hop limit)."""
        return self.replies_from_home([address], count=1, timeout=timeout, ttl=ttl)[address] == 1

    def hop_from_home(self, address: str, ttl: int, *, timeout: float = 0.5) -> str | None:
        """The router answering Time Exceeded to an echo from home toward ``address`` (IPv4 or IPv6) sent with
        this TTL / hop limit; None when nothing expired (a reply, or silence)."""
        result = self.run("home", sys.executable, "-c", _HOP_SCRIPT, address, str(ttl), str(timeout))
        kind, _, source = result.stdout.strip().partition(" ")
        return source if kind == "hop" else None


# Raw-socket traceroute step (fping does not report ICMPv6 Time Exceeded). Prints "hop ADDR", "reply ADDR" or
# "timeout"; only ICMP messages quoting our own echo identifier count.
_HOP_SCRIPT = r"""
import os, socket, struct, sys, time
dst, ttl, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
v6 = ":" in dst
ident = os.getpid() & 0xFFFF
if v6:
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
    packet = struct.pack("!BBHHH", 128, 0, 0, ident, 1) + b"netwatch"  # the kernel fills the checksum
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    body = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"netwatch"
    total = sum(struct.unpack("!%dH" % (len(body) // 2), body))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    packet = body[:2] + struct.pack("!H", ~total & 0xFFFF) + body[4:]
s.sendto(packet, (dst, 0))
deadline = time.monotonic() + timeout
result = "timeout"
while (left := deadline - time.monotonic()) > 0:
    s.settimeout(left)
    try:
        data, peer = s.recvfrom(4096)
    except socket.timeout:
        break
    icmp = data if v6 else data[(data[0] & 0x0F) * 4:]
    kind = icmp[0]
    if kind == (129 if v6 else 0) and struct.unpack_from("!H", icmp, 4)[0] == ident:
        result = "reply " + peer[0]
        break
    if kind == (3 if v6 else 11):
        inner = icmp[8:]
        quoted = inner[40:] if v6 else inner[(inner[0] & 0x0F) * 4:]
        if len(quoted) >= 6 and struct.unpack_from("!H", quoted, 4)[0] == ident:
            result = "hop " + peer[0]
            break
s.close()
print(result)
"""


def _nft_table(dev: str) -> str:
    """The netdev table for a link's upstream device: cut chains run before loss chains."""
    return f"""
table netdev {NFT_TABLE} {{
    chain cut_in {{ type filter hook ingress device "{dev}" priority -500; policy accept; }}
    chain cut_out {{ type filter hook egress device "{dev}" priority -500; policy accept; }}
    chain loss_in {{ type filter hook ingress device "{dev}" priority -400; policy accept; }}
    chain loss_out {{ type filter hook egress device "{dev}" priority -400; policy accept; }}
    chain mute_out {{ type filter hook egress device "{dev}" priority -300; policy accept; }}
}}
"""


def _flush(*chains: str) -> str:
    return "".join(f"flush chain netdev {NFT_TABLE} {c}\n" for c in chains)


def _add_rule(rule: str, *chains: str) -> str:
    return "".join(f"add rule netdev {NFT_TABLE} {c} {rule}\n" for c in chains)


def _check(
    argv: Sequence[str], *, check: bool = True, timeout: float = 30.0, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(argv), input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise IspError(f"{' '.join(argv)} exited with {result.returncode}: {result.stderr.strip()}")
    return result


# --- several households: a neighbourhood ------------------------------------------------------------------------

NEIGHBOURHOOD_LAN = ("192.168.1.2", "192.168.1.1")  # (home, router): the same in every household, behind its NAT
POOL_HOST = "203.0.113.80"  # where a neighbourhood's pool (InfluxDB) listens, inside `internet`
_NAT = 'table ip nat {\n chain post { type nat hook postrouting priority 100; oifname "wan0" masquerade; }\n}\n'


@dataclass(frozen=True)
class Home:
    """One household of a Neighbourhood: its number (1..), the edge it hangs off, and its namespaces."""

    number: int
    edge: str  # "a", "b", ...
    home: str
    router: str

    @property
    def wan(self) -> str:
        """The router's address on its access link (the edge answers as 100.64.N.1: the household's ISP hop)."""
        return f"100.64.{self.number}.2"

    @property
    def isp_hop(self) -> str:
        return f"100.64.{self.number}.1"


class Neighbourhood(_Topology):
    """Households behind edges of one or more ISPs, all reaching one `internet` (the anchors, and whatever a test
    puts there: ``POOL_HOST``). ``Neighbourhood(["a"] * 5 + ["b"] * 2 + ["c"])`` builds eight households, five of
    them behind edge a. Per household: `h<N>-home` ── lan ── `h<N>-router` (NAT) ── access ── `edge-<x>`; per
    edge: `edge-<x>` ── uplink ── `internet`. Faults: ``cut_access(n)`` (the household's own line: its router
    answers, its ISP hop does not) and ``cut_uplink(x)`` (every household behind the edge loses the anchors, its ISP
    hop still answers), each one atomic nft transaction at the upstream end, as ``Isp.cut``. ``with`` builds it and
    always removes it; the single-home ``Isp`` is unaffected."""

    def __init__(self, edges: Sequence[str], prefix: str | None = None) -> None:
        self.prefix = prefix or f"nw{os.getpid()}-{next(_seq)}"
        self.homes = tuple(
            Home(n, edge, f"{self.prefix}-h{n}-home", f"{self.prefix}-h{n}-router") for n, edge in enumerate(edges, 1)
        )
        self.edges = tuple(dict.fromkeys(edges))
        self.internet = f"{self.prefix}-internet"
        self.namespaces = (
            self.internet,
            *(f"{self.prefix}-edge-{e}" for e in self.edges),
            *(ns for h in self.homes for ns in (h.router, h.home)),
        )
        self._cut: set[tuple[str, str]] = set()
        self._atexit = False

    def edge(self, name: str) -> str:
        return f"{self.prefix}-edge-{name}"

    def teardown(self) -> None:
        for name in self.namespaces:
            if (NETNS_RUN / name).exists():
                _kill_netns_pids(name)
                subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        self._cut.clear()
        if self._atexit:
            atexit.unregister(self.teardown)
            self._atexit = False

    def ip(self, ns: str, *args: str) -> None:
        _check(["ip", "-n", ns, *args])

    def run(self, ns: str, *cmd: str, check: bool = True, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return _check(["ip", "netns", "exec", ns, *cmd], check=check, timeout=timeout)

    def popen(self, ns: str, *cmd: str, **kw: Any) -> subprocess.Popen[Any]:
        return subprocess.Popen(["ip", "netns", "exec", ns, *cmd], **kw)

    def _veth(self, a: tuple[str, str], b: tuple[str, str]) -> None:
        self.ip(a[0], "link", "add", a[1], "type", "veth", "peer", "name", b[1], "netns", b[0])
        for ns, dev in (a, b):
            self.ip(ns, "link", "set", dev, "up")

    def _build(self) -> None:
        first = subprocess.run(["ip", "netns", "add", self.internet], capture_output=True, text=True, check=False)
        if first.returncode != 0:
            raise NetnsUnavailable(f"`ip netns add` failed: {first.stderr.strip()}")
        for ns in self.namespaces[1:]:
            _check(["ip", "netns", "add", ns])
        forwarding = {self.edge(e) for e in self.edges} | {h.router for h in self.homes}
        for ns in self.namespaces:
            self.run(ns, "sysctl", "-q", "-w", *_SYSCTLS, *(["net.ipv4.ip_forward=1"] if ns in forwarding else []))
            self.ip(ns, "link", "set", "lo", "up")
        for address in (*ANCHORS, POOL_HOST):
            self.ip(self.internet, "addr", "add", f"{address}/32", "dev", "lo")
        for k, e in enumerate(self.edges):
            edge = self.edge(e)
            self._veth((edge, "core0"), (self.internet, f"up-{e}"))
            self.ip(edge, "addr", "add", f"10.0.{k}.2/24", "dev", "core0")
            self.ip(self.internet, "addr", "add", f"10.0.{k}.1/24", "dev", f"up-{e}")
            self.ip(edge, "route", "add", "default", "via", f"10.0.{k}.1")
            self._nft(edge, _nft_table("core0"))
        home_ip, router_ip = NEIGHBOURHOOD_LAN
        for h in self.homes:
            edge, k = self.edge(h.edge), self.edges.index(h.edge)
            self._veth((h.home, "eth0"), (h.router, "lan0"))
            self._veth((h.router, "wan0"), (edge, f"acc{h.number}"))
            self.ip(h.home, "addr", "add", f"{home_ip}/24", "dev", "eth0")
            self.ip(h.router, "addr", "add", f"{router_ip}/24", "dev", "lan0")
            self.ip(h.router, "addr", "add", f"{h.wan}/24", "dev", "wan0")
            self.ip(edge, "addr", "add", f"{h.isp_hop}/24", "dev", f"acc{h.number}")
            self.ip(h.home, "route", "add", "default", "via", router_ip)
            self.ip(h.router, "route", "add", "default", "via", h.isp_hop)
            self.ip(self.internet, "route", "add", f"100.64.{h.number}.0/24", "via", f"10.0.{k}.2")
            self._nft(h.router, _nft_table("wan0"))
            self._nft(h.router, _NAT)

    def _nft(self, ns: str, script: str) -> None:
        _check(["ip", "netns", "exec", ns, "nft", "-f", "-"], stdin=script)

    def _set(self, ns: str, on: bool) -> float:
        script = _flush("cut_in", "cut_out") + (_add_rule("drop", "cut_in", "cut_out") if on else "")
        self._nft(ns, script)
        return time.time()

    def cut_access(self, number: int, on: bool = True) -> float:
        """Cut (or restore) household ``number``'s access line at its router's WAN side; the instant it took effect."""
        home = self.homes[number - 1]
        (self._cut.add if on else self._cut.discard)(("access", home.router))
        return self._set(home.router, on)

    def cut_uplink(self, edge: str, on: bool = True) -> float:
        """Cut (or restore) edge ``edge``'s uplink: every household behind it loses `internet`."""
        (self._cut.add if on else self._cut.discard)(("uplink", self.edge(edge)))
        return self._set(self.edge(edge), on)

    def reset(self) -> None:
        for _, ns in sorted(self._cut):
            self._set(ns, False)
        self._cut.clear()


def main() -> int:
    """Build the ISP, print how to use it, and keep it until Ctrl-C."""
    missing = missing_requirements()
    if missing:
        print(f"{REASON}: {missing}", file=sys.stderr)
        return 2
    with Isp() as isp:
        print(f"namespaces: {' '.join(isp.namespaces)}")
        print(f"try: ip netns exec {isp.home} fping {GATEWAY} {ISP_EDGE} {' '.join(ANCHORS)} {ANCHOR6}")
        print("Ctrl-C removes everything")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
