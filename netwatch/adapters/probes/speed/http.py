"""The ``http`` backend (download and optional upload against URLs the user chooses) and its ``cloudflare`` preset
(Cloudflare's public speed test endpoints).

Owns the sequence of one test: idle latency (a few small requests on a connection opened beforehand), the download
phase, the optional upload phase, each with latency probes under load, and the ``SpeedResult``. The measuring itself
(streams, timed window, byte budget) lives in ``_phase.py`` and ``_transfer.py``, and must not be done here.

A download URL may contain ``{bytes}``, replaced by the size of each request (so the server sends exactly what the
budget allows: ``https://speed.cloudflare.com/__down?bytes={bytes}``); a plain URL is fetched again and again until
the test ends. Requests go straight to the server (no proxy). Throughput excludes connection set-up and the first
``warmup`` seconds; ``max_bytes`` is enforced as data arrives (half of it for the download when there is an upload),
so a test can exceed it by the data already in flight (a few hundred kilobytes per stream).
"""

from __future__ import annotations

import itertools
import json
import statistics
import threading
import time
from collections.abc import Sequence

from netwatch.core.model import CANCELLED, SpeedResult

from ._phase import Phase
from ._transfer import Budget, PhaseResult, Session, Url, probe_latency
from .result import clip_raw, failure, mbps

TOOL = "netwatch-http"
VERSION = "1"
CLOUDFLARE_DOWN = "https://speed.cloudflare.com/__down?bytes={bytes}"
CLOUDFLARE_UP = "https://speed.cloudflare.com/__up"
CLOUDFLARE_LATENCY = "https://speed.cloudflare.com/__down?bytes=0"


