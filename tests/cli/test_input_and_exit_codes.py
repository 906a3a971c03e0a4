"""A newcomer's small stumbles, as the command line meets them: exit codes as the README says (a bad date is
bad input, 2), a `verify --expect` that is no digest refused, CSV durations in exact seconds with the human form
beside, zone abbreviations ("BST", "CET") sent to their IANA names, and a reader that stops reading
(`netwatch status | head`, and every command that prints a lot) ending the command quietly. Every message word for
word."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from netwatch.adapters.store.sqlite import Store
from netwatch.cli import ExitCode, main
from netwatch.config import loading
from netwatch.core.model import Cause, Incident, Kind, Role, Round, Sample, Target

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC).timestamp()  # Tuesday 3 November 2026, 09:00 GMT
GW, A1 = Target(Role.GATEWAY, "192.168.1.1"), Target(Role.ANCHOR, "1.1.1.1")
FORMS = "use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (local time in Europe/London, or with an offset such as +01:00)"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with an ISP outage from 09:01:00.111 to 09:02:03.726, whose length is no round number of seconds."""
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp_path / "absent.toml")
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(
        '[business_hours]\ntimezone = "Europe/London"\n[business_hours.week]\ntue = "09:00-17:00"\n'
        '[influxdb]\nurl = "http://127.0.0.1:9"\napi = "v1"\ndatabase = "netwatch"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("NETWATCH_CONFIG", str(cfg))
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "state" / "netwatch.db"
    with Store.open(path) as s:
        s.begin_session(T0)
        for i in range(180):  # the outage's first round and its first good one are off the whole seconds
            at = T0 + {60: 60.111, 123: 123.726}.get(i, i)
            s.add_round(Round(at, (Sample(GW, 0.4), Sample(A1, None if 60 <= i < 123 else 9.5))))
        start, end = T0 + 60.111, T0 + 123.726
        s.save_incident(Incident(Kind.OUTAGE, Cause.ISP, start, end, 63, ((Cause.ISP, 63),), "gateway 63/63"))
        s.end_session(T0 + 179)
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_bad_date_is_bad_input_exit_2_in_every_command(store: Path) -> None:
    bad = f'netwatch: --since: "23/11/2026" is not a date or date-time; {FORMS}\n'
    assert invoke("report", "--since", "23/11/2026") == (ExitCode.USAGE, "", bad)
    assert invoke("evidence", "--since", "23/11/2026") == (ExitCode.USAGE, "", bad)
    assert invoke("influx", "backfill", "--since", "23/11/2026") == (ExitCode.USAGE, "", bad)
    assert invoke("report", "--since", "2026-11-04", "--until", "2026-11-02") == (
        ExitCode.USAGE,
        "",
        "netwatch: the period is empty: --until 2026-11-02 (the end of that day) is before --since 2026-11-04\n",
    )
    assert invoke("report", "--period", "fortnight")[0] == ExitCode.USAGE
    assert invoke("report", "--probe", "office-2")[0] == ExitCode.USAGE


def test_verify_refuses_an_expected_seal_that_is_not_a_digest(store: Path) -> None:
    refused = (
        'netwatch: --expect: "xyz" is not a seal digest; give the digest a report, letter or evidence bundle printed'
        " (hexadecimal, e.g. sha256:3f5a9c0e12ab, at least its first 12 digits)\n"
    )
    assert invoke("verify", "--expect", "xyz") == (ExitCode.USAGE, "", refused)
    assert invoke("verify", "--expect", "3f5a9c0e")[0] == ExitCode.USAGE  # too short to name one seal
    with Store.open(store, readonly=True) as s:
        digest = s.head().digest.hex()
    # As a report prints it: with its prefix, cut after 12 digits, with the ellipsis.
    code, out, err = invoke("verify", "--expect", f"sha256:{digest[:12]}…")
    assert (code, err) == (0, "")
    assert "the expected seal is in the chain" in out
    assert invoke("verify", "--expect", "0" * 64)[0] == ExitCode.VERIFY  # a digest, but not in this chain


def test_csv_durations_are_exact_seconds_with_the_human_form_beside(store: Path) -> None:
    code, out, err = invoke("report", "--since", "2026-11-03", "--until", "2026-11-03", "--format", "csv")
    assert (code, err) == (0, "")
    header, *rows = list(csv.reader(io.StringIO(out, newline="")))
    at = header.index("duration_seconds")
    assert header[at : at + 4] == ["duration_seconds", "duration", "business_seconds", "business_duration"]
    [row] = rows
    assert row[at : at + 4] == ["63.615", "1m 04s", "63.615", "1m 04s"]


@pytest.mark.parametrize(
    ("zone", "meaning", "names"),
    [
        ("BST", "British Summer Time", '"Europe/London"'),
        ("CET", "Central European Time", '"Europe/Berlin" or "Europe/Paris"'),
        ("GMT", "Greenwich Mean Time, the UK's winter time", '"Europe/London" or "UTC"'),
    ],
)
def test_a_zone_abbreviation_in_the_configuration_names_the_iana_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zone: str, meaning: str, names: str
) -> None:
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp_path / "absent.toml")
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(f'[business_hours]\ntimezone = "{zone}"\n', encoding="utf-8")
    assert invoke("check-config", "--config", str(cfg)) == (
        ExitCode.CONFIG,
        "",
        f"netwatch: 1 configuration problem in {cfg}:\n"
        f'  business_hours.timezone: "{zone}" is an abbreviation ({meaning}), not a time zone; use the IANA name of'
        f" your place, such as {names}: it knows when the clocks change\n",
    )


