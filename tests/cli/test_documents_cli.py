"""The documents for the provider as the owner makes them on the command line: a letter refused for a period netwatch
measured nothing in (exit 2, one line), the evidence bundle of such a period (said first, the letter left out and
why), and what is said beside a document (how much netwatch did not see, then the configuration advice the
documents never hold). A store of one recorded hour: Tuesday 3 November 2026, 09:00-10:00 UTC, with an outage
of the provider's access network at 09:10-09:12.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from netwatch.cli import ExitCode, main
from netwatch.config import loading
from netwatch.core.model import Cause, Role
from netwatch.report.plaintext import plain_letter
from tests.support import stores
from tests.support.incidents import outage
from tests.support.instants import ts
from tests.support.rounds import Line
from tests.support.targets import A1, GW, ISP

T0 = ts("2026-11-03T09:00")  # the default configuration reports in UTC
LINE = Line.of(GW, ISP, A1, rtts={Role.GATEWAY: 0.4, Role.ISP: 3.0, Role.ANCHOR: 9.5})


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp_path / "absent.toml")
    monkeypatch.delenv("NETWATCH_CONFIG", raising=False)
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    rounds = [LINE.round(T0 + i, Cause.ISP if 600 <= i < 720 else None) for i in range(0, 3601, 10)]
    isp = outage(T0 + 600, T0 + 720, Cause.ISP, rounds=12, detail="ISP hop 0/12")
    return stores.record(tmp_path / "state" / "netwatch.db", T0, T0 + 3600, rounds, [isp])


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_letter_for_a_period_netwatch_never_ran_in_is_refused_in_one_line(state: Path) -> None:
    code, out, err = invoke("report", "--since", "2026-11-01", "--until", "2026-11-02", "--format", "md")
    assert (code, out) == (ExitCode.USAGE, "")
    assert err == (
        "netwatch: netwatch was not running at any time from 2026-11-01 00:00 UTC to 2026-11-03 00:00 UTC, so there "
        "is nothing measured to put in a letter; choose a period it was running in (without --period, --since and "
        "--until a report covers all it recorded)\n"
    )


def test_skip_empty_writes_nothing_for_a_period_netwatch_never_ran_in_and_succeeds(state: Path, tmp_path: Path) -> None:
    # The monthly timer's service runs with --skip-empty: the month before netwatch was installed is no failure.
    empty = ("--since", "2026-11-01", "--until", "2026-11-02", "--output-dir", "reports", "--skip-empty")
    for fmt in ("html", "md", "json"):
        code, out, err = invoke("report", *empty, "--format", fmt)
        assert (code, out) == (0, "")
        assert err == (
            f"netwatch: no {fmt} report written: netwatch was not running at any time from 2026-11-01 00:00 UTC to "
            "2026-11-03 00:00 UTC\n"
        )
    assert not (tmp_path / "reports").exists()
    # A period it measured is written as without the flag.
    recorded = ("--since", "2026-11-03", "--until", "2026-11-03", "--output-dir", "reports", "--skip-empty")
    code, _, err = invoke("report", *recorded, "--format", "md")
    assert code == 0, err
    (letter,) = (tmp_path / "reports").iterdir()  # nothing else
    assert err.splitlines()[-1] == "md report written to reports/netwatch-2026-11-03.md"
    assert "09:10" in letter.read_text()


def test_the_bundle_of_a_period_netwatch_never_ran_in_says_so_first_and_leaves_the_letter_out(
    state: Path, tmp_path: Path
) -> None:
    code, _, err = invoke("evidence", "--since", "2026-11-01", "--until", "2026-11-02", "--output", "none.zip")
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == "netwatch: warning: netwatch was not running for 100% of the period (2d 00h 00m 00s)"
    assert (
        "netwatch: warning: letter.md and letter.txt are not in the bundle: netwatch measured nothing in the period, so"
        " there is no letter to write"
    ) in lines
    with zipfile.ZipFile(tmp_path / "none.zip") as z:
        names = z.namelist()
        manifest = json.loads(z.read("manifest.json"))
        html = z.read("report.html").decode()
    assert "letter.md" not in names and names[0] == "report.html"
    assert manifest["coverage"] == {
        "not_running": "netwatch was not running for 100% of the period (2d 00h 00m 00s)",
        "monitored_seconds": 0.0,
        "unmonitored_seconds": 172800.0,
    }
    assert manifest["missing"] == [
        "letter.md and letter.txt are not in the bundle: netwatch measured nothing in the period, so there is no"
        " letter to write"
    ]
    body = html.split("<body>", 1)[1]
    assert body.index('id="not-running"') < body.index('id="summary"')
    assert "<strong>netwatch was not running for 100% of the period (2d 00h 00m 00s).</strong>" in body


def test_the_bundle_of_a_watched_period_states_its_coverage_and_holds_the_letter(state: Path, tmp_path: Path) -> None:
    code, _, err = invoke("evidence", "--since", "2026-11-03", "--until", "2026-11-03", "--output", "day.zip")
    assert code == 0, err
    assert err.splitlines()[0] == (
        "netwatch: warning: netwatch was not running for 95.8% of the period (23h 00m 00s in 2 gaps)"
    )
    with zipfile.ZipFile(tmp_path / "day.zip") as z:
        manifest = json.loads(z.read("manifest.json"))
        letter = z.read("letter.md").decode()
    assert (
        manifest["coverage"]["not_running"]
        == "netwatch was not running for 95.8% of the period (23h 00m 00s in 2 gaps)"
    )
    assert "Please note: netwatch was not running for 95.8% of the period (23h 00m 00s in 2 gaps)." in letter


def test_beside_a_document_the_owner_is_told_what_to_configure_and_the_document_is_not(
    state: Path, tmp_path: Path
) -> None:
    code, _, err = invoke("report", "--since", "2026-11-03", "--until", "2026-11-03", "--output", "r.html")
    assert code == 0
    assert err.splitlines() == [
        "netwatch: warning: netwatch was not running for 95.8% of the period (23h 00m 00s in 2 gaps)",
        "netwatch: warning: the provider's outages have no fault ticket: if you reported the fault, record it with "
        "`netwatch ticket open --reported WHEN --ref REF` (compensation counts from the report)",
        'netwatch: warning: no rule pack chosen ([claims] rules = "none"): set rules = "uk-ofcom", "de-tkg", '
        '"nl-telecomwet", "be-ecl" or "us-fcc" to see what the rules of your country give for the provider\'s outages',
        "html report written to r.html",
    ]
    html = (tmp_path / "r.html").read_text()
    assert "netwatch ticket open" not in html and "[claims]" not in html and 'rules = "' not in html
    # JSON and CSV are for machines: nothing is said beside them.
    code, out, err = invoke("report", "--since", "2026-11-03", "--until", "2026-11-03", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["coverage"]["monitored_seconds"] == 3600.0


def test_a_report_is_written_for_its_owner_and_group_only(state: Path, tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual umask: it alone would let every user read the owner's details
    try:
        for name in ("day.html", "day.md", "day.json"):
            code, _, err = invoke("report", "--since", "2026-11-03", "--until", "2026-11-03", "--output", name)
            assert code == 0, err
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640, name
    finally:
        os.umask(previous)


def test_the_letter_as_plain_text_for_an_e_mail(state: Path, tmp_path: Path) -> None:
    # A fixed period: without --until each invocation ends at its own "now", a second apart at times.
    day = ("--since", "2026-11-03", "--until", "2026-11-03")
    code, md, err = invoke("report", *day, "--format", "md")
    assert code == 0, err
    code, _, err = invoke("report", *day, "--output", str(tmp_path / "letter.txt"))  # the format from the extension
    assert code == 0, err
    assert err.splitlines()[-1] == f"txt report written to {tmp_path / 'letter.txt'}"
    text = (tmp_path / "letter.txt").read_text(encoding="utf-8")
    assert text == plain_letter(md)
    assert "**Subject: " in md and "\nSubject: " in text and "|" not in text and "  \n" not in text
    code, out, _ = invoke("report", *day, "--format", "txt")
    assert (code, out) == (0, text)
    code, _, err = invoke("evidence", *day, "--output", str(tmp_path / "e.zip"))
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "e.zip") as z:
        assert z.read("letter.txt").decode() == plain_letter(z.read("letter.md").decode())
