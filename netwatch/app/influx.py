"""Exports by hand: proving that the sink accepts writes, and exporting a period of history.

Owns `netwatch influx check` (write one ``netwatch_check`` point: a ping is not proof, InfluxDB 1.6 answers the
v2 ping while refusing v2 writes) and `netwatch influx backfill` (every round, incident and speed test of a period,
oldest first, whatever the daemon's cursor, which it never moves). Both are idempotent. Must not write to the
store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from netwatch.adapters.influx.points import Points, check_line, speed_result_line
from netwatch.adapters.influx.sinks import Sink, describe, open_sink
from netwatch.adapters.store.sqlite import Store
from netwatch.app import stores
from netwatch.app.daemon.export import Backoff, probe_name
from netwatch.config import Config
from netwatch.core.model import Period
from netwatch.errors import ConfigError, Problem, TransientError
from netwatch.report import period as periods

RETRY = Backoff(base=0.5, cap=10.0)  # a person is waiting: retry sooner than the daemon does


def check(sink: Sink, probe: str, at: float) -> float:
    """Write one test point; returns the seconds it took. Raises TransientError / PermanentError."""
    started = time.monotonic()
    sink.write([check_line(probe, at)])
    return time.monotonic() - started


@dataclass(frozen=True)
class Backfilled:
    rounds: int
    incidents: int
    points: int
    seconds: float
    speed_tests: int = 0

    @property
    def points_per_second(self) -> float:
        return self.points / self.seconds if self.seconds > 0 else 0.0


def write_retrying(
    sink: Sink,
    lines: Sequence[str],
    *,
    retries: int,
    backoff: Backoff,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = lambda: 0.5,
) -> None:
    """``sink.write`` with up to ``retries`` retries of transient failures; the last one is raised."""
    for attempt in range(retries + 1):
        try:
            sink.write(lines)
            return
        except TransientError:
            if attempt == retries:
                raise
            sleep(backoff.delay(attempt, rand()))


def backfill(
    store: Store,
    sink: Sink,
    points: Points,
    since: float,
    until: float,
    *,
    batch_size: int,
    progress: Callable[[int], None] = lambda rounds: None,
    retries: int = 5,
    backoff: Backoff = RETRY,
    sleep: Callable[[float], None] = time.sleep,
) -> Backfilled:
    """Export the rounds and speed test attempts with ``since <= at < until`` and the incidents overlapping the
    period, in batches of whole rounds of at most ``batch_size`` points (oldest first); ``progress(n)`` after
    each batch of n rounds. Raises PermanentError, or TransientError once ``retries`` retries of one batch
    failed."""
    started = time.monotonic()
    incidents = store.export_incidents(since, until)
    speeds = store.speed_results(since, until)
    lines = [text for item in incidents for text in points.incident_lines(item)]
    lines += [speed_result_line(points.probe, result) for result in speeds]
    total = len(lines)
    for first in range(0, len(lines), batch_size):
        write_retrying(sink, lines[first : first + batch_size], retries=retries, backoff=backoff, sleep=sleep)
    batch: list[str] = []
    in_batch = rounds = 0

    def flush() -> None:
        nonlocal batch, in_batch, total
        write_retrying(sink, batch, retries=retries, backoff=backoff, sleep=sleep)
        progress(in_batch)
        total += len(batch)
        batch, in_batch = [], 0

    for rnd in store.rounds(since, until):
        more = points.round_lines(rnd)
        if batch and len(batch) + len(more) > batch_size:
            flush()
        batch.extend(more)
        in_batch += 1
        rounds += 1
    if batch:
        flush()
    return Backfilled(rounds, len(incidents), total, time.monotonic() - started, len(speeds))


# --- the operations ------------------------------------------------------------------------------------------


def require_influx(cfg: Config) -> None:
    """Raise ConfigError when ``[influxdb] url`` is not set."""
    if not cfg.influxdb.enabled:
        fix = 'set it to your server, e.g. url = "http://influxdb.lan:8086", and the keys of its api'
        raise ConfigError([Problem("influxdb.url", "is not set, so nothing is exported to InfluxDB", fix)])


@dataclass(frozen=True)
class Checked:
    """A test point written: where, as which probe, in how many seconds."""

    where: str
    probe: str
    seconds: float


def check_sink(cfg: Config, now: float) -> Checked:
    """Write one test point to the configured InfluxDB. Raises ConfigError, TransientError or PermanentError."""
    require_influx(cfg)
    probe = probe_name(cfg.probe)
    sink = open_sink(cfg.influxdb)
    try:
        seconds = check(sink, probe, now)
    finally:
        sink.close()
    return Checked(describe(cfg.influxdb), probe, seconds)


ProgressBar = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


def backfill_period(
    cfg: Config, since: str, until: str | None, now: float, bar: ProgressBar | None = None
) -> tuple[Backfilled, Period]:
    """Export the stored history of ``since``..``until`` (WHEN words) to the configured InfluxDB."""
    require_influx(cfg)
    tz = cfg.business_hours.timezone
    chosen = periods.resolve(since, until, tz, now=now, history_start=None)
    points = Points(probe_name(cfg.probe), cfg.business_hours)
    with stores.reading(cfg) as store:
        sink = open_sink(cfg.influxdb)
        try:
            if bar is None:
                done = backfill(store, sink, points, chosen.since, chosen.until, batch_size=cfg.influxdb.batch_size)
            else:
                with bar("Backfilling", store.count_rounds(chosen.since, chosen.until)) as advance:
                    done = backfill(
                        store,
                        sink,
                        points,
                        chosen.since,
                        chosen.until,
                        batch_size=cfg.influxdb.batch_size,
                        progress=advance,
                    )
        finally:
            sink.close()
    return done, chosen


def location(cfg: Config) -> str:
    """The configured InfluxDB as messages name it (no secrets)."""
    return describe(cfg.influxdb)
