"""Benchmark: `netwatch verify` over a long history, in full and incrementally from a sealed checkpoint.

Writes DAYS simulated days (1 s rounds of 6 targets, sealed every 300 rounds like the daemon at its default
seal_interval, or every --seal-every rounds: 10 was the daemon's before the round log, a seal per commit, and is
the harder case, with 30 times the seals; see store_size.py; the writes are not synced to disk, to build the
history faster, which verification does not depend on) into a temporary store, verifies it in full (one pass over
the rounds for the seals and the rollups) and seals a checkpoint, appends one more day, and verifies
incrementally (what was sealed since the checkpoint). Prints each time beside its goal (issue 17: incremental
≤ 1 s for a day, full ≤ 30 s for 90 days, extrapolated per million rounds when DAYS is smaller), wall and CPU,
and the process's peak memory; with --profile, where the full verification's time goes (hashing, decoding, SQL).
A figure, never a pass/fail test.

    .venv/bin/python benchmarks/bench_verify.py [--days 90] [--seal-every 300] [--profile] [--store PATH]

With --store, the history is written to PATH and kept (writing 90 days takes about five minutes here); a later run
with the same PATH verifies it again without writing it (then adds another day for the incremental figure).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.store_size import LOSS, SEAL_EVERY, TARGETS
from netwatch.adapters.store import Store
from netwatch.adapters.store import verify as _loaded  # noqa: F401  (loaded now: a run sees one version of the code)
from netwatch.app.evidence import verify_store
from netwatch.core.model import Round, Sample

T0 = 1_767_225_600.0  # 2026-01-01 UTC
DAY = 86_400
GOAL_FULL_90_DAYS_S = 30.0
GOAL_INCREMENTAL_DAY_S = 1.0
# The full verification of 90 days before it read the rounds once (two passes), measured beside it on the 2-core
# test machine (whole process, medians of 3 pairs, the machine busy).
BEFORE_ONE_PASS = {300: "44 s CPU, 56 s wall (now 17 s, 24 s)", 10: "49 s CPU, 72 s wall (now 23 s, 43 s)"}


def write(store: Store, start: float, rounds: int, rng: random.Random, seal_every: int) -> None:
    """One run of ``rounds`` rounds a second from ``start``, sealed every ``seal_every`` rounds."""
    store.begin_session(start)
    for i in range(rounds):
        samples = tuple(
            Sample(t, None if rng.random() < LOSS else max(0.1, rng.gauss(base, jitter))) for t, base, jitter in TARGETS
        )
        store.add_round(Round(at=start + i + rng.uniform(0.0, 0.004), samples=samples))
        if (i + 1) % seal_every == 0:
            store.commit()
    store.end_session(start + rounds - 1)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=90.0)
    parser.add_argument("--seal-every", type=int, default=SEAL_EVERY, help="rounds per seal (default: the daemon's)")
    parser.add_argument("--profile", action="store_true", help="profile the full verification (slower)")
    parser.add_argument("--store", type=Path, help="keep the history in this store (reused when it exists)")
    args = parser.parse_args()
    rounds = int(args.days * DAY)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory(prefix="netwatch-verify-") as tmp:
        path = args.store or Path(tmp) / "netwatch.db"
        started = time.perf_counter()
        if path.exists():
            with Store.open(path, readonly=True) as store:
                last = store.last_round()
                rounds = store.count_rounds(float("-inf"), float("inf"))
            print(f"history: {path}, {rounds} rounds (written before)")
        else:
            with Store.open(path) as store:
                store.conn.execute("PRAGMA synchronous = OFF")
                write(store, T0, rounds, rng, args.seal_every)
                last = store.last_round()
            print(
                f"history: {args.days:g} days, {rounds} rounds sealed every {args.seal_every} written in"
                f" {time.perf_counter() - started:.0f} s"
            )
        assert last is not None
        with Store.open(path) as store:
            before = peak_mib()
            started, cpu = time.perf_counter(), time.process_time()
            if args.profile:
                profile = cProfile.Profile()
                done = profile.runcall(verify_store, store, full=True)
            else:
                done = verify_store(store, full=True)
            full, cpu = time.perf_counter() - started, time.process_time() - cpu
            result = done.verification
            per_million = full / (result.rounds / 1e6)
            print(
                f"full verify: {'intact' if result.ok else 'BROKEN'}, {result.seals} seals, {result.rounds} rounds"
                f" in {full:.1f} s wall ({cpu:.1f} s CPU) = {per_million:.2f} s per million rounds; peak memory"
                f" {peak_mib():.0f} MiB (before: {before:.0f})"
            )
            earlier = BEFORE_ONE_PASS.get(args.seal_every)
            print(
                f"  90 days at 1 s: now {per_million * 90 * DAY / 1e6:.1f} s wall, goal ≤ {GOAL_FULL_90_DAYS_S:.0f} s"
                + (f"; before one pass: {earlier}" if earlier else "")
            )
            written = done.written
            print(f"checkpoint: {'seal ' + str(written.seal_id) if written else 'NOT WRITTEN'}")
            if args.profile:
                stats = pstats.Stats(profile)
                print("where the full verify's time goes (cumulative s of the biggest callees):")
                stats.sort_stats("tottime").print_stats(12)
            start = last.at + 60
            write(store, start, DAY, rng, args.seal_every)
            before = peak_mib()
            started = time.perf_counter()
            done = verify_store(store)
            took = time.perf_counter() - started
            result = done.verification
            print(
                f"incremental verify of the day after: {'intact' if result.ok else 'BROKEN'}, {result.seals} seals,"
                f" {result.rounds} rounds, {result.records} records: now {took:.2f} s, goal ≤"
                f" {GOAL_INCREMENTAL_DAY_S:.0f} s; from the checkpoint of seal"
                f" {result.resumed.seal_id if result.resumed else None}; peak memory {peak_mib():.0f} MiB"
                f" (before: {before:.0f})"
            )


if __name__ == "__main__":
    main()
