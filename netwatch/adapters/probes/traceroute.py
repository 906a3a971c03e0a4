"""Traceroute: where the path towards a destination ends, as evidence for an incident.

Owns (the ``Hop`` and ``Trace`` records it fills are in ``netwatch.core.model``, re-exported here) the parsing of ICMP
answers (pure), the one-line summary of a trace, and
``trace``: one echo request per TTL from 1 to ``max_hops``, all sent at once (mtr-style), so a trace takes about
one ``timeout`` whatever the path length — which matters during an outage, when most hops stay silent. Each
request's answer says where it ended: Time Exceeded from a router on the way, an echo reply from the destination,
or Destination Unreachable (recorded with its ICMP code as the note of the last hop).

Unprivileged mode (the default, no capability needed) opens one ICMP ping socket per TTL: the kernel gives each
its own ICMP id, so nothing can mix with the daemon's echoes, and the ICMP errors arrive on the socket's error
queue (IP_RECVERR / IPV6_RECVERR). Privileged mode uses one raw socket with an id from icmplib's process-wide
counter (the one IcmpProber draws from, so the two never share an id) and accepts only answers quoting that id,
a sequence number of this trace and this destination. Must not run on the event loop (it is synchronous, meant
for a worker thread) or raise for a network condition: no route, silence and refusals end up in the Trace.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import select
import socket
import struct
import time
from collections.abc import Mapping
from typing import NamedTuple

from icmplib.utils import unique_identifier

from netwatch.core.model import Hop, Trace

__all__ = ["build", "trace"]

_IP_RECVERR = 11
_IPV6_RECVERR = 25
_ORIGIN_ICMP = {4: 2, 6: 3}  # SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6
_ECHO_REQUEST = {4: 8, 6: 128}
_ECHO_REPLY = {4: 0, 6: 129}
_TIME_EXCEEDED = {4: 11, 6: 3}
_UNREACHABLE = {4: 3, 6: 1}
_UNREACHABLE_NAMES = {
    4: {
        0: "network unreachable",
        1: "host unreachable",
        2: "protocol unreachable",
        3: "port unreachable",
        4: "fragmentation needed",
        5: "source route failed",
        6: "destination network unknown",
        7: "destination host unknown",
        9: "network administratively prohibited",
        10: "host administratively prohibited",
        11: "network unreachable for TOS",
        12: "host unreachable for TOS",
        13: "communication administratively prohibited",
    },
    6: {
        0: "network unreachable",
        1: "administratively prohibited",
        2: "beyond scope of source address",
        3: "host unreachable",
        4: "port unreachable",
        5: "source address failed policy",
        6: "reject route",
    },
}
PAYLOAD = b"netwatch-trace"


class Answer(NamedTuple):
    """An answer to the request of one TTL: ``kind`` "reply", "exceeded" or "unreachable" (with ``code``)."""

    address: str
    kind: str
    code: int = 0


def note(family: int, code: int) -> str:
    """The note of a Destination Unreachable, e.g. "network unreachable (ICMP code 0)"."""
    name = _UNREACHABLE_NAMES[family].get(code, "destination unreachable")
    return f"{name} (ICMP{'v6' if family == 6 else ''} code {code})"


def build(destination: str, started_at: float, answers: Mapping[int, tuple[Answer, float]], max_hops: int) -> Trace:
    """The Trace from the answers by TTL (each with its RTT in ms): cut at the first TTL that reached the
    destination or was refused, or one silent hop after the last answer."""
    family = ipaddress.ip_address(destination).version
    end = min((ttl for ttl, (a, _) in answers.items() if a.kind != "exceeded"), default=None)
    if end is None:
        end = min(max(answers, default=0) + 1, max_hops)
    hops = []
    for ttl in range(1, end + 1):
        found = answers.get(ttl)
        if found is None:
            hops.append(Hop(ttl, None, None))
            continue
        answer, rtt = found
        why = note(family, answer.code) if answer.kind == "unreachable" else ""
        hops.append(Hop(ttl, answer.address, round(rtt, 3), why))
    reached = end in answers and answers[end][0].kind == "reply"
    return Trace(destination, started_at, tuple(hops), reached)


# --- parsing (pure) -------------------------------------------------------------------------------------------


def parse_raw(family: int, packet: bytes, ident: int, destination: str) -> tuple[int, str, int] | None:
    """(sequence, kind, code) of an ICMP message read from a raw socket (IPv4: with its IP header) when it
    answers an echo request of ours (``ident``) to ``destination``; None for anything else."""
    if family == 4:
        if len(packet) < 20:
            return None
        packet = packet[(packet[0] & 0x0F) * 4 :]
    if len(packet) < 8:
        return None
    kind, code = packet[0], packet[1]
    if kind == _ECHO_REPLY[family]:
        got_id, seq = struct.unpack_from("!HH", packet, 4)
        return (seq, "reply", 0) if got_id == ident else None
    if kind not in (_TIME_EXCEEDED[family], _UNREACHABLE[family]):
        return None
    inner = packet[8:]
    if family == 4:
        if len(inner) < 20 or socket.inet_ntop(socket.AF_INET, inner[16:20]) != destination:
            return None
        quoted = inner[(inner[0] & 0x0F) * 4 :]
    else:
        if len(inner) < 40 or inner[6] != socket.IPPROTO_ICMPV6 or not _same(inner[24:40], destination):
            return None
        quoted = inner[40:]
    if len(quoted) < 8 or quoted[0] != _ECHO_REQUEST[family]:
        return None
    got_id, seq = struct.unpack_from("!HH", quoted, 4)
    if got_id != ident:
        return None
    return seq, "exceeded" if kind == _TIME_EXCEEDED[family] else "unreachable", code


def _same(raw: bytes, destination: str) -> bool:
    return ipaddress.IPv6Address(raw) == ipaddress.ip_address(destination.split("%", 1)[0])


def parse_error(family: int, ancdata: list[tuple[int, int, bytes]]) -> Answer | None:
    """The ICMP error in the control messages of a ping socket's error queue entry (a struct sock_extended_err
    followed by the offender's address), or None when it is not an ICMP error answer."""
    level, kind = (socket.IPPROTO_IP, _IP_RECVERR) if family == 4 else (socket.IPPROTO_IPV6, _IPV6_RECVERR)
    for got_level, got_kind, data in ancdata:
        if got_level != level or got_kind != kind or len(data) < (24 if family == 4 else 40):
            continue
        _errno, origin, icmp_type, code = struct.unpack_from("=IBBB", data)
        if origin != _ORIGIN_ICMP[family]:
            continue
        address = socket.inet_ntop(socket.AF_INET, data[20:24]) if family == 4 else _v6(data[24:40])
        if icmp_type == _TIME_EXCEEDED[family]:
            return Answer(address, "exceeded")
        if icmp_type == _UNREACHABLE[family]:
            return Answer(address, "unreachable", code)
    return None


