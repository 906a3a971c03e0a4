"""ICMP echo probing with icmplib's asynchronous sockets.

Owns the ICMP socket mode decision (unprivileged ping sockets or raw sockets), and one round of echoes: every
target once, concurrently, on one persistent socket per address family, replies matched by sequence number.
A target that does not answer within the timeout is a lost sample, never an exception. Must not decide what
a loss means (that is ``detect``/``classify``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import os
import time
from collections.abc import Sequence
from typing import Any

from icmplib import ICMPRequest, ICMPv4Socket, ICMPv6Socket
from icmplib.exceptions import ICMPLibError, SocketPermissionError, TimeoutExceeded
from icmplib.sockets import AsyncSocket
from icmplib.utils import unique_identifier

from netwatch.adapters.probes.resources import own_fault
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
    """A round-trip time in ms. icmplib stamps the echo and its reply with the wall clock, closer to the packets
    than our monotonic readings around them (which include the event loop's latency), so its figure is used unless
    the wall clock stepped in between: then it is negative or longer than the monotonic bounds allow."""
    wall = received_wall - sent_wall
    bound = received_mono - sent_mono
    return max(0.0, (bound if wall < 0 or wall > bound + 0.001 else wall) * 1000.0)


def _family(address: str) -> int:
    return ipaddress.ip_address(address).version


class IcmpProber:
    """Sends one echo to each target per round. One instance per daemon; call ``close`` when done."""

    def __init__(self, privileged: bool, timeout: float) -> None:
        self.privileged = privileged
        self.timeout = timeout
        self._sockets: dict[int, AsyncSocket] = {}
        self._broken: dict[int, str] = {}
        self._ids = {4: unique_identifier(), 6: unique_identifier()}
        self._sequence = itertools.count(int.from_bytes(os.urandom(2), "big"))

    def _sock(self, family: int) -> AsyncSocket | None:
        sock = self._sockets.get(family)
        if sock is None and family not in self._broken:
            try:
                sock = AsyncSocket(_socket(family, self.privileged))
            except ICMPLibError as err:
                if fault := own_fault(err, "opening an ICMP socket"):
                    raise fault from err  # out of descriptors for now: not a family that is unavailable for good
                # e.g. IPv6 disabled on this host: its targets are reported lost with the reason.
                self._broken[family] = f"IPv{family} ICMP unavailable: {err}"
                log.warning("%s", self._broken[family])
                return None
            self._sockets[family] = sock
        return sock

    async def probe(self, targets: Sequence[Target]) -> tuple[Sample, ...]:
        """One echo per target, all in flight at once; returns samples in ``targets`` order."""
        results: dict[int, Sample] = {}
        by_family: dict[int, list[tuple[int, Target]]] = {}
        for i, t in enumerate(targets):
            by_family.setdefault(_family(t.address), []).append((i, t))
        waits = [self._family_round(fam, items, results) for fam, items in by_family.items()]
        await asyncio.gather(*waits)
        return tuple(results.get(i, Sample(t, None)) for i, t in enumerate(targets))

    async def _family_round(self, family: int, items: list[tuple[int, Target]], results: dict[int, Sample]) -> None:
        sock = self._sock(family)
        if sock is None:
            for i, t in items:
                results[i] = Sample(t, None, self._broken.get(family, "unavailable"))
            return
        waiting: dict[int, tuple[int, Target, ICMPRequest, float]] = {}
        for i, t in items:
            seq = next(self._sequence) & 0xFFFF
            request = ICMPRequest(t.address, self._ids[family], seq, payload_size=16)
            sent = time.monotonic()
            try:
                sock.send(request)
            except ICMPLibError as err:
                if fault := own_fault(err, "sending an ICMP echo"):
                    raise fault from err  # this machine's doing (icmplib calls any refusal "Broadcast is not allowed")
                # "Network is unreachable" when the interface is down: a lost sample with the reason.
                results[i] = Sample(t, None, str(err) or type(err).__name__)
                continue
            waiting[seq] = (i, t, request, sent)
        deadline = time.monotonic() + self.timeout
        while waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                reply = await sock.receive(None, remaining)
            except TimeoutExceeded:
                break
            except ICMPLibError as err:
                if fault := own_fault(err, "receiving ICMP replies"):
                    raise fault from err
                log.debug("ICMP receive error: %s", err)
                break
            entry = waiting.get(reply.sequence)
            if entry is None or (self.privileged and reply.id != self._ids[family]):
                continue  # a late reply from an earlier round, or another process's echo on the raw socket
            i, t, request, sent = entry
            if reply.type == _ECHO_REPLY[family]:
                results[i] = Sample(t, rtt_ms(request.time, reply.time, sent, time.monotonic()))
            elif reply.type == _UNREACHABLE[family]:
                results[i] = Sample(t, None, f"destination unreachable (code {reply.code})")
            elif reply.type == _TIME_EXCEEDED[family]:
                results[i] = Sample(t, None, "time exceeded")
            else:
                continue
            del waiting[reply.sequence]

    def close(self) -> None:
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()
