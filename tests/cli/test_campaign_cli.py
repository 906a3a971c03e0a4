"""`netwatch campaign` as a user meets it: plan, status, a run whose last slot is due (a real http speed test
against the repository's local speed test server on loopback), evaluate (text and JSON), the one-line errors
with exit code 11, and the run lock: while a real `netwatch campaign run` process waits for its slot, a second run
and a plan are refused."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.cli import ExitCode
from netwatch.core.calendar import local_date
from netwatch.core.campaign import DISCLAIMER, planner, progress
from netwatch.core.model import Schedule, Slot
from tests.support.cli import invoke, isolate
from tests.support.processes import stop, wait_line
from tests.support.scripts import SPEED_HTTP_SERVER
from tests.support.sockets import free_port
from tests.support.speeds import measured


@pytest.fixture
def speed_server() -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, str(SPEED_HTTP_SERVER), "--listen", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        wait_line(proc, "ready")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc, timeout=10)


def noon_zone(now: float) -> str:
    """A fixed-offset zone where ``now`` is about noon, so that the last hours are all today."""
    hour = datetime.fromtimestamp(now, UTC).hour
    offset = (12 - hour + 12) % 24 - 12  # -12..11
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, speed_server: str) -> tuple[Path, Path, str]:
    isolate(monkeypatch, tmp_path, home=False)
    zone = noon_zone(time.time())
    store = tmp_path / "netwatch.db"
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(f"""
[store]
path = "{store}"
[business_hours]
timezone = "{zone}"
[plan]
download_mbps = 100
upload_mbps = 40
normal_download_mbps = 80
minimum_download_mbps = 50
[speedtest]
backend = "http"
fallback = []
[speedtest.http]
urls = ["{speed_server}/down?bytes={{bytes}}"]
upload_url = "{speed_server}/up"
latency_url = "{speed_server}/latency"
streams = 2
duration = 0.5
warmup = 0.1
latency_count = 2
timeout = 2
request_bytes = 2000000
""")
    Store.open(store).close()
    return cfg, store, zone


def almost_done(store_path: Path, zone_name: str, now: float) -> int:
    """A campaign in the store whose 29 first slots were measured (download 95, upload 20 Mbit/s) and whose last
    is due now: days 4 and 2 days ago and today, today's slots in the hours before now."""
    zone = ZoneInfo(zone_name)
    today = local_date(now, zone)
    last = now - 5
    today_times = [last - 3 * 3600 - 300 * (9 - i) for i in range(5)] + [last - 300 * (4 - i) for i in range(5)]
    times = []
    for back in (4, 2):
        base = datetime.combine(today - timedelta(days=back), datetime.min.time(), tzinfo=zone).timestamp()
        times += [base + 9 * 3600 + 600 * i for i in range(5)] + [base + 15 * 3600 + 600 * i for i in range(5)]
    times += today_times
    slots = tuple(Slot(i, local_date(t, zone), t) for i, t in enumerate(times))
    schedule = Schedule(zone_name, planner.DEFAULT_WINDOW, slots)
    assert planner.violations(schedule) == []
    with Store.open(store_path) as store:
        old = store.campaign()
        made = store.plan_campaign(schedule, 1, today - timedelta(days=4), now - 5 * 86400, old.id if old else None)
        campaign = store.campaign(made)
        assert campaign is not None
        for slot in campaign.slots[:29]:
            result = measured(slot.planned, 95.0, 20.0, backend="http", tool="netwatch-http")
            store.campaign_attempts(slot.id, [result], done=True)
    return made


