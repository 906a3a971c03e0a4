"""Soak benchmark: the real daemon for half an hour under random link flaps in the simulated ISP.

Builds the simulated ISP of the integration tests (network namespaces; needs root) and runs `netwatch run` in
the home namespace at one round per second with every feature a Pi would run (DNS, traceroutes, the Prometheus
endpoint when prometheus-client is installed). A flapper cuts a random link (lan, access or core) or the DNS
service for a random 1-30 s every 20-90 s, and notes when each cut took effect. Every 30 s it samples the
daemon's RSS and CPU. At the end it stops the daemon and prints: RSS at start, middle and end with its slope,
peak RSS, CPU % of one core, rounds stored against rounds due by the monotonic clock (lost rounds), the injected
cuts against the outages recorded (and their causes), traceroutes taken, and the evidence chain's verification.
Issue 6 asks for flat memory and no lost rounds: a figure to read, never a test.

    sudo .venv/bin/python benchmarks/soak_flaps.py [--minutes 30] [--seed 6]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netwatch.adapters.store import Store
from netwatch.core.model import Cause, Kind
from tests.support.netns_isp import ANCHOR6, ANCHORS, Isp, missing_requirements

TICK = os.sysconf("SC_CLK_TCK")
CAUSES = {"lan": Cause.LOCAL, "access": Cause.ISP, "core": Cause.UPSTREAM, "dns": Cause.DNS}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def slope(points: list[tuple[float, int]]) -> float:
    """Least-squares KiB per hour."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    den = sum((t - mx) ** 2 for t, _ in points)
    return 3600.0 * sum((t - mx) * (v - my) for t, v in points) / den if den else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the first RSS sample counts")
    args = parser.parse_args()
    missing = missing_requirements()
    if missing:
        sys.exit(f"cannot build the simulated ISP: {missing}")
    rng = random.Random(args.seed)
    try:
        import prometheus_client  # noqa: F401

        metrics = '[metrics]\nenabled = true\nlisten = "127.0.0.1:9847"\n'
    except ImportError:
        metrics = ""
    with tempfile.TemporaryDirectory(prefix="netwatch-soak-") as tmp, Isp() as isp:
        state = Path(tmp)
        anchors = ", ".join(f'"{a}"' for a in (*ANCHORS, ANCHOR6))
        db = state / "netwatch.db"
        cfg = state / "soak.toml"
        cfg.write_text(
            f'[probe]\ninterval = 1.0\ntimeout = 0.8\nmode = "unprivileged"\n[targets]\nanchors = [{anchors}]\n'
            f'[dns]\nnames = ["example.test"]\n[store]\npath = "{db}"\n{metrics}'
        )
        env = {**os.environ, "NETWATCH_STATE_DIR": str(state)}
        log_path = state / "daemon.log"
        with log_path.open("wb") as log:
            daemon = isp.popen(
                "home", sys.executable, "-m", "netwatch", "run", "--config", str(cfg), env=env, stderr=log
            )
        began_wall, began = time.time(), time.monotonic()
        end = began + args.minutes * 60
        samples: list[tuple[float, int]] = []
        cpu0 = cpu_seconds(daemon.pid)
        cuts: list[tuple[str, float, float]] = []  # (link, cut at, restored at), wall clock
        next_sample = began + args.warmup
        next_flap = began + rng.uniform(20, 90)
        while time.monotonic() < end:
            now = time.monotonic()
            if daemon.poll() is not None:
                sys.exit(f"the daemon exited with {daemon.returncode}:\n{log_path.read_text()}")
            if now >= next_sample:
                samples.append((now - began, rss_kib(daemon.pid)))
                next_sample += 30.0
            if now >= next_flap and now + 35 < end:
                link = rng.choice(["lan", "access", "core", "dns"])
                hold = rng.uniform(1.0, 30.0)
                at = isp.dns_fail(True) if link == "dns" else isp.cut(link)
                time.sleep(hold)
                back = isp.dns_fail(False) if link == "dns" else isp.restore(link)
                cuts.append((link, at, back))
                next_flap = time.monotonic() + rng.uniform(20, 90)
                continue
            time.sleep(0.5)
        elapsed = time.monotonic() - began
        cpu = cpu_seconds(daemon.pid) - cpu0
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
        logged = log_path.read_text(errors="replace")
        with Store.open(db, readonly=True) as store:
            stamps = [r.at for r in store.rounds(began_wall - 5, time.time() + 5)]
            incidents = store.incidents(began_wall - 5, time.time() + 5)
            traces = store.traces(began_wall - 5, time.time() + 5)
            verification = store.verify()
    due = int(elapsed)  # one round a second from the start
    gaps = sorted((b - a for a, b in itertools.pairwise(stamps)), reverse=True)
    outages = [i for i in incidents if i.kind is Kind.OUTAGE]
    long_cuts = [c for c in cuts if c[2] - c[1] >= 3.5]  # at least confirm (3) rounds of one second
    matched = 0
    for link, at, _back in long_cuts:
        if any(o.cause is CAUSES[link] and at - 1.5 <= o.start <= at + 2.5 for o in outages):
            matched += 1
    rss = [kib for _, kib in samples]
    print(
        f"soak: {elapsed / 60:.1f} min at 1 round/s, {len(cuts)} cuts ({len(long_cuts)} of >= 3.5 s), seed {args.seed}"
    )
    if rss:
        second = samples[len(samples) // 2 :]
        print(
            f"RSS: {rss[0] / 1024:.1f} MiB after warm-up, {rss[len(rss) // 2] / 1024:.1f} MiB half-way, "
            f"{rss[-1] / 1024:.1f} MiB at the end; max {max(rss) / 1024:.1f} MiB; slope {slope(samples):+.0f} KiB/h"
            f" overall, {slope(second):+.0f} KiB/h over the second half"
        )
        every = max(1, len(samples) // 12)
        print("RSS over time: " + ", ".join(f"{t / 60:.0f} min {kib / 1024:.1f}" for t, kib in samples[::every]))
    print(f"CPU: {100 * cpu / elapsed:.2f} % of one core")
    print(
        f"rounds: {len(stamps)} stored, {due} due by the monotonic clock ({due - len(stamps):+d} lost); "
        f"longest gap {gaps[0] if gaps else 0:.2f} s; daemon says: "
        + next(
            (line.split("netwatch stopped after ")[1] for line in logged.splitlines() if "stopped after" in line), "?"
        )
    )
    by_cause: dict[str, int] = {}
    for o in outages:
        by_cause[o.cause.value] = by_cause.get(o.cause.value, 0) + 1
    print(
        f"outages: {len(outages)} recorded {by_cause}; {matched}/{len(long_cuts)} cuts of >= 3.5 s found with the "
        f"right cause and start; degraded: {sum(1 for i in incidents if i.kind is Kind.DEGRADED)}"
    )
    print(f"traceroutes: {len(traces)}")
    print(
        f"verify: {'intact' if verification.ok else 'BROKEN'}: {verification.seals} seals, {verification.rounds}"
        f" rounds, {verification.records} records; breaks: {len(verification.breaks)}"
    )
    errors = [line for line in logged.splitlines() if line.startswith(("<3>", "<2>"))]
    print(f"errors logged: {len(errors)}" + "".join(f"\n  {e}" for e in errors[:5]))


if __name__ == "__main__":
    main()
