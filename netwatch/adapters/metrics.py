"""Prometheus metrics: a small snapshot of the daemon's state, and the optional /metrics endpoint serving it.

Owns the metric names and what they mean (README "Prometheus"), the :class:`Tracker` that the daemon updates
after each round and on each incident opened or speed test (a few integer and deque operations per target), the
collector that turns a Tracker into metric families when Prometheus scrapes (nothing else is allocated per
scrape), and the HTTP endpoint itself: a small server of its own on a thread of its own, bounded in connections,
time and request size, so that idle or slow clients can never take the daemon's file descriptors or stall its
loop (prometheus_client's server has a thread per connection and no timeout). prometheus_client (the
``prometheus`` extra) is imported only when the endpoint is enabled.

Counters count from 0 at process start: Prometheus' ``rate()`` and ``increase()`` read a restart as a counter
reset, and all-time figures are the store's (``netwatch report``). Must not read the store, probe, or decide
anything: states and causes are the detector's, passed in by the daemon.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import platform
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from netwatch import __version__
from netwatch.config.records import MetricsConfig
from netwatch.core import detect, extras
from netwatch.core.model import Cause, Kind, Round, Sample, SpeedResult, Target
from netwatch.errors import ConfigError, Problem

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

log = logging.getLogger("netwatch")

STATES = ("up", "failing", "outage", "degraded")  # failing: failed rounds not yet confirmed as an outage
CAUSES = ("none", *(c.value for c in Cause))  # none: the line is up
KINDS = tuple(k.value for k in Kind)
SPEED_RESULTS = ("ok", "failed", "skipped")
MISSING = "needs the prometheus-client package, which is not installed"
MAX_CLIENTS = 4  # connections served at once; a scrape takes milliseconds
CLIENT_TIMEOUT = 5.0  # seconds a client has to send its request and take the answer
REQUEST_LIMIT = 8192  # bytes of a request read (the request line and headers of a scrape are a few hundred)
BACKLOG = 16  # connections the kernel holds while every slot is busy (they cost the daemon no descriptor)
POLL = 0.2  # seconds between looks at the stop flag
TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"  # what generate_latest writes
MISSING_FIX = f"install the prometheus extra ({extras.install('prometheus')}), or set metrics.enabled = false"


def line_state(state: detect.State) -> tuple[str, str]:
    """(state, cause) of the line after a round: the open outage first, then failed rounds awaiting
    confirmation (the cause of the latest), then an open degradation; ("up", "none") otherwise."""
    if state.outage is not None:
        return "outage", state.outage.cause.value
    if state.pending:
        return "failing", state.pending[-1].cause.value
    if state.degraded is not None:
        return "degraded", state.degraded.cause.value
    return "up", "none"


class TargetStats:
    """One target's figures: its last RTT, counters, and its losses over the last ``window`` rounds."""

    __slots__ = ("lost", "rtt_ms", "sent", "window", "window_lost")

    def __init__(self, window: int) -> None:
        self.rtt_ms: float | None = None
        self.sent = 0
        self.lost = 0
        self.window: deque[bool] = deque(maxlen=window)  # True = lost
        self.window_lost = 0

    def add(self, sample: Sample) -> None:
        lost = sample.rtt_ms is None
        if len(self.window) == self.window.maxlen and self.window[0]:
            self.window_lost -= 1
        self.window.append(lost)
        self.window_lost += lost
        self.sent += 1
        self.lost += lost
        self.rtt_ms = sample.rtt_ms

    @property
    def loss_ratio(self) -> float:
        return self.window_lost / len(self.window) if self.window else 0.0


