"""Benchmark: where the time of a month's PDF report goes (issue 17: a month's PDF in 2 s), beside a baseline.

Times, in a fresh interpreter each time, the phases of `netwatch report --format pdf` over the last month of the
store `bench_report.py` builds (pass its --dir): importing netwatch's CLI, reading the store and computing the
report, rendering the HTML, importing WeasyPrint, parsing the HTML and its CSS, laying out the pages, drawing them
into a PDF, writing the file. Then the whole command end to end. Each version (this tree, and --baseline, another
source tree: `git worktree add --detach DIR COMMIT`) is run in turn, --pairs times, and the range printed.
A figure, never a pass/fail test.

The phases are timed one after the other in one process: what each costs. The command itself runs WeasyPrint in a
process of its own (report/pdf.py), started before it reads the store: WeasyPrint's import runs on another core
meanwhile, so the whole command takes less than the phases' sum when a core is free.

    .venv/bin/python benchmarks/bench_report.py --dir DIR --formats json      # builds the store once
    .venv/bin/python benchmarks/bench_pdf.py --dir DIR [--baseline TREE] [--pairs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

GOAL = 2.0  # seconds, the whole command (issue 17)
PHASES = ("cli import", "store+compute", "html", "weasyprint import", "parse", "layout", "draw", "write")

# Run in the child: the CLI's own steps, one by one (app/documents.render and report/pdf.to_pdf, opened up).
CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import netwatch.__main__
from netwatch.app import reports, settings
t1 = time.perf_counter()
since, until, out, now = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
cfg = settings.load(None)
built = reports.build(cfg, since=since, until=until, now=now)
t2 = time.perf_counter()
from netwatch.report.render import render
text = render(built.report, "html", business=cfg.business_hours, owner=cfg.owner, plan=cfg.plan,
              title=cfg.report.title, templates=cfg.report.templates, generated_at=now, claims=cfg.claims,
              pdf=True).text
t3 = time.perf_counter()
from netwatch.report import pdf
if hasattr(pdf, "_load"):  # the way this version imports WeasyPrint (older ones: a plain import)
    pdf._load()
import weasyprint
t4 = time.perf_counter()
html = weasyprint.HTML(string=text)
t5 = time.perf_counter()
document = html.render()
t6 = time.perf_counter()
data = document.write_pdf()
t7 = time.perf_counter()
with open(out, "wb") as f:
    f.write(data)
t8 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6, t8 - t7, len(document.pages)]))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, required=True, help="the state directory bench_report.py built")
    parser.add_argument("--baseline", type=Path, help="another version's source tree, timed in turn")
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    state = args.dir.resolve()
    if not (state / "netwatch.db").exists():
        sys.exit(f"no store in {state}: run benchmarks/bench_report.py --dir {state} --formats json first")
    # The month bench_report.py reports: the 30 days before the store's last midnight (UTC).
    end = int(time.time() // 86400 * 86400)
    since, until = (datetime.fromtimestamp(at, UTC).date().isoformat() for at in (end - 30 * 86400, end - 1))
    env = {**os.environ, "NETWATCH_STATE_DIR": str(state), "NETWATCH_CONFIG": ""}
    runs = {"now": {**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}}
    if args.baseline is not None:
        runs["baseline"] = {**env, "PYTHONPATH": str(args.baseline.resolve())}
    phases: dict[str, list[list[float]]] = {run: [] for run in runs}
    whole: dict[str, list[float]] = {run: [] for run in runs}
    pages: dict[str, int] = {}
    for _ in range(args.pairs):
        for run, run_env in runs.items():
            out = state / f"bench-pdf-{run}.pdf"
            done = subprocess.run(
                [sys.executable, "-c", CHILD, since, until, str(out), str(end)],
                env=run_env,
                capture_output=True,
                text=True,
                cwd=state,
                check=False,
            )
            if done.returncode != 0:
                sys.exit(f"{run} failed: {done.stderr}")
            *times, pages[run] = json.loads(done.stdout.splitlines()[-1])
            phases[run].append(times)
            command = [sys.executable, "-m", "netwatch", "report", "--since", since, "--until", until]
            t = time.perf_counter()
            done = subprocess.run(
                [*command, "--format", "pdf", "--output", str(out)], env=run_env, capture_output=True, cwd=state
            )
            whole[run].append(time.perf_counter() - t)
            if done.returncode != 0:
                sys.exit(f"{run} failed: {done.stderr.decode()}")

    def span(values: list[float]) -> str:
        return f"{min(values):5.2f}-{max(values):5.2f}"

    print(f"month {since} to {until}, {args.pairs} runs of each version in turn (min-max, seconds)")
    print(f"{'phase':20}" + "".join(f"{run:>14}" for run in runs))
    for n, phase in enumerate(PHASES):
        print(f"{phase:20}" + "".join(f"{span([t[n] for t in phases[run]]):>14}" for run in runs))
    print(f"{'pages':20}" + "".join(f"{pages[run]:>14}" for run in runs))
    print(f"{'whole command':20}" + "".join(f"{span(whole[run]):>14}" for run in runs) + f"   goal <= {GOAL:g} s")


if __name__ == "__main__":
    main()
