"""The neighbourhood pool end to end: eight real daemons in a simulated neighbourhood publish to one real InfluxDB 1.6.

Households 1-5 share one access network behind edge a of "Example Broadband" in area "AB1 2"; households 6 and 7 are
on "Other Net" (edge b) in the same area; household 8 is on Example Broadband in "ZZ9 9" (edge c). Each runs its own
daemon and store, and publishes to the pool (InfluxDB 1.6 inside `internet`, reached through its own line), with the
database and user `netwatch pool admin add-household` gave it. The module builds this once and runs the daemons
concurrently; the cuts that are independent overlap: household 2's own access line (10 s) and Other Net's uplink
(15 s) together, then edge a's uplink (30 s), during which the pool itself is stopped until 5 s after the line is
back. The area reports must show the edge cut as 5 of 5 (±1 s), the access cut as household 2's alone, Other Net's
cut nowhere in Example Broadband's report, household 8 only with `--area "ZZ9 9"`; `pool verify` must flag a record
altered in the pool, and nothing may be lost while the pool was unreachable.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.core import pool as rules
from netwatch.core.text import local
from tests.support import configs, processes
from tests.support.cli import invoke
from tests.support.netns_daemon import Daemon, environment
from tests.support.netns_isp import ANCHORS, POOL_HOST, REASON, Neighbourhood, NetnsUnavailable, missing_requirements
from tests.support.servers import InfluxDB1, ServerUnavailable
from tests.support.skipping import unavailable

pytestmark = pytest.mark.netns

EDGES = ["a"] * 5 + ["b"] * 2 + ["c"]
PROVIDERS = {"a": ("Example Broadband", "AB1 2"), "b": ("Other Net", "AB1 2"), "c": ("Example Broadband", "ZZ9 9")}
INTERVAL = 0.25
SIGNED = {3: "Jane Doe, Doe Bakery"}
TOLERANCE = 1.0  # seconds: the issue's ±1 s (a round starts within one interval of a cut)


@dataclass
class Cuts:
    access: tuple[float, float]  # household 2's own line
    other: tuple[float, float]  # Other Net's uplink
    edge: tuple[float, float]  # Example Broadband's edge a in AB1 2
    pool_down: tuple[float, float]


@dataclass
class Area:
    nb: Neighbourhood
    server: InfluxDB1
    daemons: dict[int, Daemon]
    configs: dict[int, Path]
    households: dict[int, str]
    cuts: Cuts
    since: str

    def netwatch(self, n: int, *args: str) -> tuple[int, str, str]:
        """`netwatch ARGS --config` of household ``n``, run in its home (the pool is reached through its line)."""
        done = self.nb.run(
            self.nb.homes[n - 1].home,
            sys.executable,
            "-m",
            "netwatch",
            *args,
            "--config",
            str(self.configs[n]),
            check=False,
        )
        return done.returncode, done.stdout, done.stderr

    def report(self, n: int, *args: str) -> dict[str, Any]:
        code, out, err = self.netwatch(n, "pool", "report", "--format", "json", "--since", self.since, *args)
        assert code == 0, out + err
        data: dict[str, Any] = json.loads(out)
        return data


def _config(tmp: Path, n: int, edge: str, user: str = "", password: str = "") -> Path:
    isp, area = PROVIDERS[edge]
    document = configs.daemon(
        tmp / f"h{n}.db",
        ANCHORS,
        interval=INTERVAL,
        timeout=0.2,
        commit_interval=0.5,
        probe={"name": f"h{n}"},
        targets={"gateway": "auto", "isp": "auto"},
        detect={"confirm": 3},
        traceroute={"enabled": False},
        business_hours={"timezone": "UTC"},
        pool={
            "url": f"http://{POOL_HOST}:{8086}",
            "isp": isp,
            "area": area,
            "username": user,
            "password": password,
            "sign_as": SIGNED.get(n, ""),
            "coverage_every": 1.0,
        },
    )
    return configs.write(tmp / f"h{n}.toml", document)


def _published(daemon: Daemon, after: float) -> bool:
    """Every incident publication confirmed by the pool, and monitored time confirmed up to ``after``."""
    with Store.open(daemon.store, readonly=True) as store:
        entries = store.pool_entries()
        sent = store.pool_sent()
    incidents = all(e.sent_at is not None for e in entries if e.publication.measurement == rules.INCIDENT)
    covered = max((float(p.fields["end"]) for p, _, _ in sent if p.measurement == rules.COVERAGE), default=0.0)
    return incidents and covered >= after


def _wait(what: str, check: Any, timeout: float, daemons: dict[int, Daemon]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for daemon in daemons.values():
            if daemon.proc.poll() is not None:
                pytest.fail(f"a daemon exited ({daemon.proc.returncode}) while waiting for {what}:\n{daemon.logs()}")
        try:
            if check():
                return
        except Exception:  # a store not created yet
            pass
        time.sleep(0.2)
    logs = "\n".join(f"--- h{n}\n{d.logs()[-2000:]}" for n, d in daemons.items())
    pytest.fail(f"timed out after {timeout} s waiting for {what}\n{logs}")


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Area]:
    missing = missing_requirements()
    if missing:
        unavailable(f"{REASON} ({missing})")
    tmp = tmp_path_factory.mktemp("pool")
    nb = Neighbourhood(EDGES)
    try:
        nb.__enter__()
    except NetnsUnavailable as err:
        unavailable(f"{REASON} ({err})")
    daemons: dict[int, Daemon] = {}
    try:
        server = InfluxDB1(tmp / "influx", host=POOL_HOST, port=8086, netns=nb.internet)
    except ServerUnavailable as err:
        nb.teardown()
        unavailable(str(err))
    try:
        server.start()
        admin = tmp / "admin.toml"
        admin.write_text(
            f'[pool]\nurl = "http://{POOL_HOST}:8086"\nisp = "-"\narea = "-"\nusername = "{server.username}"\n'
            f'password = "{server.password}"\n[store]\npath = "{tmp / "admin.db"}"\n'
        )
        households, cfgs = {}, {}
        env = environment(tmp)
        for home in nb.homes:
            path = _config(tmp, home.number, home.edge)
            code, out, err = invoke("pool", "id", "--config", str(path))
            assert code == 0, out + err
            households[home.number] = out.split()[0]
        for home in nb.homes:  # the operator adds each household, from inside `internet`
            done = nb.run(
                nb.internet,
                sys.executable,
                "-m",
                "netwatch",
                "pool",
                "admin",
                "add-household",
                "--config",
                str(admin),
                households[home.number],
            )
            password = done.stdout.split('password = "')[1].split('"')[0]
            user = f"netwatch_pool_{households[home.number]}"
            assert f'  username = "{user}"' in done.stdout
            cfgs[home.number] = _config(tmp, home.number, home.edge, user, password)
        for home in nb.homes:
            log = tmp / f"h{home.number}.log"
            with log.open("ab") as err_file:
                proc = nb.popen(
                    home.home,
                    sys.executable,
                    "-m",
                    "netwatch",
                    "run",
                    "--config",
                    str(cfgs[home.number]),
                    env=env,
                    stderr=err_file,
                )
            daemons[home.number] = Daemon(proc, tmp / f"h{home.number}.db", log)
        since = time.strftime("%Y-%m-%d", time.gmtime())
        started = time.time()
        _wait(
            "every household's first publications",
            lambda: all(_published(d, started) for d in daemons.values()),
            60,
            daemons,
        )
        time.sleep(1.0)
        access = nb.cut_access(2)
        other = nb.cut_uplink("b")
        time.sleep(10)
        access = (access, nb.cut_access(2, False))
        time.sleep(5)
        other = (other, nb.cut_uplink("b", False))
        time.sleep(3)
        edge_cut = nb.cut_uplink("a")
        time.sleep(3)
        server.stop()
        stopped = time.time()
        time.sleep(27)
        edge = (edge_cut, nb.cut_uplink("a", False))
        time.sleep(5)
        server.start()
        cuts = Cuts(access, other, edge, (stopped, time.time()))
        _wait(
            "every household's publications after the pool is back",
            lambda: all(_published(d, edge[1] + 2) for d in daemons.values()),
            90,
            daemons,
        )
        yield Area(nb, server, daemons, cfgs, households, cuts, since)
    finally:
        for daemon in daemons.values():
            processes.stop(daemon.proc, timeout=10)
        server.stop()
        nb.teardown()


def _near(outages: list[dict[str, Any]], window: tuple[float, float]) -> dict[str, Any]:
    found = [o for o in outages if abs(o["start_epoch"] - window[0]) <= TOLERANCE]
    assert len(found) == 1, (window, outages)
    return found[0]


def test_the_edge_cut_is_shared_by_all_five_households(area: Area) -> None:
    data = area.report(1)
    assert data["isp"] == "Example Broadband" and data["area"] == "AB1 2"
    shared = _near(data["outages"], area.cuts.edge)
    assert abs(shared["end_epoch"] - area.cuts.edge[1]) <= TOLERANCE
    assert (shared["down"], shared["monitoring"], shared["partly_monitored"]) == (5, 5, 0)
    assert [h["state"] for h in shared["households"]] == ["down"] * 5
    lo, hi = shared["extent"]
    assert abs(lo - area.cuts.edge[0]) <= TOLERANCE and abs(hi - area.cuts.edge[1]) <= TOLERANCE
    assert abs(shared["overlap_seconds"] - (area.cuts.edge[1] - area.cuts.edge[0])) <= TOLERANCE
    assert shared["control"] == {
        "monitoring": 2,
        "down": 0,
        "sentence": "0 of 2 on other providers in AB1 2 were down",
    }
    start, end = time.strftime("%H:%M:%S", time.gmtime(lo)), time.strftime("%H:%M:%S", time.gmtime(hi))
    minutes = shared["overlap_seconds"]
    assert shared["sentence"].startswith(f"5 of 5 monitored households on Example Broadband in AB1 2 were down {start}")
    assert f"{start}\u2013{end} (overlap " in shared["sentence"], shared["sentence"]
    assert minutes > 0


def test_the_access_cut_is_that_household_alone(area: Area) -> None:
    data = area.report(2)
    shared = _near(data["outages"], area.cuts.access)
    assert abs(shared["end_epoch"] - area.cuts.access[1]) <= TOLERANCE
    assert (shared["down"], shared["monitoring"]) == (1, 5)
    assert shared["sentence"] == (
        "this household alone: none of the 4 households on Example Broadband in AB1 2 monitoring then was down"
    )
    first = area.report(1)
    assert not [o for o in first["outages"] if abs(o["start_epoch"] - area.cuts.access[0]) <= TOLERANCE + 2]


def test_the_other_providers_cut_is_not_in_this_providers_report(area: Area) -> None:
    data = area.report(1)
    lo, hi = area.cuts.other
    neighbours = sorted(area.households[n] for n in range(2, 6))
    assert [h["household"] for h in data["households"]] == [area.households[1], *neighbours]  # this one first
    during = {
        h["household"]: [o["start"] for o in h["outages"] if o["end"] > lo and o["start"] < hi]
        for h in data["households"]
    }
    # Only household 2's own access cut, which ran at the same time: Other Net's cut is not there.
    assert {h: len(starts) for h, starts in during.items() if starts} == {area.households[2]: 1}
    assert abs(during[area.households[2]][0] - area.cuts.access[0]) <= TOLERANCE
    assert not [o for o in data["outages"] if o["end_epoch"] > lo and o["start_epoch"] < hi]
    assert sorted(h["household"] for h in data["control"]) == sorted(area.households[n] for n in (6, 7))
    theirs = area.report(6)
    shared = _near(theirs["outages"], area.cuts.other)
    assert (shared["down"], shared["monitoring"]) == (2, 2)
    # The control is Example Broadband in AB1 2: household 2's own line was cut at the same time, the others were up.
    assert shared["control"] == {
        "monitoring": 5,
        "down": 1,
        "sentence": "1 of 5 on other providers in AB1 2 were down",
    }


def test_the_household_of_another_area_only_with_its_area(area: Area) -> None:
    mine = area.report(1)
    everyone = {h["household"] for h in mine["households"] + mine["control"]}
    assert area.households[8] not in everyone
    there = area.report(1, "--area", "ZZ9 9")  # household 1 is not of that area: it is not counted there
    assert [h["household"] for h in there["households"]] == [area.households[8]]
    shared = _near(there["outages"], area.cuts.edge)
    assert (shared["down"], shared["monitoring"]) == (0, 1)
    assert shared["sentence"] == "0 of 1 monitored household on Example Broadband in ZZ9 9 was down"


def test_nothing_is_lost_while_the_pool_is_unreachable(area: Area) -> None:
    logs = [area.daemons[n].logs() for n in range(1, 6)]
    assert any("pool: publishing failed" in log for log in logs), "no attempt was made while the pool was down"
    for n, daemon in area.daemons.items():
        with Store.open(daemon.store, readonly=True) as store:
            outages = [i for i in store.incidents(0, time.time()) if rules.publishable(i, ["outage"])]
        db = f"netwatch_pool_{area.households[n]}"
        points = area.server.rows('SELECT "start", "end" FROM "netwatch_pool_incident"', db)
        assert sorted((round(p["start"], 3), round(p["end"], 3)) for p in points) == sorted(
            (round(i.start, 3), round(i.end or 0, 3)) for i in outages
        ), n
    assert (
        len(area.server.rows('SELECT "end" FROM "netwatch_pool_incident"', f"netwatch_pool_{area.households[3]}")) == 1
    )


def test_pool_verify_matches_then_flags_a_tampered_record(area: Area) -> None:
    code, out, err = area.netwatch(1, "pool", "verify")
    assert code == 0, out + err
    assert out.startswith(
        f"Household {area.households[1]}: its records in the pool (netwatch_pool_{area.households[1]})"
    )
    assert ": match\n" in out
    db = f"netwatch_pool_{area.households[3]}"
    (point,) = area.server.rows('SELECT * FROM "netwatch_pool_incident"', db)
    forged = point["end"] - 20.0
    area.server.write(
        [
            f"netwatch_pool_incident,area=AB1\\ 2,cause={point['cause']},household={area.households[3]},"
            f"isp=Example\\ Broadband,kind=outage end={forged!r} {point['time']}"
        ],
        db,
    )
    code, out, err = area.netwatch(3, "pool", "verify")
    assert code == 9, out + err
    key = f"incident outage {point['time']}"
    when = local(point["time"] / 1000, __import__("zoneinfo").ZoneInfo("UTC"))
    assert (
        f"  MISMATCH: {key} [{when}]: differs in the pool from what was published: end {point['end']!r} → "
        f"{forged!r} (altered?)\n"
    ) in out


def test_the_joint_letter_lists_every_household_and_is_signed(area: Area) -> None:
    code, out, err = area.netwatch(1, "pool", "letter", "--since", area.since)
    assert code == 0, out + err
    assert "**Subject: loss of service affecting 5 households in AB1 2," in out
    for n in (1, 2, 4, 5):
        assert f"### {area.households[n]}\n" in out
    assert f"### Jane Doe, Doe Bakery (household {area.households[3]})\n" in out
    assert "Jane Doe, Doe Bakery  \nand 4 households that chose not to be named (listed above by their ids)\n" in out
    assert area.households[6] not in out and area.households[8] not in out
