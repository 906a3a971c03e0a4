"""The Grafana dashboards against real tools: every InfluxQL query on a real InfluxDB 1.x, and tsc.

A real `influxd` (fixture `influxdb1`) is filled the way netwatch fills it: real Round and Incident objects turned
into line protocol by netwatch.adapters.influx.points, for two probes. Then every InfluxQL query of every
dashboard (panel targets, annotations, variables), with Grafana's macros rendered as
tests/support/grafana/dashboards.py says, must run without error and return data; a few results are checked for
their values (loss, outage sums, superseded points, speed against plan). Separately,
tests/support/grafana/typecheck.mjs type-checks the dashboards against @grafana/schema with tsc (it needs
`npm ci` in tests/support/grafana; ./bootstrap test does it).

Without influxd, or without node and tests/support/grafana/node_modules, the tests are skipped with the reason,
except under CI, where that is a failure.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from typing import Any

import pytest

from netwatch.adapters.influx.points import ExportIncident, Points, speed_line
from netwatch.adapters.influx.pool import publication_line
from netwatch.core import pool
from netwatch.core.model import Cause, Incident, Kind, Member, Role, Round, Target
from netwatch.core.schedule import DAYS, BusinessHours
from tests.support.grafana import dashboards as g
from tests.support.lines import lines_of
from tests.support.rounds import Line
from tests.support.servers import InfluxDB1
from tests.support.skipping import unavailable
from tests.support.targets import A1, A2, A3, DNS, GW, ISP

DB = "netwatch"
ALWAYS_OPEN = BusinessHours.from_config({"timezone": "UTC", "week": dict.fromkeys(DAYS, "00:00-24:00")})
HOME = Line.of(GW, ISP, A1, A2, DNS)
OFFICE = Line.of(Target(Role.GATEWAY, "10.0.0.1"), A3)
MINUTES = 10  # of home rounds, one a second; the outage is the 6th minute
OUTAGE_MINUTE = 5
INFLUXQL = [q for q in g.probe_queries() if q.language == "InfluxQL"]


def home_round(t0: float, i: int) -> Round:
    """Round i of the home probe: 8.8.8.8 answers every other round; in OUTAGE_MINUTE only the gateway answers."""
    down = i // 60 == OUTAGE_MINUTE
    if down:
        return HOME.answers(t0 + i, 1.0, None, None, None, None)
    return HOME.answers(t0 + i, 1.0, 5.0, 10.0 + i % 3, None if i % 2 else 12.0, 20.0)


def office_round(t0: float, i: int) -> Round:
    return OFFICE.answers(t0 + i, 0.5, 8.0)


@pytest.fixture(scope="module")
def filled(influxdb1: InfluxDB1) -> dict[str, float]:
    """The database `netwatch`, filled like netwatch's exporter does; returns the instants used."""
    t0 = (math.floor(time.time() / 60) - MINUTES - 5) * 60.0  # whole minutes, all in the past 6 hours
    influxdb1.create_database(DB)
    home, office = Points("home", ALWAYS_OPEN), Points("office", ALWAYS_OPEN)
    lines = lines_of(home, (home_round(t0, i) for i in range(MINUTES * 60)))
    lines += lines_of(office, (office_round(t0, i) for i in range(120)))
    start, end = t0 + OUTAGE_MINUTE * 60, t0 + (OUTAGE_MINUTE + 1) * 60
    # The outage as the exporter writes it: when it opens (cause then: upstream), and when it closes (cause: isp).
    opened = Incident(Kind.OUTAGE, Cause.UPSTREAM, start, None, 3)
    closed = Incident(Kind.OUTAGE, Cause.ISP, start, end, 60, ((Cause.UPSTREAM, 3), (Cause.ISP, 57)))
    lines += home.incident_lines(ExportIncident(1, opened, (Cause.UPSTREAM,)))
    lines += home.incident_lines(ExportIncident(2, closed, (Cause.UPSTREAM, Cause.ISP)))
    degraded = Incident(Kind.DEGRADED, Cause.UNKNOWN, t0 + 500, None, 40)
    lines += home.incident_lines(ExportIncident(3, degraded, (Cause.UNKNOWN,)))
    for at, down, up in ((t0 + 100, 50.0, 10.0), (t0 + 400, 100.0, 20.0)):
        lines.append(
            speed_line("home", "http", "test", at, download_mbps=down, upload_mbps=up, latency_ms=9.0, jitter_ms=1.0)
        )
    influxdb1.write(lines, DB)
    return {"t0": t0, "outage_start": start, "outage_end": end}


