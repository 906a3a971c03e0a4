"""Benchmark: `netwatch report --source influxdb` over a month and a year of 1 s rounds.

Starts a local influxd 1.x (the Debian package's binary, as the integration tests do) on a data directory that is
kept between runs (``--dir``; filling a year takes minutes), fills database "bench" once with one probe's year of
rounds at 1 s — a netwatch_status point per round and a netwatch_ping point per anchor (3 anchors), ~126 million
points — with two outages a day (incidents written through netwatch's own point conversion) and unmonitored gaps
(15 min every week, 90 s every day), then times the whole report (``influx_source.figures``) and its parts for
the last month and for the whole year, cold (just after a restart of influxd) and warm. A figure, never a test:

    .venv/bin/python benchmarks/bench_influx_report.py [--dir /var/tmp/netwatch-bench-influx] [--days 365]

The fill writes lines byte-identical to ``Points.round_lines`` (checked on sample rounds) but assembles them
directly: a year is 31.5 million rounds, too many to build Round objects for.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from queue import Queue

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netwatch import config
from netwatch.adapters.influx.points import Points
from netwatch.core.model import Cause, ExportIncident, Incident, Kind, Period, Role, Round, Sample, Target
from netwatch.core.schedule import BusinessHours
from tests.support.servers import InfluxDB1, ServerError, ServerUnavailable

PROBE = "site-a"
DB = "bench"
ANCHORS = ("1.1.1.1", "8.8.8.8", "9.9.9.9")
END = 1_767_225_600  # 2026-01-01 00:00:00 UTC: the data ends here
DAY = 86_400
HOURS = BusinessHours.from_config({"timezone": "UTC", "week": {"mon": "09:00-17:00", "tue": "09:00-17:00"}})
POINTS = Points(PROBE, HOURS)


def outages(start: int, end: int) -> list[tuple[int, int]]:
    """Two outages a day: at 03:00 + d·37 s (60-660 s) and 14:00 + d·53 s (30-330 s)."""
    out = []
    for d, day in enumerate(range(start, end, DAY)):
        out.append((day + 3 * 3600 + d * 37 % 3000, 60 + d * 97 % 600))
        out.append((day + 14 * 3600 + d * 53 % 3000, 30 + d * 61 % 300))
    return [(a, a + n) for a, n in out if a + n < end]


def gaps(start: int, end: int) -> list[tuple[int, int]]:
    """Unmonitored: 15 min every week (Sunday 04:00), 90 s every day at 05:00 + d s."""
    out = [(w + 3 * DAY + 4 * 3600, w + 3 * DAY + 4 * 3600 + 900) for w in range(start, end, 7 * DAY)]
    out += [(d + 5 * 3600 + i, d + 5 * 3600 + i + 90) for i, d in enumerate(range(start, end, DAY))]
    return sorted((a, b) for a, b in out if b < end)


def round_lines(at: int, down: bool) -> list[str]:
    ms = at * 1000
    if down:
        out = [f"netwatch_ping,probe={PROBE},role=anchor,target={a} up=false {ms}" for a in ANCHORS]
        return [*out, f'netwatch_status,probe={PROBE} up=false,cause="isp" {ms}']
    out = [
        f"netwatch_ping,probe={PROBE},role=anchor,target={a} up=true,rtt_ms={10.0 + (at + k) % 97 / 10!r} {ms}"
        for k, a in enumerate(ANCHORS)
    ]
    return [*out, f'netwatch_status,probe={PROBE} up=true,cause="none" {ms}']


def check_lines() -> None:
    """The fast lines are those of netwatch's own conversion."""
    gateway, isp = Target(Role.GATEWAY, "192.168.1.1"), Target(Role.ISP, "100.64.0.1")
    for at, down in ((END - 5, False), (END - 3, True)):
        samples = tuple(
            Sample(Target(Role.ANCHOR, a), None if down else 10.0 + (at + k) % 97 / 10) for k, a in enumerate(ANCHORS)
        )
        real = POINTS.round_lines(
            Round(float(at), (Sample(gateway, 1.0), Sample(isp, None if down else 2.0), *samples))
        )
        assert sorted(real[2:]) == sorted(round_lines(at, down)), (real, round_lines(at, down))