def _v6(raw: bytes) -> str:
    return str(ipaddress.IPv6Address(raw))


def echo_request(family: int, ident: int, seq: int) -> bytes:
    """An echo request; IPv4 carries its checksum (the kernel computes ICMPv6's, and a ping socket's)."""
    data = struct.pack("!BBHHH", _ECHO_REQUEST[family], 0, 0, ident, seq) + PAYLOAD
    if family == 6:
        return data
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return data[:2] + struct.pack("!H", ~total & 0xFFFF) + data[4:]


# --- the probe ------------------------------------------------------------------------------------------------


def trace(destination: str, *, privileged: bool, max_hops: int = 30, timeout: float, started_at: float) -> Trace:
    """Trace the path to ``destination`` (an IPv4 or IPv6 address): every TTL's echo request at once, then
    wait up to ``timeout`` seconds for the answers (less once every hop up to the end has answered). Raises
    ValueError only for bad arguments; ``started_at`` is recorded as given."""
    family = ipaddress.ip_address(destination.split("%", 1)[0]).version
    if not 1 <= max_hops <= 255:
        raise ValueError(f"max_hops must be 1 to 255, got {max_hops}")
    if not timeout > 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    probe: _Probe = _Raw(family, destination) if privileged else _Ping(family, destination)
    try:
        return probe.run(max_hops, timeout, started_at)
    finally:
        probe.close()


