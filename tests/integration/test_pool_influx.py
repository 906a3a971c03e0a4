"""The neighbourhood pool on real servers, without the simulated ISP: InfluxDB 1.6's permissions as `netwatch pool admin
add-household` sets them up (a household writes only its own records, reads everyone's, cannot delete another's),
withdrawal, and publishing through the v2 write API to VictoriaMetrics.

The commands run in process; the households' stores are built here with a session and a published outage.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netwatch.adapters.influx import pool as pooldb
from netwatch.adapters.store.sqlite import Store
from netwatch.config.records import PoolConfig
from netwatch.core import pool as rules
from netwatch.core.model import Cause, Member
from netwatch.errors import PermanentError, ReportError
from tests.support.cli import invoke
from tests.support.incidents import outage
from tests.support.instants import ts
from tests.support.rounds import Line
from tests.support.servers import InfluxDB1, VictoriaMetrics
from tests.support.targets import A1, GW

pytestmark = pytest.mark.usefixtures("netwatch_logger")

T0 = ts("2026-03-02T09:00")
DAY = ("--since", "2026-03-02", "--until", "2026-03-02")


def household(tmp: Path, server: InfluxDB1, name: str, admin: Path, isp: str = "Example Broadband") -> tuple[str, Path]:
    """A household with an outage from 09:10 to 09:15 and a day's monitoring, added to the pool; (id, config)."""
    store_path = tmp / f"{name}.db"
    cfg = tmp / f"{name}.toml"
    base = f'[store]\npath = "{store_path}"\n[business_hours]\ntimezone = "UTC"\n'
    cfg.write_text(base)
    code, out, err = invoke("pool", "id", "--config", str(cfg))
    assert code == 0, out + err
    hh = out.split()[0]
    assert out == f"{hh} (its records go to netwatch_pool_{hh}; give this id to the pool's operator)\n"
    code, out, err = invoke("pool", "admin", "add-household", "--config", str(admin), hh)
    assert code == 0, out + err
    password = out.split('password = "')[1].split('"')[0]
    assert out.splitlines()[:3] == [
        f"household {hh} added: database and user netwatch_pool_{hh}",
        "give the household these lines for its [pool] table (the password is shown only now):",
        f'  username = "netwatch_pool_{hh}"',
    ]
    cfg.write_text(
        base + f'[pool]\nurl = "{server.url}"\nisp = "{isp}"\narea = "AB1 2"\nusername = "netwatch_pool_{hh}"\n'
        f'password = "{password}"\n'
    )
    with Store.open(store_path) as store:
        store.begin_session(T0)
        line = Line.of(GW, A1)
        for t in range(int(T0), int(T0) + 3601, 60):  # a round a minute, silent beyond the router while it was down
            store.add_round(line.round(t, Cause.ISP if T0 + 600 <= t < T0 + 900 else None))
        store.save_incident(outage(T0 + 600, T0 + 900, Cause.ISP))
        store.end_session(T0 + 3600)
        store.queue_pool(Member(hh, isp, 0, "AB1 2", ""), ["outage"], T0 + 3601)
        due = store.pool_due(T0 + 3602)
        pooldb.write(pooldb.open_sink(pool_config(server.url, hh, password), hh), [e.publication for e in due])
        for entry in due:
            store.pool_attempted(entry, T0 + 3603)
    return hh, cfg


def pool_config(url: str, hh: str, password: str) -> PoolConfig:
    return PoolConfig(url=url, isp="Example Broadband", area="AB1 2", username=f"netwatch_pool_{hh}", password=password)


