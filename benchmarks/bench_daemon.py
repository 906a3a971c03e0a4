"""Benchmark: the daemon's CPU, memory and store growth at 1 s / 6 targets, beside `fping -l` on the same targets.

Builds the simulated ISP of the integration tests (network namespaces; needs root), runs `netwatch run` and
`fping -l` side by side in the home namespace against the gateway, the ISP hop, three IPv4 anchors and one IPv6
anchor at one round per second, lets them warm up, then samples /proc for a measurement window and prints:
CPU % of one core for each (and their ratio), RSS (current and peak), and the store's growth extrapolated to a day,
and a control: CPython's floor on this machine (an asyncio loop that only wakes once a second). Budget (issue 2):
<= 2 % of one core, <= 60 MB RSS, <= 5 MB of raw data per day; goals (issue 17): CPU <= 2x `fping -l`'s, RSS <= 30
MiB. With ``--baseline DIR`` another version's daemon is measured the same way in the next window, with its own
`fping -l` (its figures printed below); ``--pairs N`` measures N windows of each, in turn, and prints every pair and
the range of the ratios (the machine's load drifts: quote the range). CPU is the scheduler's count in nanoseconds
(/proc/PID/task/*/schedstat). A figure, never a test.

    sudo .venv/bin/python benchmarks/bench_daemon.py [--seconds 120] [--warmup 15] [--dns] [--baseline DIR [--pairs N]]
                                                      [--pool]

``--pool`` also publishes to a neighbourhood pool (an influxd inside the simulated internet, the household added as
`netwatch pool admin add-household` adds it, its monitored time published every 60 s): compare with a run without it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netwatch.adapters.store.sqlite import Store
from tests.support.netns_isp import ANCHOR6, ANCHORS, GATEWAY, ISP_EDGE, Isp, missing_requirements
from tests.support.servers import InfluxDB1

POOL = "203.0.113.80"  # the neighbourhood pool of --pool, inside `internet`

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid``'s live threads, to the nanosecond (the scheduler's own count): /proc's utime and stime
    come in clock ticks, and `fping -l` uses a handful of them in a minute."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) * 1_000_000_000 // TICK  # utime + stime
    return total / 1e9


def memory_kib(pid: int) -> tuple[int, int]:
    values = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(values["VmRSS"].split()[0]), int(values["VmHWM"].split()[0])


def store_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def pool(isp: Isp, state: Path, cfg: Path) -> tuple[InfluxDB1, str]:
    """An influxd inside `internet` at POOL, this household added to it, and [pool] appended to ``cfg``; the server
    and the household's database."""
    from netwatch.adapters.influx.pool import add_household_statements
    from netwatch.config.records import PoolConfig

    isp.add_host(POOL)
    server = InfluxDB1(state / "pool", host=POOL, port=8086, netns=isp.internet)
    server.start()
    household = "0123456789ab"
    with Store.open(state / "netwatch.db") as store:
        store.pool_join(household, time.time())
    for statement in add_household_statements(PoolConfig(), household, "bench", [], [], ""):
        server.query(statement)
    with cfg.open("a") as f:
        f.write(
            f'[pool]\nurl = "http://{POOL}:8086"\nisp = "Bench"\narea = "B1"\nusername = "netwatch_pool_{household}"\n'
            'password = "bench"\ncoverage_every = 60.0\n'
        )
    return server, f"netwatch_pool_{household}"


# The control: CPython doing nothing but wake once a second in an asyncio loop. On a virtual machine whose idle vCPU
# comes back with cold caches this alone can cost as much as `fping -l`, which bounds any ratio a Python daemon reaches.
FLOOR = "import asyncio\nasync def idle():\n    while True:\n        await asyncio.sleep(1.0)\nasyncio.run(idle())\n"


