"""A tiny authoritative DNS server over UDP for the simulated ISP (standard library only).

Owns the wire format of one question and its answer, the test zone, and the failure modes the tests switch at
run time: SIGUSR1 toggles *fail* (SERVFAIL to everything, a DNS outage while ICMP still works), SIGUSR2 toggles
*silent* (no answer at all, a resolver that times out; it wins over *fail*). Every toggle is acknowledged with one
line on stdout ("fail on", "fail off", "silent on", "silent off") so the caller knows the new mode is in force
before it sends the next query. "ready" is printed once every socket is bound. It must not print anything else
on stdout: the parent only reads it for those acknowledgements.

Run inside the `internet` namespace:
    ip netns exec NS python tests/support/scripts/dns_server.py --listen 203.0.113.53 --port 53
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import selectors
import signal
import socket
import struct
import sys
from types import FrameType

A, AAAA, ANY = 1, 28, 255
IN = 1
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5

Zone = dict[str, list[tuple[int, bytes]]]


def make_zone(records: dict[str, list[str]]) -> Zone:
    """A zone from ``{name: [address, ...]}``; A or AAAA is chosen by the address family."""
    zone: Zone = {}
    for name, addresses in records.items():
        rrs = zone.setdefault(name.lower().rstrip("."), [])
        for text in addresses:
            addr = ipaddress.ip_address(text)
            rrs.append((A if addr.version == 4 else AAAA, addr.packed))
    return zone


ZONE = make_zone({"example.test": ["192.0.2.1"], "anchor.test": ["198.51.100.1", "2001:db8:ff::1"]})


def _parse_question(query: bytes) -> tuple[str, int, int, int] | None:
    """(name, qtype, qclass, end offset) of the first question, or None when malformed."""
    labels: list[str] = []
    pos = 12
    while True:
        if pos >= len(query):
            return None
        length = query[pos]
        pos += 1
        if length == 0:
            break
        if length & 0xC0 or pos + length > len(query):  # compression is never used in a question
            return None
        labels.append(query[pos : pos + length].decode("ascii", "replace"))
        pos += length
    if pos + 4 > len(query):
        return None
    qtype, qclass = struct.unpack_from("!HH", query, pos)
    return ".".join(labels).lower(), qtype, qclass, pos + 4


def respond(query: bytes, zone: Zone, *, fail: bool = False) -> bytes | None:
    """The response to one query datagram, or None when it deserves no answer (not a query, too short)."""
    if len(query) < 12:
        return None
    qid, flags, qdcount = struct.unpack_from("!HHH", query)
    if flags & 0x8000:
        return None
    opcode = (flags >> 11) & 0xF
    base = 0x8000 | (opcode << 11) | (flags & 0x0100)  # QR, echo opcode and RD; RA stays clear

    def reply(rcode: int, question: bytes = b"", answers: list[bytes] | None = None, aa: bool = True) -> bytes:
        answers = answers or []
        header = struct.pack(
            "!HHHHHH", qid, base | (0x0400 if aa else 0) | rcode, 1 if question else 0, len(answers), 0, 0
        )
        return header + question + b"".join(answers)

    if opcode != 0:
        return reply(NOTIMP, aa=False)
    parsed = _parse_question(query) if qdcount == 1 else None
    if parsed is None:
        return reply(FORMERR, aa=False)
    name, qtype, qclass, end = parsed
    question = query[12:end]
    if fail:
        return reply(SERVFAIL, question, aa=False)
    if qclass not in (IN, ANY):
        return reply(REFUSED, question, aa=False)
    if name not in zone:
        return reply(NXDOMAIN, question)
    answers = [
        struct.pack("!HHHIH", 0xC00C, rtype, IN, 0, len(rdata)) + rdata  # TTL 0: nothing may cache a test answer
        for rtype, rdata in zone[name]
        if qtype in (rtype, ANY)
    ]
    return reply(NOERROR, question, answers)


class Server:
    """UDP sockets on every listen address, answering from ``zone`` in the current mode."""

    def __init__(self, zone: Zone, listen: list[str], port: int) -> None:
        self.zone = zone
        self.fail = False
        self.silent = False
        self.selector = selectors.DefaultSelector()
        for address in listen:
            family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((address, port))
            self.selector.register(sock, selectors.EVENT_READ)

    def toggle_fail(self, _signum: int, _frame: FrameType | None) -> None:
        self.fail = not self.fail
        _say(f"fail {'on' if self.fail else 'off'}")

    def toggle_silent(self, _signum: int, _frame: FrameType | None) -> None:
        self.silent = not self.silent
        _say(f"silent {'on' if self.silent else 'off'}")

    def serve_forever(self) -> None:
        while True:
            for key, _events in self.selector.select():
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                try:
                    data, peer = sock.recvfrom(4096)
                except OSError:
                    continue
                if self.silent:
                    continue
                answer = respond(data, self.zone, fail=self.fail)
                if answer is not None:
                    with contextlib.suppress(OSError):  # the way back may be cut: that is the point of the tests
                        sock.sendto(answer, peer)

    def close(self) -> None:
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self.selector.close()


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def _answer_promptly() -> None:
    """Run at a real-time priority when allowed (root, as in CI). The probe under test waits only its timeout for an
    answer (0.15 s in the netns tests), and on a loaded 2-core machine a normal-priority Python process was once
    left unscheduled for three rounds in a row: the daemon then recorded, truthfully, a DNS outage the test had
    not made. The server sleeps in select between queries, so the priority costs the machine nothing."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--listen", action="append", required=True, help="address to bind (repeatable)")
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--record", action="append", default=[], metavar="NAME=ADDRESS", help="extra A/AAAA record")
    args = parser.parse_args(argv)
    records: dict[str, list[str]] = {}
    for item in args.record:
        name, _, address = item.partition("=")
        records.setdefault(name, []).append(address)
    zone = {**ZONE}
    for name, rrs in make_zone(records).items():
        zone[name] = [*zone.get(name, []), *rrs]
    server = Server(zone, args.listen, args.port)
    _answer_promptly()
    signal.signal(signal.SIGUSR1, server.toggle_fail)
    signal.signal(signal.SIGUSR2, server.toggle_silent)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    _say("ready")
    try:
        server.serve_forever()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