def fill(server: InfluxDB1, days: int) -> None:
    start = END - days * DAY
    down = outages(start, END)
    off = gaps(start, END)
    t0 = time.monotonic()
    queue: Queue[list[str] | None] = Queue(maxsize=4)
    errors: list[BaseException] = []

    def post() -> None:
        while (batch := queue.get()) is not None:
            try:
                server.write(batch, DB, precision="ms")
            except BaseException as err:
                errors.append(err)

    posters = [threading.Thread(target=post) for _ in range(2)]
    for p in posters:
        p.start()
    batch: list[str] = []
    di = gi = 0
    points = 0
    for at in range(start, END):
        while gi < len(off) and off[gi][1] <= at:
            gi += 1
        if gi < len(off) and off[gi][0] <= at:
            continue
        while di < len(down) and down[di][1] <= at:
            di += 1
        batch += round_lines(at, di < len(down) and down[di][0] <= at)
        if len(batch) >= 40_000:
            points += len(batch)
            queue.put(batch)
            batch = []
            if errors:
                raise errors[0]
        if at % (7 * DAY) == 0:
            done = (at - start) / (END - start)
            print(f"  {100 * done:5.1f} %  {points / (time.monotonic() - t0):,.0f} points/s", flush=True)
    points += len(batch)
    queue.put(batch)
    for _ in posters:
        queue.put(None)
    for p in posters:
        p.join()
    if errors:
        raise errors[0]
    incidents = [
        ExportIncident(n, Incident(Kind.OUTAGE, Cause.ISP, float(a), float(b)), (Cause.ISP,))
        for n, (a, b) in enumerate(down)
    ]
    lines = [text for item in incidents for text in POINTS.incident_lines(item)]
    server.write(lines, DB, precision="ms")
    took = time.monotonic() - t0
    print(f"filled {days} days: {points + len(lines):,} points in {took:.0f} s ({points / took:,.0f} points/s)")


def cfg_for(server: InfluxDB1, tmp: Path) -> config.Config:
    path = tmp / "bench.toml"
    path.write_text(
        f'[probe]\nname = "{PROBE}"\n[targets]\nanchors = {list(ANCHORS)!r}\n'
        f'[influxdb]\nurl = "{server.url}"\napi = "v1"\ndatabase = "{DB}"\nusername = "{server.username}"\n'
        f'password = "{server.password}"\n[business_hours]\ntimezone = "UTC"\n'
        '[business_hours.week]\nmon = "09:00-17:00"\ntue = "09:00-17:00"\n'
    )
    return config.load(path, {"HOME": str(tmp)})


def timed(cfg: config.Config, label: str, period: Period) -> None:
    from netwatch.app import influx_report as influx_source
    from netwatch.report.compute import series_bucket_seconds

    source = influx_source.InfluxSource(cfg.influxdb, PROBE, fallback_interval=cfg.probe.interval)
    t0 = time.monotonic()
    sessions, _ = source.coverage(period)
    t1 = time.monotonic()
    series = source.anchor_series(period, series_bucket_seconds(period))
    t2 = time.monotonic()
    incidents, _ = source.incidents(period), source.targets()
    t3 = time.monotonic()
    report = influx_source.figures(cfg, PROBE, period, None, None, now=period.until)
    whole = time.monotonic() - t3
    print(
        f"{label}: whole report {whole:.1f} s (coverage {t1 - t0:.1f} s, anchor series {t2 - t1:.1f} s, "
        f"incidents and targets {t3 - t2:.2f} s) — {len(incidents)} incidents, {len(sessions)} sessions, "
        f"{len(series)} series points, {report.monitored_seconds / 86400:.3f} monitored days"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("/var/tmp/netwatch-bench-influx"))
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    check_lines()
    existed = (args.dir / "meta").exists()
    try:
        server = InfluxDB1(args.dir)
    except ServerUnavailable as err:
        sys.exit(str(err))
    server._admin_created = existed  # the admin user is in the kept data
    with server:
        try:
            count = server.rows(f"SELECT count(up) FROM netwatch_status WHERE probe = '{PROBE}'", DB)
        except ServerError:
            count = []
        if not count or count[0]["count"] < (args.days - 1) * (DAY - 1000):
            server.create_database(DB)
            fill(server, args.days)
        cfg = cfg_for(server, args.dir)
        month = Period(END - 31 * DAY, END)
        year = Period(END - args.days * DAY, END)
        server.restart()
        timed(cfg, "month, cold", month)
        server.restart()
        timed(cfg, "year, cold", year)
        timed(cfg, "month, warm", month)
        timed(cfg, "year, warm", year)


if __name__ == "__main__":
    main()
