"""Benchmark: what the detector costs the daemon per round, on the streams that exercise its rules.

Feeds rounds of 7 targets (gateway, ISP hop, three IPv4 anchors, one IPv6 anchor, one DNS name) through
``detect.step`` and times it: an up line with background loss (one anchor lost every tenth round), a line degraded
by latency, a long total loss, and names failing with total losses inside them (the outages that split); then
``ProbeErrors.new``, which decides each round which probe errors to log, on an outage whose errors come and go.
Prints µs per round and the share of one core at one round per second, beside the budget the daemon works to
(benchmarks/bench_daemon.py: at most 2 % of one core for everything). With ``--root`` it imports netwatch from
another checkout (e.g. the commit before a change), for a figure beside its baseline. A figure, never a test.

    .venv/bin/python benchmarks/bench_detect.py [--rounds 50000] [--root CHECKOUT]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BUDGET_PERCENT = 2.0  # of one core, for the whole daemon (bench_daemon.py)


def stream(kind: str, n: int, targets: Any, model: Any) -> Iterator[Any]:
    """``n`` rounds of one shape, one a second."""
    sample, rnd = model.Sample, model.Round
    for i in range(n):
        if kind == "up":
            answers = [1.0, 5.0, 20.0, None if i % 10 == 0 else 21.0, 22.0, 23.0, 3.0]
        elif kind == "slow":
            answers = [1.0, 5.0, 400.0, 410.0, 420.0, 430.0, 3.0]
        elif kind == "down":
            answers = [1.0, 5.0, None, None, None, None, None]
        else:  # names failing, with 12 rounds of total loss every 60
            lost = i % 60 >= 48
            answers = [1.0, 5.0, *([None] * 4 if lost else [20.0, 21.0, 22.0, 23.0]), None]
        yield rnd(at=1e9 + i, samples=tuple(sample(t, a) for t, a in zip(targets, answers, strict=True)), mono=float(i))


def timed(rounds: list[Any], step: Callable[[Any], None]) -> float:
    began = time.perf_counter()
    for r in rounds:
        step(r)
    return (time.perf_counter() - began) / len(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=50_000)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1], help="netwatch checkout")
    args = parser.parse_args()
    sys.path.insert(0, str(args.root))
    from netwatch.core import detect, model

    role, target = model.Role, model.Target
    targets = (
        target(role.GATEWAY, "198.18.1.1"),
        target(role.ISP, "198.18.2.1"),
        target(role.ANCHOR, "192.0.2.1"),
        target(role.ANCHOR, "198.51.100.1"),
        target(role.ANCHOR, "203.0.113.1"),
        target(role.ANCHOR, "2001:db8:ff::1"),
        target(role.DNS, "example.test"),
    )
    rules = detect.Rules()
    print(f"netwatch from {Path(detect.__file__).parents[2]}; budget: {BUDGET_PERCENT:g} % of one core for the daemon")
    for kind, what in (
        ("up", "up, one anchor lost every 10th round"),
        ("slow", "degraded by latency"),
        ("down", "one long total loss"),
        ("dns", "names failing, a total loss of 12 rounds every 60"),
    ):
        rounds = list(stream(kind, args.rounds, targets, model))
        state = detect.State()

        def step(r: Any) -> None:
            nonlocal state
            state, _ = detect.step(state, r, rules)

        per_round = timed(rounds, step)
        print(f"detect.step, {what}: {per_round * 1e6:.1f} µs per round ({per_round * 100:.4f} % of one core)")
    try:
        from netwatch.app.daemon.probe_errors import ProbeErrors
    except ImportError:
        print("ProbeErrors: not in this checkout")
        return
    errors = ProbeErrors()
    outage = [
        model.Round(
            at=1e9 + i,
            samples=tuple(
                model.Sample(t, None, "destination unreachable (code 1)" if (i + k) % 3 == 0 else "")
                for k, t in enumerate(targets)
            ),
        )
        for i in range(args.rounds)
    ]
    per_round = timed(outage, lambda r: errors.new(r.samples))
    print(f"ProbeErrors.new, errors coming and going: {per_round * 1e6:.1f} µs per round ({per_round * 100:.4f} %)")


if __name__ == "__main__":
    main()
