"""Advice is worded by how netwatch was installed, as the state directory ./bootstrap recorded tells: a checkout
run by `./bootstrap run` is started and restarted by it, the service by systemctl, and with no record both are
named."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from netwatch.__main__ import main
from netwatch.app import settings
from netwatch.config import loading
from netwatch.core.model import LineNow, LineState, Round, Sample
from netwatch.report import now as words
from tests.support.dashboard import dashboard_config, said, serve
from tests.support.instants import LONDON
from tests.support.instants import local_at as at
from tests.support.targets import A1, GW, ISP


def recorded_by_bootstrap(monkeypatch: pytest.MonkeyPatch, checkout: Path, state: Path) -> None:
    record = checkout / ".venv" / "share" / "netwatch" / "state-directory"
    record.parent.mkdir(parents=True)
    record.write_text(f"{state}\n", encoding="utf-8")
    monkeypatch.setattr(settings, "RECORD", record)


def test_the_record_tells_how_to_start_and_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "RECORD", tmp_path / "none")
    assert settings.start_command() == "sudo systemctl start netwatch, or ./bootstrap run in a checkout"
    recorded_by_bootstrap(monkeypatch, tmp_path / "service", settings.SERVICE_STATE)
    assert settings.start_command() == "sudo systemctl start netwatch"
    assert settings.restart_web_command() == "sudo systemctl restart netwatch-web"
    recorded_by_bootstrap(monkeypatch, tmp_path / "netwatch", tmp_path / "netwatch" / "state")
    assert settings.start_command() == f"./bootstrap run in {tmp_path / 'netwatch'}"
    assert settings.restart_web_command() == "stop ./bootstrap run with Ctrl-C and run it again"


def test_a_checkout_stopped_with_ctrl_c_is_told_to_run_bootstrap_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "netwatch"
    recorded_by_bootstrap(monkeypatch, checkout, checkout / "state")
    last = Round(at(2026, 3, 24, 10, 0), (Sample(GW, 0.5), Sample(ISP, 2.0), Sample(A1, 9.0)))
    stopped = LineNow(at(2026, 3, 24, 10, 30), LineState.NOT_RUNNING, False, True, last, ())
    assert words.detail(stopped, 3, LONDON, settings.start_command()) == (
        "netwatch last saw the line at 10:00:00 GMT (30m 00s ago): nothing is known about it since then, and that "
        f"time is never counted as up or down. Start netwatch again (./bootstrap run in {checkout})."
    )
    fresh = dashboard_config(tmp_path / "state")
    with serve(fresh, at(2026, 3, 24, 10, 30)) as client:
        page = client.get("/day").text
    assert said(page, "data-nothing-yet") == f"Nothing recorded yet: start netwatch (./bootstrap run in {checkout})."


def test_web_passwd_in_a_checkout_names_bootstrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded_by_bootstrap(monkeypatch, tmp_path / "netwatch", tmp_path / "netwatch" / "state")
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp_path / "absent.toml")
    monkeypatch.delenv("NETWATCH_CONFIG", raising=False)
    monkeypatch.delenv("NETWATCH_STATE_DIR", raising=False)
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    done = CliRunner().invoke(main, ["web", "passwd", "--password-stdin"], input="a long password\n")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[1] == (
        "the dashboard listens on 127.0.0.1:8480 (this machine only): to open it from your phone, set [web] listen = "
        '"0.0.0.0:8480" and restart it (stop ./bootstrap run with Ctrl-C and run it again)'
    )
