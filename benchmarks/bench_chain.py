"""Benchmark: what the evidence chain costs. Sealing per commit, seal bytes per day, `netwatch verify` and the
evidence bundle over a long history.

Writes DAYS simulated days (1 s rounds of 6 targets, committed every 10 rounds like the daemon, see
store_size.py) into a temporary store, then prints: the time per commit and the seals' and ledger's bytes per
day (dbstat), the time `verify` takes over the whole store (and per million rounds, to extrapolate to the 90 days
of the default retention), and the time of the evidence bundle of the last day (raw rounds CSV included). A
figure, never a pass/fail test.

    .venv/bin/python benchmarks/bench_chain.py [--days 3]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.store_size import simulate
from netwatch import config
from netwatch.adapters.store import Store
from netwatch.app.evidence import Omitted, write_bundle
from netwatch.app.reports import from_store as figures
from netwatch.core.model import Period
from netwatch.report.render import render

T0 = 1_767_225_600.0


def table_bytes(path: Path, *names: str) -> int:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            f"SELECT sum(pgsize) FROM dbstat WHERE name IN ({','.join('?' * len(names))})", names
        ).fetchone()
    finally:
        conn.close()
    return int(rows[0] or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=3.0)
    args = parser.parse_args()
    rounds = int(args.days * 86_400)
    with tempfile.TemporaryDirectory(prefix="netwatch-chain-") as tmp:
        path = Path(tmp) / "netwatch.db"
        started = time.perf_counter()
        result = simulate(path, rounds)
        wrote = time.perf_counter() - started
        commits = rounds / 10
        seals = table_bytes(path, "seals", "ledger", "ledger_seal", "ledger_ref")
        data = table_bytes(path, "rounds", "rounds_at", "round_spans")
        per_commit = 1e3 * wrote / commits
        print(
            f"history: {args.days:g} days, {rounds} rounds written in {wrote:.1f} s ({per_commit:.2f} ms per commit"
            " of 10 rounds, sealing included)"
        )
        print(f"bytes per day: rounds {data / args.days / 1e6:.2f} MB, seals + ledger {seals / args.days / 1e6:.2f} MB")
        del result
        with Store.open(path, readonly=True) as store:
            started = time.perf_counter()
            verification = store.verify()
            took = time.perf_counter() - started
        print(
            f"verify: {'intact' if verification.ok else 'BROKEN'}, {verification.seals} seals, {verification.rounds}"
            f" rounds in {took:.1f} s = {took / (verification.rounds / 1e6):.1f} s per million rounds"
            f" (90 days at 1 s: about {took / verification.rounds * 90 * 86_400 / 60:.0f} min)"
        )
        cfg = config.parse(f'[store]\npath = "{path}"\n', source=None, env={"NETWATCH_STATE_DIR": tmp})
        last_day = Period(T0 + rounds - 86_400, T0 + rounds)
        with Store.open(path, readonly=True) as store:
            started = time.perf_counter()
            report = figures(store, cfg, last_day)

            def rendered(fmt: str) -> str | bytes | Omitted:
                if fmt == "pdf":
                    return Omitted("WeasyPrint's time is bench_report.py's figure")
                if fmt == "json":
                    return "{}"
                out = render(
                    report,
                    fmt,
                    business=cfg.business_hours,
                    owner=cfg.owner,
                    plan=cfg.plan,
                    title="bench",
                    templates=None,
                    generated_at=time.time(),
                )
                return out.text

            for with_store in (False, True):
                begun = time.perf_counter()
                with store.snapshot():
                    bundle = write_bundle(
                        store,
                        cfg,
                        last_day,
                        Path(tmp) / "e.zip",
                        verification=verification,
                        generated_at=time.time(),
                        render=rendered,
                        figures=report,
                        with_store=with_store,
                    )
                took = time.perf_counter() - (started if not with_store else begun)
                size = (Path(tmp) / "e.zip").stat().st_size
                what = "with --with-store (a copy of the whole store)" if with_store else "(report figures included)"
                print(
                    f"evidence bundle of the last day {what}: {bundle.rounds} rounds, {size / 1e6:.1f} MB zip in"
                    f" {took:.1f} s (verification not included)"
                )


if __name__ == "__main__":
    main()
