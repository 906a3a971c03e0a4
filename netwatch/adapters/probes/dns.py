"""DNS probing: resolve the configured names through the configured (or system) resolvers each round.

Owns a minimal DNS-over-UDP client: one A query per name sent to every resolver at once from fresh sockets (a new
source port each round), the first valid answer wins, a hard timeout; the answers are read by an event loop
callback per socket and the second query is a timer, so a round starts no task. Talking to the resolver directly
(rather than through getaddrinfo) measures the resolver the line depends on, never blocks a thread past the
timeout, and reports the DNS error (SERVFAIL, NXDOMAIN, timeout). Wire-format encoding and decoding are pure
functions. Must not block past the timeout or raise for a failed lookup: a DNS error or silence is the sample's
error (only netwatch's own faults are raised).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass

from netwatch.adapters.probes.resources import own_fault
from netwatch.core.model import Role, Sample, Target
from netwatch.errors import OwnFault

log = logging.getLogger(__name__)

RESOLV_CONF = "/etc/resolv.conf"
RCODES = {1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def encode_query(name: str, qid: int, qtype: int = 1) -> bytes:
    """A recursive query for ``name`` (type A by default)."""
    header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    encoded = (p.encode("idna") for p in name.rstrip(".").split(".") if p)
    labels = b"".join(len(label).to_bytes(1, "big") + label for label in encoded)  # the length of the encoded label
    return header + labels + b"\x00" + struct.pack("!HH", qtype, 1)


@dataclass(frozen=True)
class Answer:
    """What the probe needs from a response: ``name`` is the question (lower case, no final dot), None when the
    response carries no question (only allowed with an error rcode); ``answers`` counts the answer records."""

    qid: int
    rcode: int
    answers: int
    name: str | None


def _skip_name(data: bytes, offset: int) -> tuple[str, int] | None:
    """The domain name at ``offset`` (compression pointers followed) and the offset just after it in the
    record, or None when the name runs past the packet, loops, or uses a reserved label type."""
    labels: list[str] = []
    after: int | None = None
    for _ in range(128):  # a name has at most 127 labels; more steps means a pointer loop
        if offset >= len(data):
            return None
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data):
                return None
            after = offset + 2 if after is None else after
            offset = (length & 0x3F) << 8 | data[offset + 1]
            continue
        if length & 0xC0:
            return None
        if length == 0:
            return ".".join(labels).lower(), offset + 1 if after is None else after
        if offset + 1 + length > len(data):
            return None
        labels.append(data[offset + 1 : offset + 1 + length].decode("latin-1"))
        offset += 1 + length
    return None


def decode_response(data: bytes) -> Answer | None:
    """The header and question of a DNS response, or None when ``data`` is not a complete response.

    The answer records are walked, not decoded, so that a packet cut short is rejected, unless the server set the
    TC flag (truncated on purpose; the complete records are counted).
    """
    if len(data) < 12:
        return None
    qid, flags, qd, an, _ns, _ar = struct.unpack_from("!HHHHHH", data)
    rcode = flags & 0x000F
    if not flags & 0x8000 or qd > 1 or (qd == 0 and rcode == 0):
        return None
    if qd == 0:
        return Answer(qid, rcode, 0, None)
    question = _skip_name(data, 12)
    if question is None or question[1] + 4 > len(data):
        return None
    name, offset = question[0], question[1] + 4
    complete = 0
    for _ in range(an):
        record = _skip_name(data, offset)
        if record is None or record[1] + 10 > len(data):
            break
        (rdlength,) = struct.unpack_from("!H", data, record[1] + 8)
        if record[1] + 10 + rdlength > len(data):
            break
        offset = record[1] + 10 + rdlength
        complete += 1
    if complete < an and not flags & 0x0200:
        return None
    return Answer(qid, rcode, complete, name)


def _wire_name(name: str) -> str:
    """``name`` as a response's question carries it: IDNA-encoded, lower case, no final dot."""
    return ".".join(p.encode("idna").decode("ascii") for p in name.rstrip(".").split(".") if p).lower()


def parse_resolv_conf(text: str) -> tuple[str, ...]:
    """Nameserver addresses from resolv.conf text (scoped IPv6 addresses dropped: they need an interface)."""
    servers: list[str] = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and fields[0] == "nameserver" and "%" not in fields[1]:
            try:
                servers.append(str(ipaddress.ip_address(fields[1])))
            except ValueError:
                continue
    return tuple(servers)


def system_resolvers() -> tuple[str, ...]:
    """The system's resolvers now (resolv.conf's nameservers; () when it cannot be read or names none)."""
    try:
        with open(RESOLV_CONF) as f:
            return parse_resolv_conf(f.read())
    except OSError:
        return ()