def run(influxdb1: InfluxDB1, text: str) -> list[dict[str, Any]]:
    """Every series of the first statement's result: name, tags, columns and values (ms timestamps)."""
    result = influxdb1.query(g.substitute(text), DB, epoch="ms")["results"][0]
    assert "error" not in result, result
    series: list[dict[str, Any]] = result.get("series", [])
    return series


def query_of(where_prefix: str) -> str:
    (text,) = [q.text for q in INFLUXQL if q.where.startswith(where_prefix)]
    return text


def panel_query(title: str, ref: str = "A") -> str:
    (text,) = [q.text for q in INFLUXQL if q.where.startswith("panel ") and q.where.endswith(f'"{title}" {ref}')]
    return text


def by_tags(series: list[dict[str, Any]], *keys: str) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Series rows as dicts, grouped by the given tags' values."""
    out: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for s in series:
        rows = [dict(zip(s["columns"], v, strict=True)) for v in s["values"]]
        out.setdefault(tuple(s.get("tags", {}).get(k, "") for k in keys), []).extend(rows)
    return out


def test_every_dashboard_has_influxql_queries() -> None:
    assert len(INFLUXQL) >= 10
    assert {q.dashboard for q in INFLUXQL} >= {"netwatch-influxql.json"}


@pytest.mark.parametrize("query", INFLUXQL, ids=[str(q) for q in INFLUXQL])
def test_query_runs_and_returns_data(influxdb1: InfluxDB1, filled: dict[str, float], query: g.Query) -> None:
    series = run(influxdb1, query.text)
    assert series, f"no result for {g.substitute(query.text)}"
    values = [v for s in series for row in s["values"] for v in row[1:]]
    assert any(v is not None for v in values), f"only nulls for {g.substitute(query.text)}"


def test_probe_variable_lists_both_probes(influxdb1: InfluxDB1, filled: dict[str, float]) -> None:
    (series,) = run(influxdb1, query_of("variable probe"))
    assert sorted(value for _key, value in series["values"]) == ["home", "office"]


def test_loss_is_the_share_of_unanswered_rounds(influxdb1: InfluxDB1, filled: dict[str, float]) -> None:
    loss = by_tags(run(influxdb1, panel_query("Packet loss per target")), "probe", "target")
    outage_ms = filled["outage_start"] * 1000
    google = {row["time"]: row["loss"] for row in loss[("home", "8.8.8.8")]}
    assert len(google) == MINUTES, "one point per minute with rounds, none for minutes without"
    assert google.pop(outage_ms) == 100.0
    assert set(google.values()) == {50.0}  # answered every other round
    cloudflare = {row["time"]: row["loss"] for row in loss[("home", "1.1.1.1")]}
    assert cloudflare.pop(outage_ms) == 100.0 and set(cloudflare.values()) == {0.0}
    assert {row["loss"] for row in loss[("home", "192.168.1.1")]} == {0.0}
    assert [row["loss"] for row in loss[("office", "9.9.9.9")]] == [0.0, 0.0]


def test_latency_is_the_mean_of_answers(influxdb1: InfluxDB1, filled: dict[str, float]) -> None:
    latency = by_tags(run(influxdb1, panel_query("Latency per target")), "probe", "role", "target")
    assert {row["mean"] for row in latency[("home", "anchor", "8.8.8.8")] if row["mean"] is not None} == {12.0}
    assert {row["mean"] for row in latency[("home", "dns", "dns.google")] if row["mean"] is not None} == {20.0}
    gap = [row for row in latency[("home", "isp", "100.64.0.1")] if row["time"] == filled["outage_start"] * 1000]
    assert gap == [{"time": filled["outage_start"] * 1000, "mean": None}], "no answer: a gap, not zero"


def test_status_shows_the_last_round(influxdb1: InfluxDB1, filled: dict[str, float]) -> None:
    status = by_tags(run(influxdb1, panel_query("Line status now")), "probe")
    assert [(r["up"], r["cause"]) for r in status[("home",)]] == [(True, "none")]
    assert [(r["up"], r["cause"]) for r in status[("office",)]] == [(True, "none")]


