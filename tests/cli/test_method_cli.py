"""The letter states how the data WAS recorded (newcomer review 2, B2): netwatch's daemon records two sessions, the
configuration changing between them (interval and confirm raised, an anchor dropped), and `netwatch report --format
md`, run with the second configuration, states each session's settings with its dates, not today's for both.

The daemon is netwatch's own loop, run in process on a line that answers without a packet (tests/support/fakeline);
the store, the detector and the report are netwatch's.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from netwatch import config
from netwatch.adapters.store import Store
from netwatch.app.daemon.loop import Daemon
from netwatch.core.model import Kind
from netwatch.core.text import local_time
from netwatch.report.compute import CLOCK
from tests.support import configs
from tests.support.cli import invoke, isolate
from tests.support.fakeline import FakeLine, rounds, run_daemon

UTC = ZoneInfo("UTC")


def write_config(directory: Path, name: str, *, interval: float, confirm: int, anchors: list[str]) -> Path:
    document = configs.daemon(
        directory / "netwatch.db",
        anchors,
        interval=interval,
        timeout=interval * 0.8,
        commit_interval=0.1,
        mode=None,
        targets={"gateway": "", "isp": ""},
        detect={"confirm": confirm},
        clock={"sync": "trust"},
        business_hours={"timezone": "UTC"},
    )
    return configs.write(directory / name, document)


def test_the_letter_states_each_sessions_recorded_settings_after_the_configuration_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(monkeypatch, tmp_path, chdir=True)
    first = write_config(tmp_path, "first.toml", interval=0.05, confirm=3, anchors=["192.0.2.1", "198.51.100.1"])
    second = write_config(tmp_path, "second.toml", interval=0.1, confirm=5, anchors=["192.0.2.1"])
    line = FakeLine()

    async def outage(daemon: Daemon) -> None:
        await rounds(daemon, 5)
        line.down = True
        await rounds(daemon, 8)
        line.down = False
        await rounds(daemon, 5)

    async def quiet(daemon: Daemon) -> None:
        await rounds(daemon, 5)

    env = {"NETWATCH_STATE_DIR": str(tmp_path / "state")}
    run_daemon(config.load(first, env), line, outage)
    run_daemon(config.load(second, env), line, quiet)

    with Store.open(tmp_path / "netwatch.db", readonly=True) as store:
        sessions = store.session_methods(float("-inf"), float("inf"))
        [recorded] = [i for i in store.incidents(float("-inf"), float("inf")) if i.kind is Kind.OUTAGE]
    assert [(s.method.interval, s.method.confirm) for s in sessions if s.method] == [(0.05, 3), (0.1, 5)]
    since = datetime.fromtimestamp(sessions[0].start, UTC).strftime("%Y-%m-%dT%H:%M")
    code, out, err = invoke("report", "--config", str(second), "--since", since, "--format", "md")
    assert code == 0, err
    start = out.index("The measurements were made by netwatch")
    end = out.index("Clock: " + CLOCK + ".", start)
    method = [" ".join(b.split()) for b in out[start:end].split("\n\n")]
    assert method[0].endswith(" on our premises, with settings that changed during the period.")
    assert out[start:end].split("\n\n")[1].splitlines() == [
        f"- From {local_time(sessions[0].start, UTC, 'datetime')} to {local_time(sessions[0].end, UTC, 'datetime')}:"
        " every 0.05 s it sent one probe to 2 independent public hosts; an outage was recorded when none of the"
        " public hosts answered for 3 consecutive rounds;",
        f"- from {local_time(sessions[1].start, UTC, 'datetime')}: every 0.1 s it sent one probe to 1 independent"
        " public host; an outage was recorded when none of the public hosts answered for 5 consecutive rounds.",
    ]
    assert method[2] == (
        "Every outage is timed from the first failed round to the first successful one, so every start and end"
        " above is exact to within 0.1 s (the longest interval used). Its cause is taken from which targets still"
        " answered: when our router answers and your network does not, the fault is in your network."
    )
    assert recorded.end is not None
