"""A dns outage is claimed from the provider only through the provider's resolvers (newcomer review 2, S5): netwatch's
daemon records a session whose names fail while every host answers, once with the router as resolver and once with
public resolvers, and `netwatch report` states the one apart (not claimed, not credited, not in the letter's demand)
and claims the other.

The daemon is netwatch's own loop, run in process on a line that answers without a packet (tests/support/fakeline);
the store, the detector, the recorded method and the report are netwatch's.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from netwatch import config
from netwatch.adapters.store import Store
from netwatch.app import incidents
from netwatch.app.daemon.loop import Daemon
from netwatch.core.model import Cause, Kind, Period, ProbeMethod, Role, Target
from netwatch.report.jsonout import incident_json
from tests.support import configs
from tests.support.cli import invoke, isolate
from tests.support.fakeline import FakeLine, FakeNames, rounds, run_daemon
from tests.support.incidents import outage
from tests.support.instants import ts
from tests.support.rounds import Line
from tests.support.stores import record
from tests.support.targets import A1, GW

NAMES = ["one.one.one.one", "dns.google"]


def record_dns_outage(directory: Path, servers: list[str]) -> Path:
    """A store of one session whose names failed for 8 rounds through ``servers``; the configuration's path."""
    document = configs.daemon(
        directory / "netwatch.db",
        ["192.0.2.1", "198.51.100.1"],
        interval=0.05,
        timeout=0.04,
        dns_names=NAMES,
        commit_interval=0.1,
        mode=None,
        targets={"gateway": "", "isp": ""},
        dns={"servers": servers},
        detect={"confirm": 3},
        clock={"sync": "trust"},
        business_hours={"timezone": "UTC"},
        plan={"monthly_fee": 30.0},
    )
    path = configs.write(directory / "netwatch.toml", document)
    line = FakeLine()

    async def names_fail(daemon: Daemon) -> None:
        await rounds(daemon, 5)
        line.names_down = True
        await rounds(daemon, 8)
        line.names_down = False
        await rounds(daemon, 5)

    env = {"NETWATCH_STATE_DIR": str(directory / "state")}
    run_daemon(config.load(path, env), line, names_fail, FakeNames(line, NAMES))
    with Store.open(directory / "netwatch.db", readonly=True) as store:
        [method] = [s.method for s in store.session_methods(float("-inf"), float("inf"))]
        [outage] = [i for i in store.incidents(float("-inf"), float("inf")) if i.kind is Kind.OUTAGE]
    assert method is not None and method.resolvers == tuple(servers)
    assert outage.cause is Cause.DNS
    return path


def report(path: Path, fmt: str) -> str:
    code, out, err = invoke("report", "--config", str(path), "--since", "2000-01-01", "--format", fmt)
    assert code == 0, err
    return out


def test_names_failing_through_the_router_are_shown_apart_and_never_claimed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(monkeypatch, tmp_path, chdir=True)
    path = record_dns_outage(tmp_path, ["192.168.1.1"])

    doc = json.loads(report(path, "json"))
    [outage] = [i for i in doc["incidents"] if i["kind"] == "outage"]
    assert (outage["cause"], outage["claimed_from_provider"], outage["dns_resolver"]) == ("dns", False, "own")
    assert doc["metrics"]["isp_attributable_seconds"] == 0.0
    assert doc["metrics"]["dns_not_claimed_seconds"] == outage["duration_seconds"] > 0
    assert doc["money"]["credit"] == 0.0
    assert (
        "monthly fee (a request; not a rule) for the 0 s (0.00 h) of outage attributable"
        in doc["money"]["credit_basis"]
    )
    assert doc["method"]["resolvers"] == ["192.168.1.1"]

    [row] = [r for r in csv.DictReader(io.StringIO(report(path, "csv"))) if r["kind"] == "outage"]
    assert (row["cause"], row["claimed_from_provider"], row["dns_resolver"]) == ("dns", "false", "own")

    letter = report(path, "md")
    body = " ".join(letter.split())
    assert "Not claimed: name service on our own network. For " in body
    assert (
        "the line worked (the public hosts answered), but host names could not be resolved through the resolver on"
        " our own network (our router). It is not part of this complaint, and it is left out of every figure below"
        " but the availability over the monitored time."
    ) in body
    assert "No outage of your service was recorded in the time it monitored." in body  # the one was ours
    assert "or name service" not in body
    assert "resolves host names through 192.168.1.1." in body

    html = report(path, "html")
    assert "Name service failures through your own router&#39;s resolver: not claimed from the provider" in html
    assert "your own router&#39;s resolver failed" in html  # the summary's card


def test_names_failing_through_the_providers_resolvers_are_claimed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(monkeypatch, tmp_path, chdir=True)
    path = record_dns_outage(tmp_path, ["81.2.69.160"])

    doc = json.loads(report(path, "json"))
    [outage] = [i for i in doc["incidents"] if i["kind"] == "outage"]
    assert (outage["claimed_from_provider"], outage["dns_resolver"]) == (True, "provider")
    assert doc["metrics"]["isp_attributable_seconds"] == outage["duration_seconds"] > 0
    assert doc["metrics"]["dns_not_claimed_seconds"] == 0.0
    assert f"for the {outage['duration_seconds']:,.0f} s" in doc["money"]["credit_basis"]

    body = " ".join(report(path, "md").split())
    assert "attributable to your network (your access network, upstream connectivity or name service)" in body
    assert "Not claimed: name service" not in body


@pytest.mark.parametrize(("resolvers", "claimed"), [(("192.168.1.1",), False), (("81.2.69.160",), True)])
def test_the_incidents_feed_says_what_the_report_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resolvers: tuple[str, ...], claimed: bool
) -> None:
    state = isolate(monkeypatch, tmp_path, chdir=True)
    begun = ts("2026-11-02 08:00", "UTC")
    method = ProbeMethod(1.0, 0.8, 3, 60, 5.0, 250.0, (GW, A1, Target(Role.DNS, "dns.google")), resolvers)
    line = Line.of(GW, A1, Target(Role.DNS, "dns.google"))
    rounds = [line.answers(begun + i, 0.4, 9.0, None if 10 <= i < 20 else 5.0) for i in range(60)]
    names = replace(outage(begun + 10, begun + 20, rounds=10), cause=Cause.DNS)
    record(state / "netwatch.db", begun, begun + 59, rounds, [names], method=method)
    period = Period(begun, begun + 60)
    listed = incidents.listed(config.load(None, {"NETWATCH_STATE_DIR": str(state)}), period, begun + 3600)
    [figures] = listed.outages
    assert incident_json(figures, listed)["claimed_from_provider"] is claimed  # /api/incidents lists it so
