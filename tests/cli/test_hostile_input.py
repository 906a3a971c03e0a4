"""What the security review threw at the command line and the configuration, each answered with one clear line
(never "internal error", never a whole value echoed back), and what must never be shown: secrets in URLs,
control characters on the terminal, a bundle of business data readable by everyone."""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from netwatch.adapters.store.sqlite import Store
from netwatch.cli import ExitCode, main
from netwatch.config import loading
from netwatch.core.model import Role, Round, Sample, Target

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC).timestamp()
GW, A1 = Target(Role.GATEWAY, "192.168.1.1"), Target(Role.ANCHOR, "1.1.1.1")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp_path / "absent.toml")
    monkeypatch.delenv("NETWATCH_CONFIG", raising=False)
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def store(home: Path) -> Path:
    path = home / "state" / "netwatch.db"
    path.parent.mkdir()
    with Store.open(path) as s:
        s.begin_session(T0)
        for i in range(60):
            s.add_round(Round(T0 + i, (Sample(GW, 0.4), Sample(A1, 9.0))))
        s.end_session(T0 + 59)
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def check_config(home: Path, text: str) -> tuple[int, str]:
    (home / "c.toml").write_text(text, encoding="utf-8")
    code, out, err = invoke("check-config", "--config", "c.toml")
    assert out == "" or code == 0
    return code, err


# --- sizes -----------------------------------------------------------------------------------------------------


def test_a_huge_number_deep_nesting_and_a_huge_value_are_configuration_errors(home: Path) -> None:
    assert check_config(home, "[probe]\ninterval = " + "9" * 400 + "\n") == (
        ExitCode.CONFIG,
        "netwatch: 1 configuration problem in c.toml:\n  probe.interval: is a 400-digit number, beyond any value it"
        " can take; write a number of seconds, e.g. interval = 1.0\n",
    )
    assert check_config(home, "a = " + "[" * 5000 + "]" * 5000 + "\n") == (
        ExitCode.CONFIG,
        "netwatch: 1 configuration problem in c.toml:\n  (file): nests lists or inline tables too deeply to be read;"
        " write a flat configuration\n",
    )
    code, err = check_config(home, f'[probe]\ninterval = "{"y" * 100_000}"\n')
    assert (code, err) == (
        ExitCode.CONFIG,
        'netwatch: 1 configuration problem in c.toml:\n  probe.interval: must be a number, not a string ("'
        + "y" * 60
        + '"… (100000 characters)); write a number of seconds, e.g. interval = 1.0\n',
    )


def test_a_flood_of_unknown_keys_is_listed_briefly(home: Path) -> None:
    code, err = check_config(home, "[probe]\n" + "".join(f"k{i} = 1\n" for i in range(60_000)))
    lines = err.splitlines()
    assert code == ExitCode.CONFIG and len(err) < 4000
    assert lines[0] == "netwatch: 60000 configuration problems in c.toml:"
    assert lines[1] == "  probe.k0: unknown key; valid keys are: interval, mode, name, timeout"
    assert lines[-1] == "  … and 59980 more"


def test_dns_names_are_bounded(home: Path) -> None:
    names = ", ".join(f'"n{i}.example"' for i in range(20_000))
    assert check_config(home, f"[dns]\nnames = [{names}]\n")[1] == (
        "netwatch: 1 configuration problem in c.toml:\n  dns.names: lists 20000 items, more than 64; keep the ones"
        " you need\n"
    )
    names = ", ".join(f'"n{i}.example"' for i in range(20))
    assert check_config(home, f"[dns]\nnames = [{names}]\n")[1] == (
        "netwatch: 1 configuration problem in c.toml:\n  dns.names: must list 0 to 16 names, got 20; list 0 to 16"
        " names in dns.names\n"
    )


def test_a_config_file_that_is_a_device_or_too_large_is_refused(home: Path) -> None:
    code, out, err = invoke("check-config", "--config", "/dev/zero")
    assert (code, out) == (ExitCode.CONFIG, "")
    assert err == (
        "netwatch: 1 configuration problem:\n  --config: /dev/zero is not a regular file (a device, a pipe or a"
        " socket); pass the path of an existing file to --config\n"
    )


INFLUX = '[influxdb]\nurl = "http://influx.lan:8086"\napi = "v1"\ndatabase = "nw"\nusername = "nw"\n'