def test_plan_run_status_and_evaluate(setup: tuple[Path, Path, str]) -> None:
    cfg, store, zone = setup
    code, _, err = invoke("campaign", "evaluate", "--config", str(cfg))
    none = "netwatch: no speed campaign is planned: run `netwatch campaign plan` first\n"
    assert (code, err) == (ExitCode.CAMPAIGN, none)

    code, out, err = invoke("campaign", "plan", "--config", str(cfg), "--seed", "5")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"Speed campaign 1: 30 measurements on 3 days in {zone}, between 08:00 and 22:00 (seed 5)"
    assert len(lines) == 1 + 3 + 30 + 2 and lines[-1] == DISCLAIMER
    assert [line[:2] for line in lines[1:35]].count("  ") == 30  # the slots, indented under their days
    planned = Store.open(store, readonly=True).campaign()
    assert planned is not None and planner.check([s.planned for s in planned.slots], zone) == []

    made = almost_done(store, zone, time.time())  # replaces the plan, which had no measurements yet
    code, out, err = invoke("campaign", "run", "--config", str(cfg))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"Campaign {made}: 29 of 30 measured; next: slot 30/30 (")
    assert lines[0].endswith(") due now")
    assert lines[1].startswith("slot 30/30 (") and ": speed test via http (server http://127.0.0.1:" in lines[1]
    assert lines[2:] == [f"campaign {made} complete: 30 measurements; see `netwatch campaign evaluate`"]

    code, out, _ = invoke("campaign", "status", "--config", str(cfg))
    assert out.splitlines()[0] == f"Campaign {made}: 30 of 30 measured; complete: see `netwatch campaign evaluate`"
    assert "measured at" in out.splitlines()[-1]

    code, out, err = invoke("campaign", "evaluate", "--config", str(cfg), "--json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["complete"] is True and doc["procedure"] == {"followed": True, "violations": []}
    assert doc["campaign"]["measured"] == 30 and doc["campaign"]["timezone"] == zone
    down, up = doc["download"], doc["upload"]
    assert [d["count"] for d in down["days"]] == [10, 10, 10]
    assert [c["deviation"] for c in down["criteria"]] == [False, False, False]
    assert [c["deviation"] for c in up["criteria"]] == [True, None, None]  # 90 % of 40 only reached today
    assert [d["reaching_90_percent_of_maximum"] for d in up["days"]] == [0, 0, 1]
    assert doc["significant_deviation"] is True
    assert doc["verdict"] == "significant deviation from the contract: upload (maximum)"
    assert doc["disclaimer"] == DISCLAIMER

    code, out, _ = invoke("campaign", "evaluate", "--config", str(cfg))
    lines = out.splitlines()
    assert lines[0].startswith(f"Speed campaign {made} ({zone}): 30 of 30 measurements, ")
    assert "  (2) not stated: normally available speed: not given; set [plan] normal_upload_mbps" in lines
    assert lines[-3:] == [
        "Procedure: followed (30 measurements, 3 days, the gaps and the free days kept)",
        "Verdict: significant deviation from the contract: upload (maximum)",
        DISCLAIMER,
    ]

    # The report of the days holds the campaign: JSON, the HTML section, and the letter's paragraph.
    today = local_date(time.time(), ZoneInfo(zone))
    days = ("--since", (today - timedelta(days=5)).isoformat(), "--until", today.isoformat())
    code, out, err = invoke("report", "--config", str(cfg), *days, "--format", "json")
    assert code == 0, err
    campaign = json.loads(out)["claims"]["campaign"]
    assert campaign["campaign"]["id"] == made and campaign["significant_deviation"] is True
    assert campaign["verdict"] == doc["verdict"] and campaign["disclaimer"] == DISCLAIMER
    code, out, _ = invoke("report", "--config", str(cfg), *days, "--format", "html")
    assert f'data-campaign="{made}" data-measured="30" data-complete="true" data-deviation="true"' in out
    assert 'data-direction="upload" data-criterion="maximum" data-deviation="true"' in out
    code, out, err = invoke("report", "--config", str(cfg), *days, "--format", "md")
    assert code == 0, err
    assert "## Delivered speed against the contract" in out
    assert "found a significant deviation from the contract: upload (maximum)." in out

    code, _, err = invoke("campaign", "plan", "--config", str(cfg))
    assert (code, err) == (
        ExitCode.CAMPAIGN,
        f"netwatch: campaign {made} already has 30 measurements: run "
        "`netwatch campaign plan --replace` to plan a new one (the old one stays in the store as "
        "evidence)\n",
    )
    code, out, _ = invoke("campaign", "plan", "--config", str(cfg), "--replace", "--window", "09:00-18:00")
    assert code == 0 and out.startswith(f"Speed campaign {made + 1}: ")
    assert invoke("verify", "--config", str(cfg))[0] == 0  # campaigns, slots and speed results all chained


def test_a_run_that_can_no_longer_follow_the_procedure_says_so(setup: tuple[Path, Path, str]) -> None:
    cfg, store, zone = setup
    now = time.time()
    schedule = planner.plan(local_date(now, ZoneInfo(zone)), zone, planner.DEFAULT_WINDOW, random.Random(3))
    # The same plan, moved three days back: its first slot was missed while the machine was off.
    moved = Schedule(
        zone,
        schedule.window,
        tuple(Slot(s.index, s.day - timedelta(days=3), s.at - 3 * 86400) for s in schedule.slots),
    )
    with Store.open(store) as s:
        made = s.plan_campaign(moved, 3, moved.slots[0].day, now - 4 * 86400)
        campaign = s.campaign(made)
    assert campaign is not None
    code, out, err = invoke("campaign", "run", "--config", str(cfg))
    assert code == ExitCode.CAMPAIGN
    label = progress.label(campaign, campaign.slots[0])
    assert out.splitlines()[1].startswith(f"{label} missed: measuring it ")
    assert err.startswith(f"netwatch: campaign {made} can no longer follow the procedure: {label} was missed: ")
    assert err.endswith("; plan a new one with `netwatch campaign plan --replace`\n")
    code, out, _ = invoke("campaign", "status", "--config", str(cfg))
    assert out.splitlines()[0] == (
        f"Campaign {made}: 0 of 30 measured, 1 missed; can no longer follow the procedure: plan a new one with "
        "`netwatch campaign plan --replace`"
    )
    assert out.splitlines()[2].startswith("   1  ") and "missed: measuring it " in out.splitlines()[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--start", "4 May"), "--start '4 May' is not a date: give it as YYYY-MM-DD, e.g. 2026-05-04"),
        (("--start", "2001-01-01"), None),
        (
            ("--window", "08:00-10:00"),
            "--window 08:00-10:00 is 2 h long; 10 measurements a day need at least 3 h "
            "40 min (5 minutes apart, 3 hours between the 5th and the 6th): widen --window",
        ),
    ],
)
def test_plan_errors_are_one_line_with_the_fix(
    setup: tuple[Path, Path, str], args: tuple[str, ...], message: str | None
) -> None:
    cfg, _, zone = setup
    code, out, err = invoke("campaign", "plan", "--config", str(cfg), *args)
    today = local_date(time.time(), ZoneInfo(zone))
    expected = message or f"--start 2001-01-01 is in the past (today is {today}): give today or a later date"
    assert (code, out, err) == (ExitCode.CAMPAIGN, "", f"netwatch: {expected}\n")


