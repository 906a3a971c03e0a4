"""`netwatch report --source influxdb`: the report of a probe rebuilt from a real InfluxDB 1.x through InfluxQL.

Two probes' stores are filled as the daemon fills them (sessions, rounds, incidents opened, changed and closed)
and exported by netwatch's own exporter into one influxd database; then the report of probe A read from InfluxDB
is compared with the report built from A's SQLite store. Coverage from InfluxDB is only promised to the minute
(README "Reports from InfluxDB"); everything else must be equal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from netwatch.adapters.influx.points import Points
from netwatch.adapters.influx.sinks import V1Sink
from netwatch.adapters.store import Store
from netwatch.app.daemon.export import Backoff, Exporter, StoreLedger
from netwatch.cli import main
from netwatch.core.model import Cause, Incident, Kind, Role, Round, Target
from netwatch.core.schedule import BusinessHours
from tests.support.cli import invoke
from tests.support.instants import ts
from tests.support.lines import lines_of
from tests.support.rounds import Line
from tests.support.servers import InfluxDB1
from tests.support.targets import GW, ISP

pytestmark = pytest.mark.usefixtures("netwatch_logger")  # the CLI runs in process here

DB = "nw_report"
T0 = ts("2026-01-05T08:30")  # a Monday; London is on UTC in January
WEEK = 'mon = "09:00-17:30"\ntue = "09:00-17:30"\n'
HOURS = BusinessHours.from_config({"timezone": "Europe/London", "week": {"mon": "09:00-17:30", "tue": "09:00-17:30"}})
DAY = ("--since", "2026-01-05", "--until", "2026-01-05")


@dataclass(frozen=True)
class Down:
    """Rounds [start, end) of a probe in which the layers of ``cause`` and everything beyond it fail."""

    start: float
    end: float
    cause: Cause


def rnd(at: float, anchors: tuple[Target, ...], downs: tuple[Down, ...]) -> Round:
    """The gateway, the ISP hop and ``anchors``, each answering in 5-8 ms, but for the layers a down takes down."""
    cause = next((d.cause for d in downs if d.start <= at < d.end), None)
    return Line.of(GW, ISP, *anchors).round(at, cause, rtt=lambda k: 5.0 + (at + k) % 13 / 4)


class Probe:
    """One probe's store, exported round by round to InfluxDB by netwatch's exporter (the daemon's path)."""

    def __init__(self, name: str, path: Path, server: InfluxDB1, anchors: tuple[str, ...], downs: tuple[Down, ...]):
        self.anchors = tuple(Target(Role.ANCHOR, a) for a in anchors)
        self.downs = downs
        self.store = Store.open(path)
        state = self.store.start_export(name, T0 - 60)
        sink = V1Sink(server.url, DB, "", server.username, server.password, 5.0)
        self.exporter = Exporter(
            Store.open(path, readonly=True),
            sink,
            Points(name, HOURS),
            StoreLedger(Store.open(path), name),
            state,
            batch_size=5000,
            poll=0.05,
            backoff=Backoff(base=0.05, cap=0.2),
        )

    def rounds(self, start: float, end: float) -> None:
        for i in range(int(end - start)):
            self.store.add_round(rnd(start + i, self.anchors, self.downs))
        self.store.commit()
        self.export()

    def incident(self, inc: Incident) -> None:
        self.store.save_incident(inc)
        self.export()

    def export(self) -> None:
        while self.exporter.step():
            pass
        assert not self.exporter.error

    def close(self) -> None:
        self.exporter.stop()
        self.store.close()


@pytest.fixture(scope="module")
def filled(influxdb1: InfluxDB1, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Probes A and B exported to database nw_report; returns the directory holding a.db and b.db.

    A: a session 08:30-09:30 (clean stop), 10 minutes unmonitored, a session 09:40-10:30 that ends by a crash;
    an outage across 09:00 opened as `isp` and closed as `local` (a superseded point), a short `isp` outage, a
    degraded period, and an `upstream` outage still open when the data ends. B: monitored all along (including A's
    gap) with other anchors and a `dns` outage, so anything of B in A's report shows.
    """
    tmp = tmp_path_factory.mktemp("influx-report")
    influxdb1.create_database(DB)
    changed = Down(T0 + 1740, T0 + 1860, Cause.LOCAL)
    a = Probe(
        "A",
        tmp / "a.db",
        influxdb1,
        ("1.1.1.1", "8.8.8.8", "9.9.9.9"),
        (changed, Down(T0 + 6000, T0 + 6030, Cause.ISP), Down(T0 + 7000, T0 + 7200, Cause.UPSTREAM)),
    )
    a.store.begin_session(T0)
    a.rounds(T0, T0 + 1800)
    a.incident(Incident(Kind.OUTAGE, Cause.ISP, T0 + 1740, rounds=3))  # exported open, under its first cause
    a.rounds(T0 + 1800, T0 + 3600)
    a.incident(Incident(Kind.OUTAGE, Cause.LOCAL, T0 + 1740, T0 + 1860, rounds=120))
    a.store.end_session(T0 + 3600)
    a.store.begin_session(T0 + 4200)
    a.rounds(T0 + 4200, T0 + 7200)
    a.incident(Incident(Kind.DEGRADED, Cause.UPSTREAM, T0 + 5000, T0 + 5300))
    a.incident(Incident(Kind.OUTAGE, Cause.ISP, T0 + 6000, T0 + 6030))
    a.incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 7000))  # still open: the disk died
    a.close()
    b = Probe("B", tmp / "b.db", influxdb1, ("4.4.4.4",), (Down(T0 + 3000, T0 + 3100, Cause.UPSTREAM),))
    b.store.begin_session(T0 - 600)
    b.rounds(T0 - 600, T0 + 7800)
    b.incident(Incident(Kind.OUTAGE, Cause.DNS, T0 + 3000, T0 + 3100))
    b.store.end_session(T0 + 7800)
    b.close()
    rows = influxdb1.rows('SELECT "superseded", "open" FROM netwatch_incident WHERE probe = \'A\' GROUP BY cause', DB)
    assert sorted((r["cause"], r["superseded"], r["open"]) for r in rows) == [
        ("isp", False, False),
        ("isp", True, False),
        ("local", False, False),
        ("upstream", False, False),
        ("upstream", False, True),
    ]
    return tmp


def config_file(tmp: Path, name: str, store: str, influx: str) -> Path:
    path = tmp / f"{name}.toml"
    path.write_text(
        f'[probe]\nname = "A"\n[store]\npath = "{tmp / store}"\n[business_hours]\n'
        f'timezone = "Europe/London"\n[business_hours.week]\n{WEEK}[influxdb]\n{influx}'
    )
    return path


def v1(server: InfluxDB1, database: str = DB, password: str | None = None) -> str:
    return (
        f'url = "{server.url}"\napi = "v1"\ndatabase = "{database}"\nusername = "{server.username}"\n'
        f'password = "{password or server.password}"\n'
    )


def report(*args: str) -> dict[str, Any]:
    code, out, err = invoke("report", *args, "--format", "json")
    assert code == 0, out + err
    data: dict[str, Any] = json.loads(out)
    return data


def fail(*args: str) -> tuple[int, str]:
    code, out, err = invoke("report", *args, "--format", "json")
    assert out == ""
    return code, err


def test_the_report_from_influxdb_is_the_report_from_the_store(influxdb1: InfluxDB1, filled: Path) -> None:
    cfg = config_file(filled, "a", "a.db", v1(influxdb1))
    local = report("--config", str(cfg), *DAY)
    remote = report("--config", str(cfg), *DAY, "--source", "influxdb", "--probe", "A")
    assert remote["period"] == local["period"]

    def incident(i: dict[str, Any]) -> tuple[Any, ...]:
        keys = ("kind", "cause", "start", "end", "duration_seconds", "business_seconds", "clipped_to_period")
        return tuple(i[k] for k in keys)

    assert [incident(i) for i in remote["incidents"]] == [incident(i) for i in local["incidents"]]
    assert [(i["kind"], i["cause"], i["end"] is None) for i in remote["incidents"]] == [
        ("outage", "local", False),
        ("degraded", "upstream", False),
        ("outage", "isp", False),
        ("outage", "upstream", True),
    ]
    summary = (
        "outage_count",
        "downtime_seconds",
        "business_downtime_seconds",
        "longest_outage_seconds",
        "degraded_count",
        "degraded_seconds",
    )
    assert {k: remote["summary"][k] for k in summary} == {k: local["summary"][k] for k in summary}
    assert remote["summary"]["outage_count"] == 3
    assert remote["summary"]["business_downtime_seconds"] == 60.0 + 30.0 + 199.0  # the open one: to the last round
    assert remote["by_cause"] == local["by_cause"]

    # Coverage: the same sessions, each edge within the documented minute (here: the last round vs the stop).
    assert len(remote["coverage"]["sessions"]) == len(local["coverage"]["sessions"]) == 2
    for mine, truth in zip(remote["coverage"]["sessions"], local["coverage"]["sessions"], strict=True):
        assert abs(ts(mine["start"]) - ts(truth["start"])) <= 60
        assert abs(ts(mine["end"]) - ts(truth["end"])) <= 60
    assert abs(remote["coverage"]["monitored_seconds"] - local["coverage"]["monitored_seconds"]) <= 120
    assert [(g["start"], g["end"]) for g in remote["gaps"][1:2]] == [("2026-01-05T09:29:59Z", "2026-01-05T09:40:00Z")]

    # The anchor series: the same buckets and counts; averages to the store's 0.1 ms.
    assert [(p["start"], p["sent"], p["lost"]) for p in remote["series"]] == [
        (p["start"], p["sent"], p["lost"]) for p in local["series"]
    ]
    for mine, truth in zip(remote["series"], local["series"], strict=True):
        assert mine["rtt_avg_ms"] == pytest.approx(truth["rtt_avg_ms"], abs=0.05)
        assert mine["rtt_max_ms"] == pytest.approx(truth["rtt_max_ms"], abs=0.05)

    method = remote["method"]
    assert {(t["role"], t["address"]) for t in method["targets"]} == {
        (t["role"], t["address"]) for t in local["method"]["targets"]
    }
    assert method["interval"] == 1.0
    assert f"Read from InfluxDB at {influxdb1.url} (api v1, database {DB}), probe A" in method["clock"]


def test_probes_do_not_mix(influxdb1: InfluxDB1, filled: Path) -> None:
    cfg = config_file(filled, "a", "a.db", v1(influxdb1))
    default = report("--config", str(cfg), *DAY, "--source", "influxdb")  # [probe] name is A
    assert "4.4.4.4" not in json.dumps(default)
    assert "dns" not in {i["cause"] for i in default["incidents"]}
    b = report("--config", str(cfg), *DAY, "--source", "influxdb", "--probe", "B")
    assert [(i["cause"], i["start"], i["end"]) for i in b["incidents"]] == [
        ("dns", "2026-01-05T09:20:00Z", "2026-01-05T09:21:40Z")
    ]
    assert [(s["start"], s["end"]) for s in b["coverage"]["sessions"]] == [
        ("2026-01-05T08:20:00Z", "2026-01-05T10:39:59Z")
    ]
    assert [(t["role"], t["address"]) for t in b["method"]["targets"]] == [
        ("gateway", "192.168.1.1"),
        ("isp", "100.64.0.1"),
        ("anchor", "4.4.4.4"),
    ]
    # Without --since, the period starts at the probe's first point in InfluxDB.
    since = report("--config", str(cfg), "--source", "influxdb", "--probe", "B")["period"]["since"]
    assert since == "2026-01-05T08:20:00+00:00"


def test_errors_name_the_fix(influxdb1: InfluxDB1, filled: Path) -> None:
    url = influxdb1.url
    cfg = config_file(filled, "a", "a.db", v1(influxdb1))
    assert fail("--config", str(cfg), *DAY, "--source", "influxdb", "--probe", "C") == (
        6,
        f'netwatch: InfluxDB at {url} (api v1, database {DB}) has no data of probe "C"; it holds the probes A, B: '
        "pass one with --probe\n",
    )
    wrong = config_file(filled, "wrong", "a.db", v1(influxdb1, password="nope"))
    assert fail("--config", str(wrong), *DAY, "--source", "influxdb") == (
        6,
        f"netwatch: InfluxDB at {url} refused the credentials (HTTP 401: authorization failed); check "
        "influxdb.username and influxdb.password (the user needs READ on the database)\n",
    )
    missing = config_file(filled, "missing", "a.db", v1(influxdb1, database="nope"))
    assert fail("--config", str(missing), *DAY, "--source", "influxdb") == (
        6,
        f"netwatch: InfluxDB at {url} (api v1, database nope) has no such database (database not found: nope); "
        "fix influxdb.database\n",
    )
    refused = config_file(filled, "refused", "a.db", 'url = "http://127.0.0.1:9"\napi = "v1"\ndatabase = "x"\n')
    assert fail("--config", str(refused), *DAY, "--source", "influxdb") == (
        6,
        "netwatch: connection to http://127.0.0.1:9 refused: is InfluxDB running there? check influxdb.url\n",
    )
    off = config_file(filled, "off", "a.db", "")
    assert fail("--config", str(off), *DAY, "--source", "influxdb") == (
        6,
        "netwatch: --source influxdb reads the [influxdb] replica, but influxdb.url is not set; set it to the "
        'InfluxDB that netwatch exports to, e.g. url = "http://influxdb.lan:8086", with the keys of its api\n',
    )
    assert fail("--config", str(cfg), *DAY, "--probe", "B") == (
        2,  # bad usage: the option needs --source influxdb
        "netwatch: --probe picks a probe in InfluxDB: add --source influxdb (the local store holds one)\n",
    )


def test_coverage_of_a_probe_with_a_long_interval(influxdb1: InfluxDB1, filled: Path) -> None:
    """Rounds 90 s apart (most minutes hold none): sessions are found with buckets of two intervals, and a gap
    shorter than a minute between rounds of a 1 s probe is not a gap (the documented precision)."""
    influxdb1.create_database("nw_slow")
    anchors = (Target(Role.ANCHOR, "1.1.1.1"),)
    slow = [T0 + 90 * i for i in range(40)] + [T0 + 90 * i for i in range(60, 100)]  # 30 min unmonitored
    fast = [T0 + i for i in range(600) if not 200 <= i < 240]  # 40 s unmonitored
    lines = lines_of(Points("slow", HOURS), (rnd(at, anchors, ()) for at in slow))
    lines += lines_of(Points("fast", HOURS), (rnd(at, anchors, ()) for at in fast))
    influxdb1.write(lines, "nw_slow")
    cfg = config_file(filled, "slow", "a.db", v1(influxdb1, database="nw_slow"))
    base = report("--config", str(cfg), *DAY, "--source", "influxdb", "--probe", "slow")
    assert base["method"]["interval"] == 90.0
    assert [(ts(s["start"]) - T0, ts(s["end"]) - T0) for s in base["coverage"]["sessions"]] == [
        (0.0, 39 * 90.0),
        (60 * 90.0, 99 * 90.0),
    ]
    fast_report = report("--config", str(cfg), *DAY, "--source", "influxdb", "--probe", "fast")
    assert [(ts(s["start"]) - T0, ts(s["end"]) - T0) for s in fast_report["coverage"]["sessions"]] == [(0.0, 599.0)]


@pytest.mark.parametrize("fmt", ["html", "md", "csv"])
def test_every_format_renders_from_influxdb(influxdb1: InfluxDB1, filled: Path, fmt: str) -> None:
    cfg = config_file(filled, "a", "a.db", v1(influxdb1))
    result = CliRunner().invoke(main, ["report", "--config", str(cfg), *DAY, "--source", "influxdb", "--format", fmt])
    assert result.exit_code == 0, result.output
    assert ("5 Jan 2026" if fmt == "md" else "2026-01-05") in result.stdout  # the letter writes dates in words
    if fmt != "csv":
        assert f"Read from InfluxDB at {influxdb1.url}" in result.stdout


def test_a_report_from_influxdb_has_the_local_tickets_of_its_own_probe(
    influxdb1: InfluxDB1, filled: Path, tmp_path: Path
) -> None:
    import sqlite3

    from netwatch.core.model import Channel, Ticket

    with sqlite3.connect(filled / "a.db") as src, sqlite3.connect(tmp_path / "a.db") as dst:
        src.backup(dst)  # a copy of probe A's store, WAL included
    with Store.open(tmp_path / "a.db") as store:
        store.save_ticket(Ticket("A-7", T0 + 6010, Channel.EMAIL), T0 + 6011)
    cfg = config_file(tmp_path, "a", "a.db", v1(influxdb1))
    remote = report("--config", str(cfg), *DAY, "--source", "influxdb")
    # Reported 10:10:10 during the isp outage 10:10:00-10:10:30 (20 s after the report) and still open: it also
    # covers the upstream outage from 10:26:40, open to the last monitored round 10:29:59 (199 s), never beyond.
    assert [(t["ref"], t["outages"], t["down_after_report_seconds"], t["restored"]) for t in remote["tickets"]] == [
        ("A-7", 2, 219.0, None)
    ]
    local = report("--config", str(cfg), *DAY)
    assert local["tickets"] == remote["tickets"]
    b = report("--config", str(cfg), *DAY, "--source", "influxdb", "--probe", "B")
    assert b["tickets"] == []  # another probe's report: A's store says nothing about B's line
