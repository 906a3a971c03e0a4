"""`[report] witness`: a second probe's verdict on each outage, read from a real InfluxDB 1.x.

Probe office-1 (a local store, and its points in InfluxDB) has four outages; probe office-2, on another line,
probes two of the same anchors and one of its own: it reaches them through the first outage (but for a 2-round
blip), loses them too through the second with its own gateway and ISP hop answering, loses them through the third
because its own line is down (its router in 10 rounds, its ISP hop in 70, then 10 rounds upstream), and is not
running during the fourth. office-3 probes none of the same anchors. The report from the store and the one from
InfluxDB must give the same verdicts with the same figures; an unknown witness and a stopped InfluxDB never lose
the report, and say why on stderr and in the report.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from netwatch.adapters.influx.points import Points
from netwatch.adapters.influx.query import InfluxQL, Series
from netwatch.adapters.influx.witness import WitnessSource
from netwatch.adapters.store import Store
from netwatch.config.records import InfluxConfig
from netwatch.core.model import Cause, ExportIncident, Role, Round, Target
from netwatch.core.schedule import BusinessHours
from netwatch.core.witness import AnchorCount, Counts
from tests.support.cli import invoke
from tests.support.incidents import outage
from tests.support.instants import ts
from tests.support.lines import lines_of
from tests.support.rounds import Line
from tests.support.servers import InfluxDB1
from tests.support.targets import A1, A2, A3, GW, ISP

pytestmark = pytest.mark.usefixtures("netwatch_logger")  # the CLI runs in process here

DB = "nw_witness"
T0 = ts("2026-01-05T09:00")  # a Monday, in business hours (London is on UTC)
HOURS = BusinessHours.from_config({"timezone": "Europe/London", "week": {"mon": "09:00-17:30"}})
DAY = ("--since", "2026-01-05", "--until", "2026-01-05")
MINE = (A1, A2, A3)
THEIRS = (A1, A2, Target(Role.ANCHOR, "4.4.4.4"))
OUTAGES = ((T0 + 600, T0 + 720), (T0 + 1800, T0 + 1900), (T0 + 2400, T0 + 2490), (T0 + 3000, T0 + 3060))  # upstream
RTTS = {Role.GATEWAY: 0.5, Role.ISP: 3.0, Role.ANCHOR: 12.5}


def rnd(at: float, anchors: tuple[Target, ...], down: Cause | None) -> Round:
    """A round of a probe with these anchors, the layers ``down`` takes down silent."""
    return Line.of(GW, ISP, *anchors, rtts=RTTS).round(at, down)


def theirs(at: float) -> Round:
    """office-2's round at ``at``: see the module docstring."""
    down = [(T0 + 650, T0 + 652), OUTAGES[1], OUTAGES[2]]  # a 2-round blip in office-1's first outage
    if T0 + 2400 <= at < T0 + 2410:
        return rnd(at, THEIRS, Cause.LOCAL)  # its router
    if T0 + 2410 <= at < T0 + 2480:
        return rnd(at, THEIRS, Cause.ISP)  # its ISP hop
    return rnd(at, THEIRS, Cause.UPSTREAM if any(a <= at < b for a, b in down) else None)