def test_a_running_campaign_keeps_a_second_run_and_a_new_plan_out(setup: tuple[Path, Path, str]) -> None:
    cfg, store, _ = setup
    assert invoke("campaign", "plan", "--config", str(cfg), "--seed", "5")[0] == 0
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    argv = (sys.executable, "-m", "netwatch", "campaign", "run", "--config", str(cfg))
    first = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout is not None and first.stdout.readline().startswith("Campaign 1: 0 of 30 measured; ")
        held = f"netwatch: a `netwatch campaign run` (pid {first.pid}) is already running the campaign of {store}: "
        code, out, err = invoke("campaign", "run", "--config", str(cfg))
        assert (code, out, err) == (
            ExitCode.CAMPAIGN,
            "",
            held + "only one runs per store; stop it (Ctrl-C in its terminal) to restart it\n",
        )
        refused = held + "stop it first (Ctrl-C in its terminal), then plan the new campaign\n"
        for extra in ((), ("--replace",)):
            assert invoke("campaign", "plan", "--config", str(cfg), *extra) == (ExitCode.CAMPAIGN, "", refused)
        first.send_signal(signal.SIGINT)
        out, err = first.communicate(timeout=10)
    finally:
        first.kill()
        first.wait(10)
    assert (first.returncode, err) == (0, "")
    assert out.splitlines()[-1] == "stopped; run `netwatch campaign run` again to resume"
    with Store.open(store, readonly=True) as s:
        current = s.campaign()
    assert current is not None and current.id == 1  # the plans refused replaced nothing
    code, out, _ = invoke("campaign", "plan", "--config", str(cfg))
    assert code == 0 and out.startswith("Speed campaign 2: ")