class Tracker:
    """What /metrics shows. The daemon's loop writes it (``round``, ``events``, ``speed``), the HTTP server's
    thread reads it (``collect``); a lock keeps every scrape consistent with one round."""

    def __init__(self, window: int) -> None:
        self._lock = threading.Lock()
        self.window = window
        self.targets: dict[Target, TargetStats] = {}
        self._order: tuple[Target, ...] = ()
        self.state: tuple[str, str] | None = None  # None until the first round
        self.rounds = 0
        self.round_seconds = 0.0  # sum over the rounds
        self.overruns = 0
        self.pending = 0
        self.write_failures = 0
        self.last_round_at: float | None = None
        self.last_up_at: float | None = None
        self.open: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.opened: dict[tuple[str, str], int] = {(k, c.value): 0 for k in KINDS for c in Cause}
        self.speed_results: dict[str, int] = dict.fromkeys(SPEED_RESULTS, 0)
        self.last_speed: SpeedResult | None = None  # the last successful test

    def round(
        self,
        rnd: Round,
        state: detect.State,
        events: Iterable[detect.Event],
        *,
        seconds: float,
        overruns: int,
        pending: int,
        write_failures: int,
        slow_open: bool,
    ) -> None:
        """A round was handled: ``state`` is the detector's after it, ``events`` what it opened or closed,
        ``seconds`` how long the round took; the rest are the daemon's running totals."""
        with self._lock:
            order = tuple(s.target for s in rnd.samples)
            if order != self._order:  # a target came or went (ISP hop found, gateway changed): drop the gone
                self.targets = {t: self.targets.get(t) or TargetStats(self.window) for t in order}
                self._order = order
            for sample in rnd.samples:
                self.targets[sample.target].add(sample)
            self.state = line_state(state)
            self.rounds += 1
            self.round_seconds += seconds
            self.overruns, self.pending, self.write_failures = overruns, pending, write_failures
            self.last_round_at = rnd.at
            if not state.pending and state.outage is None:  # the round itself was up
                self.last_up_at = rnd.at
            self.open[Kind.OUTAGE.value] = int(state.outage is not None)
            self.open[Kind.DEGRADED.value] = int(state.degraded is not None)
            self.open[Kind.SLOW.value] = int(slow_open)
            self._count(events)

    def events(self, events: Iterable[detect.Event]) -> None:
        """Incident events from outside the round loop (the speed tests' slow incidents)."""
        with self._lock:
            self._count(events)

    def _count(self, events: Iterable[detect.Event]) -> None:
        for event in events:
            if isinstance(event, detect.Opened):
                key = (event.incident.kind.value, event.incident.cause.value)
                self.opened[key] = self.opened.get(key, 0) + 1

    def speed(self, result: SpeedResult) -> None:
        """A speed test attempt was stored (a cancelled one, at shutdown, is not counted)."""
        if result.cancelled:
            return
        kind = "ok" if result.ok else "skipped" if result.error.startswith("skipped") else "failed"
        with self._lock:
            self.speed_results[kind] += 1
            if result.ok:
                self.last_speed = result

    def collect(self) -> list[Metric]:
        """The metric families of this moment (prometheus_client's Collector protocol)."""
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            InfoMetricFamily,
            SummaryMetricFamily,
        )

        def gauge(name: str, doc: str, value: float | None = None, labels: Sequence[str] = ()) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"netwatch_{name}", doc, value=value, labels=labels or None)

        def counter(name: str, doc: str, value: float | None = None, labels: Sequence[str] = ()) -> Any:
            return CounterMetricFamily(f"netwatch_{name}", doc, value=value, labels=labels or None)

        out: list[Metric] = [
            InfoMetricFamily(
                "netwatch_build", "netwatch version", {"version": __version__, "python": platform.python_version()}
            )
        ]
        with self._lock:
            if self.state is not None:
                state = gauge(
                    "line_state", "1 for the line's current state: up, failing, outage, degraded", labels=("state",)
                )
                cause = gauge("line_cause", 'Cause of the current state ("none" while up)', labels=("cause",))
                for name in STATES:
                    state.add_metric([name], float(name == self.state[0]))
                for name in CAUSES:
                    cause.add_metric([name], float(name == self.state[1]))
                out += [state, cause]
            open_ = gauge("open_incidents", "Incidents open now", labels=("kind",))
            for kind, n in self.open.items():
                open_.add_metric([kind], n)
            opened = counter(
                "incidents", "Incidents opened since the daemon started, by cause at opening", labels=("kind", "cause")
            )
            for (kind, why), n in self.opened.items():
                opened.add_metric([kind, why], n)
            out += [open_, opened, *self._target_families(gauge, counter)]
            out += [
                counter("rounds", "Probe rounds since the daemon started", self.rounds),
                SummaryMetricFamily(
                    "netwatch_round_duration_seconds",
                    "Time a round took, probes and bookkeeping",
                    count_value=self.rounds,
                    sum_value=self.round_seconds,
                ),
                counter("round_overruns", "Round slots skipped because a round overran its interval", self.overruns),
                gauge(
                    "store_pending_rounds",
                    "Rounds not yet sealed into the store (those in the round log included)",
                    self.pending,
                ),
                counter(
                    "store_write_failures",
                    "Store writes that failed (their rounds are kept and retried)",
                    self.write_failures,
                ),
            ]
            if self.last_round_at is not None:
                out.append(gauge("last_round_timestamp_seconds", "When the last round started", self.last_round_at))
            if self.last_up_at is not None:
                out.append(
                    gauge(
                        "last_up_round_timestamp_seconds",
                        "When the last round with the line up started",
                        self.last_up_at,
                    )
                )
            out += self._speed_families(gauge, counter)
        return out

    def _target_families(self, gauge: Any, counter: Any) -> list[Metric]:
        labels = ("role", "address")
        up = gauge("target_up", "1 if the target answered in the last round", labels=labels)
        rtt = gauge(
            "target_rtt_seconds", "Round-trip (DNS: resolution) time in the last round; absent when lost", labels=labels
        )
        loss = gauge(
            "target_loss_ratio",
            f"Share of probes lost over the last {self.window} rounds (detect.window)",
            labels=labels,
        )
        sent = counter("target_probes", "Probes sent since the daemon started", labels=labels)
        lost = counter("target_lost", "Probes lost since the daemon started", labels=labels)
        for target, stats in self.targets.items():
            key = [target.role.value, target.address]
            up.add_metric(key, float(stats.rtt_ms is not None))
            if stats.rtt_ms is not None:
                rtt.add_metric(key, stats.rtt_ms / 1000.0)
            loss.add_metric(key, stats.loss_ratio)
            sent.add_metric(key, stats.sent)
            lost.add_metric(key, stats.lost)
        return [up, rtt, loss, sent, lost]

    def _speed_families(self, gauge: Any, counter: Any) -> list[Metric]:
        tests = counter("speedtests", "Speed test attempts since the daemon started", labels=("result",))
        for result, n in self.speed_results.items():
            tests.add_metric([result], n)
        out: list[Metric] = [tests]
        last = self.last_speed
        if last is not None:
            out.append(
                gauge(
                    "speedtest_download_bits_per_second",
                    "Download speed of the last successful test",
                    (last.download_mbps or 0.0) * 1e6,
                )
            )
            if last.upload_mbps is not None:
                out.append(
                    gauge(
                        "speedtest_upload_bits_per_second",
                        "Upload speed of the last successful test",
                        last.upload_mbps * 1e6,
                    )
                )
            out.append(gauge("speedtest_timestamp_seconds", "When the last successful test started", last.at))
        return out


