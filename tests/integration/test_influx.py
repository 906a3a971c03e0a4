"""Replication into real servers: influxd 1.x through the v1 /write path (read back with InfluxQL) and
VictoriaMetrics through influxdb-client's v2 write API (read back with /api/v1/export, which shows duplicates).

No probing here: each test fills a store directly, as the daemon would, and runs the exporter on it. The daemon
itself, with its exporter, runs inside the simulated ISP in test_influx_netns.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from netwatch import config
from netwatch.adapters.influx.points import Points
from netwatch.adapters.influx.sinks import Sink, V1Sink, V2Sink, sink_key
from netwatch.adapters.store import Store
from netwatch.app.daemon.export import Backoff, Exporter, StoreLedger, start_exporter
from netwatch.cli import main
from netwatch.core.model import Cause, ExportState, Incident, Kind, Round
from netwatch.core.schedule import BusinessHours
from tests.support.instants import T0
from tests.support.lines import lines_of
from tests.support.processes import wait_for
from tests.support.rounds import Line
from tests.support.servers import InfluxDB1, VictoriaMetrics
from tests.support.targets import A1, A2, A3, A6, GW, ISP

pytestmark = pytest.mark.usefixtures("netwatch_logger")  # the CLI runs in process here

TARGETS = (GW, ISP, A1, A2, A3, A6)
LINE = Line.of(*TARGETS)
HOURS = BusinessHours.from_config({"timezone": "UTC"})
FAST = Backoff(base=0.05, cap=0.4)


def rnd(at: float, i: int) -> Round:
    """Round ``i``: every target answering in 1 + i % 7 ms; now and then every anchor fails."""
    return LINE.round(at, Cause.UPSTREAM if i % 50 in (10, 11, 12) else None, rtt=1.0 + i % 7)


def feed(store: Store, n: int, *, start: float = T0, first: int = 0) -> None:
    for i in range(first, first + n):
        store.add_round(rnd(start + i, i))
    store.commit()


def store_times(path: Path) -> list[int]:
    with Store.open(path, readonly=True) as s:
        return [round(r.at * 1000) for r in s.rounds(float("-inf"), float("inf"))]


def exporter(path: Path, sink: Sink, probe: str, state: ExportState, batch_size: int = 500) -> Exporter:
    ledger = StoreLedger(Store.open(path), state.sink)
    points = Points(probe, HOURS)
    return Exporter(
        Store.open(path, readonly=True), sink, points, ledger, state, batch_size=batch_size, poll=0.05, backoff=FAST
    )


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "netwatch.db"


def v1_sink(server: InfluxDB1, database: str, password: str | None = None) -> V1Sink:
    return V1Sink(server.url, database, "", server.username, password or server.password, 2.0)


def v2_sink(server: VictoriaMetrics) -> V2Sink:
    return V2Sink(server.url, "-", "netwatch", "", 2.0)


def influx_times(server: InfluxDB1, db: str, probe: str) -> list[int]:
    return [r["time"] for r in server.rows(f"SELECT up FROM netwatch_status WHERE probe = '{probe}'", db)]


def vm_times(server: VictoriaMetrics, probe: str) -> list[int]:
    series = server.export(f'{{__name__="netwatch_status_up",probe="{probe}"}}')
    return sorted(t for s in series for t in s["timestamps"])


# --- the v1 path into influxd ------------------------------------------------------------------------------------


def test_v1_rounds_and_incidents_arrive_once(influxdb1: InfluxDB1, store_path: Path) -> None:
    influxdb1.create_database("nw_v1")
    with Store.open(store_path) as store:
        state = store.start_export("v1", T0)
        feed(store, 1200)
        store.save_incident(Incident(Kind.OUTAGE, Cause.ISP, T0 + 10))
        exp = exporter(store_path, v1_sink(influxdb1, "nw_v1"), "v1", state)
        while exp.step():
            pass
        store.save_incident(Incident(Kind.OUTAGE, Cause.LOCAL, T0 + 10, end=T0 + 13))  # the cause changed, closed
        while exp.step():
            pass
        exp.stop()
    times = store_times(store_path)
    assert influx_times(influxdb1, "nw_v1", "v1") == times
    counts = {
        r["role"]: r["count"] for r in influxdb1.rows("SELECT count(up) FROM netwatch_ping GROUP BY role", "nw_v1")
    }
    assert counts == {"anchor": 4 * 1200, "gateway": 1200, "isp": 1200}
    rtt = influxdb1.rows("SELECT count(rtt_ms) FROM netwatch_ping WHERE role = 'anchor'", "nw_v1")[0]["count"]
    assert rtt == 4 * (1200 - 24 * 3)  # lost samples carry no rtt_ms
    down = influxdb1.rows("SELECT count(up) FROM netwatch_status WHERE up = false", "nw_v1")[0]["count"]
    assert down == 24 * 3
    incidents = influxdb1.rows("SELECT * FROM netwatch_incident", "nw_v1")
    assert sorted((r["cause"], r["superseded"], r["duration_s"], r["open"]) for r in incidents) == [
        ("isp", True, 0.0, False),
        ("local", False, 3.0, False),
    ]
    assert {r["time"] for r in incidents} == {round((T0 + 10) * 1000)}
    live = influxdb1.rows("SELECT count(duration_s) FROM netwatch_incident WHERE superseded = false", "nw_v1")
    assert live[0]["count"] == 1


def test_v1_stopping_influxdb_mid_run_loses_and_duplicates_nothing(influxdb1: InfluxDB1, store_path: Path) -> None:
    influxdb1.create_database("nw_outage")
    run_with_an_outage(influxdb1, v1_sink(influxdb1, "nw_outage"), "v1-outage", store_path)
    assert influx_times(influxdb1, "nw_outage", "v1-outage") == store_times(store_path)


def test_v1_points_beyond_the_retention_policy_are_not_an_error(influxdb1: InfluxDB1) -> None:
    influxdb1.create_database("nw_short")
    influxdb1.query('CREATE RETENTION POLICY "day" ON "nw_short" DURATION 1d REPLICATION 1 DEFAULT')
    now = time.time()
    lines = lines_of(Points("rp", HOURS), [rnd(now - 3 * 86400, 0), rnd(now, 1)])
    v1_sink(influxdb1, "nw_short").write(lines)  # the old round is dropped by InfluxDB, the new one kept
    assert influx_times(influxdb1, "nw_short", "rp") == [round(now * 1000)]


# --- the v2 path (influxdb-client) into VictoriaMetrics ---------------------------------------------------------


def test_v2_rounds_arrive_once(victoria: VictoriaMetrics, store_path: Path) -> None:
    with Store.open(store_path) as store:
        state = store.start_export("v2", T0)
        feed(store, 600)
        exp = exporter(store_path, v2_sink(victoria), "v2", state, batch_size=1000)
        while exp.step():
            pass
        exp.stop()
    assert vm_times(victoria, "v2") == store_times(store_path)
    pings = victoria.export('{__name__="netwatch_ping_up",probe="v2"}')
    assert sorted((s["metric"]["role"], s["metric"]["target"], len(s["values"])) for s in pings) == sorted(
        (t.role.value, t.address, 600) for t in TARGETS
    )


def test_v2_stopping_the_server_mid_run_loses_and_duplicates_nothing(
    victoria: VictoriaMetrics, store_path: Path
) -> None:
    run_with_an_outage(victoria, v2_sink(victoria), "v2-outage", store_path)
    assert vm_times(victoria, "v2-outage") == store_times(store_path)  # export shows every duplicate sample


def run_with_an_outage(server: InfluxDB1 | VictoriaMetrics, sink: Sink, probe: str, store_path: Path) -> None:
    """Rounds keep coming (every 5 ms, committed in batches of 10) while the server is stopped for a second."""
    with Store.open(store_path) as store:
        state = store.start_export(probe, T0)
        exp = exporter(store_path, sink, probe, state, batch_size=70)
        exp.start()
        done = threading.Event()

        def produce() -> None:
            for batch in range(60):
                feed(store, 10, first=batch * 10)
                time.sleep(0.05)
            done.set()

        producer = threading.Thread(target=produce)
        producer.start()
        try:
            time.sleep(0.8)
            server.stop()
            time.sleep(1.0)
            server.start()
        finally:
            producer.join()
        wait_for("the exporter to catch up", lambda: exp.round_id == 600, 20.0)
        exp.stop()
        assert not exp.error
        assert exp.failures > 0  # the outage was seen, and survived


# --- permanent failures: one clear error, recorded for `netwatch status` -----------------------------------------


def status_config(tmp_path: Path, store_path: Path, influx: str) -> Path:
    path = tmp_path / "netwatch.toml"
    path.write_text(f'[probe]\nname = "p1"\n[store]\npath = "{store_path}"\n[influxdb]\n{influx}')
    return path


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "password",
            "InfluxDB at {url} refused the credentials (HTTP 401: authorization failed); check influxdb.username "
            "and influxdb.password (the user needs WRITE on the database)",
        ),
        (
            "database",
            'InfluxDB at {url} has no such target (HTTP 404: database not found: "missing"); create database '
            '"missing" (CREATE DATABASE missing) or fix influxdb.database',
        ),
        (
            "v2-on-1.6",
            "InfluxDB at {url} has no such target (HTTP 404: 404 page not found); check influxdb.org and "
            'influxdb.bucket ("b" must exist; InfluxDB 1.x before 1.8 has no v2 API: use api = "v1")',
        ),
    ],
)
def test_a_permanent_error_stops_the_export_and_status_shows_it(
    influxdb1: InfluxDB1, tmp_path: Path, store_path: Path, case: str, expected: str
) -> None:
    influxdb1.create_database("nw_ok")
    (tmp_path / "pw").write_text("wrong\n" if case == "password" else influxdb1.password + "\n")
    (tmp_path / "pw").chmod(0o600)
    settings = {
        "password": f'url = "{influxdb1.url}"\napi = "v1"\ndatabase = "nw_ok"\nusername = "admin"\n',
        "database": f'url = "{influxdb1.url}"\napi = "v1"\ndatabase = "missing"\nusername = "admin"\n',
        "v2-on-1.6": f'url = "{influxdb1.url}"\norg = "o"\nbucket = "b"\ntoken = "admin:x"\n',
    }[case]
    if case != "v2-on-1.6":
        settings += 'password_file = "pw"\n'
    cfg_path = status_config(tmp_path, store_path, settings)
    cfg = config.load(cfg_path, {"HOME": str(tmp_path)})
    with Store.open(store_path) as store:
        store.begin_session(T0)
        key = sink_key(cfg.influxdb)
        state = store.start_export(key, T0)
        feed(store, 5)
        exp = start_exporter(cfg, state, StoreLedger(store, key))
        assert exp is not None
        wait_for("the export to stop", lambda: not exp.running, 20.0)
        assert exp.error == expected.format(url=influxdb1.url)
        store.end_session(T0 + 5)
    result = CliRunner().invoke(main, ["status", "--config", str(cfg_path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"InfluxDB export stopped: {expected.format(url=influxdb1.url)}"


# --- the command line ------------------------------------------------------------------------------------------


def test_influx_check(influxdb1: InfluxDB1, tmp_path: Path, store_path: Path) -> None:
    influxdb1.create_database("nw_cli")
    good = status_config(
        tmp_path,
        store_path,
        f'url = "{influxdb1.url}"\napi = "v1"\ndatabase = "nw_cli"\n'
        f'username = "admin"\npassword = "{influxdb1.password}"\n',
    )
    result = CliRunner().invoke(main, ["influx", "check", "--config", str(good)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"InfluxDB at {influxdb1.url} (api v1, database nw_cli): test point written as")
    assert influxdb1.rows("SELECT ok FROM netwatch_check WHERE probe = 'p1'", "nw_cli")[0]["ok"] is True

    bad = status_config(
        tmp_path,
        store_path,
        f'url = "{influxdb1.url}"\napi = "v1"\ndatabase = "nw_cli"\nusername = "admin"\npassword = "nope"\n',
    )
    result = CliRunner().invoke(main, ["influx", "check", "--config", str(bad)])
    assert (result.exit_code, result.output) == (
        7,
        f"netwatch: InfluxDB at {influxdb1.url} refused the credentials (HTTP 401: authorization failed); check "
        "influxdb.username and influxdb.password (the user needs WRITE on the database)\n",
    )
    refused = status_config(tmp_path, store_path, 'url = "http://127.0.0.1:9"\napi = "v1"\ndatabase = "x"\n')
    result = CliRunner().invoke(main, ["influx", "check", "--config", str(refused)])
    assert (result.exit_code, result.output) == (
        7,
        "netwatch: connection to http://127.0.0.1:9 refused: is InfluxDB running there? check influxdb.url\n",
    )
    off = status_config(tmp_path, store_path, "")
    result = CliRunner().invoke(main, ["influx", "check", "--config", str(off)])
    assert result.exit_code == 3
    assert "influxdb.url: is not set, so nothing is exported to InfluxDB" in result.output


def test_influx_backfill_is_idempotent(influxdb1: InfluxDB1, tmp_path: Path, store_path: Path) -> None:
    influxdb1.create_database("nw_backfill")
    with Store.open(store_path) as store:
        feed(store, 3000)
        store.save_incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 700, end=T0 + 760))
    cfg = status_config(
        tmp_path,
        store_path,
        f'url = "{influxdb1.url}"\napi = "v1"\ndatabase = "nw_backfill"\n'
        f'username = "admin"\npassword = "{influxdb1.password}"\nbatch_size = 1000\n',
    )
    args = [
        "influx",
        "backfill",
        "--config",
        str(cfg),
        "--since",
        "2026-01-01T00:10:00+00:00",
        "--until",
        "2026-01-01T00:40:00+00:00",
    ]
    for _ in range(2):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("backfilled 1800 rounds, 1 incidents and 0 speed tests (12601 points) from ")
    times = store_times(store_path)
    assert influx_times(influxdb1, "nw_backfill", "p1") == times[600:2400]
    assert len(influxdb1.rows("SELECT * FROM netwatch_incident", "nw_backfill")) == 1