def test_a_zone_abbreviation_after_a_time_names_the_offset(store: Path) -> None:
    assert invoke("report", "--since", "2026-07-01 09:00 BST") == (
        ExitCode.USAGE,
        "",
        'netwatch: --since: "2026-07-01 09:00 BST" ends with the zone abbreviation "BST", which netwatch does not'
        " read; leave it out (the time is then read in Europe/London) or give the offset instead: 2026-07-01"
        " 09:00+01:00\n",
    )
    assert invoke("ticket", "open", "--reported", "2026-11-03 09:30 GMT", "--ref", "A") == (
        ExitCode.USAGE,
        "",
        'netwatch: --reported: "2026-11-03 09:30 GMT" ends with the zone abbreviation "GMT", which netwatch does'
        " not read; leave it out (the time is then read in Europe/London) or give the offset instead: 2026-11-03"
        " 09:30+00:00\n",
    )
    assert invoke("report", "--until", "2026-11-03 CET")[2] == (
        'netwatch: --until: "2026-11-03 CET" ends with the zone abbreviation "CET", which netwatch does not read;'
        " leave it out: a date is that day in Europe/London\n"
    )


def to_a_gone_reader(*args: str) -> subprocess.CompletedProcess[str]:
    """`netwatch ARGS` writing to a pipe whose reader is gone before the first line (`| head` that has read all it
    wanted): every write fails with EPIPE."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "netwatch", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)


def test_a_reader_that_stops_reading_ends_the_command_quietly(store: Path) -> None:
    done = to_a_gone_reader("status")
    assert (done.returncode, done.stderr) == (ExitCode.PIPE, "")
    assert ExitCode.PIPE == 141  # as the shell reports a program stopped by SIGPIPE


def test_every_command_that_prints_a_lot_ends_quietly_when_its_reader_stops(store: Path, tmp_path: Path) -> None:
    with (tmp_path / "netwatch.toml").open("a", encoding="utf-8") as cfg:
        cfg.write('[claims]\nrules = "uk-ofcom"\n')
    assert invoke("ticket", "open", "--reported", "2026-11-03 09:01", "--ref", "T-1")[0] == 0
    commands = (
        ["claims", "rules"],
        ["claims", "rules", "--json"],
        ["report", "--format", "csv"],
        ["report", "--format", "json"],
        ["report", "--format", "md"],
        ["ticket", "list"],
        ["ticket", "list", "--json"],
        ["evidence", "--output", "e.zip"],
        ["verify"],
        ["status"],
    )
    ended: dict[str, tuple[int, str]] = {}
    for args in commands:
        done = to_a_gone_reader(*args)
        # What goes to stderr beside a document (warnings, notes) is said before the output; nothing else may be.
        said = [
            line for line in done.stderr.splitlines() if not line.startswith(("netwatch: warning:", "netwatch: note:"))
        ]
        ended[" ".join(args)] = (done.returncode, "\n".join(said))
    assert ended == {" ".join(args): (ExitCode.PIPE, "") for args in commands}
