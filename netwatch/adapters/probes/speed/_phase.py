"""One direction of the ``http`` backend's test: N parallel streams, a latency probe, and the timed window.

Owns the stream threads (download: repeated GETs on a keep-alive connection, reading as fast as the line allows;
upload: POSTs of incompressible data), the go/stop coordination, and sampling the byte count at the start and end of
the measurement window. Any stream error during the window fails the whole direction: a stream that died early would
make the line look slower than it is. Must not build the result: ``http`` does.
"""

from __future__ import annotations

import http.client
import threading
import time

from netwatch.core.model import CANCELLED

from ._transfer import _BLOCK, CHUNK, HEADERS, PhaseResult, Session, TrackedHTTP, Url, describe, probe_latency

LOADED_PROBE_INTERVAL = 0.2  # seconds between latency requests while the line is saturated
INTERESTING_HEADERS = ("cf-meta-ip", "cf-meta-colo", "server")


class Phase:
    """``streams`` connections spread over ``urls``; ``run()`` measures for ``duration`` seconds, the first
    ``warmup`` of which (TCP slow start) are left out of the throughput."""

    def __init__(
        self,
        session: Session,
        direction: str,
        urls: list[Url],
        *,
        streams: int,
        duration: float,
        warmup: float,
        request_bytes: int,
        latency_url: Url | None,
        cap: int | None = None,
    ) -> None:
        if direction not in ("download", "upload"):
            raise ValueError(f"unknown direction {direction!r}")
        self.session = session
        self.direction = direction
        self.urls = urls
        self.streams = streams
        self.duration = duration
        self.warmup = min(warmup, duration / 2)
        self.request_bytes = request_bytes
        self.latency_url = latency_url
        self.cap = cap  # bytes this direction may use, within the session's budget (None: the whole budget)
        self.stop = threading.Event()
        self.go = threading.Event()
        self.error = ""
        self.moved = 0
        self.capped = False
        self.conns: list[TrackedHTTP] = []
        self.headers: dict[str, str] = {}
        self._ready = 0
        self._all_ready = threading.Event()
        self._lock = threading.Lock()

    # -- shared state, used by the stream threads ------------------------------------------------------------

    def fail(self, message: str) -> None:
        with self._lock:
            if not self.error:
                self.error = message
        self.stop.set()

    def add(self, n: int) -> bool:
        """Count ``n`` payload bytes; False (and stop) once this direction's or the test's budget is used up."""
        with self._lock:
            self.moved += n
            over = self.cap is not None and self.moved >= self.cap
        if not self.session.budget.add(n) or over:
            self.capped = True
            self.stop.set()
            return False
        return True

    def _arrived(self) -> None:
        with self._lock:
            self._ready += 1
            if self._ready >= self.streams:
                self._all_ready.set()

    def _request_size(self) -> int:
        limits = [self.request_bytes, self.session.budget.left(), None if self.cap is None else self.cap - self.moved]
        return max(0, min(x for x in limits if x is not None))

    # -- the streams -----------------------------------------------------------------------------------------

    def _stream(self, url: Url) -> None:
        conn: TrackedHTTP | None = None
        try:
            try:
                conn = self.session.connect(url)
                with self._lock:
                    self.conns.append(conn)
            finally:
                self._arrived()
            self.go.wait()
            if not self.stop.is_set():
                (self._download if self.direction == "download" else self._upload)(conn, url)
        except (OSError, http.client.HTTPException) as err:
            if not self.stop.is_set() and not self.session.aborted.is_set():
                verb = "cannot connect to" if conn is None else f"{self.direction} failed:"
                self.fail(f"{verb} {describe(err, url.label)}")
        # the connection stays open: the coordinator still reads its TCP counters, then closes it

    def _next_size(self) -> int | None:
        """The next request's size, or None once the byte cap is reached (which ends the phase)."""
        size = self._request_size()
        if size > 0:
            return size
        self.capped = True
        self.stop.set()
        return None

    def _download(self, conn: TrackedHTTP, url: Url) -> None:
        while not self.stop.is_set():
            size = self._next_size()
            if size is None:
                return
            conn.request("GET", url.target(size), headers=HEADERS)
            resp = conn.getresponse()
            self._check(resp, url)
            got = 0
            while not resp.isclosed() and resp.length != 0:
                chunk = resp.read1(CHUNK)
                if not chunk:
                    break
                got += len(chunk)
                if not self.add(len(chunk)) or self.stop.is_set():
                    return
            resp.read()  # marks a fully read response complete, so the connection takes the next request
            if got == 0:
                self.fail(f"empty response from {url.label}")
                return

    def _upload(self, conn: TrackedHTTP, url: Url) -> None:
        while not self.stop.is_set():
            size = self._next_size()
            if size is None:
                return
            conn.putrequest("POST", url.target(size), skip_accept_encoding=True)
            for name, value in (*HEADERS.items(), ("Content-Type", "application/octet-stream")):
                conn.putheader(name, value)
            conn.putheader("Content-Length", str(size))
            conn.endheaders()
            sent = 0
            while sent < size:
                if self.stop.is_set():
                    return
                n = min(CHUNK, size - sent)
                conn.send(_BLOCK[:n])
                sent += n
                if not self.add(n):
                    return
            resp = conn.getresponse()
            self._check(resp, url)
            resp.read()

    def _check(self, resp: http.client.HTTPResponse, url: Url) -> None:
        if resp.status not in (200, 201, 204, 206):
            raise http.client.HTTPException(f"HTTP {resp.status} {resp.reason}")
        with self._lock:
            if not self.headers:
                self.headers = {h: v for h in INTERESTING_HEADERS if (v := resp.getheader(h))}

    # -- the coordinator -------------------------------------------------------------------------------------

    def _sample(self) -> tuple[int, float]:
        """(bytes so far, monotonic time): counted by the kernel where it can (received for downloads,
        acknowledged by the server for uploads), else by the application (received or written)."""
        with self._lock:
            moved, conns = self.moved, list(self.conns)
        now = time.monotonic()
        counters = [c.counters() for c in conns]
        if conns and all(c is not None for c in counters):
            index = 0 if self.direction == "upload" else 1
            return sum(c[index] for c in counters if c is not None), now
        return moved, now

    def _drain(self, last: tuple[int, float]) -> tuple[int, float]:
        """After an upload stopped at its byte cap, the data still queued in the socket buffers is on its way:
        keep sampling until the server acknowledged all of it (at most a second), so the window ends when the
        line actually went idle rather than when the last byte was queued."""
        end = time.monotonic() + 1.0
        while time.monotonic() < end and not self.session.aborted.is_set():
            acked, now = self._sample()
            if acked >= self.moved:
                return acked, now
            if acked > last[0]:
                last = (acked, now)
            time.sleep(0.005)
        return last

    def _wait(self, deadline: float) -> None:
        while not self.stop.is_set() and not self.session.aborted.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.stop.wait(min(left, 0.05))

    def run(self) -> PhaseResult:
        result = PhaseResult(self.direction)
        name = f"speed-{self.direction}"
        urls = self.urls
        threads = [
            threading.Thread(target=self._stream, args=(urls[i % len(urls)],), daemon=True, name=f"{name}-{i}")
            for i in range(self.streams)
        ]
        samples: list[float] = []
        prober: threading.Thread | None = None
        try:
            for thread in threads:
                thread.start()
            limit = time.monotonic() + self.session.timeout + 1.0
            while not self._all_ready.wait(0.05):
                if self.session.aborted.is_set():
                    break
                if time.monotonic() > limit:  # getaddrinfo has no timeout of its own
                    self.fail(f"cannot connect to {self.urls[0].label}: timed out")
                    break
            if self.session.aborted.is_set() or self.error:
                result.error = CANCELLED if self.session.aborted.is_set() else self.error
                return result
            if self.latency_url is not None:
                prober = threading.Thread(
                    target=probe_latency,
                    daemon=True,
                    name=f"speed-{self.direction}-latency",
                    args=(self.session, self.latency_url),
                    kwargs={
                        "count": None,
                        "interval": LOADED_PROBE_INTERVAL,
                        "stop": self.stop,
                        "samples": samples,
                        "limit": self.duration + 1.0,
                    },
                )
            base = self._sample()  # not zero when counted by the kernel: TLS handshakes
            start = base[1]
            self.go.set()
            if prober is not None:
                prober.start()
            self._wait(start + self.warmup)
            early = self.stop.is_set()  # budget used up (or an error) during the warm-up: measure from the start
            first = base if early else self._sample()
            self._wait(start + self.duration)
            last = self._sample()
            if self.capped and self.direction == "upload" and not self.error:
                last = self._drain(last)
            if self.session.aborted.is_set():
                result.error = CANCELLED
            elif self.error:
                result.error = self.error
            result.window_bytes = last[0] - first[0]
            result.window_seconds = last[1] - first[1]
            result.kernel = all(c.counters() is not None for c in self.conns)
            return result
        finally:
            self.stop.set()
            self.go.set()
            self.session.shut()
            deadline = time.monotonic() + 0.5
            for thread in [*threads, *([prober] if prober is not None and prober.ident else [])]:
                thread.join(max(0.0, deadline - time.monotonic()))
            for conn in self.conns:
                conn.close()
            result.moved = self.moved
            result.capped = self.capped
            result.loaded_latency_ms = samples
            result.headers = dict(self.headers)
