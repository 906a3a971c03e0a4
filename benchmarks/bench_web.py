"""Benchmark: the web dashboard on a month of 1-second monitoring (budgets: a page in <= 200 ms, the process in
<= 60 MB of memory).

Builds a store holding what a month at one round per second leaves behind: the month's 2.6 million raw rounds of
six targets (retention keeps 90 days), their per-minute rollups, a daily restart's sessions, some 400 incidents, a
traceroute per outage and 20 fault tickets (kept with ``--dir``: filling it takes a minute or two). Then starts
the real `netwatch web` (uvicorn, as systemd does) and times every page from another process: a first request,
then ``--runs`` in a row, printed as median and 95th percentile beside the budget; then the process's memory
(VmRSS, and VmHWM, the most it ever held) idle, after those requests, after 8 clients asking at once while 3
Now pages follow the live stream, after the month's documents are downloaded signed in (the report as HTML and
PDF, the letter, the evidence zip), and after ``/api/incidents`` is asked for the longest period it answers and
for everything since 1970 (which it refuses). The baseline beside the month page is `netwatch report --format html`
for the same month (the command line's way to the same figures). A figure, never a pass/fail test:

    .venv/bin/python benchmarks/bench_web.py [--dir DIR] [--runs 20]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from netwatch.adapters.store import Store, codec
from netwatch.core.model import (
    Cause,
    Channel,
    Hop,
    Incident,
    Kind,
    Role,
    Round,
    Sample,
    StoredTrace,
    Target,
    Ticket,
    Trace,
)

DAYS = 30
SECONDS = DAYS * 86400
# The month ends at the last whole minute before now: the dashboard's "today" is the month's last day.
END = int(time.time() // 60 * 60) - 60
START = END - SECONDS
TARGETS = (
    Target(Role.GATEWAY, "192.168.1.1"),
    Target(Role.ISP, "100.64.0.1"),
    Target(Role.ANCHOR, "1.1.1.1"),
    Target(Role.ANCHOR, "8.8.8.8"),
    Target(Role.ANCHOR, "9.9.9.9"),
    Target(Role.ANCHOR, "2606:4700:4700::1111"),
)
BUDGET_MS = 200.0
BUDGET_MB = 60.0
PASSWORD = "a benchmark password"


def build(path: Path) -> tuple[list[Incident], int]:
    """The month's store; returns its outages and the number of raw rounds."""
    rng = random.Random(11)
    outages: list[Incident] = []
    with Store.open(path) as store:
        for day in range(DAYS):
            store.begin_session(START + day * 86400)
            if day < DAYS - 1:
                store.end_session(START + day * 86400 + 86390)
        store.add_round(Round(float(START), tuple(Sample(t, 1.0) for t in TARGETS)))  # the target set's ids
        store.commit()
        at = START + 900.0
        while at < END - 3600:
            length = rng.choice((30, 90, 300, 1200, 3 * 3600)) * rng.random() + 10
            kind = Kind.OUTAGE if rng.random() < 0.7 else Kind.DEGRADED
            cause = rng.choice((Cause.ISP, Cause.UPSTREAM, Cause.LOCAL, Cause.DNS))
            inc = Incident(kind, cause, at, at + length, int(length), ((cause, int(length)),), "bench")
            store.save_incident(inc)
            if kind is Kind.OUTAGE:
                outages.append(inc)
                hops = (Hop(1, "192.168.1.1", 0.5), Hop(2, None, None))
                store.save_trace(StoredTrace(Trace("1.1.1.1", at + 1, hops, False), "outage", Kind.OUTAGE, at))
            at += length + rng.expovariate(1 / 5000)
        provider = [o for o in outages if o.cause in (Cause.ISP, Cause.UPSTREAM)]
        for n, inc in enumerate(provider[:: max(1, len(provider) // 20)][:20]):
            fixed = (inc.end or inc.start) + 60 if n % 2 else None
            store.save_ticket(Ticket(f"T-{n}", inc.start + 300, Channel.PHONE, "bench", fixed), inc.start + 301)
        conn = store.conn
        set_id = conn.execute("SELECT max(id) FROM target_sets").fetchone()[0]
        ids = [
            conn.execute("SELECT id FROM targets WHERE role = ? AND address = ?", (t.role.value, t.address)).fetchone()[
                0
            ]
            for t in TARGETS
        ]
        down = [(int(o.start), int(o.end or o.start)) for o in outages]

        def rounds():  # type: ignore[no-untyped-def]
            k = 0
            for second in range(START + 1, END):
                while k < len(down) and down[k][1] <= second:
                    k += 1
                lost = k < len(down) and down[k][0] <= second
                rtts = [
                    0.5,
                    3.0,
                    None if lost else 12.0,
                    None if lost else 14.0,
                    None if lost else 9.0,
                    None if lost else 15.0,
                ]
                yield (second * 1000, set_id, codec.pack_rtts(rtts), None)

        conn.execute("BEGIN")
        conn.executemany("INSERT INTO rounds (at_ms, set_id, rtts, errors) VALUES (?, ?, ?, ?)", rounds())
        conn.execute("COMMIT")

        def rollups():  # type: ignore[no-untyped-def]
            for minute in range(START // 60, END // 60):
                for tid in ids:
                    lost = 0 if rng.random() > 0.03 else rng.randint(1, 60)
                    yield (minute, tid, 60, lost, 80, 400, (60 - lost) * 150)

        conn.execute("BEGIN")
        conn.executemany("INSERT OR IGNORE INTO rollups VALUES (?, ?, ?, ?, ?, ?, ?)", rollups())
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        count = conn.execute("SELECT count(*) FROM rounds").fetchone()[0]
    return outages, count


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def get(url: str) -> float:
    """Milliseconds to fetch ``url`` whole (status 200 required)."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as answer:
        answer.read()
        assert answer.status == 200, url
    return (time.perf_counter() - started) * 1000


def fetch(opener: urllib.request.OpenerDirector, url: str, data: bytes | None = None) -> tuple[int, float, bytes]:
    """(status, milliseconds, body) of ``url`` through ``opener`` (its cookies), whatever the status."""
    started = time.perf_counter()
    try:
        with opener.open(url, data=data, timeout=600) as answer:
            body, status = answer.read(), answer.status
    except urllib.error.HTTPError as err:
        body, status = err.read(), err.code
    return status, (time.perf_counter() - started) * 1000, body


def signed_in(base: str) -> urllib.request.OpenerDirector:
    """A client with a cookie jar, signed in to the dashboard at ``base``."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _, _, page = fetch(opener, base + "/login")
    found = re.search(rb'name="csrf" value="([^"]+)"', page)
    assert found is not None, "no sign-in form"
    form = urllib.parse.urlencode({"csrf": found.group(1).decode(), "password": PASSWORD, "next": "/act"}).encode()
    status, _, page = fetch(opener, base + "/login", form)
    assert status == 200 and b"data-signed-out" not in page, "not signed in"
    return opener


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, help="keep the store here (default: a temporary directory)")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netwatch-bench-web-") as tmp:
        state = args.dir or Path(tmp)
        state.mkdir(parents=True, exist_ok=True)
        db = state / "netwatch.db"
        marker = state / f"built-{END // 86400}"
        started = time.perf_counter()
        if not marker.exists():
            db.unlink(missing_ok=True)
            outages, count = build(db)
            marker.write_text(repr([o.start for o in outages]))
        with Store.open(db, readonly=True) as store:
            count = store.count_rounds(0, END + 1)
            outages = [i for i in store.incidents(START, END) if i.kind is Kind.OUTAGE]
        print(
            f"store: {db.stat().st_size / 1e6:.0f} MB, {count:,} raw rounds, {len(outages)} outages; ready in "
            f"{time.perf_counter() - started:.1f} s"
        )
        cfg = state / "bench.toml"
        port = free_port()
        cfg.write_text(
            f'[store]\npath = "{db}"\n[cost]\nhourly = 60.0\n[claims]\nrules = "uk-ofcom"\n'
            f'[web]\nlisten = "127.0.0.1:{port}"\n[business_hours]\ntimezone = "UTC"\n'
        )
        env = {**os.environ, "NETWATCH_STATE_DIR": str(state), "NETWATCH_CONFIG": str(cfg)}
        subprocess.run(
            [sys.executable, "-m", "netwatch", "web", "passwd", "--password-stdin"],
            env=env,
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
        web = subprocess.Popen([sys.executable, "-m", "netwatch", "web"], env=env, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    get(base + "/static/app.css")
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the dashboard did not start"
                    time.sleep(0.1)
            idle = memory(web.pid)
            month = datetime.fromtimestamp(END, UTC)
            middle = datetime.fromtimestamp(START + SECONDS // 2, UTC).date().isoformat()
            isp = next(o for o in reversed(outages) if o.cause is Cause.ISP)
            pages = {
                "Now": "/",
                "today": "/day",
                "a day": f"/day/{middle}",
                "outages": f"/history?month={month:%Y-%m}",
                "outages, isp": f"/history?month={month:%Y-%m}&cause=isp",
                "an incident": f"/incident/outage/{round(isp.start * 1000)}",
                "this month": f"/month?month={month:%Y-%m}",
                "Act": "/act",
                "/api/status": "/api/status",
                "/api/incidents (7 d)": "/api/incidents",
            }
            print(f"\n{'page':22}{'first':>9}{'median':>9}{'p95':>9}{'budget':>9}")
            for name, path in pages.items():
                first = get(base + path)
                times = sorted(get(base + path) for _ in range(args.runs))
                p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
                print(f"{name:22}{first:>7.0f}ms{statistics.median(times):>7.0f}ms{p95:>7.0f}ms{BUDGET_MS:>7.0f}ms")
            after = memory(web.pid)

            stop = threading.Event()

            def follow() -> None:
                with urllib.request.urlopen(base + "/events/now", timeout=60) as stream:
                    while not stop.is_set() and stream.readline():
                        pass

            streams = [threading.Thread(target=follow, daemon=True) for _ in range(3)]
            for thread in streams:
                thread.start()
            burst = list(pages.values()) * 4

            def client(k: int) -> None:
                for path in burst[k::8]:
                    get(base + path)

            clients = [threading.Thread(target=client, args=(k,)) for k in range(8)]
            t = time.perf_counter()
            for thread in clients:
                thread.start()
            for thread in clients:
                thread.join()
            busy_s = time.perf_counter() - t
            loaded = memory(web.pid)
            stop.set()
            print(f"\n8 clients x {len(burst) // 8} pages with 3 live streams open: {busy_s:.1f} s")
            owner = signed_in(base)
            print(f"\n{'download or feed':34}{'status':>7}{'time':>9}{'VmHWM':>9}")
            heavy = {
                "report.html": f"/download/{month:%Y-%m}/report.html",
                "letter.md": f"/download/{month:%Y-%m}/letter.md",
                "report.pdf": f"/download/{month:%Y-%m}/report.pdf",
                "evidence.zip": f"/download/{month:%Y-%m}/evidence.zip",
                "/api/incidents (91 d)": "/api/incidents?since="
                + urllib.parse.quote((datetime.now(UTC) - timedelta(days=91)).isoformat(timespec="seconds")),
                "/api/incidents (since 1970)": "/api/incidents?since=1970-01-01",
            }
            documents = memory(web.pid)
            for name, path in heavy.items():
                status, took, _ = fetch(owner, base + path)
                now_mb = memory(web.pid)
                if name.startswith("evidence"):
                    documents = now_mb
                print(f"{name:34}{status:>7}{took:>7.0f}ms{now_mb[1]:>9.1f}")
            print(f"\n{'memory (MB)':22}{'VmRSS':>9}{'VmHWM':>9}{'budget':>9}")
            steps = (
                ("idle", idle),
                ("after the pages", after),
                ("after the burst", loaded),
                ("after the documents", documents),
                ("after the feeds", memory(web.pid)),
            )
            for name, (rss, hwm) in steps:
                print(f"{name:22}{rss:>9.1f}{hwm:>9.1f}{BUDGET_MB:>9.0f}")
        finally:
            web.terminate()
            web.wait(timeout=30)
        out = state / "month.html"
        t = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "netwatch",
                "report",
                "--since",
                f"{month:%Y-%m}-01",
                "--format",
                "html",
                "--output",
                str(out),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        print(
            f"\nbaseline: `netwatch report --format html` of this month as a command: {time.perf_counter() - t:.2f} s "
            "(Python start-up included)"
        )


if __name__ == "__main__":
    main()
