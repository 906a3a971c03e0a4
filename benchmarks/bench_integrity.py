"""Benchmark: the memory and time of `netwatch verify` and of the first pruning pass after a long stop, on a big
store (budget: at most 100 MB of peak memory at any store size).

Each phase runs in a process of its own, so that its peak resident memory (ru_maxrss) is its own:

    build   DAYS simulated days into STORE: 1 s rounds of 6 targets committed every 10 rounds (as the daemon), a
            restart every 3 days, a 2-minute outage (anchors silent) every 6 hours, an hourly speed test
    verify  `netwatch verify` of STORE, as the command runs it
    prune   the first pruning pass after a long stop: everything but the last day goes (retention 1 day)

It prints one line per phase: the figure, never a pass/fail. The same script runs against any version of
netwatch on PYTHONPATH (the baseline's store is built by the baseline), to put the figures side by side:

    .venv/bin/python benchmarks/bench_integrity.py build --days 20 --store /tmp/big.db
    .venv/bin/python benchmarks/bench_integrity.py verify --store /tmp/big.db
    .venv/bin/python benchmarks/bench_integrity.py prune --store /tmp/big.db
"""

from __future__ import annotations

import argparse
import inspect
import random
import resource
import sys
import time
from pathlib import Path

from netwatch.adapters.store import Store
from netwatch.core.model import Cause, Incident, Kind, Role, Round, Sample, SpeedResult, Target

T0 = 1_767_225_600.0  # 2026-01-01 UTC
DAY = 86_400
TARGETS = (
    (Target(Role.GATEWAY, "192.168.1.1"), 0.6),
    (Target(Role.ISP, "100.64.0.1"), 7.5),
    (Target(Role.ANCHOR, "1.1.1.1"), 11.0),
    (Target(Role.ANCHOR, "8.8.8.8"), 13.0),
    (Target(Role.ANCHOR, "9.9.9.9"), 18.0),
    (Target(Role.ANCHOR, "2606:4700:4700::1111"), 12.0),
)
OUTAGE_EVERY = 6 * 3600
OUTAGE = 120


def speed(at: float) -> SpeedResult:
    return SpeedResult(
        at=at,
        backend="http",
        tool="netwatch-http",
        tool_version="1",
        server="s",
        server_id="1",
        result_url="",
        download_mbps=48.0,
        upload_mbps=9.0,
        latency_ms=12.0,
        loaded_latency_ms=30.0,
        jitter_ms=1.0,
        bytes_used=50_000_000,
        external_ip="",
        ok=True,
        error="",
        raw="{}",
        duration_s=12.0,
    )


def build(path: Path, days: float) -> str:
    rng = random.Random(1)
    rounds = int(days * DAY)
    with Store.open(path) as store:
        store.conn.execute("PRAGMA synchronous = OFF")  # a benchmark's store: the SD card is not what is measured
        for i in range(rounds):
            at = T0 + i
            if i % (3 * DAY) == 0:
                if i:
                    store.end_session(at - 1)
                store.begin_session(at, boot_id=f"boot-{i // (3 * DAY)}", offset=at - 100.0)
            down = i % OUTAGE_EVERY < OUTAGE and i >= OUTAGE_EVERY
            samples = tuple(
                Sample(t, None if down and t.role is Role.ANCHOR else base + rng.random()) for t, base in TARGETS
            )
            store.add_round(Round(at=at, samples=samples))
            start = T0 + i - i % OUTAGE_EVERY
            if down and i % OUTAGE_EVERY == 2:
                store.save_incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, start, None, 3, ((Cause.UPSTREAM, 3),)))
            if i % OUTAGE_EVERY == OUTAGE and i >= OUTAGE_EVERY:
                closed = Incident(Kind.OUTAGE, Cause.UPSTREAM, start, at, OUTAGE, ((Cause.UPSTREAM, OUTAGE),))
                store.save_incident(closed)
            if i % 3600 == 1800:
                store.save_speed(speed(at - 12))
            if i % 10 == 9:
                store.commit()
        store.end_session(T0 + rounds - 1)
    return f"{rounds} rounds, {path.stat().st_size / 1e6:.0f} MB"


def verify(path: Path) -> str:
    with Store.open(path, readonly=True) as store:
        result = store.verify()
    return f"{'intact' if result.ok else f'BROKEN ({len(result.breaks)})'}, {result.rounds} rounds checked"


def prune(path: Path) -> str:
    with Store.open(path) as store:
        newest = store.last_instant() or T0
        if "retention_days" in inspect.signature(store.prune).parameters:
            pruned = store.prune(newest, 1)
        else:  # the baseline: prune(before)
            pruned = store.prune(newest - DAY)
    return f"{pruned} rounds pruned"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", choices=("build", "verify", "prune"))
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--days", type=float, default=20.0)
    args = parser.parse_args()
    started = time.perf_counter()
    said = {"build": lambda: build(args.store, args.days), "verify": lambda: verify(args.store)}.get(
        args.phase, lambda: prune(args.store)
    )()
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.phase}: {said}; {took:.1f} s, peak memory {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
