"""Benchmark: what the Prometheus exporter costs the daemon per round, and what one scrape costs.

Feeds rounds of 7 targets (gateway, ISP hop, three IPv4 anchors, one IPv6 anchor, one DNS name; one anchor lost
every tenth round) through the real detector into a ``Tracker``, timing only ``Tracker.round`` (the daemon's
per-round hook), then times a whole scrape (collect + text exposition, process_* metrics included) through the
real HTTP server on loopback. Prints figures; never a test.

    .venv/bin/python benchmarks/bench_metrics.py [--rounds 100000] [--scrapes 200]
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netwatch.adapters.metrics import Tracker, serve
from netwatch.config.records import MetricsConfig
from netwatch.core import detect
from netwatch.core.model import Role, Round, Sample, Target

TARGETS = (
    Target(Role.GATEWAY, "198.18.1.1"),
    Target(Role.ISP, "198.18.2.1"),
    Target(Role.ANCHOR, "192.0.2.1"),
    Target(Role.ANCHOR, "198.51.100.1"),
    Target(Role.ANCHOR, "203.0.113.1"),
    Target(Role.ANCHOR, "2001:db8:ff::1"),
    Target(Role.DNS, "example.test"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=100_000)
    parser.add_argument("--scrapes", type=int, default=200)
    args = parser.parse_args()

    rules = detect.Rules()
    tracker = Tracker(rules.window)
    state = detect.State()
    spent = 0.0
    for i in range(args.rounds):
        samples = tuple(Sample(t, None if (i % 10 == 0 and j == 3) else 1.0 + j) for j, t in enumerate(TARGETS))
        rnd = Round(at=1e9 + i, samples=samples, mono=float(i))
        state, events = detect.step(state, rnd, rules)
        began = time.perf_counter()
        tracker.round(rnd, state, events, seconds=0.01, overruns=0, pending=3, write_failures=0, slow_open=False)
        spent += time.perf_counter() - began
    per_round = spent / args.rounds
    print(
        f"Tracker.round: {per_round * 1e6:.1f} µs per round of {len(TARGETS)} targets "
        f"({per_round * 100:.4f} % of one core at one round per second)"
    )

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = serve(MetricsConfig(True, f"127.0.0.1:{port}"), tracker)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        size = len(urllib.request.urlopen(url, timeout=5).read())
        began = time.perf_counter()
        for _ in range(args.scrapes):
            with urllib.request.urlopen(url, timeout=5) as resp:
                resp.read()
        per_scrape = (time.perf_counter() - began) / args.scrapes
    finally:
        server.close()
    print(
        f"scrape over HTTP on loopback: {per_scrape * 1e3:.2f} ms each, {size} bytes "
        f"({per_scrape / 15 * 100:.3f} % of one core at Prometheus' default 15 s interval)"
    )


if __name__ == "__main__":
    main()