class MetricsServer:
    """The /metrics endpoint on a thread of its own, bounded so that no client can starve the daemon: at most
    ``MAX_CLIENTS`` connections are accepted at once (the others wait in the kernel's backlog, holding none of
    the daemon's file descriptors), each is given ``CLIENT_TIMEOUT`` seconds to send its request and take the
    answer, and a request is read up to ``REQUEST_LIMIT`` bytes. ``close`` stops it."""

    def __init__(self, sock: socket.socket, render: Callable[[], tuple[bytes, str]]) -> None:
        self._sock = sock
        self._render = render
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="netwatch-metrics", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def _accept(self) -> None:
        while not self._stop.is_set():
            if not self._slots.acquire(timeout=POLL):
                continue  # every slot busy: the next client waits in the backlog
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                self._slots.release()
                continue
            except OSError as err:
                self._slots.release()
                if self._stop.is_set():
                    return
                log.debug("metrics: accept failed: %s", err)
                self._stop.wait(POLL)  # EMFILE and the like: never a busy loop
                continue
            threading.Thread(target=self._serve, args=(conn,), name="netwatch-metrics-client", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(CLIENT_TIMEOUT)
            head = b""
            while b"\r\n\r\n" not in head and b"\n\n" not in head and len(head) < REQUEST_LIMIT:
                chunk = conn.recv(REQUEST_LIMIT - len(head))
                if not chunk:
                    return
                head += chunk
            method, _, rest = head.partition(b" ")
            path = rest.split(b" ", 1)[0].split(b"?", 1)[0]
            if method not in (b"GET", b"HEAD"):
                conn.sendall(_answer(405, b"only GET\n", "text/plain; charset=utf-8"))
            elif path not in (b"/metrics", b"/"):
                conn.sendall(_answer(404, b"see /metrics\n", "text/plain; charset=utf-8"))
            else:
                body, kind = self._render()
                conn.sendall(_answer(200, body if method == b"GET" else b"", kind, len(body)))
        except OSError as err:  # a timeout, a reset: the client's problem
            log.debug("metrics: client dropped: %s", err)
        finally:
            conn.close()
            self._slots.release()

    def close(self) -> None:
        """Stop serving and release the port (within about ``POLL`` seconds)."""
        self._stop.set()
        self._thread.join(2.0)
        self._sock.close()


def _answer(status: int, body: bytes, kind: str, length: int | None = None) -> bytes:
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def _bind_problem(listen: str, err: OSError) -> tuple[str, str]:
    if err.errno == errno.EADDRINUSE:
        return f"cannot listen on {listen}: the port is already in use", (
            "stop the program using it, or choose another port in metrics.listen"
        )
    if err.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {listen}: the address is not one of this machine's", (
            'use "127.0.0.1:9847", or an address of one of its interfaces'
        )
    if err.errno == errno.EACCES:
        return f"cannot listen on {listen}: permission denied", "choose a port from 1024 to 65535"
    return f"cannot listen on {listen}: {err.strerror or err}", "choose another address or port in metrics.listen"