class HttpBackend:
    """Parallel HTTP streams against ``urls`` (download) and ``upload_url`` (POST, when given).

    ``duration`` seconds per direction, of which the first ``warmup`` are not counted; ``latency_count`` idle
    latency requests to ``latency_url`` (default: the first download URL, with HEAD, or GET of 0 bytes when it
    has ``{bytes}``); ``timeout`` bounds connecting and any silence from the server; ``max_bytes`` caps the data
    of the whole test (0: no cap); ``request_bytes`` is the size asked for through ``{bytes}`` and of each upload
    request.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        upload_url: str = "",
        latency_url: str = "",
        streams: int = 4,
        duration: float = 10.0,
        warmup: float = 1.0,
        latency_count: int = 5,
        timeout: float = 10.0,
        max_bytes: int = 500_000_000,
        request_bytes: int = 25_000_000,
        name: str = "http",
    ) -> None:
        # For direct callers: netwatch.config.speed states these rules (in the same words) for configuration files.
        if not urls:
            raise ValueError("the http backend needs at least one download URL")
        if streams < 1 or duration <= 0 or timeout <= 0 or request_bytes < 1 or max_bytes < 0:
            raise ValueError("streams, duration, timeout and request_bytes must be positive, max_bytes >= 0")
        self.name = name
        self.urls = [Url.parse(u) for u in urls]
        self.upload_url = Url.parse(upload_url) if upload_url else None
        self.latency_url = Url.parse(latency_url) if latency_url else self.urls[0]
        self.streams = streams
        self.duration = duration
        self.warmup = max(0.0, warmup)
        self.latency_count = max(1, latency_count)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.request_bytes = request_bytes

    def run(self, cancel: threading.Event) -> SpeedResult:
        at, start = time.time(), time.monotonic()
        session = Session(self.timeout, Budget(self.max_bytes))
        box: list[SpeedResult] = []

        def work() -> None:
            try:
                box.append(self._measure(session, at, start))
            except Exception as err:  # reported as a failed test; the daemon must not see it
                box.append(
                    failure(
                        self.name,
                        TOOL,
                        f"internal error: {type(err).__name__}: {err}",
                        at=at,
                        duration_s=time.monotonic() - start,
                        tool_version=VERSION,
                    )
                )

        worker = threading.Thread(target=work, daemon=True, name="speed-http")
        worker.start()
        deadline = start + 2 * (self.duration + 2 * self.timeout) + self.timeout + 5.0
        reason = ""
        while worker.is_alive():
            worker.join(0.05)
            if cancel.is_set():
                reason = CANCELLED
            elif time.monotonic() > deadline:
                reason = f"the test did not finish within {deadline - start:.0f} s"
            if reason:
                session.abort()
                worker.join(0.5)
                break
        session.close()
        if reason or not box:
            return failure(
                self.name,
                TOOL,
                reason or "the test thread ended without a result",
                at=at,
                duration_s=time.monotonic() - start,
                tool_version=VERSION,
                bytes_used=session.budget.used,
            )
        return box[0]

    def _measure(self, session: Session, at: float, start: float) -> SpeedResult:
        raw: dict[str, object] = {"streams": self.streams, "duration": self.duration, "warmup": self.warmup}
        server = self.urls[0].label

        def failed(reason: str) -> SpeedResult:
            return failure(
                self.name,
                TOOL,
                reason,
                at=at,
                duration_s=time.monotonic() - start,
                raw=json.dumps(raw),
                tool_version=VERSION,
                server=server,
                bytes_used=session.budget.used,
            )

        idle: list[float] = []
        error = probe_latency(
            session,
            self.latency_url,
            count=self.latency_count,
            interval=0.05,
            stop=threading.Event(),
            samples=idle,
            limit=self.timeout,
        )
        raw["idle_latency_ms"] = idle
        if session.aborted.is_set():
            return failed(CANCELLED)
        if error or not idle:
            return failed(f"latency test failed: {error or 'no answer'}")
        phases: list[PhaseResult] = []
        plan = [("download", self.urls)] + ([("upload", [self.upload_url])] if self.upload_url else [])
        for direction, urls in plan:
            left = session.budget.left()
            share = left // 2 if left is not None and direction == "download" and self.upload_url else None
            phase = Phase(
                session,
                direction,
                urls,
                streams=self.streams,
                duration=self.duration,
                warmup=self.warmup,
                request_bytes=self.request_bytes,
                latency_url=self.latency_url,
                cap=share,
            )
            result = phase.run()
            phases.append(result)
            raw[direction] = _summary(result)
            if result.error:
                return failed(result.error)
            if result.bits_per_second is None:
                return failed(f"the {direction} test moved no data in its measurement window")
        down = phases[0]
        up = phases[1] if len(phases) > 1 else None
        assert down.bits_per_second is not None
        colo = down.headers.get("cf-meta-colo")
        return SpeedResult(
            at=at,
            backend=self.name,
            tool=TOOL,
            tool_version=VERSION,
            server=f"{server} ({colo})" if colo else server,
            download_mbps=mbps(down.bits_per_second),
            upload_mbps=mbps(up.bits_per_second) if up and up.bits_per_second else None,
            latency_ms=round(statistics.median(idle), 3),
            loaded_latency_ms=round(statistics.median(down.loaded_latency_ms), 3) if down.loaded_latency_ms else None,
            jitter_ms=_jitter(idle),
            bytes_used=session.budget.used,
            external_ip=down.headers.get("cf-meta-ip", ""),
            ok=True,
            raw=clip_raw(json.dumps(raw)),
            duration_s=time.monotonic() - start,
        )


def _jitter(samples: list[float]) -> float | None:
    """Mean absolute difference of consecutive round trips (as Ookla and Cloudflare report jitter)."""
    if len(samples) < 2:
        return None
    return round(statistics.fmean(abs(b - a) for a, b in itertools.pairwise(samples)), 3)


def _summary(phase: PhaseResult) -> dict[str, object]:
    bps = phase.bits_per_second
    return {
        "mbps": mbps(bps) if bps else None,
        "window_bytes": phase.window_bytes,
        "window_seconds": round(phase.window_seconds, 4),
        "bytes": phase.moved,
        "capped": phase.capped,
        "kernel_counted": phase.kernel,
        "loaded_latency_ms": phase.loaded_latency_ms[:100],
        "headers": phase.headers,
        "error": phase.error,
    }