def test_outage_figures_count_the_closed_outage_once(influxdb1: InfluxDB1, filled: dict[str, float]) -> None:
    # The outage was written open under cause upstream, then closed under isp: the first point is superseded.
    (outages,) = run(influxdb1, panel_query("Outages this month"))
    assert outages["tags"] == {"probe": "home"}
    assert [row[1:] for row in outages["values"]] == [[1, 60.0]]
    (business,) = run(influxdb1, panel_query("Business-hours downtime this month"))
    assert [row[1] for row in business["values"]] == [60.0]
    by_cause = by_tags(run(influxdb1, panel_query("Downtime by cause")), "cause")
    assert {k: [r["downtime"] for r in rows] for k, rows in by_cause.items()} == {("isp",): [60.0]}


def test_incident_table_and_annotations(influxdb1: InfluxDB1, filled: dict[str, float]) -> None:
    rows = by_tags(run(influxdb1, panel_query("Incidents")), "probe")[("home",)]
    start_ms, end_ms = filled["outage_start"] * 1000, filled["outage_end"] * 1000
    assert [(r["kind"], r["cause"], r["duration_s"], r["end"]) for r in rows] == [
        ("degraded", "unknown", 0.0, None),  # newest first; still open: no end
        ("outage", "isp", 60.0, end_ms),
    ]
    assert rows[1]["time"] == start_ms
    (outages,) = run(influxdb1, query_of('annotation "Outages"'))
    assert [dict(zip(outages["columns"], v, strict=True)) for v in outages["values"]] == [
        {"time": start_ms, "cause": "isp", "duration_s": 60.0, "end_ms": end_ms, "probe": "home"}
    ]


def test_speed_against_plan(influxdb1: InfluxDB1, filled: dict[str, float]) -> None:
    (share,) = run(influxdb1, panel_query("Speed as % of plan"))
    assert share["tags"] == {"probe": "home"}
    assert [row[1:] for row in share["values"]] == [[75.0, 75.0]]  # means 75 of 100 and 15 of 20 Mbit/s
    (plan,) = run(influxdb1, panel_query("Speed against plan", "B"))
    assert {tuple(row[1:]) for row in plan["values"]} == {(100.0, 20.0)}


def test_dashboards_type_check_against_grafana_schema() -> None:
    node = shutil.which("node")
    if node is None:
        unavailable("node is not installed (apt-get install nodejs npm)")
        return
    if not (g.TYPECHECK.parent / "node_modules" / "typescript").is_dir():
        where = g.TYPECHECK.parent.relative_to(g.REPO)
        unavailable(f"{where}/node_modules is missing (run `npm ci` in {where}, or ./bootstrap test)")
        return
    done = subprocess.run([node, str(g.TYPECHECK)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "match @grafana/schema" in done.stdout


# --- the neighbourhood pool's dashboard ------------------------------------------------------------------------


def test_pool_panel_shows_each_households_outages_by_cause(influxdb1: InfluxDB1) -> None:
    t0 = (math.floor(time.time() / 60) - 30) * 60.0
    households = {"a1b2c3d4e5f6": [(t0, t0 + 30.0, Cause.ISP)], "0a0b0c0d0e0f": [(t0, t0 + 40.0, Cause.UPSTREAM)]}
    for household, outages in households.items():
        member = Member(household, "Example Broadband", 0, "AB1 2", "")
        db = f"netwatch_pool_{household}"
        influxdb1.create_database(db)
        lines = [
            publication_line(
                pool.incident_publication(
                    member, Incident(Kind.OUTAGE, cause, a, b, 1), "ab" * 32, 1, (2, "cd" * 32), 0.0
                )
            )
            for a, b, cause in outages
        ]
        lines.append(publication_line(pool.coverage_publication(member, t0 - 600, t0 + 600)))
        influxdb1.write(lines, db)
    (query,) = [q for q in g.pool_queries() if q.where.startswith("panel ")]
    for household, outages in households.items():
        values = {
            "$household": f"netwatch_pool_{household}",
            "$isp": "Example Broadband",
            "$area": "AB1 2",
            "$timeFilter": g.TEST_TIME_FILTER,
        }
        result = influxdb1.query(g.substitute(query.text, values), f"netwatch_pool_{household}", epoch="ms")
        series = result["results"][0]["series"]
        assert [(s["tags"]["cause"], s["values"]) for s in series] == [
            (cause.value, [[round(a * 1000), b - a]]) for a, b, cause in outages
        ]
        other = {**values, "$area": "ZZ9 9"}
        assert (
            "series" not in influxdb1.query(g.substitute(query.text, other), f"netwatch_pool_{household}")["results"][0]
        )
