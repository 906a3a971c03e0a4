"""ICMP echo probing on icmplib's sockets.

Owns the ICMP socket mode decision (unprivileged ping sockets or raw sockets, opened by icmplib), and one round of
echoes: every target once, concurrently, on one persistent socket per address family (the requests are the
traceroute's), the replies parsed here (a few lines of RFC 792 and 4443), read by an event loop callback (one per
socket, registered once for the prober's life) as they arrive and matched by sequence number; a reply that comes
after its round's timeout is dropped.
A target that does not answer within the timeout is a lost sample, never an exception. Must not decide what
a loss means (that is ``detect``/``classify``).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import itertools
import logging
import os
import struct
import time
from collections.abc import Sequence
from typing import Any

from icmplib import ICMPv4Socket, ICMPv6Socket
from icmplib.exceptions import ICMPLibError, SocketPermissionError
from icmplib.utils import unique_identifier

from netwatch.adapters.probes.resources import own_fault
from netwatch.adapters.probes.traceroute import echo_request
from netwatch.core.model import Sample, Target
from netwatch.errors import IcmpPermissionError, ProbeError

log = logging.getLogger(__name__)

PERMISSION_FIX = (
    "cannot open ICMP sockets: unprivileged ICMP is not allowed for this group (net.ipv4.ping_group_range is "
    '"{range}") and this process has no CAP_NET_RAW. Fix one of: allow unprivileged ping with '
    '`sudo sysctl -w net.ipv4.ping_group_range="0 2147483647"` (make it permanent with '
    "systemd/99-netwatch-ping.conf in /etc/sysctl.d/), or grant CAP_NET_RAW (run as root, "
    "AmbientCapabilities=CAP_NET_RAW in the service, or `sudo setcap cap_net_raw+ep` on the Python binary)"
)

# ICMP message types for the echo reply, per family.
_ECHO_REPLY = {4: 0, 6: 129}
_UNREACHABLE = {4: 3, 6: 1}
_TIME_EXCEEDED = {4: 11, 6: 3}


def ping_group_range() -> str:
    try:
        with open("/proc/sys/net/ipv4/ping_group_range") as f:
            return " ".join(f.read().split())
    except OSError:
        return "unknown"


def _socket(family: int, privileged: bool) -> Any:
    return ICMPv4Socket(privileged=privileged) if family == 4 else ICMPv6Socket(privileged=privileged)


def choose_mode(mode: str) -> bool:
    """Return ``privileged`` for the socket mode that works here; raise IcmpPermissionError naming both fixes.

    ``mode`` is "auto" (unprivileged first: it needs no capability and the kernel keeps ICMP ids apart),
    "unprivileged" or "privileged".
    """
    candidates = {"auto": (False, True), "unprivileged": (False,), "privileged": (True,)}[mode]
    for privileged in candidates:
        try:
            _socket(4, privileged).close()
        except SocketPermissionError:
            continue
        except ICMPLibError as err:
            raise ProbeError(f"cannot open an ICMP socket: {err}") from err
        return privileged
    if mode == "privileged":
        raise IcmpPermissionError(
            'probe.mode is "privileged" but this process has no CAP_NET_RAW: run as root, add '
            'AmbientCapabilities=CAP_NET_RAW to the service, or set probe.mode = "auto"'
        )
    raise IcmpPermissionError(PERMISSION_FIX.format(range=ping_group_range()))


def allowed(privileged: bool) -> bool:
    """Whether this process may open an IPv4 ICMP socket of that kind (raw with ``privileged``, else a ping
    socket); nothing is sent."""
    try:
        _socket(4, privileged).close()
    except ICMPLibError:
        return False
    return True


def rtt_ms(sent_wall: float, received_wall: float, sent_mono: float, received_mono: float) -> float:
    """A round-trip time in ms from the wall and monotonic clocks, read side by side at the send and at the reply:
    the wall figure (as icmplib measured it) unless the wall clock stepped in between: then it is negative or
    longer than the monotonic bounds allow."""
    wall = received_wall - sent_wall
    bound = received_mono - sent_mono
    return max(0.0, (bound if wall < 0 or wall > bound + 0.001 else wall) * 1000.0)


@functools.lru_cache(maxsize=256)
def _family(address: str) -> int:
    # Parsed once per address: the same few targets come back every round.
    return ipaddress.ip_address(address).version


class _Round:
    """One ``probe`` call: its samples as they arrive, and the future set when the last echo is answered."""

    def __init__(self, done: asyncio.Future[None], expected: int) -> None:
        self.done = done
        self.expected = expected
        self.results: dict[int, Sample] = {}

    def settle(self, index: int, sample: Sample) -> None:
        self.results[index] = sample
        if len(self.results) >= self.expected and not self.done.done():
            self.done.set_result(None)


# An echo in flight: (its round, its index in the round, target, wall and monotonic instants it was sent at).
_Echo = tuple[_Round, int, Target, float, float]


class IcmpProber:
    """Sends one echo to each target per round. One instance per daemon; call ``close`` when done.

    Replies are read by a callback of the event loop as they arrive (not a task per reply: at one round a second
    on a Pi, the per-packet machinery of an asyncio receive cost more than the rest of the daemon's round)."""

    def __init__(self, privileged: bool, timeout: float) -> None:
        self.privileged = privileged
        self.timeout = timeout
        self._sockets: dict[int, Any] = {}  # family → icmplib's socket (its ``sock`` is the OS socket)
        self._broken: dict[int, str] = {}
        self._ids = {4: unique_identifier(), 6: unique_identifier()}
        self._sequence = itertools.count(int.from_bytes(os.urandom(2), "big"))
        self._waiting: dict[int, dict[int, _Echo]] = {4: {}, 6: {}}  # family → sequence → echo in flight
        # family → the event loop whose reader watches its socket: registered once, not added and removed every
        # round (two epoll_ctl calls per family and round); a reply arriving between rounds is read and dropped.
        self._readers: dict[int, asyncio.AbstractEventLoop] = {}

    def _sock(self, family: int) -> Any:
        sock = self._sockets.get(family)
        if sock is None and family not in self._broken:
            try:
                sock = _socket(family, self.privileged)
            except ICMPLibError as err:
                if fault := own_fault(err, "opening an ICMP socket"):
                    raise fault from err  # out of descriptors for now: not a family that is unavailable for good
                # e.g. IPv6 disabled on this host: its targets are reported lost with the reason.
                self._broken[family] = f"IPv{family} ICMP unavailable: {err}"
                log.warning("%s", self._broken[family])
                return None
            sock.sock.setblocking(False)
            self._sockets[family] = sock
        return sock

    async def probe(self, targets: Sequence[Target]) -> tuple[Sample, ...]:
        """One echo per target, all in flight at once; returns samples in ``targets`` order."""
        loop = asyncio.get_running_loop()
        current = _Round(loop.create_future(), len(targets))
        expiry: asyncio.TimerHandle | None = None
        try:
            for i, t in enumerate(targets):
                family = _family(t.address)
                sock = self._sock(family)
                if sock is None:
                    current.settle(i, Sample(t, None, self._broken.get(family, "unavailable")))
                    continue
                if self._readers.get(family) is not loop:
                    self._watch(loop, family)
                self._send(sock, family, current, i, t)
            if not current.done.done():
                expiry = loop.call_later(self.timeout, _expire, current.done)
                await current.done
            fault = current.done.exception()
            if fault is not None:
                raise fault
        finally:
            if expiry is not None:
                expiry.cancel()
            for waiting in self._waiting.values():  # late replies to this round are dropped, never matched later
                for seq in [seq for seq, echo in waiting.items() if echo[0] is current]:
                    del waiting[seq]
        return tuple(current.results.get(i, Sample(t, None)) for i, t in enumerate(targets))

    def _watch(self, loop: asyncio.AbstractEventLoop, family: int) -> None:
        """Read the family's socket from ``loop`` from now on (and no longer from a loop that ran it before)."""
        self._unwatch(family)
        loop.add_reader(self._sockets[family].sock.fileno(), self._readable, family)
        self._readers[family] = loop

    def _unwatch(self, family: int) -> None:
        loop = self._readers.pop(family, None)
        if loop is not None and not loop.is_closed():
            loop.remove_reader(self._sockets[family].sock.fileno())

    def _send(self, sock: Any, family: int, current: _Round, index: int, target: Target) -> None:
        seq = next(self._sequence) & 0xFFFF
        packet = echo_request(family, self._ids[family], seq)
        destination = (target.address, 0) if family == 4 else (target.address, 0, 0, 0)
        sent_wall, sent_mono = time.time(), time.monotonic()
        try:
            sock.sock.sendto(packet, destination)
        except OSError as err:
            if fault := own_fault(err, "sending an ICMP echo"):
                raise fault from err  # this machine's doing (a firewall rule, the sandbox), not the line's
            # "Network is unreachable" when the interface is down: a lost sample with the reason.
            current.settle(index, Sample(target, None, str(err) or type(err).__name__))
            return
        self._waiting[family][seq] = (current, index, target, sent_wall, sent_mono)

    def _readable(self, family: int) -> None:
        """Every datagram waiting on the family's socket, matched to the echo it answers (others are ignored)."""
        sock = self._sockets[family].sock
        while True:
            try:
                packet = sock.recv(1024)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:
                if fault := own_fault(err, "receiving ICMP replies"):
                    for waiting, *_ in self._waiting[family].values():  # every round waiting on it ends with it
                        if not waiting.done.done():
                            waiting.done.set_exception(fault)
                    return
                log.debug("ICMP receive error: %s", err)
                return
            wall, mono = time.time(), time.monotonic()
            reply = parse_reply(family, packet, raw=self.privileged)
            if reply is None:
                continue
            kind, code, ident, seq = reply
            echo = self._waiting[family].get(seq)
            if echo is None or (self.privileged and ident != self._ids[family]):
                continue  # a late reply from an earlier round, or another process's echo on the raw socket
            current, index, target, sent_wall, sent_mono = echo
            if kind == _ECHO_REPLY[family]:
                sample = Sample(target, rtt_ms(sent_wall, wall, sent_mono, mono))
            elif kind == _UNREACHABLE[family]:
                sample = Sample(target, None, f"destination unreachable (code {code})")
            elif kind == _TIME_EXCEEDED[family]:
                sample = Sample(target, None, "time exceeded")
            else:
                continue
            del self._waiting[family][seq]
            current.settle(index, sample)

    def close(self) -> None:
        for family in list(self._readers):
            self._unwatch(family)
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()


def _expire(done: asyncio.Future[None]) -> None:
    """The round's timeout: what has not answered by now is lost."""
    if not done.done():
        done.set_result(None)


def parse_reply(family: int, packet: bytes, *, raw: bool) -> tuple[int, int, int, int] | None:
    """(type, code, identifier, sequence) of an ICMP message received, or None when it is too short or not about
    an echo. A raw IPv4 socket receives the IP header too (a ping socket and IPv6 do not); for an error (destination
    unreachable, time exceeded) the identifier and sequence are the original echo's, quoted after its IP header."""
    if family == 4 and raw:
        if not packet:
            return None
        packet = packet[(packet[0] & 0x0F) * 4 :]
    if len(packet) < 8:
        return None
    kind, code = packet[0], packet[1]
    if kind in (_UNREACHABLE[family], _TIME_EXCEEDED[family]):
        quoted = packet[8:]
        if family == 4:
            if not quoted:
                return None
            quoted = quoted[(quoted[0] & 0x0F) * 4 :]
        else:
            quoted = quoted[40:]
        if len(quoted) < 8 or quoted[0] != (8 if family == 4 else 128):
            return None
        ident, seq = struct.unpack("!HH", quoted[4:8])
        return kind, code, ident, seq
    ident, seq = struct.unpack("!HH", packet[4:8])
    return kind, code, ident, seq
