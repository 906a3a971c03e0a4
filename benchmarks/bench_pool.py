"""Benchmark: an area report over 100 households and a year of their incidents (budget: under 3 s on this machine).

Starts a local influxd 1.x (the Debian package's binary, as the integration tests do), gives each of 100 households
its database (``netwatch_pool_<id>``, as `netwatch pool admin add-household` names them) and fills it the way the
daemon's publisher does, through netwatch's own publications: a year of monitored stretches cut at midnight with a
restart every week, two outages of its own a week, and the area's shared outage every Monday at 10:00 for 20 min
(80 of the households on the same provider, 20 on others). This household's store holds its year of outages. Then it
times the whole `netwatch pool report` work (``reports.area_of``: the pool read through InfluxQL, the figures),
cold (just after a restart of influxd) and warm, against the budget. A figure, never a test:

    .venv/bin/python benchmarks/bench_pool.py [--households 100] [--days 365]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netwatch import config
from netwatch.adapters.influx.pool import publication_line
from netwatch.adapters.store.sqlite import Store
from netwatch.app import reports
from netwatch.core import pool as rules
from netwatch.core.model import Cause, Coverage, Incident, Kind, Member
from tests.support.servers import InfluxDB1

END = 1_767_225_600  # 2026-01-01 00:00:00 UTC
DAY = 86_400
BUDGET = 3.0  # seconds


def outages_of(k: int, start: int, end: int) -> list[tuple[int, int]]:
    """Two of its own a week (varied per household) and, for the first 80, the area's every Monday 10:00-10:20."""
    out = []
    for w, week in enumerate(range(start, end, 7 * DAY)):
        out.append((week + 2 * DAY + 3600 * (k % 20) + w * 7 % 3000, 60 + (k * w) % 900))
        out.append((week + 5 * DAY + 3600 * (3 + k % 17) + w * 11 % 3000, 30 + (k + w) % 600))
        monday = week + (4 * DAY)  # 1970-01-01 was a Thursday: +4 days is a Monday at 00:00
        if k < 80:
            out.append((monday + 10 * 3600 + k % 5, 1200 + k % 7))
    return sorted((a, a + n) for a, n in out if a + n < end)


def fill(server: InfluxDB1, households: int, days: int, tmp: Path) -> tuple[str, Path]:
    start = END - days * DAY
    mine = ""
    for k in range(households):
        hh = f"{k:012x}"
        isp = "Example Broadband" if k < 80 else "Other Net"
        member = Member(hh, isp, 0, "AB1 2", "")
        db = f"netwatch_pool_{hh}"
        server.create_database(db)
        sessions = [Coverage(a, min(a + 7 * DAY - 60, END)) for a in range(start, END, 7 * DAY)]
        incidents = [Incident(Kind.OUTAGE, Cause.ISP, a, b, b - a) for a, b in outages_of(k, start, END)]
        lines = [publication_line(rules.member_publication(member, start))]
        lines += [
            publication_line(rules.incident_publication(member, i, "ab" * 32, 1, (2, "cd" * 32), 3600.0))
            for i in incidents
        ]
        lines += [
            publication_line(rules.coverage_publication(member, a, b))
            for a, b in rules.spans(sessions, incidents, ["outage"], start, END)
        ]
        for n in range(0, len(lines), 5000):
            server.write(lines[n : n + 5000], db)
        if k == 0:
            mine = hh
            with Store.open(tmp / "mine.db") as store:
                store.begin_session(start)
                store.pool_join(hh, start)
                for i in incidents:
                    store.save_incident(i)
                store.end_session(END)
    return mine, tmp / "mine.db"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        server = InfluxDB1(tmp / "influx")
        server.start()
        try:
            began = time.monotonic()
            _, store = fill(server, args.households, args.days, tmp)
            print(f"filled {args.households} households x {args.days} days in {time.monotonic() - began:.1f} s")
            cfg_path = tmp / "pool.toml"
            cfg_path.write_text(
                f'[store]\npath = "{store}"\n[business_hours]\ntimezone = "UTC"\n[pool]\nurl = "{server.url}"\n'
                f'isp = "Example Broadband"\narea = "AB1 2"\nusername = "{server.username}"\n'
                f'password = "{server.password}"\n'
            )
            cfg = config.load(cfg_path, {"NETWATCH_STATE_DIR": d})
            since = time.strftime("%Y-%m-%d", time.gmtime(END - args.days * DAY))
            until = time.strftime("%Y-%m-%d", time.gmtime(END - DAY))
            server.restart()
            for label in ("cold", "warm", "warm"):
                t = time.monotonic()
                figures = reports.area_of(cfg, None, since, until, time.time())
                seconds = time.monotonic() - t
                down = sum(s.same.down for s in figures.shared)
                print(
                    f"area report, {label}: {seconds:.2f} s (budget {BUDGET:.1f} s) — {len(figures.shared)} outages of"
                    f" this household, {len(figures.households)} households on its provider, {len(figures.control)}"
                    f" on others, {down} household-outages counted down"
                )
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