def start_fping(isp: Isp, targets: list[str]) -> subprocess.Popen[bytes]:
    """`fping -l` in the home namespace: every target once a second, an 800 ms timeout, as the daemon probes."""
    command = ("fping", "-l", "-p", "1000", "-t", "800", "-q", *targets)
    return isp.popen("home", *command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def baseline_window(
    isp: Isp, targets: list[str], state: Path, cfg: Path, env: dict[str, str], tree: Path, warmup: float, seconds: float
) -> tuple[float, float, int]:
    """Another version's daemon (the source tree ``tree``) with its own `fping -l`, measured as the first one was:
    (its CPU %, fping's CPU %, its RSS in KiB)."""
    home = Path(tempfile.mkdtemp(prefix="base-", dir=state))
    base_cfg = home / "bench.toml"
    base_cfg.write_text(cfg.read_text().replace(str(state / "netwatch.db"), str(home / "n.db")))
    base_env = {**env, "PYTHONPATH": str(tree.resolve()), "NETWATCH_STATE_DIR": str(home)}
    # Run outside any checkout: `python -m` would import that checkout's netwatch before PYTHONPATH's.
    command = (sys.executable, "-m", "netwatch", "run", "--config", str(base_cfg))
    daemon = isp.popen("home", *command, env=base_env, stderr=subprocess.DEVNULL, cwd=home)
    fping = start_fping(isp, targets)
    time.sleep(warmup)
    start = time.monotonic()
    d0, f0 = cpu_seconds(daemon.pid), cpu_seconds(fping.pid)
    time.sleep(seconds)
    elapsed = time.monotonic() - start
    d1, f1 = cpu_seconds(daemon.pid), cpu_seconds(fping.pid)
    rss, _ = memory_kib(daemon.pid)
    for proc in (daemon, fping):
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return 100.0 * (d1 - d0) / elapsed, 100.0 * (f1 - f0) / elapsed, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="measurement window")
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--dns", action="store_true", help="also resolve two names per round (netwatch only)")
    parser.add_argument("--pool", action="store_true", help="also publish to a neighbourhood pool (netwatch only)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a source tree of another version (git worktree add DIR COMMIT): its daemon runs in the same window",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=1,
        help="with --baseline: windows of this version and of the baseline, in turn, this many times",
    )
    args = parser.parse_args()
    missing = missing_requirements()
    if missing:
        sys.exit(f"cannot build the simulated ISP: {missing}")

    targets = [GATEWAY, ISP_EDGE, *ANCHORS, ANCHOR6]
    with tempfile.TemporaryDirectory(prefix="netwatch-bench-") as tmp, Isp() as isp:
        state = Path(tmp)
        anchors = ", ".join(f'"{a}"' for a in (*ANCHORS, ANCHOR6))
        names = '["example.test", "anchor.test"]' if args.dns else "[]"
        cfg = state / "bench.toml"
        cfg.write_text(
            f"[probe]\ninterval = 1.0\ntimeout = 0.8\n[targets]\nanchors = [{anchors}]\n[dns]\nnames = {names}\n"
            f'[store]\npath = "{state / "netwatch.db"}"\n'
        )
        server, pool_db = pool(isp, state, cfg) if args.pool else (None, "")
        env = {**os.environ, "NETWATCH_STATE_DIR": str(state)}
        log = (state / "daemon.log").open("wb")
        daemon = isp.popen("home", sys.executable, "-m", "netwatch", "run", "--config", str(cfg), env=env, stderr=log)
        fping = start_fping(isp, targets)
        floor = isp.popen("home", sys.executable, "-c", FLOOR)  # inside: the ISP's teardown stops it, come what may
        time.sleep(args.warmup)
        db = state / "netwatch.db"
        start = time.monotonic()
        d0, f0, s0, i0 = cpu_seconds(daemon.pid), cpu_seconds(fping.pid), store_bytes(db), cpu_seconds(floor.pid)
        time.sleep(args.seconds)
        elapsed = time.monotonic() - start
        d1, f1, s1, i1 = cpu_seconds(daemon.pid), cpu_seconds(fping.pid), store_bytes(db), cpu_seconds(floor.pid)
        floor.kill()
        floor.wait()
        rss, peak = memory_kib(daemon.pid)
        f_rss, _ = memory_kib(fping.pid)
        stop = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
        stopped_in = time.monotonic() - stop
        fping.send_signal(signal.SIGTERM)
        fping.wait(timeout=10)
        log.close()
        d_pct = 100.0 * (d1 - d0) / elapsed
        f_pct = 100.0 * (f1 - f0) / elapsed
        if args.baseline is not None:
            # In turn, not side by side: on raw ICMP sockets every pinger receives every other one's replies.
            b_pct, bf_pct, b_rss = baseline_window(
                isp, targets, state, cfg, env, args.baseline, args.warmup, args.seconds
            )
            pairs = [(d_pct, f_pct, b_pct, bf_pct)]
            this = Path(__file__).resolve().parents[1]
            for _ in range(args.pairs - 1):
                n_pct, nf_pct, _rss = baseline_window(isp, targets, state, cfg, env, this, args.warmup, args.seconds)
                o_pct, of_pct, _rss = baseline_window(
                    isp, targets, state, cfg, env, args.baseline, args.warmup, args.seconds
                )
                pairs.append((n_pct, nf_pct, o_pct, of_pct))
        if server is not None:
            published = len(server.rows("SELECT * FROM /netwatch_pool_.*/", pool_db))
            server.stop()

        print(
            f"window             {elapsed:.0f} s, 1 round/s, {len(targets)} ICMP targets"
            + (" + 2 DNS names" if args.dns else "")
            + (f", publishing to a neighbourhood pool ({published} records there)" if server is not None else "")
        )
        print(f"netwatch CPU       {d_pct:.3f} % of one core   (budget 2 %)")
        print(f"fping -l CPU       {f_pct:.3f} % of one core")
        print(
            f"CPU ratio          {d_pct / f_pct:.1f}x fping   (goal <= 2x)"
            if f_pct > 0
            else "CPU ratio          fping used no measurable CPU"
        )
        i_pct = 100.0 * (i1 - i0) / elapsed
        print(
            f"python floor       {i_pct:.3f} % of one core   (the control: an asyncio loop that only wakes once a "
            f"second{f' = {i_pct / f_pct:.1f}x fping' if f_pct > 0 else ''})"
        )
        print(
            f"netwatch RSS       {rss / 1024:.1f} MiB now, {peak / 1024:.1f} MiB peak   (goal <= 30 MiB); "
            f"fping {f_rss / 1024:.1f} MiB"
        )
        if args.baseline is not None:
            ratio = f"{b_pct / bf_pct:.1f}x fping" if bf_pct > 0 else "fping used no measurable CPU"
            print(
                f"baseline           {b_pct:.3f} % of one core = {ratio} (fping {bf_pct:.3f} %), "
                f"RSS {b_rss / 1024:.1f} MiB   ({args.baseline}, in the next window)"
            )
        if args.baseline is not None and len(pairs) > 1:
            print(f"pairs (in turn)    {len(pairs)} of {args.seconds:.0f} s: this version, then the baseline")
            for i, (n_pct, nf_pct, b_pct, bf_pct) in enumerate(pairs, 1):
                print(
                    f"  pair {i}: netwatch {n_pct:.3f} % = {n_pct / nf_pct:.1f}x fping ({nf_pct:.3f} %); "
                    f"baseline {b_pct:.3f} % = {b_pct / bf_pct:.1f}x fping ({bf_pct:.3f} %)"
                )
            ratios = sorted(n / nf for n, nf, _b, _bf in pairs)
            base = sorted(b / bf for _n, _nf, b, bf in pairs)
            print(
                f"CPU ratio range    {ratios[0]:.1f}x to {ratios[-1]:.1f}x fping (goal <= 2x); baseline "
                f"{base[0]:.1f}x to {base[-1]:.1f}x"
            )
        # A short run is dominated by fixed pages (schema, targets, rollups), so count the bytes the rounds table
        # and its index really use (dbstat): that is what grows day after day.
        with sqlite3.connect(db) as conn:
            (rounds,) = conn.execute("SELECT count(*) FROM rounds").fetchone()
            (used,) = conn.execute(
                "SELECT sum(pgsize - unused) FROM dbstat WHERE name IN ('rounds', 'rounds_at', 'round_spans')"
            ).fetchone()
        conn.close()
        per_day = used / rounds * 86400 / 1e6
        print(f"store raw rounds   {used} bytes for {rounds} rounds = {per_day:.2f} MB/day (budget 5)")
        print(f"store file         {db.stat().st_size} bytes after the checkpoint at stop (fixed pages included)")
        print(f"store while running {(s1 - s0) * 86400 / elapsed / 1e6:.2f} MB/day of file growth, WAL included")
        print(f"SIGTERM → exit {code} in {stopped_in:.2f} s (limit 2 s)")


if __name__ == "__main__":
    main()
