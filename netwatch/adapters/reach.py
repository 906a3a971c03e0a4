"""Whether a TCP endpoint answers: a connection opened and closed at once, nothing sent.

Owns ``connect`` (the seconds a connection took; the name is resolved first), for `netwatch doctor`'s look at
where notifications go. Must not speak any protocol or retry: a caller that must not hang runs it in a thread it
stops waiting for (name resolution has no timeout of its own).
"""

from __future__ import annotations

import socket
import time


def connect(host: str, port: int, timeout: float) -> float:
    """Open a TCP connection to ``host``:``port`` within ``timeout`` seconds and close it; the seconds it took.
    Raises OSError (socket.gaierror when the name does not resolve, TimeoutError, ConnectionRefusedError...)."""
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=timeout):
        return time.monotonic() - started
