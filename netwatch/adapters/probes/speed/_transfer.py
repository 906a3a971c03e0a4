"""The measuring engine of the ``http`` backend: parallel HTTP streams, a byte budget and a timed window.

Owns connections (HTTP/1.1 keep-alive, one per stream, set up *before* the clock starts so DNS, TCP and TLS
handshakes never count as transfer time), the download and upload stream threads, latency probes, and the
measurement window: bytes are sampled on the monotonic clock when the warm-up ends and again when the test
ends (or the budget runs out), and throughput is the difference over that interval. Downloads count bytes the
kernel received (Linux ``TCP_INFO``), whether or not a busy thread has read them yet; uploads count bytes the
server's TCP acknowledged, not bytes merely queued in the socket buffer. Elsewhere the application's own
counts stand in. It must not decide what a result means: ``http.py`` does.

Stopping: every connection is registered with its ``Session``; ``Session.abort()`` shuts their sockets down,
which wakes every blocked thread at once.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from netwatch.config.checks import show

CHUNK = 65_536
_BLOCK = memoryview(os.urandom(CHUNK))  # incompressible upload payload
_TCP_INFO = getattr(socket, "TCP_INFO", None)
_TCP_COUNTERS = struct.Struct("QQ")  # struct tcp_info: __u64 tcpi_bytes_acked, tcpi_bytes_received (Linux 4.1+)
_TCP_COUNTERS_OFFSET = 120
HEADERS = {"Accept-Encoding": "identity", "Cache-Control": "no-cache", "User-Agent": "netwatch-speedtest/1"}


@dataclass(frozen=True)
class Url:
    """An http(s) URL split for http.client. ``path`` may hold ``{bytes}``: the size to ask the server for."""

    https: bool
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, url: str) -> Url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {show(url)}")
        https = parts.scheme == "https"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(https, parts.hostname, parts.port or (443 if https else 80), path)

    @property
    def sized(self) -> bool:
        return "{bytes}" in self.path

    @property
    def label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.https else 'http'}://{host}:{self.port}"

    def target(self, nbytes: int) -> str:
        return self.path.replace("{bytes}", str(nbytes))


def tcp_counters(sock: socket.socket | None) -> tuple[int, int] | None:
    """(bytes the peer acknowledged, bytes received) on this TCP connection, counted by the kernel; None where
    the kernel cannot tell (not Linux, or older than 4.1)."""
    if sock is None or _TCP_INFO is None:
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, _TCP_INFO, 256)
    except (OSError, ValueError):
        return None
    if len(info) < _TCP_COUNTERS_OFFSET + _TCP_COUNTERS.size:
        return None
    acked, received = _TCP_COUNTERS.unpack_from(info, _TCP_COUNTERS_OFFSET)
    return int(acked), int(received)


class TrackedHTTP(http.client.HTTPConnection):
    """An HTTPConnection whose sockets close abortively, and that keeps the kernel's byte counters of sockets it
    already closed (http.client reconnects by itself when a server closes a keep-alive connection)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._before = (0, 0)
        self._counters_lock = threading.Lock()

    def connect(self) -> None:
        super().connect()
        # Abortive close (RST): data still queued in the send buffer (megabytes, during an upload) is dropped
        # rather than sent after the test, when it would load the line the daemon is measuring.
        with contextlib.suppress(OSError, AttributeError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def close(self) -> None:
        with self._counters_lock:
            now = tcp_counters(self.sock)
            if now is not None:
                self._before = (self._before[0] + now[0], self._before[1] + now[1])
            super().close()

    def counters(self) -> tuple[int, int] | None:
        """(acknowledged, received) bytes over every socket of this connection; None when unknown."""
        with self._counters_lock:
            if self.sock is None:
                return self._before
            now = tcp_counters(self.sock)
            return None if now is None else (self._before[0] + now[0], self._before[1] + now[1])


class TrackedHTTPS(TrackedHTTP, http.client.HTTPSConnection):
    pass


class Budget:
    """The byte cap of one test, shared by every stream and probe (``cap`` 0: unlimited)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.used = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> bool:
        """Count ``n`` bytes; False once the cap is reached."""
        with self._lock:
            self.used += n
            return not self.cap or self.used < self.cap

    def left(self) -> int | None:
        return None if not self.cap else max(0, self.cap - self.used)


class Session:
    """Connections of one test, so that ``abort`` (cancel) or a phase's end can shut them all at once."""

    def __init__(self, timeout: float, budget: Budget) -> None:
        self.timeout = timeout
        self.budget = budget
        self.aborted = threading.Event()
        self._conns: list[TrackedHTTP] = []
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None

    def connect(self, url: Url) -> TrackedHTTP:
        conn: TrackedHTTP
        if url.https:
            with self._lock:
                self._context = self._context or ssl.create_default_context()
            conn = TrackedHTTPS(url.host, url.port, timeout=self.timeout, context=self._context)
        else:
            conn = TrackedHTTP(url.host, url.port, timeout=self.timeout)
        with self._lock:
            self._conns.append(conn)
        if self.aborted.is_set():
            raise ConnectionAbortedError("test cancelled")
        conn.connect()
        return conn

    def shut(self, conns: list[TrackedHTTP] | None = None) -> None:
        """Shut the sockets down (not close: their owner threads close them); blocked reads return at once."""
        with self._lock:
            targets = list(self._conns if conns is None else conns)
        for conn in targets:
            sock = conn.sock
            if sock is not None:
                with contextlib.suppress(OSError, ValueError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, bypassing TLS state

    def abort(self) -> None:
        self.aborted.set()
        self.shut()

    def close(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()


def describe(err: BaseException, label: str) -> str:
    if isinstance(err, TimeoutError | socket.timeout):
        return f"{label} timed out"
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"TLS certificate of {label} not trusted: {err.verify_message}"
    text = str(err) or type(err).__name__
    return f"{label}: {text}"


def probe_latency(
    session: Session,
    url: Url,
    *,
    count: int | None,
    interval: float,
    stop: threading.Event,
    samples: list[float],
    limit: float,
) -> str:
    """Small requests on one connection (connection set-up excluded), appending each round trip in ms to
    ``samples``; ``count`` of them (None: until ``stop``), for at most ``limit`` seconds. Returns an error
    message, or "" when every request succeeded."""
    method, target = ("GET", url.target(0)) if url.sized else ("HEAD", url.path)
    end = time.monotonic() + limit
    conn: TrackedHTTP | None = None
    try:
        conn = session.connect(url)
        while not stop.is_set() and not session.aborted.is_set() and time.monotonic() < end:
            begin = time.monotonic()
            conn.request(method, target, headers=HEADERS)
            resp = conn.getresponse()
            body = resp.read()
            elapsed = time.monotonic() - begin
            session.budget.add(len(body) + 300)
            if resp.status >= 400:
                return f"HTTP {resp.status} {resp.reason} from {url.label}"
            samples.append(round(elapsed * 1000, 3))
            if count is not None and len(samples) >= count:
                break
            stop.wait(interval)
        return ""
    except (OSError, http.client.HTTPException) as err:
        return "" if stop.is_set() or session.aborted.is_set() else describe(err, url.label)
    finally:
        if conn is not None:
            conn.close()


@dataclass
class PhaseResult:
    """One direction: throughput over the measurement window, and what it cost."""

    direction: str
    error: str = ""
    window_bytes: int = 0
    window_seconds: float = 0.0
    moved: int = 0  # payload bytes received or written, warm-up included
    capped: bool = False
    kernel: bool = False  # window counted by the kernel (TCP_INFO), not by the application
    loaded_latency_ms: list[float] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def bits_per_second(self) -> float | None:
        if self.error or self.window_seconds <= 0 or self.window_bytes <= 0:
            return None
        return self.window_bytes * 8 / self.window_seconds