def serve(cfg: MetricsConfig, tracker: Tracker, source: str | None = None) -> MetricsServer:
    """Serve ``tracker`` on http://<cfg.listen>/metrics from a thread of its own (the process's resource use
    too: process_* metrics). Raises ConfigError naming the key when prometheus-client is missing or the address
    cannot be listened on (``source``: the configuration file, for the message)."""
    try:
        from prometheus_client import generate_latest
        from prometheus_client.process_collector import ProcessCollector
        from prometheus_client.registry import Collector, CollectorRegistry
    except ImportError as err:
        raise ConfigError([Problem("metrics.enabled", MISSING, MISSING_FIX)], source) from err

    class TrackerCollector(Collector):
        def collect(self) -> Iterable[Metric]:
            return tracker.collect()

    host, port = cfg.address
    registry = CollectorRegistry()
    registry.register(TrackerCollector())
    ProcessCollector(registry=registry)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
        sock.settimeout(POLL)
    except OSError as err:
        sock.close()
        message, fix = _bind_problem(cfg.listen, err)
        raise ConfigError([Problem("metrics.listen", message, fix)], source) from err
    log.info("Prometheus metrics on http://%s/metrics", cfg.listen)
    if not _loopback(host):
        log.warning(
            "metrics.listen %s is reachable from the network: anyone who can reach it can read the line's state "
            "(there is no authentication); use 127.0.0.1 unless a firewall guards it",
            cfg.listen,
        )
    return MetricsServer(sock, lambda: (generate_latest(registry), TEXT_FORMAT))


def _loopback(host: str) -> bool:
    return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