class _Question:
    """One round of names: the queries waiting for an answer (qid → the name's index, monotonic instant sent), the
    answers, the last failure seen per name, and the future set when every name is answered or the time is up."""

    def __init__(self, done: asyncio.Future[None]) -> None:
        self.done = done
        self.pending: dict[int, tuple[int, float]] = {}
        self.results: dict[int, Sample] = {}
        self.errors: dict[int, str] = {}

    def end(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


class DnsProber:
    """Resolves every name once per round. ``servers`` empty means the system's, re-read when resolv.conf changes."""

    def __init__(self, names: Sequence[str], servers: Sequence[str], timeout: float, *, port: int = 53) -> None:
        self.targets = tuple(Target(Role.DNS, n) for n in names)
        self.timeout = timeout
        self.port = port  # 53 but in tests
        self._fixed = tuple(servers)
        self._system: tuple[str, ...] = ()
        self._resolv_mtime: float | None = None

    def servers(self) -> tuple[str, ...]:
        if self._fixed:
            return self._fixed
        try:
            mtime = os.stat(RESOLV_CONF).st_mtime
        except OSError:
            return self._system
        if mtime != self._resolv_mtime:
            try:
                with open(RESOLV_CONF) as f:
                    self._system = parse_resolv_conf(f.read())
            except OSError:
                return self._system
            self._resolv_mtime = mtime
            if self._system:
                log.info("DNS resolvers: %s", ", ".join(self._system))
            else:
                log.warning("no DNS resolver in %s: DNS is not probed until one appears", RESOLV_CONF)
        return self._system

    async def probe(self) -> tuple[Sample, ...]:
        if not self.targets:
            return ()
        servers = self.servers()
        if not servers:
            # Nothing to ask is a setup problem of this machine, not a DNS outage: no samples, so no fake
            # "dns" incidents blamed on the ISP (servers() has logged it).
            return ()
        return await self._resolve_all(servers)

    async def _resolve_all(self, servers: tuple[str, ...]) -> tuple[Sample, ...]:
        loop = asyncio.get_running_loop()
        socks: dict[int, socket.socket] = {}
        question = _Question(loop.create_future())
        queries: dict[int, bytes] = {}
        timers: list[asyncio.TimerHandle] = []
        try:
            for fam in {ipaddress.ip_address(s).version for s in servers}:
                try:
                    sock = socket.socket(socket.AF_INET if fam == 4 else socket.AF_INET6, socket.SOCK_DGRAM)
                except OSError as err:
                    if fault := own_fault(err, "opening a DNS socket"):
                        raise fault from err
                    raise
                sock.setblocking(False)
                socks[fam] = sock
            for index, target in enumerate(self.targets):
                qid = int.from_bytes(os.urandom(2), "big")
                while qid in question.pending:  # two names sharing an id would leave one of them unanswered
                    qid = int.from_bytes(os.urandom(2), "big")
                queries[qid] = encode_query(target.address, qid)
                self._send(socks, servers, queries[qid], index, question.errors)
                question.pending[qid] = (index, time.monotonic())
            # Replies are read by a callback per socket; the second query and the timeout are timers: a round of
            # names starts no task (tasks, a wait and a gather a round cost more than the queries themselves).
            for sock in socks.values():
                loop.add_reader(sock.fileno(), self._readable, sock, question)
            timers.append(loop.call_later(self.timeout / 2, self._resend, socks, servers, queries, question))
            timers.append(loop.call_later(self.timeout, question.end))
            await question.done
        finally:
            for timer in timers:
                timer.cancel()
            for sock in socks.values():
                loop.remove_reader(sock.fileno())
                sock.close()
        results, errors = question.results, question.errors
        return tuple(results.get(i, Sample(t, None, errors.get(i, "timeout"))) for i, t in enumerate(self.targets))

    def _send(
        self,
        socks: dict[int, socket.socket],
        servers: tuple[str, ...],
        query: bytes,
        index: int,
        errors: dict[int, str],
    ) -> None:
        for server in servers:
            try:
                socks[ipaddress.ip_address(server).version].sendto(query, (server, self.port))
            except OSError as err:
                if fault := own_fault(err, "sending a DNS query"):
                    raise fault from err
                errors[index] = str(err)

    def _resend(
        self,
        socks: dict[int, socket.socket],
        servers: tuple[str, ...],
        queries: dict[int, bytes],
        question: _Question,
    ) -> None:
        """Ask again, once, halfway through the timeout, as a stub resolver does: one lost UDP datagram is packet
        loss, not a failed name service. The RTT still counts from the first query."""
        try:
            for qid, (index, _) in list(question.pending.items()):
                self._send(socks, servers, queries[qid], index, question.errors)
        except OwnFault as fault:  # the first queries went out: the answers to them still count
            log.debug("DNS queries not asked again: %s", fault)

    def _readable(self, sock: socket.socket, question: _Question) -> None:
        """Every datagram waiting on ``sock``, matched to the name it answers (anything else is ignored); the round
        ends once every name is answered, whichever socket the last answer came on."""
        while question.pending:
            try:
                data = sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:  # ICMP port unreachable from a dead resolver, network unreachable, ...
                for index, _ in question.pending.values():
                    question.errors.setdefault(index, str(err))
                return
            answer = decode_response(data)
            if answer is None or answer.qid not in question.pending:
                continue
            index, sent = question.pending[answer.qid]
            if answer.name is not None and answer.name != _wire_name(self.targets[index].address):
                continue  # not an answer to our question, whatever its id
            if answer.rcode == 0 and answer.answers > 0:
                del question.pending[answer.qid]
                question.results[index] = Sample(self.targets[index], (time.monotonic() - sent) * 1000.0)
            else:
                # Another resolver may still answer properly: keep waiting, remember why this one failed.
                why = RCODES.get(answer.rcode, f"rcode {answer.rcode}") if answer.rcode else "no answer"
                question.errors[index] = why
        question.end()
