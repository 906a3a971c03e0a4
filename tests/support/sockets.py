"""Sockets as the tests use them: a free TCP port to listen on, the datagrams waiting on a bound socket.

Owns those two small operations. Must not start servers or keep sockets open on a test's behalf.
"""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on at ``host`` right now (IPv4 or IPv6)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def received(sock: socket.socket) -> list[bytes]:
    """Every datagram waiting on ``sock``, without waiting for more."""
    out = []
    while True:
        try:
            out.append(sock.recv(4096, socket.MSG_DONTWAIT))
        except BlockingIOError:
            return out