@pytest.fixture(scope="module")
def filled(influxdb1: InfluxDB1, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """office-1's store (one hour of rounds from 09:00, its three outages) and everyone's points in nw_witness."""
    tmp = tmp_path_factory.mktemp("witness")
    influxdb1.create_database(DB)
    mine = [
        rnd(T0 + i, MINE, Cause.UPSTREAM if any(a <= T0 + i < b for a, b in OUTAGES) else None) for i in range(3600)
    ]
    incidents = [outage(a, b, Cause.UPSTREAM, rounds=round(b - a)) for a, b in OUTAGES]
    with Store.open(tmp / "office-1.db") as store:
        store.begin_session(T0)
        for r in mine:
            store.add_round(r)
        store.commit()
        for inc in incidents:
            store.save_incident(inc)
        store.end_session(T0 + 3600)
    lines = lines_of(Points("office-1", HOURS), mine)
    for seq, inc in enumerate(incidents, 1):
        lines += Points("office-1", HOURS).incident_lines(ExportIncident(seq, inc, (inc.cause,)))
    # office-2's rounds fall between office-1's; it is stopped from 09:49:10 to 09:51:40 (office-1's fourth outage).
    running = [T0 + i + 0.37 for i in range(3600) if not 2950 <= i < 3100]
    lines += lines_of(Points("office-2", HOURS), (theirs(at) for at in running))
    lines += lines_of(
        Points("office-3", HOURS), (rnd(T0 + i, (Target(Role.ANCHOR, "4.4.4.4"),), None) for i in range(3600))
    )
    for k in range(0, len(lines), 5000):
        influxdb1.write(lines[k : k + 5000], DB)
    return tmp


def config_file(tmp: Path, server: InfluxDB1, witness: str, url: str | None = None) -> Path:
    path = tmp / f"witness-{witness}.toml"
    path.write_text(
        f'[probe]\nname = "office-1"\n[store]\npath = "{tmp / "office-1.db"}"\n[report]\nwitness = "{witness}"\n'
        '[business_hours]\ntimezone = "Europe/London"\n[business_hours.week]\nmon = "09:00-17:30"\n'
        f'[influxdb]\nurl = "{url or server.url}"\napi = "v1"\ndatabase = "{DB}"\nusername = "{server.username}"\n'
        f'password = "{server.password}"\n'
    )
    return path


def run(cfg: Path, *args: str) -> tuple[str, str]:
    code, out, err = invoke("report", "--config", str(cfg), *DAY, *args)
    assert code == 0, out + err
    return out, err


def report(cfg: Path, *args: str) -> tuple[dict[str, Any], str]:
    out, err = run(cfg, "--format", "json", *args)
    data: dict[str, Any] = json.loads(out)
    return data, err


def verdicts(data: dict[str, Any]) -> list[tuple[str, int, int]]:
    found = [i["witness"] for i in data["incidents"]]
    return [(w["verdict"], w["rounds"], w["reached_rounds"]) for w in found]


@pytest.mark.parametrize("source", ["sqlite", "influxdb"])
def test_each_outage_gets_the_witness_verdict(influxdb1: InfluxDB1, filled: Path, source: str) -> None:
    data, err = report(config_file(filled, influxdb1, "office-2"), "--source", source)
    assert err == ""
    assert data["witness"] == {
        "probe": "office-2",
        "asked": True,
        "reason": None,
        "anchors": ["1.1.1.1", "8.8.8.8"],
        "threshold_percent": 90,
        "own_line_percent": 50,
    }
    assert verdicts(data) == [("reached", 120, 118), ("lost", 100, 0), ("witness_down", 90, 0), ("no_data", 0, 0)]
    assert data["incidents"][2]["witness"]["own_line_down_rounds"] == 80  # router 10 + ISP hop 70 of its 90 rounds
    first = data["incidents"][0]["witness"]
    assert first["anchors"] == [
        {"address": "1.1.1.1", "probed": 120, "reached": 118},
        {"address": "8.8.8.8", "probed": 120, "reached": 118},
    ]
    assert first["summary"] == (
        "witness office-2 reached 2 of the 2 same anchors in 118 of 120 rounds during the outage: the anchors were up, "
        "so the fault was on this line"
    )
    assert data["incidents"][1]["witness"]["summary"] == (
        "witness office-2 reached 0 of the 2 same anchors in 0 of 100 rounds during the outage: it lost them too, so "
        "the fault was shared by both lines or upstream of them (or the anchors were down)"
    )
    assert data["incidents"][2]["witness"]["summary"] == (
        "witness office-2 reached 0 of the 2 same anchors in 0 of 90 rounds during the outage: its own line was down "
        "in 80 of its 90 rounds (cause local in 10, isp in 70), so it could not tell whether the anchors were up"
    )


def test_the_html_report_and_the_letter_show_the_verdicts(influxdb1: InfluxDB1, filled: Path) -> None:
    cfg = config_file(filled, influxdb1, "office-2")
    html, err = run(cfg, "--format", "html")
    assert "witness" not in err  # it was asked; beside a document is only what any report says there
    assert 'data-witness-for="i1" data-witness="office-2" data-verdict="reached"' in html
    assert 'data-witness-for="i2" data-witness="office-2" data-verdict="lost"' in html
    assert 'data-witness-for="i3" data-witness="office-2" data-verdict="witness_down"' in html
    assert 'data-witness-for="i4" data-witness="office-2" data-verdict="no_data"' in html
    assert (
        "Witness office-2 reached 0 of the 2 same anchors in 0 of 90 rounds during the outage: its own line was down "
        "in 80 of its 90 rounds (cause local in 10, isp in 70), so it could not tell whether the anchors were up."
    ) in html
    assert (
        "Witness office-2 has no data for this time: it was not running, or its export to InfluxDB has not caught up."
        in html
    )
    letter, _ = run(cfg, "--format", "md")
    assert (
        "- Outage starting Mon 5 Jan 2026 09:10:00 GMT: the second probe reached the same public hosts in 118 of its "
        "120 rounds: they were up, so the fault was on this line."
    ) in letter
    assert (
        "- Outage starting Mon 5 Jan 2026 09:40:00 GMT: the second probe could not tell: its own line was down in 80 "
        "of its 90 rounds, so it says nothing about whether the same public hosts were up."
    ) in letter


def test_a_witness_without_the_same_anchors_says_so(influxdb1: InfluxDB1, filled: Path) -> None:
    data, err = report(config_file(filled, influxdb1, "office-3"))
    assert err == ""
    assert (data["witness"]["asked"], data["witness"]["anchors"]) == (True, [])
    assert verdicts(data) == [("no_common", 0, 0)] * 4
    assert data["incidents"][0]["witness"]["summary"] == (
        "witness office-3 probes none of the same anchors: so it cannot tell whether they were up"
    )


def test_an_unknown_witness_is_not_asked_and_says_which_probes_there_are(influxdb1: InfluxDB1, filled: Path) -> None:
    data, err = report(config_file(filled, influxdb1, "office-9"))
    reason = (
        f'InfluxDB at {influxdb1.url} (api v1, database {DB}) has no data of probe "office-9"; it holds the probes '
        "office-1, office-2, office-3: check [report] witness"
    )
    assert err == f"netwatch: warning: witness office-9 not asked: {reason}\n"
    assert data["witness"] == {
        "probe": "office-9",
        "asked": False,
        "reason": reason,
        "anchors": [],
        "threshold_percent": 90,
        "own_line_percent": 50,
    }
    assert {i["witness"]["summary"] for i in data["incidents"]} == {f"witness office-9 not asked: {reason}"}


def test_influxdb_down_never_loses_the_report(influxdb1: InfluxDB1, filled: Path) -> None:
    cfg = config_file(filled, influxdb1, "office-2")
    reason = f"connection to {influxdb1.url} refused: is InfluxDB running there? check influxdb.url"
    influxdb1.stop()
    try:
        data, err = report(cfg)
        html, html_err = run(cfg, "--format", "html")
    finally:
        influxdb1.start()
    assert err == f"netwatch: warning: witness office-2 not asked: {reason}\n"
    assert f"netwatch: warning: witness office-2 not asked: {reason}" in html_err.splitlines()
    assert data["summary"]["outage_count"] == 4
    assert (data["witness"]["asked"], data["witness"]["reason"]) == (False, reason)
    assert verdicts(data) == [("not_asked", 0, 0)] * 4
    assert html.count(f"Witness office-2 not asked: {reason}.") == 4
    assert f"witness office-2 not asked: {reason}." in html  # the method section


def test_the_evidence_bundle_carries_the_verdicts(influxdb1: InfluxDB1, filled: Path) -> None:
    cfg = config_file(filled, influxdb1, "office-2")
    bundle = filled / "evidence.zip"
    code, out, err = invoke("evidence", "--config", str(cfg), *DAY, "--output", str(bundle))
    assert code == 0, out + err
    with zipfile.ZipFile(io.BytesIO(bundle.read_bytes())) as z:
        data = json.loads(z.read("report.json"))
        html = z.read("report.html").decode()
    assert verdicts(data) == [("reached", 120, 118), ("lost", 100, 0), ("witness_down", 90, 0), ("no_data", 0, 0)]
    assert data["incidents"][2]["witness"]["own_line_down_rounds"] == 80  # router 10 + ISP hop 70 of its 90 rounds
    assert 'data-verdict="reached"' in html and 'data-verdict="witness_down"' in html


def test_the_probe_reported_on_is_no_witness_of_itself(influxdb1: InfluxDB1, filled: Path) -> None:
    data, err = report(config_file(filled, influxdb1, "office-2"), "--source", "influxdb", "--probe", "office-2")
    reason = "it is the probe this report is about (office-2); name another probe in [report] witness"
    assert err == f"netwatch: warning: witness office-2 not asked: {reason}\n"
    assert (data["witness"]["asked"], data["witness"]["reason"]) == (False, reason)


def influx_config(server: InfluxDB1) -> InfluxConfig:
    """[influxdb] of office-1's configuration, as the witness source reads it."""
    return InfluxConfig(
        url=server.url,
        api="v1",
        org="",
        bucket="",
        token="",
        token_file=None,
        database=DB,
        retention_policy="",
        username=server.username,
        password=server.password,
        password_file=None,
        batch_size=5000,
        timeout=5.0,
    )


class Counting(InfluxQL):
    """The real client, counting the statements of each request."""

    def __init__(self, cfg: InfluxConfig) -> None:
        super().__init__(cfg)
        self.requests: list[int] = []

    def query(self, statements: Sequence[str]) -> list[list[Series]]:
        self.requests.append(len(statements))
        return super().query(statements)


def test_many_outages_are_asked_in_a_few_requests_and_answered_in_order(influxdb1: InfluxDB1, filled: Path) -> None:
    """200 windows of 10 s over office-2's hour: batched (several statements per request, 4 requests at a time),
    each answer lands on its own window; the blip at 09:10:50 and the outage at 09:30 show where they are."""
    cfg = influx_config(influxdb1)
    source = WitnessSource(cfg, "office-2")
    source.ql = Counting(cfg)
    windows = [(T0 + 10 * k, T0 + 10 * k + 10) for k in range(200)]
    got = source.counts(windows, ["1.1.1.1", "8.8.8.8"])
    assert len(source.ql.requests) <= 50 and sum(source.ql.requests) == 6 * 200  # 4 windows of 6 statements each
    reached = [c.reached_rounds for c in got]
    assert [c.rounds for c in got] == [10] * 200
    assert reached[65] == 8  # 09:10:50-09:11:00 holds the 2-round blip
    assert reached[180:190] == [0] * 10  # 09:30:00-09:31:40, office-1's second outage
    assert reached.count(10) == 200 - 11
    assert got[0] == Counts(10, 10, (AnchorCount("1.1.1.1", 10, 10), AnchorCount("8.8.8.8", 10, 10)))


def test_the_witness_own_causes_are_read_from_its_status_points(influxdb1: InfluxDB1, filled: Path) -> None:
    """office-1's third outage, 09:40:00-09:41:30, in three windows: office-2's router, its ISP hop, then upstream."""
    cfg = influx_config(influxdb1)
    windows = [(T0 + 2400, T0 + 2410), (T0 + 2410, T0 + 2480), (T0 + 2480, T0 + 2490)]
    got = WitnessSource(cfg, "office-2").counts(windows, ["1.1.1.1", "8.8.8.8"])
    assert [(c.rounds, c.reached_rounds, c.local_rounds, c.isp_rounds) for c in got] == [
        (10, 0, 10, 0),
        (70, 0, 0, 70),
        (10, 0, 0, 0),
    ]