def test_secret_files_must_exist_and_be_plain_files(home: Path) -> None:
    assert check_config(home, INFLUX + 'password_file = "nope"\n') == (
        ExitCode.CONFIG,
        "netwatch: 1 configuration problem in c.toml:\n  influxdb.password_file: nope does not exist;"
        " create it with the secret on its first line, or point influxdb.password_file at another file\n",
    )
    assert check_config(home, INFLUX + 'password_file = "/dev/zero"\n') == (
        ExitCode.CONFIG,
        "netwatch: 1 configuration problem in c.toml:\n  influxdb.password_file: /dev/zero is not a regular file (a"
        " device, a pipe or a socket); give a file holding the secret on its first line\n",
    )


def test_a_date_before_2000_is_refused_plainly(store: Path) -> None:
    code, out, err = invoke("report", "--since", "0001-01-01")
    assert (code, out) == (ExitCode.USAGE, "")
    assert err == (
        'netwatch: --since: "0001-01-01" is before 2000-01-01, older than anything netwatch measured; check the year\n'
    )


def test_a_huge_ticket_note_or_reference_is_refused_without_echoing_it(store: Path) -> None:
    code, out, err = invoke("ticket", "open", "--reported", "2026-11-03 09:30", "--ref", "A1", "--note", "x" * 130_000)
    assert (code, out) == (ExitCode.USAGE, "")
    assert err == (
        "netwatch: --note: 130000 characters is longer than a note can be (2000); write the gist (what was reported,"
        " to whom) and keep the correspondence with your records\n"
    )
    code, out, err = invoke("ticket", "open", "--reported", "2026-11-03 09:30", "--ref", "R" * 100_000)
    assert (code, out) == (ExitCode.USAGE, "")
    assert err == (
        f'netwatch: --ref: "{"R" * 60}…" (100000 characters) is not a reference (at most 64 characters, no tabs or'
        " line breaks)\n"
    )


# --- invisible characters ----------------------------------------------------------------------------------------


def test_control_and_bidi_characters_never_reach_the_terminal(store: Path) -> None:
    note = "called\x07 the \x1b[2Jhelpdesk\x7f, \u202eref from\u2066 Ann"
    assert invoke("ticket", "open", "--reported", "2026-11-03 09:30", "--ref", "A1", "--note", note)[0] == 0
    code, out, _ = invoke("ticket", "list")
    assert code == 0
    assert "    note: called the [2Jhelpdesk, ref from Ann" in out.splitlines()
    assert not any(ch in out for ch in "\x07\x1b\x7f\u202e\u2066")


def test_a_bidi_override_in_a_name_is_refused_by_the_configuration(home: Path) -> None:
    assert check_config(home, '[owner]\nname = "Jane \u202eSmith"\n') == (
        ExitCode.CONFIG,
        "netwatch: 1 configuration problem in c.toml:\n  owner.name: holds invisible control characters (U+202E);"
        " remove them\n",
    )


# --- secrets and the bundle ----------------------------------------------------------------------------------------

SECRETS = """
[influxdb]
url = "https://ingest.example.com:8086/t0kenpath/#fr4g"
api = "v1"
database = "nw"
[speedtest]
backend = "http"
[speedtest.http]
urls = ["https://bob:pa55word@speed.example.com/100MB.bin?key=s3cr3t#fr4g"]
upload_url = "https://speed.example.com/up?token=s3cr3t"
"""


def test_no_secret_of_any_url_is_shown(home: Path) -> None:
    (home / "c.toml").write_text(SECRETS)
    code, out, err = invoke("check-config", "--config", "c.toml")
    assert (code, err) == (0, "")
    for secret in ("t0kenpath", "fr4g", "pa55word", "bob", "s3cr3t"):
        assert secret not in out
    assert 'url = "https://ingest.example.com:8086/***#***"' in out
    assert 'urls = ["https://***@speed.example.com/100MB.bin?***#***"]' in out
    assert 'upload_url = "https://speed.example.com/up?***"' in out


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_bundle_is_private_by_default_and_honours_the_umask(store: Path, umask: None) -> None:
    (store.parent.parent / "c.toml").write_text(SECRETS.split("[speedtest]")[0])
    period = ("--since", "2026-11-03", "--until", "2026-11-03", "--config", "c.toml")
    assert invoke("evidence", *period, "--output", "a.zip")[0] == 0
    assert stat.S_IMODE(os.stat("a.zip").st_mode) == 0o600  # umask 022 would have given 0644
    os.umask(0o277)
    assert invoke("evidence", *period, "--output", "b.zip")[0] == 0
    assert stat.S_IMODE(os.stat("b.zip").st_mode) == 0o400
    with zipfile.ZipFile("a.zip") as bundle:
        shown = bundle.read("config.toml").decode()
    assert "t0kenpath" not in shown and "fr4g" not in shown
