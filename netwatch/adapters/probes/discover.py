"""Discovery of the gateway (routing table), of whether there is a route at all, and of the ISP hop (TTL-limited
probe).

Owns reading the kernel's default routes (``Routes`` keeps the tables open for a reader that asks every round),
asking the kernel whether it has a route to an address, and finding the first hop beyond the gateway: an ICMP echo
with TTL 2 towards an anchor expires at the ISP's edge, whose Time Exceeded reply names it (a two-hop
traceroute.trace, so the same code serves both socket modes and both address families). The parsers are pure.
Must not run on the event loop: the probe is synchronous, meant for a worker thread.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import struct
from collections.abc import Callable, Sequence

from netwatch.adapters.probes import traceroute

log = logging.getLogger(__name__)


def parse_proc_route(text: str) -> str | None:
    """The IPv4 default gateway from /proc/net/route text (lowest metric wins), or None."""
    best: tuple[int, str] | None = None
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8 or fields[1] != "00000000" or fields[7] != "00000000":
            continue
        flags = int(fields[3], 16)
        if not flags & 0x2:  # RTF_GATEWAY
            continue
        gateway = socket.inet_ntoa(struct.pack("<I", int(fields[2], 16)))
        metric = int(fields[6])
        if best is None or metric < best[0]:
            best = (metric, gateway)
    return best[1] if best else None


def parse_ipv6_route(text: str) -> str | None:
    """The IPv6 default gateway from /proc/net/ipv6_route text (lowest metric wins), or None.

    A link-local gateway (the usual case: routers advertise fe80:: addresses) carries its interface as the zone,
    e.g. "fe80::1%eth0": without it the address cannot be pinged.
    """
    best: tuple[int, str] | None = None
    for line in text.splitlines():
        f = line.split()
        if len(f) < 10 or f[0] != "0" * 32 or f[1] != "00" or f[4] == "0" * 32:
            continue
        address = ipaddress.IPv6Address(bytes.fromhex(f[4]))
        gateway = f"{address}%{f[9]}" if address.is_link_local else str(address)
        metric = int(f[5], 16)
        if best is None or metric < best[0]:
            best = (metric, gateway)
    return best[1] if best else None


ROUTE_FILES = (("/proc/net/route", parse_proc_route), ("/proc/net/ipv6_route", parse_ipv6_route))


def default_gateway() -> str | None:
    """The default gateway of this network namespace: IPv4 first, then IPv6."""
    with Routes() as routes:
        return routes.default_gateway()


class Routes:
    """The kernel's routing tables, read again at every call through descriptors kept open: the daemon asks every
    round, and one ``pread`` costs a fifth of opening, reading and closing the file (six system calls). A
    descriptor belongs to the network namespace it was opened in. ``close`` when done."""

    def __init__(self, files: Sequence[tuple[str, Callable[[str], str | None]]] = ROUTE_FILES) -> None:
        self.files = files  # (path, parser): IPv4 first
        self._fds: dict[str, int | None] = {}
        self._parsed: dict[str, tuple[str, str | None]] = {}  # path → the table last read and its gateway

    def default_gateway(self) -> str | None:
        """The default gateway of this network namespace: IPv4 first, then IPv6."""
        for path, parse in self.files:
            text = self._read(path)
            if text is None:
                continue
            last = self._parsed.get(path)
            found = last[1] if last is not None and last[0] == text else parse(text)  # the same table, mostly
            self._parsed[path] = (text, found)
            if found:
                return found
        return None

    def _read(self, path: str) -> str | None:
        fd = self._fds.get(path, -1)
        if fd == -1:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                fd = None  # e.g. IPv6 disabled: not asked again
            self._fds[path] = fd
        if fd is None:
            return None
        chunks: list[bytes] = []
        try:
            # Until an empty read: /proc hands out a table a page at a time, so a short read is not its end.
            while chunk := os.pread(fd, 65536, sum(map(len, chunks))):
                chunks.append(chunk)
        except OSError:
            return None
        return b"".join(chunks).decode("ascii", "replace")

    def close(self) -> None:
        for fd in self._fds.values():
            if fd is not None:
                os.close(fd)
        self._fds.clear()

    def __enter__(self) -> Routes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def routed(address: str) -> bool:
    """Whether this machine has a route to ``address`` now: the kernel's own route lookup, made by connecting a UDP
    socket (no packet is sent). False before DHCP has configured the network, or with IPv6 off for an IPv6 one."""
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((address, 9))  # the discard port; nothing is sent
    except OSError:
        return False
    return True


def isp_hop(anchors: Sequence[str], gateway: str | None, privileged: bool, timeout: float) -> str | None:
    """The first hop beyond the gateway towards the anchors (in their order), or None when no anchor path reveals
    it: the router whose Time Exceeded answers an echo sent with TTL 2.

    Blocking (up to ``timeout`` per anchor tried): call it from a worker thread.
    """
    for anchor in anchors:
        path = traceroute.trace(anchor, privileged=privileged, max_hops=2, timeout=timeout, started_at=0.0)
        if path.error:
            log.debug("ISP hop probe towards %s failed: %s", anchor, path.error)
            continue
        second = path.hops[1] if len(path.hops) == 2 else None
        # Not the anchor itself (reached at TTL 2), nor a router refusing to forward (its note says so).
        if second and second.address and not path.reached and not second.note and second.address != gateway:
            return second.address
    return None
