"""Discovery of the gateway (routing table) and of the ISP hop (TTL-limited probe).

Owns reading the kernel's default routes and finding the first hop beyond the gateway: an ICMP echo with TTL 2
towards an anchor expires at the ISP's edge, whose Time Exceeded reply names it. Privileged mode uses a raw
socket; unprivileged mode reads the ICMP error from a ping socket's error queue (IP_RECVERR), so no capability
is needed. The parsers are pure; the probe is synchronous and meant to run in a worker thread.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import select
import socket
import struct
import time
from collections.abc import Sequence

from icmplib import ICMPRequest, ICMPv4Socket
from icmplib.exceptions import ICMPLibError

log = logging.getLogger(__name__)

_SO_EE_ORIGIN_ICMP = 2
_ICMP_TIME_EXCEEDED = 11
_IP_RECVERR = 11


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


def default_gateway() -> str | None:
    """The default gateway of this network namespace: IPv4 first, then IPv6."""
    for path, parse in (("/proc/net/route", parse_proc_route), ("/proc/net/ipv6_route", parse_ipv6_route)):
        try:
            with open(path) as f:
                found = parse(f.read())
        except OSError:
            continue
        if found:
            return found
    return None


def _raw_hop(destination: str, ttl: int, timeout: float) -> str | None:
    with ICMPv4Socket(privileged=True) as sock:
        request = ICMPRequest(destination, os.getpid() & 0xFFFF, 1, ttl=ttl)
        sock.send(request)
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            reply = sock.receive(request, remaining)
            if reply.type == _ICMP_TIME_EXCEEDED:
                return str(reply.source)
            return None  # reached the destination or unreachable: no hop at this distance
    return None


def _echo_packet(ident: int, seq: int) -> bytes:
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    payload = b"netwatch-hop"
    data = header + payload
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return struct.pack("!BBHHH", 8, 0, ~total & 0xFFFF, ident, seq) + payload


def _recverr_hop(destination: str, ttl: int, timeout: float) -> str | None:
    """TTL-limited echo on an unprivileged ping socket; the Time Exceeded arrives on the error queue."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP) as sock:
        sock.setsockopt(socket.IPPROTO_IP, _IP_RECVERR, 1)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        sock.setblocking(False)
        sock.sendto(_echo_packet(0, 1), (destination, 0))
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, errors = select.select([sock], [], [sock], remaining)
            if not ready and not errors:
                return None
            try:
                _, ancdata, _, _ = sock.recvmsg(512, 512, socket.MSG_ERRQUEUE)
            except BlockingIOError:
                with contextlib.suppress(OSError):
                    sock.recv(512)  # an echo reply: the destination is at or within this TTL
                return None
            for level, kind, data in ancdata:
                if level != socket.IPPROTO_IP or kind != _IP_RECVERR or len(data) < 24:
                    continue
                _errno, origin, icmp_type = struct.unpack_from("=IBB", data)
                if origin == _SO_EE_ORIGIN_ICMP and icmp_type == _ICMP_TIME_EXCEEDED:
                    return socket.inet_ntoa(data[20:24])  # sockaddr_in of the offender follows the 16-byte header
    return None


def isp_hop(anchors: Sequence[str], gateway: str | None, privileged: bool, timeout: float) -> str | None:
    """The first hop beyond the gateway towards the IPv4 anchors, or None when no anchor path reveals it.

    Blocking (up to ``timeout`` per anchor tried): call it from a worker thread.
    """
    for anchor in anchors:
        if ipaddress.ip_address(anchor).version != 4:
            continue
        try:
            hop = _raw_hop(anchor, 2, timeout) if privileged else _recverr_hop(anchor, 2, timeout)
        except (ICMPLibError, OSError) as err:
            log.debug("ISP hop probe towards %s failed: %s", anchor, err)
            continue
        if hop and hop != gateway:
            return hop
    return None
