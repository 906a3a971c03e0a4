"""A fault ticket recorded during an outage is measured with the running daemon's fresh live file, as reports are
(review 1, S2): `netwatch ticket list` and the Act page say the line is still down after the report, not "no loss
of service measured", although the store's last commit is from before the report.

The daemon is simulated by what it leaves behind (tests/support): a store committed up to five minutes ago,
holding the outage it opened four minutes ago (incidents are committed at once), and its live file with the rounds
since."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from netwatch.config import Config
from netwatch.core.model import Cause, Channel, Ticket
from tests.support.cli import invoke, isolate
from tests.support.dashboard import dashboard_config, serve
from tests.support.html import parse
from tests.support.incidents import outage
from tests.support.live import write_live
from tests.support.rounds import Line
from tests.support.stores import record
from tests.support.targets import A1, GW, ISP

LINE = Line.of(GW, ISP, A1)
NEVER_OPEN = '[business_hours]\ntimezone = "UTC"\n[business_hours.week]\n'  # no business hours: no clock luck


def recording(state: Path, now: float) -> Config:
    """The daemon's store (a round a minute, committed up to ``now`` - 300, with the outage opened at ``now`` - 240
    and the ticket reported at ``now`` - 180) and its live file after the round of ``now`` - 100. A round a minute:
    the live file stays fresh for three of them, whatever the machine's load."""
    cfg = dashboard_config(state, NEVER_OPEN)
    opened = outage(now - 240, None, Cause.ISP)
    ticket = Ticket("BT-9", now - 180, Channel.PHONE)
    rounds = [LINE.round(now - 3600 + 60.0 * k) for k in range(56)]
    record(cfg.store.path, now - 3600, None, rounds, [opened], [(ticket, now - 179)])
    last = LINE.round(now - 100, Cause.ISP)
    write_live(cfg.store.path, last, session_start=now - 3600, open_incidents=[opened], interval=60.0)
    return cfg


@pytest.fixture
def now() -> float:
    return float(int(time.time()))  # whole seconds: the store keeps milliseconds


def test_ticket_list_counts_the_outage_the_live_file_sees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, now: float
) -> None:
    toml = tmp_path / "netwatch.toml"
    toml.write_text(NEVER_OPEN)
    recording(isolate(monkeypatch, tmp_path, cfg=toml), now)
    code, out, err = invoke("ticket", "list")
    assert (code, err) == (0, "")
    # Measured to one interval past the live file's last round: 2m 20s after the report, still down.
    assert re.search(r"\n    1 outage, down 2m 20s after the report \(0s in business hours\); still down\n", out), out


def test_the_act_page_counts_it_too(tmp_path: Path, now: float) -> None:
    cfg = recording(tmp_path / "state", now)
    with serve(cfg, time.time) as client:
        page = parse(client.get("/act").text)
    ticket = page.one("article", data_ref="BT-9")
    assert "Down 2m 20s after the report (0s in business hours)." in " ".join(ticket.all_text.split())
