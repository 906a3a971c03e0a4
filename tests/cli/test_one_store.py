"""One store for every command: the commands find the store the daemon records into (the state directory
./bootstrap recorded, with no environment variable to remember), a command never creates a store it meant to read
or add to (it names the places it looked at, and the store it found elsewhere), and `check-config` shows the store
used. Every message word for word."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from netwatch.adapters.store.sqlite import Store
from netwatch.app import settings
from netwatch.cli import ExitCode, main
from netwatch.config import loading
from netwatch.core.model import Role, Round, Sample, Target

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC).timestamp()
GW, A1 = Target(Role.GATEWAY, "192.168.1.1"), Target(Role.ANCHOR, "1.1.1.1")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user with no netwatch variable set and no system-wide configuration, working in tmp_path."""
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp_path / "etc/netwatch.toml")
    for variable in ("NETWATCH_STATE_DIR", "STATE_DIRECTORY", "XDG_STATE_HOME", "NETWATCH_CONFIG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def recorded_by_a_daemon(path: Path) -> None:
    """A store as a daemon leaves it: a session of a few rounds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with Store.open(path) as store:
        store.begin_session(T0)
        for i in range(5):
            store.add_round(Round(T0 + i, (Sample(GW, 0.4), Sample(A1, 9.0))))
        store.end_session(T0 + 4)


def test_every_command_uses_the_state_directory_bootstrap_recorded(home: Path, installation: Path) -> None:
    checkout = home.parent / "netwatch"
    installation.parent.mkdir(parents=True)
    installation.write_text(f"{checkout / 'state'}\n", encoding="utf-8")
    store = checkout / "state" / "netwatch.db"
    recorded_by_a_daemon(store)  # `./bootstrap run` recorded into ./state of the checkout

    assert settings.load(None).store.path == store, "the daemon reads the same record"
    code, out, err = invoke("ticket", "open", "--reported", "now", "--ref", "CASE-1")
    assert (code, err) == (0, ""), err
    code, out, _ = invoke("status")
    assert code == 0 and out.startswith(f"Store:     {store}\n")
    tickets = [line for line in out.splitlines() if line.startswith("Ticket:")]
    assert len(tickets) == 1 and tickets[0].startswith("Ticket:    CASE-1 open, reported "), out
    with Store.open(store, readonly=True) as s:
        assert [t.ref for t in s.tickets()] == ["CASE-1"]
    assert not (home / ".local").exists(), "nothing went to the user's own state directory"

    code, out, err = invoke("check-config")
    assert (code, err) == (0, "")
    size = store.stat().st_size / 1e6
    assert out.splitlines()[:3] == [
        "# netwatch effective configuration from built-in defaults",
        f'# state directory "{checkout / "state"}" (from ./bootstrap\'s record in {installation})',
        f"# store {store} (recorded by netwatch; {size:.1f} MB)",
    ]


def test_a_command_that_adds_never_creates_a_store_and_names_the_one_found(home: Path, installation: Path) -> None:
    service = installation.parents[2] / "var/lib/netwatch/netwatch.db"
    recorded_by_a_daemon(service)  # the installed service's store; this user's configuration names none
    mine = home / ".local/state/netwatch/netwatch.db"
    found = (
        f"no store at {mine} (store.path in the state directory from $HOME), but netwatch has recorded into"
        f" {service} (the installed service's): give this command the --config the daemon runs with, or set"
        f' store.path = "{service}" in its configuration\n'
    )
    assert invoke("ticket", "open", "--reported", "now", "--ref", "CASE-1") == (
        ExitCode.STORE,
        "",
        f'netwatch: ticket "CASE-1" was not recorded: {found}',
    )
    assert invoke("ticket", "close", "CASE-1", "--fixed", "now") == (
        ExitCode.STORE,
        "",
        f'netwatch: the repair of ticket "CASE-1" was not recorded: {found}',
    )
    assert invoke("campaign", "plan") == (ExitCode.STORE, "", f"netwatch: the campaign was not recorded: {found}")
    assert invoke("status") == (ExitCode.STORE, "", f"netwatch: {found}")
    assert not mine.parent.exists(), "no store, not even its directory, was created"

    code, out, _ = invoke("check-config")
    assert code == 0
    assert out.splitlines()[2] == (
        f"# store {mine} (not there yet: `netwatch run` creates it); there is one at {service} (the installed"
        " service's)"
    )


def test_a_record_that_holds_no_absolute_path_is_a_configuration_problem(home: Path, installation: Path) -> None:
    installation.parent.mkdir(parents=True)
    installation.write_text("state\n", encoding="utf-8")
    assert invoke("status") == (
        ExitCode.CONFIG,
        "",
        f"netwatch: 1 configuration problem:\n  {installation}: must hold an absolute path, got 'state'; run"
        " ./bootstrap again (it records the state directory), or set NETWATCH_STATE_DIR\n",
    )


def test_a_copied_read_only_store_is_read_where_it_is(home: Path, tmp_path: Path) -> None:
    original = tmp_path / "original" / "netwatch.db"
    recorded_by_a_daemon(original)
    copy = tmp_path / "usb" / "netwatch.db"
    copy.parent.mkdir()
    shutil.copy2(original, copy)
    copy.chmod(0o444)
    cfg = tmp_path / "copy.toml"
    cfg.write_text(f'[store]\npath = "{copy}"\n', encoding="utf-8")
    code, out, err = invoke("verify", "--config", str(cfg))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"Evidence chain of {copy}: intact"


def test_a_state_directory_variable_that_misleads_is_named_in_the_fix(
    home: Path, installation: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = home.parent / "netwatch"
    installation.parent.mkdir(parents=True)
    installation.write_text(f"{checkout / 'state'}\n", encoding="utf-8")
    store = checkout / "state" / "netwatch.db"
    recorded_by_a_daemon(store)
    empty = home.parent / "empty"
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(empty))
    assert invoke("status") == (
        ExitCode.STORE,
        "",
        f"netwatch: no store at {empty / 'netwatch.db'} (store.path in the state directory from $NETWATCH_STATE_DIR),"
        f" but netwatch has recorded into {store} (the state directory from ./bootstrap's record in {installation}):"
        f" unset NETWATCH_STATE_DIR (it sends this command to {empty}), or set it to {checkout / 'state'}\n",
    )