@pytest.fixture(scope="module")
def pool(influxdb1: InfluxDB1, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("pool")
    admin = tmp / "admin.toml"
    admin.write_text(
        f'[pool]\nurl = "{influxdb1.url}"\nisp = "-"\narea = "-"\nusername = "{influxdb1.username}"\n'
        f'password = "{influxdb1.password}"\n[store]\npath = "{tmp / "admin.db"}"\n'
    )
    found = {name: household(tmp, influxdb1, name, admin) for name in ("anna", "ben")}
    found["admin"] = ("", admin)
    return found


def password_of(cfg: Path) -> str:
    return cfg.read_text().split('password = "')[1].split('"')[0]


def test_a_household_writes_only_its_own_records(influxdb1: InfluxDB1, pool: dict[str, tuple[str, Path]]) -> None:
    anna, anna_cfg = pool["anna"]
    ben, _ = pool["ben"]
    as_anna = pool_config(influxdb1.url, anna, password_of(anna_cfg))
    sink = pooldb.open_sink(as_anna, ben)  # anna's credentials, ben's database
    with pytest.raises(PermanentError) as caught:
        sink.write(["netwatch_pool_incident,household=x end=1.0 1000"])
    assert str(pooldb.said(caught.value)) == (
        f'InfluxDB at {influxdb1.url} denied writing (HTTP 403: "netwatch_pool_{anna}" user is not authorized to '
        f'write to database "netwatch_pool_{ben}"); check pool.username and pool.password (the user needs WRITE on the'
        " database)"
    )
    with pytest.raises(ReportError) as refused:
        pooldb.PoolReader(as_anna, ben).drop_mine()
    assert str(refused.value) == (
        f"the pool refused to delete household {ben}'s records (HTTP 403): only its own user may; check pool.username"
        " and pool.password"
    )
    data = pooldb.PoolReader(as_anna, anna).read(T0, T0 + 86400)
    assert sorted(i.household for i in data.incidents) == sorted([anna, ben])  # reads everyone's


def test_the_same_household_is_added_once(pool: dict[str, tuple[str, Path]]) -> None:
    anna, _ = pool["anna"]
    code, _out, err = invoke("pool", "admin", "add-household", "--config", str(pool["admin"][1]), anna)
    assert code == 6
    assert err == (
        f'netwatch: household {anna} is already in the pool (database "netwatch_pool_{anna}"): each household is '
        "added once\n"
    )


def test_the_report_and_its_letter_say_what_the_neighbours_saw(pool: dict[str, tuple[str, Path]]) -> None:
    _, ben_cfg = pool["ben"]
    code, out, err = invoke("report", "--config", str(ben_cfg), "--format", "md", *DAY)
    assert code == 0, out + err
    assert (
        "- Outage starting Mon 2 Mar 2026 09:10:00 UTC: 2 of 2 monitored households on Example Broadband in AB1 2 were"
        " down 09:10\u201309:15 (overlap 5 min); no household on another provider in AB1 2 was monitoring then.\n"
    ) in out
    code, out, err = invoke("report", "--config", str(ben_cfg), "--format", "json", *DAY)
    assert code == 0, out + err
    (shared,) = json.loads(out)["neighbourhood"]["outages"]
    assert (shared["down"], shared["monitoring"]) == (2, 2)


def test_the_area_report_and_a_withdrawal(pool: dict[str, tuple[str, Path]]) -> None:
    anna, anna_cfg = pool["anna"]
    _ben, ben_cfg = pool["ben"]
    code, out, err = invoke("pool", "report", "--config", str(ben_cfg), "--format", "json", *DAY)
    assert code == 0, out + err
    (shared,) = json.loads(out)["outages"]
    assert (shared["down"], shared["monitoring"], shared["overlap_seconds"]) == (2, 2, 300.0)
    assert shared["sentence"] == (
        "2 of 2 monitored households on Example Broadband in AB1 2 were down 09:10\u201309:15 (overlap 5 min)"
    )
    code, out, err = invoke("pool", "verify", "--config", str(anna_cfg))
    assert code == 0, out + err
    code, out, err = invoke("pool", "withdraw", "--yes", "--config", str(anna_cfg))
    assert code == 0, out + err
    assert out == (
        f"household {anna} withdrew: its records were deleted from the pool, and nothing will be published again (its"
        " store keeps them, and the chain records the withdrawal)\n"
    )
    code, out, err = invoke("pool", "report", "--config", str(ben_cfg), "--format", "json", *DAY)
    data = json.loads(out)
    assert [w["household"] for w in data["withdrawn"]] == [anna]
    assert data["outages"][0]["sentence"] == "no other household on Example Broadband in AB1 2 was monitoring then"
    code, out, err = invoke("pool", "verify", "--config", str(anna_cfg))  # withdrawn records are not missing
    assert code == 0, out + err


def test_without_a_pool_the_commands_say_what_to_set(tmp_path: Path) -> None:
    cfg = tmp_path / "n.toml"
    cfg.write_text(f'[store]\npath = "{tmp_path / "n.db"}"\n')
    code, _out, err = invoke("pool", "report", "--config", str(cfg))
    assert code == 3
    assert err == (
        f"netwatch: 1 configuration problem in {cfg}:\n  pool.url: is not set, so this household is in no "
        'neighbourhood pool; set it to the pool\'s InfluxDB, e.g. url = "http://pool.example.net:8086", with isp, area '
        "and the credentials the pool's operator gave you\n"
    )


def test_publishing_to_victoriametrics_through_the_v2_api(victoria: VictoriaMetrics, tmp_path: Path) -> None:
    with Store.open(tmp_path / "v.db") as store:
        store.begin_session(T0)
        hh = store.pool_join("0123456789ab", T0).household
        store.save_incident(outage(T0 + 600, T0 + 900, Cause.UPSTREAM))
        store.queue_pool(Member(hh, "Example Broadband", 0, "AB1 2", ""), ["outage"], T0 + 1000)
        due = store.pool_due(T0 + 1000)
    cfg = PoolConfig(
        url=victoria.url, api="v2", org="-", token="household-token", isp="Example Broadband", area="AB1 2"
    )
    sink = pooldb.open_sink(cfg, hh)
    try:
        pooldb.write(sink, [e.publication for e in due])
    finally:
        sink.close()
    (series,) = victoria.export('{__name__="netwatch_pool_incident_end"}')
    assert {k: v for k, v in series["metric"].items() if k != "db"} == {
        "__name__": "netwatch_pool_incident_end",
        "household": hh,
        "isp": "Example Broadband",
        "area": "AB1 2",
        "kind": "outage",
        "cause": "upstream",
    }
    assert series["values"] == [T0 + 900] and series["timestamps"] == [round((T0 + 600) * 1000)]


def test_a_household_the_operator_has_not_added_is_told_so(influxdb1: InfluxDB1) -> None:
    cfg = PoolConfig(
        url=influxdb1.url,
        isp="Example Broadband",
        area="AB1 2",
        username=influxdb1.username,
        password=influxdb1.password,
    )
    member = Member("fedcba987654", "Example Broadband", 0, "AB1 2", "")
    with pytest.raises(PermanentError) as caught:
        pooldb.write(pooldb.open_sink(cfg, member.household), [rules.member_publication(member, T0)])
    assert str(caught.value) == (
        f"InfluxDB at {influxdb1.url} has no database or bucket for household fedcba987654: ask the pool's operator"
        " to add it (netwatch pool admin add-household fedcba987654), or check pool.url and pool.prefix"
    )
