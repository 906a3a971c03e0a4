"""`netwatch doctor`: the findings about this machine and this configuration, gathered within a few seconds.

Owns gathering the figures each check needs (ICMP sockets, the clock, free disk, what the running daemon wrote to
the card, the store's evidence chain, InfluxDB, where notifications go, the extras installed) and handing them to
``netwatch.report.doctor``'s rules, in a fixed order. The network checks run in threads from the start, beside the
local ones, and are waited for only until one deadline: an unreachable InfluxDB or notification service, or a name
that never resolves, makes a finding, never a hang. The store is verified through ``verified`` alone, and only when
at most ``QUICK_ROUNDS`` rounds are not yet covered by a checkpoint. Must not print or choose exit codes (the
command line does), nor send a notification.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from netwatch.adapters import clock, disk, extras, locks, reach
from netwatch.adapters.influx.sinks import describe, open_sink
from netwatch.adapters.notify import build, endpoint
from netwatch.adapters.probes import icmp
from netwatch.adapters.probes.speed import make_backend, unavailable
from netwatch.app import evidence, influx, stores
from netwatch.app.daemon.export import probe_name
from netwatch.config import Config
from netwatch.core.extras import install as install_words
from netwatch.core.model import Finding, Verification
from netwatch.errors import ConfigError, NetwatchError, PermanentError, StoreError
from netwatch.report import doctor as rules

# Seconds after the start by which every network check has answered or is reported silent. InfluxDB's test point
# is written with its own influxdb.timeout, so that a timeout it reports is that setting's, and cut short here.
DEADLINE = 2.5
GRACE = 0.5  # seconds a job that waits for others until the deadline has to hand over their findings
# Rounds verified here beyond the newest checkpoint: the incremental verify of a day of rounds takes 0.4 s on a
# 2-core PC (a few times that on a Pi); more, as on a store never verified, is left to `netwatch verify`.
QUICK_ROUNDS = 86_400
GROWTH_AFTER = 86_400.0  # seconds of history before the store's daily growth is estimated
T = TypeVar("T")
# The extras as pyproject.toml names them, and the modules that tell whether each is installed.
EXTRAS = (
    ("pdf", ("weasyprint", "markdown")),
    ("speedtest", ("speedtest",)),
    ("web", ("starlette", "uvicorn", "itsdangerous", "multipart")),
    ("notify", ("apprise",)),
    ("influxdb", ("influxdb_client",)),
    ("prometheus", ("prometheus_client",)),
    ("timestamp", ("rfc3161_client",)),
)


def verified(cfg: Config) -> Verification:
    """The store's evidence chain verified: the one call `netwatch doctor` makes into verification, as `netwatch
    verify` does it (from the newest valid checkpoint, leaving one when this user may write the store)."""
    return evidence.verify(cfg).verification


class _Pending(Generic[T]):
    """A network check running in a daemon thread, waited for until a deadline only."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._found: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), name="netwatch-doctor", daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[], T]) -> None:
        try:
            self._found = work()
        except BaseException as err:  # re-raised in the caller's thread, where the command line words it
            self._error = err

    def result(self, until: float, silent: T) -> T:
        """Its result, or ``silent`` when it has not answered by ``until`` (monotonic)."""
        self._thread.join(max(0.0, until - time.monotonic()))
        if self._error is not None:
            raise self._error
        return self._found if self._found is not None else silent


def check(cfg: Config, now: float) -> tuple[Finding, ...]:
    """Every finding, in the order they are shown. Returns within about ``DEADLINE`` seconds plus the quick store
    check. Raises nothing for what it finds; only a bug escapes."""
    until = time.monotonic() + DEADLINE
    exporting = _Pending(lambda: _influx(cfg, now)) if cfg.influxdb.enabled else None
    notifying = _Pending(lambda: _notify(cfg, until)) if cfg.notify.enabled else None
    local = [_icmp(cfg), _clock(cfg), *_disk(cfg), _store(cfg)]
    silent = rules.influx_silent(describe(cfg.influxdb), DEADLINE)
    exported = exporting.result(until, silent) if exporting is not None else rules.influx_off()
    # Each channel's own attempt ends at ``until``: a moment more lets the job hand over what they found.
    late = (rules.notify_silent(DEADLINE),)
    notified = notifying.result(until + GRACE, late) if notifying is not None else (rules.notify_off(),)
    return (*local, exported, *notified, _extras(cfg))


def _icmp(cfg: Config) -> Finding:
    return rules.icmp(cfg.probe.mode, icmp.allowed(False), icmp.allowed(True), icmp.ping_group_range())


def _clock(cfg: Config) -> Finding:
    system = clock.SystemClock()
    synced = system.synced()
    policy = clock.policy(cfg.clock.sync)
    provisional = not policy.trusted_at_start(synced)
    return rules.clock(synced, policy.time_service, policy.has_rtc, system.max_error(), provisional)


def _disk(cfg: Config) -> list[Finding]:
    """Free space where the store is, and what the daemon recording into it wrote to that disk."""
    path = cfg.store.path
    free, total = disk.space(path)
    found = [rules.disk(free, total, _growth(cfg), cfg.store.retention_days)]
    lock = locks.path_for(path)
    running = locks.is_locked(lock)
    pid = locks.locker(lock) if running else None
    account = disk.written(pid) if pid is not None else None
    if account is None:
        found.append(rules.writes_unmeasured(running))
    else:
        found.append(rules.writes(account[0], account[1], cfg.store.commit_interval, cfg.store.seal_interval))
    return found


def _stored(cfg: Config) -> int:
    """Bytes of the store with its write-ahead log."""
    path = cfg.store.path
    total = 0
    for part in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            total += part.stat().st_size
    return total


def _growth(cfg: Config) -> float | None:
    """The store's bytes a day of monitoring (None: no store, or less than a day of it: before that the write-ahead
    log, up to about a megabyte that the store's file takes in later, and the fixed pages of an empty store
    outweigh the rounds, and an hour's store seemed to grow 31 MB a day where a day's grows 4). Per day monitored,
    not per day since the first session: a store that lay idle for weeks would seem to grow slower than it does."""
    try:
        with stores.reading(cfg) as store:
            sessions = store.sessions(float("-inf"), float("inf"))
    except StoreError:
        return None
    monitored = sum(max(0.0, s.end - s.start) for s in sessions)
    if monitored < GROWTH_AFTER:
        return None
    return _stored(cfg) / monitored * 86400


def _store(cfg: Config) -> Finding:
    path = cfg.store.path
    stored = _stored(cfg)
    try:
        with stores.reading(cfg) as store:  # a store that cannot be opened is said as such, however large
            waiting = store.unverified_rounds()
        if waiting > QUICK_ROUNDS:
            return rules.store_too_large(path.name, waiting)
        started = time.monotonic()
        found = verified(cfg)
    except StoreError as err:
        return rules.store_missing(str(path)) if _absent(path) else rules.store_unreadable(str(err))
    return rules.store(path.name, stored, found, time.monotonic() - started)


def _absent(path: Path) -> bool:
    try:
        return not path.exists()
    except OSError:  # a directory this user may not enter: the store's error says so
        return False


def _extras(cfg: Config) -> Finding:
    present = [(name, all(extras.installed(m) for m in modules)) for name, modules in EXTRAS]
    have = dict(present)
    needed: list[tuple[str, str]] = []
    if cfg.speedtest.enabled:
        for name in cfg.speedtest.chain:
            try:
                reason = unavailable(make_backend(name, cfg.speedtest.options_for(name)))
            except ConfigError as err:
                reason = "; ".join(str(p) for p in err.problems)
            if reason:
                needed.append((f"speed test backend {name}", reason))
    wants = (
        (cfg.metrics.enabled, "prometheus", "[metrics]"),
        (bool(cfg.timestamp.url), "timestamp", "[timestamp] url"),
        (cfg.influxdb.enabled and cfg.influxdb.api == "v2", "influxdb", "[influxdb] api v2"),
    )
    for wanted, extra, what in wants:
        if wanted and not have[extra]:
            needed.append((what, f"needs the {extra} extra: {install_words(extra)}"))
    return rules.extras(present, needed)


def _influx(cfg: Config, now: float) -> Finding:
    if not cfg.influxdb.enabled:
        return rules.influx_off()
    try:
        sink = open_sink(cfg.influxdb)
        try:
            seconds = influx.check(sink, probe_name(cfg.probe), now)
        finally:
            sink.close()
    except ConfigError as err:
        first = err.problems[0]
        return rules.influx_failed(f"{first.key} {first.message}; {first.fix}", permanent=True)
    except NetwatchError as err:
        return rules.influx_failed(str(err), permanent=isinstance(err, PermanentError))
    return rules.influx_ok(describe(cfg.influxdb), seconds)


def _notify(cfg: Config, until: float) -> tuple[Finding, ...]:
    """The channels of ``[notify]`` that cannot be built, those with no address to try, and a connection attempt to
    where each other one delivers, waited for until ``until`` (monotonic)."""
    channels, problems = build(cfg.notify)
    known = [rules.notify_unbuildable(p.key, p.message, p.fix) for p in problems]
    pending: list[tuple[_Pending[Finding], Finding]] = []
    for channel in channels:
        where = endpoint(channel)
        if where is None:
            known.append(rules.notify_untried(channel.label))
            continue
        host, port = where
        silent = rules.notify_unreached(channel.label, host, port, rules.waited(DEADLINE))
        pending.append((_Pending(_connecting(channel.label, host, port, until)), silent))
    return (*known, *(job.result(until, late) for job, late in pending))


def _connecting(label: str, host: str, port: int, until: float) -> Callable[[], Finding]:
    """A connection attempt that gives up at ``until`` (monotonic), when the doctor stops waiting."""

    def attempt() -> Finding:
        try:
            seconds = reach.connect(host, port, max(0.1, until - time.monotonic()))
            return rules.notify_reached(label, host, port, seconds)
        except OSError as err:
            return rules.notify_unreached(label, host, port, _reason(err))

    return attempt


def _reason(err: OSError) -> str:
    """An OS error in a few words: "connection refused", "name not resolved (...)", no answer in time."""
    if isinstance(err, TimeoutError):
        return rules.waited(DEADLINE)
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    if isinstance(err, socket.gaierror):
        return f"name not resolved ({err.strerror})"
    return (err.strerror or str(err)).lower()
