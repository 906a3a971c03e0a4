"""Benchmark: how many bytes one day of rounds costs in the SQLite store, and how many it writes to the card.

Writes one simulated day — 86 400 rounds of 6 targets (gateway, ISP hop, three IPv4 anchors and one IPv6
anchor) with realistic RTTs and about 0.5 % loss — into a temporary store as the daemon does at its defaults:
every 10 rounds (store.commit_interval) to the round log, every 300 (store.seal_interval) sealed into the store;
then, as the baseline in the same run, with every 10 rounds sealed (what the daemon did before the round log).
For each it prints the file size after a checkpoint, the WAL's peak size, the bytes the process wrote (round log,
WAL frames and checkpoints) twice: as passed to write(), and as the disk receives them, in whole 4 kB pages each
time a synced page is written again, in whole sectors for the round log's direct writes (the kernel's write_bytes,
what `netwatch doctor` counts: the SD-card wear figure; 0 when DIR is in RAM, as a tmpfs /tmp is), the round log's
share of it, and the time taken, beside issue 17's goals (a day in at most 4 MB, at most 15 MB written a day).
The day is written in seconds, so a page two seals dirty in turn is written to the disk once where a running
daemon, its seals 300 s apart, has it written twice: the first run writes back each seal's pages before the next,
as the kernel does within 30 s (the card's figure); the second does not (the figure this benchmark printed before).
A figure, never a pass/fail test.

    .venv/bin/python benchmarks/store_size.py [--rounds 86400] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from netwatch.adapters.store import Store
from netwatch.core.model import Role, Round, Sample, Target

TARGETS = (
    (Target(Role.GATEWAY, "192.168.1.1"), 0.6, 0.3),  # (target, base RTT ms, jitter ms)
    (Target(Role.ISP, "100.64.0.1"), 7.5, 2.0),
    (Target(Role.ANCHOR, "1.1.1.1"), 11.0, 3.0),
    (Target(Role.ANCHOR, "8.8.8.8"), 13.0, 3.0),
    (Target(Role.ANCHOR, "9.9.9.9"), 18.0, 4.0),
    (Target(Role.ANCHOR, "2606:4700:4700::1111"), 12.0, 3.0),
)
LOSS = 0.005
COMMIT_EVERY = 10  # rounds: store.commit_interval at 1 s
SEAL_EVERY = 300  # rounds: store.seal_interval at 1 s
GOAL_MB = 4.0  # the store, per day
GOAL_WRITTEN_MB = 15.0  # written to the card, per day


def written_bytes(field: str = "wchar") -> int:
    """Bytes this process passed to write() so far (Linux; ``write_bytes``: that it caused the disk to receive, in
    whole pages), or -1."""
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


def simulate(path: Path, rounds: int, seal_every: int, seed: int = 1, writeback: bool = False) -> dict[str, float]:
    """One day written into ``path``; ``writeback``: after each seal its dirty pages are written back, as the kernel
    does within 30 s, long before the next seal 300 s later (SQLite syncs the WAL and the store itself, never its
    shared-memory file): each seal then dirties its pages anew, as on a running daemon."""
    rng = random.Random(seed)
    t0 = 1_767_225_600.0  # 2026-01-01 UTC
    wal = path.with_name(path.name + "-wal")
    shm = path.with_name(path.name + "-shm")
    wal_peak = 0
    written, pages = written_bytes(), written_bytes("write_bytes")
    logged = 0  # of ``pages``: what the round log's appends made the disk receive
    started = time.perf_counter()
    with Store.open(path) as store:
        store.begin_session(t0)
        for i in range(rounds):
            samples = tuple(
                Sample(t, None if rng.random() < LOSS else max(0.1, rng.gauss(base, jitter)))
                for t, base, jitter in TARGETS
            )
            store.add_round(Round(at=t0 + i + rng.uniform(0.0, 0.004), samples=samples))
            if (i + 1) % seal_every == 0:
                store.commit()
                if writeback:
                    _write_back(shm)
            elif (i + 1) % COMMIT_EVERY == 0:
                before = written_bytes("write_bytes")
                store.log()
                logged += written_bytes("write_bytes") - before
                if i % 1000 == 999 and wal.exists():
                    wal_peak = max(wal_peak, wal.stat().st_size)
        store.end_session(t0 + rounds)
    seconds = time.perf_counter() - started
    written = written_bytes() - written if written >= 0 else -1
    pages = written_bytes("write_bytes") - pages if pages >= 0 else -1
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stats = {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in ("rounds", "rollups")}
    finally:
        conn.close()
    return {
        "file": path.stat().st_size,
        "wal_peak": wal_peak,
        "written": written,
        "pages": pages,
        "logged": logged,
        "seconds": seconds,
        **stats,
    }


def _write_back(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=86_400, help="rounds to write (86 400 = one day at 1 s)")
    parser.add_argument("--dir", type=Path, help="directory for the temporary store (default: system temp)")
    args = parser.parse_args()
    per_day = 86_400 / args.rounds
    for name, seal_every, writeback in (
        ("now, seal by seal as in real time: logged every 10 s, sealed every 300 s", SEAL_EVERY, True),
        ("now, in compressed time (a page dirtied again within the run counted once)", SEAL_EVERY, False),
        ("baseline: sealed every 10 s", COMMIT_EVERY, False),
    ):
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            r = simulate(Path(tmp) / "bench.db", args.rounds, seal_every, writeback=writeback)
        print(f"{name}: {r['rounds']:.0f} rounds of {len(TARGETS)} targets, rollup rows: {r['rollups']:.0f}")
        mb = r["file"] * per_day / 1e6
        print(f"  store file after checkpoint: {r['file']:,.0f} bytes → {mb:.2f} MB/day (goal <= {GOAL_MB:g})")
        print(f"  bytes per round: {r['file'] / max(1, r['rounds']):.1f}")
        print(f"  WAL peak: {r['wal_peak']:,.0f} bytes")
        if r["written"] >= 0:
            written = r["written"] * per_day / 1e6
            print(f"  bytes written (round log, WAL, checkpoints): {written:.1f} MB/day as passed to write()")
        if r["pages"] >= 0:
            pages = r["pages"] * per_day / 1e6
            print(
                f"  as the disk receives them (whole pages, what netwatch doctor counts): {pages:.1f} MB/day"
                f" (goal <= {GOAL_WRITTEN_MB:g})"
            )
            log_mb = r["logged"] * per_day / 1e6
            print(f"    of which the round log: {log_mb:.1f} MB/day; seals, WAL and checkpoints: {pages - log_mb:.1f}")
        print(f"  time: {r['seconds']:.1f} s ({r['seconds'] / args.rounds * 1e6:.0f} µs per round)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