class _Probe:
    """The shared part of both modes: send every TTL, poll until done or the deadline, keep the first answer
    of each TTL with its RTT (monotonic clock)."""

    kind = ""

    def __init__(self, family: int, destination: str) -> None:
        self.family, self.destination = family, destination
        self.sent: dict[int, float] = {}
        self.answers: dict[int, tuple[Answer, float]] = {}
        self.sockets: dict[int, tuple[int, socket.socket]] = {}  # fd → (TTL, socket); TTL 0: every TTL

    def open(self, max_hops: int) -> None:
        raise NotImplementedError

    def send(self, ttl: int) -> None:
        raise NotImplementedError

    def read(self, fd: int, now: float) -> None:
        raise NotImplementedError

    def _socket(self, kind: int) -> socket.socket:
        proto = socket.IPPROTO_ICMP if self.family == 4 else socket.IPPROTO_ICMPV6
        sock = socket.socket(socket.AF_INET if self.family == 4 else socket.AF_INET6, kind, proto)
        sock.setblocking(False)
        return sock

    def _set_ttl(self, sock: socket.socket, ttl: int) -> None:
        if self.family == 4:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        else:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)

    def answer(self, ttl: int, answer: Answer, now: float) -> None:
        if ttl in self.sent and ttl not in self.answers:
            self.answers[ttl] = (answer, max(0.0, now - self.sent[ttl]) * 1000.0)

    def done(self) -> bool:
        if len(self.answers) == len(self.sent):
            return True
        end = min((ttl for ttl, (a, _) in self.answers.items() if a.kind != "exceeded"), default=None)
        return end is not None and all(t in self.answers or t not in self.sent for t in range(1, end))

    def run(self, max_hops: int, timeout: float, started_at: float) -> Trace:
        try:
            self.open(max_hops)
        except OSError as err:
            return Trace(self.destination, started_at, (), False, f"cannot open {self.kind}: {_reason(err)}")
        failure = ""
        for ttl in range(1, max_hops + 1):
            try:
                self.sent[ttl] = time.monotonic()
                self.send(ttl)
            except OSError as err:
                del self.sent[ttl]
                failure = failure or _reason(err)
        if not self.sent:
            return Trace(self.destination, started_at, (), False, f"cannot send: {failure}")
        poller = select.poll()
        for fd in self.sockets:
            poller.register(fd, select.POLLIN | select.POLLERR)
        deadline = time.monotonic() + timeout
        while not self.done() and (left := deadline - time.monotonic()) > 0:
            for fd, _events in poller.poll(max(1, int(left * 1000 + 0.999))):
                self.read(fd, time.monotonic())
        return build(self.destination, started_at, self.answers, max_hops)

    def close(self) -> None:
        for _, sock in self.sockets.values():
            sock.close()
        self.sockets.clear()


def _reason(err: OSError) -> str:
    text = err.strerror or str(err)
    if err.errno == errno.ENETUNREACH:
        return f"{text} (this machine has no route to it)"
    if err.errno in (errno.EACCES, errno.EPERM):
        return f'{text} (see README "ICMP permissions")'
    return text


class _Ping(_Probe):
    """Unprivileged: one ping socket per TTL; ICMP errors come from its error queue, echo replies as data."""

    kind = "ICMP ping sockets"

    def open(self, max_hops: int) -> None:
        level, option = (socket.IPPROTO_IP, _IP_RECVERR) if self.family == 4 else (socket.IPPROTO_IPV6, _IPV6_RECVERR)
        for ttl in range(1, max_hops + 1):
            sock = self._socket(socket.SOCK_DGRAM)
            self.sockets[sock.fileno()] = (ttl, sock)
            sock.setsockopt(level, option, 1)
            self._set_ttl(sock, ttl)
        self._by_ttl = {ttl: sock for ttl, sock in self.sockets.values()}

    def send(self, ttl: int) -> None:
        # The kernel sets the id (the socket's own) and the checksum.
        self._by_ttl[ttl].sendto(echo_request(self.family, 0, ttl), (self.destination, 0))

    def read(self, fd: int, now: float) -> None:
        ttl, sock = self.sockets[fd]
        for _ in range(8):  # a few entries at most: one request per socket
            try:
                _data, ancdata, _flags, _peer = sock.recvmsg(512, 512, socket.MSG_ERRQUEUE)
            except OSError:  # BlockingIOError: the queue is empty
                break
            found = parse_error(self.family, ancdata)
            if found is not None:
                self.answer(ttl, found, now)
        for _ in range(8):
            try:
                data, peer = sock.recvfrom(512)
            except BlockingIOError:
                break
            except OSError:
                continue  # the error the queue entry above reported, raised once more: it is cleared now
            if data and data[0] == _ECHO_REPLY[self.family]:
                self.answer(ttl, Answer(_address(peer[0]), "reply"), now)


class _Raw(_Probe):
    """Privileged: one raw socket, our own id, the TTL in the sequence number (offset by a random base)."""

    kind = "a raw ICMP socket"

    def open(self, max_hops: int) -> None:
        sock = self._socket(socket.SOCK_RAW)
        self.sockets[sock.fileno()] = (0, sock)
        self._sock = sock
        self._max = max_hops
        self._ident = unique_identifier() or unique_identifier()  # never 0
        self._base = int.from_bytes(os.urandom(2), "big")

    def send(self, ttl: int) -> None:
        self._set_ttl(self._sock, ttl)
        packet = echo_request(self.family, self._ident, (self._base + ttl) & 0xFFFF)
        self._sock.sendto(packet, (self.destination, 0))

    def read(self, fd: int, now: float) -> None:
        for _ in range(4 * self._max):
            try:
                data, peer = self._sock.recvfrom(2048)
            except OSError:
                return
            parsed = parse_raw(self.family, data, self._ident, self.destination)
            if parsed is None:
                continue
            seq, kind, code = parsed
            source = _address(peer[0])
            if kind == "reply" and ipaddress.ip_address(source) != ipaddress.ip_address(self.destination.split("%")[0]):
                continue
            self.answer((seq - self._base) & 0xFFFF, Answer(source, kind, code), now)


def _address(text: str) -> str:
    return str(ipaddress.ip_address(text.split("%", 1)[0]))
