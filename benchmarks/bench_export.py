"""Benchmark: the InfluxDB exporter keeping up with 1 s rounds of 6 targets, and backfilling 24 hours of data.

Starts a local influxd 1.x (the Debian package's binary, as the integration tests do), then:

1. keep-up: a writer thread adds one round per second (6 targets) to a store and commits every 10 s, as the
   daemon does by default, while the exporter follows it on its own thread (v1 /write); prints the exporter
   thread's CPU time as a % of one core. Budget (issue 4): < 1 %.
2. backfill: a store holding 24 h of rounds (86 400 rounds of 7 points) is exported from a cursor at 0, as after a long
   outage (Exporter.step), and again with `netwatch influx backfill`'s code path; prints seconds and points per
   second of each. Budget: < 60 s. With victoria-metrics installed the v2 path (influxdb-client) is timed too.

A figure, never a test:

    .venv/bin/python benchmarks/bench_export.py [--seconds 60] [--hours 24]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netwatch.adapters.influx.points import Points
from netwatch.adapters.influx.sinks import Sink, V1Sink, V2Sink
from netwatch.adapters.store import Store
from netwatch.app.daemon.export import Exporter, StoreLedger
from netwatch.app.influx import backfill
from netwatch.core.model import Role, Round, Sample, Target
from netwatch.core.schedule import BusinessHours
from tests.support.servers import InfluxDB1, ServerUnavailable, VictoriaMetrics

TARGETS = (
    Target(Role.GATEWAY, "192.168.1.1"),
    Target(Role.ISP, "100.64.0.1"),
    *(Target(Role.ANCHOR, a) for a in ("1.1.1.1", "8.8.8.8", "9.9.9.9", "2606:4700:4700::1111")),
)
POINTS = Points("bench", BusinessHours.from_config({"timezone": "UTC"}))


def rnd(at: float, i: int) -> Round:
    return Round(
        at, tuple(Sample(t, None if (i + k) % 97 == 0 else 1.0 + (i * 7 + k) % 300 / 10) for k, t in enumerate(TARGETS))
    )


def thread_cpu(thread: threading.Thread) -> float:
    assert thread.ident is not None
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def keep_up(tmp: Path, sink: Sink, seconds: float) -> None:
    path = tmp / "keepup.db"
    with Store.open(path) as store:
        state = store.start_export("bench", time.time())
        exporter = Exporter(
            Store.open(path, readonly=True), sink, POINTS, StoreLedger(Store.open(path), "bench"), state, poll=1.0
        )
        exporter.start()
        assert exporter._thread is not None
        cpu0, t0 = thread_cpu(exporter._thread), time.monotonic()
        n, next_commit = 0, t0 + 10.0
        while time.monotonic() - t0 < seconds:
            store.add_round(rnd(time.time(), n))
            n += 1
            if time.monotonic() >= next_commit:
                store.commit()
                next_commit += 10.0
            time.sleep(max(0.0, t0 + n - time.monotonic()))
        store.commit()
        deadline = time.monotonic() + 5
        while exporter.round_id < n and time.monotonic() < deadline:
            time.sleep(0.05)
        cpu, wall = thread_cpu(exporter._thread) - cpu0, time.monotonic() - t0
        exporter.stop()
    print(
        f"keep-up: {n} rounds in {wall:.0f} s, {exporter.points_written} points, all exported: "
        f"{exporter.round_id == n}; exporter thread CPU {cpu:.3f} s = {100 * cpu / wall:.2f} % of one core "
        "(budget < 1 %)"
    )


def day_store(path: Path, hours: float) -> int:
    n = int(hours * 3600)
    start = time.time() - n - 60
    with Store.open(path, readonly=False) as store:
        for i in range(n):
            store.add_round(rnd(start + i, i))
            if i % 10_000 == 9_999:
                store.commit()
        store.commit()
    return n


def timed_backfills(path: Path, rounds: int, sink: Sink, label: str) -> None:
    with Store.open(path) as store:
        state = store.start_export(label, 0.0)
    state = replace(state, round_id=0)
    exporter = Exporter(Store.open(path, readonly=True), sink, POINTS, StoreLedger(Store.open(path), label), state)
    t0 = time.monotonic()
    while exporter.step():
        pass
    took = time.monotonic() - t0
    print(
        f"{label} backfill from the cursor: {rounds} rounds, {exporter.points_written} points in {took:.1f} s "
        f"= {exporter.points_written / took:.0f} points/s (budget < 60 s)"
    )
    with Store.open(path, readonly=True) as store:
        done = backfill(store, sink, POINTS, float("-inf"), float("inf"), batch_size=5000)
    print(
        f"{label} `netwatch influx backfill`: {done.rounds} rounds, {done.points} points in {done.seconds:.1f} s "
        f"= {done.points_per_second:.0f} points/s"
    )
    exporter.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="keep-up measurement window")
    parser.add_argument("--hours", type=float, default=24.0, help="hours of rounds to backfill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netwatch-bench-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            influx = InfluxDB1(tmp / "influxdb")
        except ServerUnavailable as err:
            sys.exit(str(err))
        with influx:
            influx.create_database("bench")
            influx.create_database("backfill")
            keep_up(tmp, V1Sink(influx.url, "bench", "", influx.username, influx.password, 10.0), args.seconds)
            t0 = time.monotonic()
            rounds = day_store(tmp / "day.db", args.hours)
            print(f"store of {args.hours:g} h: {rounds} rounds written in {time.monotonic() - t0:.1f} s")
            v1 = V1Sink(influx.url, "backfill", "", influx.username, influx.password, 30.0)
            timed_backfills(tmp / "day.db", rounds, v1, "influxd 1.x v1")
            count = influx.rows("SELECT count(up) FROM netwatch_status", "backfill")[0]["count"]
            print(f"influxd holds {count} netwatch_status points (one per round: {count == rounds})")
        try:
            vm = VictoriaMetrics(tmp / "vm")
        except ServerUnavailable:
            return
        with vm:
            timed_backfills(tmp / "day.db", rounds, V2Sink(vm.url, "-", "bench", "", 30.0), "victoria-metrics v2")


if __name__ == "__main__":
    main()
