"""Benchmark: `netwatch report` over a month and over a year of 1-second monitoring (budget: a year in < 3 s).

Builds a store holding what a year at one round per second leaves behind: per-minute rollups of six targets
(3.15 million rows, kept forever), a few thousand incidents, a daily restart's sessions, and the last hour of raw
rounds (older raw rounds would have been pruned, and reports never read them). Then runs the real command
(`python -m netwatch report`) for the last month and the whole year in each format and prints the wall-clock
times side by side: report time must grow sub-linearly with the period. A figure, never a pass/fail test.
With ``--tickets N`` the store also holds N fault tickets (one per N-th outage of the provider, reported five
minutes in, half of them closed) and the reports apply ``--rules`` (default uk-ofcom; any pack, e.g. nl-telecomwet,
which needs no ticket) with a monthly fee of 50 in the pack's currency: the cost of the claims.

    .venv/bin/python benchmarks/bench_report.py [--dir DIR] [--formats json,html,csv,md,pdf] [--tickets 200]
        [--baseline DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from netwatch.adapters.store import Store
from netwatch.core.claims import load
from netwatch.core.model import Cause, Channel, Incident, Kind, Role, Round, Sample, Target, Ticket

# Issue 17: a PDF of a month in 2 s, of a year in 10 s (on this 2-core machine), with the same evidence.
GOALS = {"pdf": "month <= 2 s, year <= 10 s"}
MINUTES = 365 * 1440
# The year ends at today's midnight (UTC): reports clip their end to now.
YEAR_START = int(time.time() // 86400 * 86400) - MINUTES * 60
TARGETS = (
    Target(Role.GATEWAY, "192.168.1.1"),
    Target(Role.ISP, "100.64.0.1"),
    Target(Role.ANCHOR, "1.1.1.1"),
    Target(Role.ANCHOR, "8.8.8.8"),
    Target(Role.ANCHOR, "9.9.9.9"),
    Target(Role.ANCHOR, "2606:4700:4700::1111"),
)


def build(path: Path, tickets: int = 0) -> float:
    """The year's store (with ``tickets`` fault tickets); returns the instant it ends (the report's "now")."""
    rng = random.Random(7)
    end = YEAR_START + MINUTES * 60
    with Store.open(path) as store:
        # Sessions and incidents go through the store's API; the rollups of a year through one bulk insert,
        # as a year of commits would have left them.
        for day in range(365):
            store.begin_session(YEAR_START + day * 86400)
            store.end_session(YEAR_START + day * 86400 + 86390)
        store.begin_session(end - 3600)
        at = YEAR_START + 600.0
        causes = (Cause.ISP, Cause.UPSTREAM, Cause.LOCAL, Cause.DNS)
        provider: list[Incident] = []
        while at < end - 7200:
            length = rng.choice((30, 90, 300, 1200, 4 * 3600)) * rng.random() + 10
            kind = Kind.OUTAGE if rng.random() < 0.7 else Kind.DEGRADED
            cause = rng.choice(causes)
            inc = Incident(kind, cause, at, at + length, int(length), ((cause, int(length)),), "bench")
            store.save_incident(inc)
            if kind is Kind.OUTAGE and cause in (Cause.ISP, Cause.UPSTREAM):
                provider.append(inc)
            at += length + rng.expovariate(1 / 8000)
        step = max(1, len(provider) // tickets) if tickets else 0
        for n, inc in enumerate(provider[::step][:tickets] if tickets else []):
            fixed = (inc.end or inc.start) + 60 if n % 2 else None
            store.save_ticket(Ticket(f"T-{n}", inc.start + 300, Channel.PHONE, "bench", fixed), inc.start + 301)
        for second in range(3600):
            rtts = tuple(Sample(t, 0.5 + 10 * i + rng.random()) for i, t in enumerate(TARGETS))
            store.add_round(Round(end - 3600 + second, rtts))
        store.end_session(end)
        conn = store.conn
        ids = [
            conn.execute("SELECT id FROM targets WHERE role = ? AND address = ?", (t.role.value, t.address)).fetchone()[
                0
            ]
            for t in TARGETS
        ]
        first_minute = YEAR_START // 60

        def rows():  # type: ignore[no-untyped-def]
            for m in range(first_minute, first_minute + MINUTES - 60):
                for tid in ids:
                    lost = 0 if rng.random() > 0.03 else rng.randint(1, 60)
                    yield (m, tid, 60, lost, 80, 400, (60 - lost) * 150)

        conn.execute("BEGIN")
        conn.executemany("INSERT OR IGNORE INTO rollups VALUES (?, ?, ?, ?, ?, ?, ?)", rows())
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, help="keep the store here (default: a temporary directory)")
    parser.add_argument("--formats", default="json,csv,md,html,pdf")
    parser.add_argument("--tickets", type=int, default=0, help="fault tickets in the store (default 0)")
    parser.add_argument("--rules", default="uk-ofcom", help="[claims] rules with --tickets (default uk-ofcom)")
    parser.add_argument(
        "--baseline", type=Path, help="a source tree of another version (git worktree add DIR COMMIT), timed in turn"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netwatch-bench-report-") as tmp:
        state = args.dir or Path(tmp)
        state.mkdir(parents=True, exist_ok=True)
        db = state / "netwatch.db"
        started = time.perf_counter()
        if not db.exists():
            build(db, args.tickets)
        print(f"store: {db.stat().st_size / 1e6:.0f} MB, built in {time.perf_counter() - started:.1f} s")
        config = ""
        if args.tickets:
            cfg = state / "claims.toml"
            currency = load(args.rules).currency if args.rules != "none" else "GBP"
            cfg.write_text(
                f'[claims]\nrules = "{args.rules}"\n[cost]\ncurrency = "{currency}"\n[plan]\nmonthly_fee = 50.0\n'
                '[business_hours]\ntimezone = "Europe/London"\n'
            )
            config = str(cfg)
            print(f"{args.tickets} tickets, [claims] rules = {args.rules}")
        env = {**os.environ, "NETWATCH_STATE_DIR": str(state), "NETWATCH_CONFIG": config}

        def day(at: float) -> str:
            return datetime.fromtimestamp(at, UTC).date().isoformat()

        end = YEAR_START + MINUTES * 60
        periods = {"month": (day(end - 30 * 86400), day(end - 1)), "year": (day(YEAR_START), day(end - 1))}
        runs = {"now": env}
        if args.baseline is not None:  # the same commands with another version's netwatch, timed in turn
            runs["baseline"] = {**env, "PYTHONPATH": str(args.baseline.resolve())}
        print(f"{'format':8}{'version':>9}{'month':>10}{'year':>10}{'ratio':>8}   goal")
        for fmt in args.formats.split(","):
            times: dict[str, dict[str, float]] = {run: {} for run in runs}
            for name, (since, until) in periods.items():
                for run, run_env in runs.items():
                    out = state / f"{name}-{run}.{fmt}"
                    command = [sys.executable, "-m", "netwatch", "report", "--since", since, "--until", until]
                    t = time.perf_counter()
                    done = subprocess.run(
                        [*command, "--format", fmt, "--output", str(out)],
                        env=run_env,
                        capture_output=True,
                        text=True,
                        cwd=state,  # not a checkout: `python -m` would import the netwatch found there first
                    )
                    times[run][name] = time.perf_counter() - t
                    if done.returncode != 0:
                        sys.exit(f"{fmt} {name} ({run}) failed: {done.stderr}")
            for run, found in times.items():
                ratio = found["year"] / found["month"]
                goal = GOALS.get(fmt, "") if run == "now" else ""
                print(f"{fmt:8}{run:>9}{found['month']:>9.2f}s{found['year']:>9.2f}s{ratio:>7.1f}x   {goal}")
        print("(wall clock of the whole command, Python start-up included; the year has 12x the month's data)")


if __name__ == "__main__":
    main()
