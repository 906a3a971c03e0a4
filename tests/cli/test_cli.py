"""The command line as a user meets it: exit codes, one-line errors, effective configuration, JSON reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netwatch import config
from netwatch.adapters.store.sqlite import Store
from netwatch.cli import ExitCode
from netwatch.core.model import Cause, Role
from tests.support import incidents, stores
from tests.support.cli import invoke, isolate
from tests.support.instants import ts
from tests.support.rounds import Line
from tests.support.targets import DOC_A1, DOC_GW, DOC_ISP


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An isolated environment: state in tmp_path, no system-wide config file."""
    state = isolate(monkeypatch, tmp_path)
    return {"NETWATCH_STATE_DIR": str(state), "HOME": str(tmp_path)}


def test_check_config_lists_every_problem_with_key_and_fix(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[probe]\ninterval = 1.0\ntimeout = 2.0\nintervall = 3\n[targets]\nanchors = ["1.1.1.1", "x"]\n')
    code, out, err = invoke("check-config", "--config", str(bad))
    assert code == ExitCode.CONFIG
    assert out == ""
    assert err == (
        f"netwatch: 3 configuration problems in {bad}:\n"
        "  probe.timeout: must be less than probe.interval (1.0), got 2.0; set probe.timeout below 1.0, "
        "or raise probe.interval above 2.0\n"
        '  probe.intervall: unknown key; did you mean "interval"?\n'
        '  targets.anchors[1]: "x" is not an IP address; use an IP address; host names cannot be resolved '
        "during an outage\n"
    )


def test_check_config_prints_the_effective_configuration(env: dict[str, str], tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text("[probe]\ninterval = 2.0\n")
    code, out, err = invoke("check-config", "--config", str(good))
    assert (code, err) == (0, "")
    assert "interval = 2.0" in out
    # The printed configuration is itself a valid configuration with the same meaning.
    again = tmp_path / "again.toml"
    again.write_text(out)
    first = config.load(good, env)
    second = config.load(again, env)
    assert (first.probe, first.targets, first.store) == (second.probe, second.targets, second.store)


def test_the_example_configuration_is_valid(env: dict[str, str]) -> None:
    example = Path(__file__).parents[2] / "config" / "netwatch.example.toml"
    code, _, err = invoke("check-config", "--config", str(example))
    assert (code, err) == (0, "")


def test_missing_store_is_one_line_and_exit_4(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, installation: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    path = Path(env["NETWATCH_STATE_DIR"]) / "netwatch.db"
    service = installation.parents[2] / "var/lib/netwatch/netwatch.db"
    for command in (["status"], ["report"], ["verify"], ["evidence"], ["ticket", "list"]):
        code, _out, err = invoke(*command)
        assert code == ExitCode.STORE
        assert err == (
            f"netwatch: no store at {path} (store.path in the state directory from $NETWATCH_STATE_DIR): netwatch"
            f" has not recorded anything yet (looked also at {service}, {tmp_path}/.local/state/netwatch/netwatch.db);"
            " start monitoring first (`./bootstrap run` in a checkout, `netwatch run`, or the service), or give this"
            " command the --config the daemon runs with\n"
        )
        assert not path.exists(), "reading commands must never create a store"


def _recorded_day(path: Path) -> None:
    """Monday 23 November 2026 08:00-10:00 UTC, a round a minute; the ISP hop and the anchor silent 09:00-09:10."""
    line = Line.of(DOC_GW, DOC_ISP, DOC_A1, rtts={Role.GATEWAY: 0.5, Role.ISP: 5.0, Role.ANCHOR: 9.0})
    start = ts("2026-11-23T08:00:00")
    rounds = [line.round(start + i, Cause.ISP if 3600 <= i < 3600 + 600 else None) for i in range(0, 3600 * 2, 60)]
    outage = incidents.outage(start + 3600, start + 4200, rounds=10, detail="gateway answered 10/10; ISP hop 0/10")
    stores.record(path, start, start + 7200, rounds, [outage])


def test_report_json_follows_the_contract(env: dict[str, str], tmp_path: Path) -> None:
    _recorded_day(Path(env["NETWATCH_STATE_DIR"]) / "netwatch.db")
    cfg = tmp_path / "hours.toml"
    cfg.write_text('[business_hours]\ntimezone = "Europe/London"\n[business_hours.week]\nmon = "09:00-09:05"\n')
    code, out, err = invoke("report", "--config", str(cfg), "--since", "2026-11-23", "--until", "2026-11-23")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["period"] == {
        "since": "2026-11-23T00:00:00+00:00",
        "until": "2026-11-24T00:00:00+00:00",
        "timezone": "Europe/London",
    }
    assert report["coverage"]["monitored_seconds"] == 7200.0
    assert report["coverage"]["unmonitored_seconds"] == 86400.0 - 7200.0
    assert report["summary"]["outage_count"] == 1
    assert report["summary"]["downtime_seconds"] == 600.0
    assert report["summary"]["business_downtime_seconds"] == 300.0
    assert report["summary"]["availability_percent"] == round(100 * 6600 / 7200, 4)
    (incident,) = report["incidents"]
    assert incident["start"] == "2026-11-23T09:00:00Z"
    assert incident["end"] == "2026-11-23T09:10:00Z"
    assert incident["business_seconds"] == 300.0
    assert incident["cause"] == "isp"


def test_report_output_file_and_errors(env: dict[str, str], tmp_path: Path) -> None:
    _recorded_day(Path(env["NETWATCH_STATE_DIR"]) / "netwatch.db")
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    code, out, err = invoke("report", "--since", "2026-11-23", "--output", str(target))
    assert code == 0
    assert out == ""
    assert err == f"json report written to {target}\n"
    assert json.loads(target.read_text())["summary"]["outage_count"] == 1
    assert [p.name for p in target.parent.iterdir()] == ["report.json"], "no temporary file left behind"

    code, _, err = invoke("report", "--since", "23/11/2026")
    assert code == ExitCode.USAGE
    assert err == (
        'netwatch: --since: "23/11/2026" is not a date or date-time; use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] '
        "(local time in UTC, or with an offset such as +01:00)\n"
    )
    code, _, err = invoke("report", "--format", "docx")
    assert code == ExitCode.USAGE
    assert "Invalid value for '--format': 'docx' is not one of 'html', 'pdf', 'md', 'txt', 'csv', 'json'." in err


def test_status_shows_the_last_round_and_incidents(env: dict[str, str]) -> None:
    _recorded_day(Path(env["NETWATCH_STATE_DIR"]) / "netwatch.db")
    code, out, err = invoke("status")
    assert (code, err) == (0, "")
    assert "State:     NOT RUNNING: the last round is" in out
    assert "Last round: 2026-11-23 09:59:00 UTC" in out
    assert "gateway 1/1, ISP hop 1/1, anchors 1/1" in out
    assert "Open incidents: none" in out
    assert "2026-11-23 09:00:00 UTC → 2026-11-23 09:10:00 UTC  outage   isp" in out


def test_run_with_bad_configuration_exits_without_traceback_or_touching_data(
    env: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[probe\ninterval = 1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "netwatch", "run", "--config", str(bad)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )
    assert proc.returncode == ExitCode.CONFIG
    assert proc.stderr.startswith(f"netwatch: 1 configuration problem in {bad}:\n  line 1, column ")
    assert "Traceback" not in proc.stderr
    assert not Path(env["NETWATCH_STATE_DIR"]).exists()

    debug = subprocess.run(
        [sys.executable, "-m", "netwatch", "--debug", "run", "--config", str(bad)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr


def test_run_with_an_unusable_store_path_is_exit_4(env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[store]\npath = "{blocker}/netwatch.db"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "netwatch", "run", "--config", str(cfg)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )
    assert proc.returncode == ExitCode.STORE, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("netwatch: ")
    assert str(blocker) in proc.stderr


def test_report_format_follows_the_output_extension(env: dict[str, str], tmp_path: Path) -> None:
    _recorded_day(Path(env["NETWATCH_STATE_DIR"]) / "netwatch.db")
    for name, check in (
        ("r.html", lambda text: text.lstrip().lower().startswith("<!doctype html>")),
        ("r.csv", lambda text: text.startswith("kind,cause,start,")),
        ("r.md", lambda text: "23 November 2026" in text and "|" in text),
        ("r.json", lambda text: json.loads(text)["summary"]["outage_count"] == 1),
    ):
        code, out, err = invoke("report", "--since", "2026-11-23", "--output", str(tmp_path / name))
        assert code == 0, err
        assert out == ""
        kind = name.split(".")[1]
        assert err.splitlines()[-1] == f"{kind} report written to {tmp_path / name}"
        assert check((tmp_path / name).read_text()), name
    code, _, err = invoke("report", "--output", str(tmp_path / "r.docx"))
    assert code == ExitCode.USAGE
    assert err == (
        'netwatch: --output: cannot tell the format from "r.docx"; pass --format (html, pdf, md, txt, csv, json) or '
        "use one of the extensions .html, .htm, .pdf, .md, .txt, .csv, .json\n"
    )


def test_report_letter_warns_about_every_missing_detail(env: dict[str, str]) -> None:
    _recorded_day(Path(env["NETWATCH_STATE_DIR"]) / "netwatch.db")
    code, out, err = invoke("report", "--since", "2026-11-23", "--format", "md")
    assert code == 0
    warnings = [line for line in err.splitlines() if line.startswith("netwatch: warning: ")]
    assert any("owner.business" in w for w in warnings), err
    assert "[your business name]" in out


def test_report_period_and_option_errors(env: dict[str, str]) -> None:
    _recorded_day(Path(env["NETWATCH_STATE_DIR"]) / "netwatch.db")
    code, _, err = invoke("report", "--period", "last-week", "--since", "2026-11-01")
    assert (code, err) == (
        ExitCode.USAGE,
        "netwatch: --period names the whole period: use it or --since/--until, not both\n",
    )
    code, _, err = invoke("report", "--period", "fortnight")
    assert code == ExitCode.USAGE
    assert err == (
        'netwatch: --period: "fortnight" is not a period; use one of today, yesterday, this-week, last-week, '
        "this-month, last-month\n"
    )
    code, _, err = invoke("report", "--format", "pdf")
    assert (code, err) == (ExitCode.USAGE, "netwatch: a PDF is binary: pass --output FILE.pdf or --output-dir DIR\n")
    code, out, _ = invoke("report", "--period", "today")
    assert code == 0 and json.loads(out)["summary"]["outage_count"] == 0


def test_report_includes_the_speed_tests_of_the_period(env: dict[str, str], tmp_path: Path) -> None:
    from netwatch.core.model import SpeedResult

    path = Path(env["NETWATCH_STATE_DIR"]) / "netwatch.db"
    _recorded_day(path)
    with Store.open(path) as store:
        for at, down in (("2026-11-23T08:30:00", 30.0), ("2026-11-23T20:30:00", 90.0), ("2026-11-24T08:30:00", 1.0)):
            store.save_speed(SpeedResult(ts(at), "speedtest", "speedtest-cli", download_mbps=down, ok=True))
        store.save_speed(SpeedResult(ts("2026-11-23T09:05:00"), "speedtest", "netwatch", error="skipped: line down"))
    cfg = tmp_path / "plan.toml"
    cfg.write_text('[business_hours]\ntimezone = "Europe/London"\n[plan]\ndownload_mbps = 100.0\n')
    code, out, err = invoke("report", "--config", str(cfg), "--since", "2026-11-23", "--until", "2026-11-23")
    assert (code, err) == (0, "")
    speed = json.loads(out)["speed"]
    assert (speed["tests"], speed["ok"], speed["skipped"], speed["slow"]) == (3, 2, 1, 1)  # the 24th is outside
    assert speed["download"]["mbps"]["p50"] == 60.0 and speed["download"]["percent_of_plan"]["min"] == 30.0
    assert speed["failures"][0]["reason"] == "skipped: line down"


def test_report_output_dir_names_the_file_after_the_period(env: dict[str, str], tmp_path: Path) -> None:
    _recorded_day(Path(env["NETWATCH_STATE_DIR"]) / "netwatch.db")
    reports = tmp_path / "state" / "reports"  # created on first use, as the monthly timer needs
    code, out, err = invoke(
        "report", "--since", "2026-11-23", "--until", "2026-11-23", "--format", "html", "--output-dir", str(reports)
    )
    assert (code, out) == (0, ""), err
    # Beside a document people read: first how much of the period netwatch did not see, then the advice, then where.
    assert (
        err.splitlines()[0]
        == "netwatch: warning: netwatch was not running for 91.7% of the period (22h 00m 00s in 2 gaps)"
    )
    assert err.splitlines()[-1] == f"html report written to {reports / 'netwatch-2026-11-23.html'}"
    assert (reports / "netwatch-2026-11-23.html").read_text().lstrip().lower().startswith("<!doctype html>")
    code, _, err = invoke("report", "--since", "2026-11-01", "--until", "2026-11-30", "--output-dir", str(reports))
    assert code == 0, err
    written = json.loads((reports / "netwatch-2026-11-01_2026-11-30.json").read_text())  # json: the default format
    assert written["summary"]["outage_count"] == 1
    # A named period names the file after itself; running it again replaces the file, leaving nothing else.
    today = datetime.now(UTC).date()
    last_month = today.replace(day=1) - timedelta(days=1)
    for _ in range(2):
        code, _, err = invoke("report", "--period", "last-month", "--format", "md", "--output-dir", str(reports))
        assert code == 0, err
    assert sorted(p.name for p in reports.iterdir()) == sorted(
        ["netwatch-2026-11-23.html", "netwatch-2026-11-01_2026-11-30.json", f"netwatch-{last_month:%Y-%m}.md"]
    )


def test_report_output_dir_errors(env: dict[str, str], tmp_path: Path) -> None:
    _recorded_day(Path(env["NETWATCH_STATE_DIR"]) / "netwatch.db")
    code, _, err = invoke("report", "--output", str(tmp_path / "r.json"), "--output-dir", str(tmp_path))
    assert (code, err) == (
        ExitCode.USAGE,
        "netwatch: --output names the file and --output-dir the directory to name it in: use one, not both\n",
    )
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    code, _, err = invoke("report", "--output-dir", str(a_file))
    assert code == ExitCode.USAGE
    assert f"Invalid value for '--output-dir': Directory '{a_file}' is a file." in err
    below_a_file = a_file / "reports"
    code, _, err = invoke("report", "--since", "2026-11-23", "--output-dir", str(below_a_file))
    assert (code, err) == (
        ExitCode.REPORT,
        f"netwatch: cannot create --output-dir {below_a_file}: Not a directory; choose a writable directory\n",
    )
