"""Reading a store without write access: another user's store (a normal user after a first `sudo` run, or while
the daemon runs as root), and a store on a read-only file system, read by the real command line in a child process.

`status`, `report`, `verify` and `evidence` only read, so they must work where SQLite may not create the store's
``-shm`` file; commands that add to the store say exactly why they cannot, "read-only file system" included. Needs
root (to switch to the user nobody, and to mount a directory read-only in a mount namespace of its own); skipped
otherwise, failed under CI.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.core.model import Cause, Incident, Kind, Role, Round, Sample, Target
from tests.support.skipping import unavailable
from tests.support.unprivileged import as_user, environment, importable, python

REPO = Path(__file__).parents[2]
T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC).timestamp()  # a Tuesday, 09:00 in London
GW, A1 = Target(Role.GATEWAY, "192.168.1.1"), Target(Role.ANCHOR, "1.1.1.1")
SINCE, UNTIL = "2026-11-03", "2026-11-03"


@pytest.fixture(scope="module")
def code() -> Iterator[Path]:
    missing = [tool for tool in ("setpriv", "unshare", "mount") if shutil.which(tool) is None]
    if os.geteuid() != 0 or missing:
        unavailable(f"needs root and {', '.join(missing) or 'util-linux'} to read a store as another user")
    # Every command this module runs: the command line imports a command's module only when it runs.
    commands = ("netwatch.cli.monitor", "netwatch.cli.reports", "netwatch.cli.evidence", "netwatch.cli.tickets")
    modules = ("netwatch.cli", *commands, "netwatch.app.documents", "netwatch.app.evidence", "netwatch.report.render")
    with importable(*modules, data=(REPO / "templates",)) as place:
        yield place


def record(path: Path, rounds: int = 180, *, end: bool = True) -> Store:
    """A store of a morning with an ISP outage from 09:01 to 09:02; closed (its log folded in) when ``end``, else
    returned open, as a running daemon holds it."""
    store = Store.open(path)
    store.begin_session(T0)
    for i in range(rounds):
        store.add_round(Round(T0 + i, (Sample(GW, 0.4), Sample(A1, None if 60 <= i < 120 else 9.5))))
        if i == 120:
            store.save_incident(Incident(Kind.OUTAGE, Cause.ISP, T0 + 60, T0 + 120, 60, ((Cause.ISP, 60),)))
        if i % 10 == 9:
            store.commit()
    if end:
        store.end_session(T0 + rounds - 1)
        store.close()
    return store


def configure(directory: Path, store: Path) -> Path:
    cfg = directory / "netwatch.toml"
    cfg.write_text(f'[store]\npath = "{store}"\n[business_hours]\ntimezone = "Europe/London"\n', encoding="utf-8")
    cfg.chmod(0o644)
    return cfg


def netwatch(
    code: Path, cfg: Path, *args: str, user: str | None = None, read_only: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`netwatch --config CFG ARGS` from the world-readable copy of the code, as ``user``, with ``read_only``
    mounted read-only (in a mount namespace of its own: nothing changes outside)."""
    command: tuple[str, ...] = (python(), "-m", "netwatch", *args, "--config", str(cfg))
    if user is not None:
        command = (*as_user(user), *command)
    if read_only is not None:
        remount = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
        command = (
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            remount,
            "sh",
            str(read_only),
            *command,
        )
    env = environment(code, HOME="/nonexistent")
    env.pop("NETWATCH_STATE_DIR", None)
    env.pop("NETWATCH_CONFIG", None)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False, cwd="/")


def reads(
    code: Path, cfg: Path, out: Path, *, user: str | None = None, read_only: Path | None = None, why: str = ""
) -> None:
    """Every reading command succeeds, and says what the store holds; verify says why it left no checkpoint
    (``why``)."""
    status = netwatch(code, cfg, "status", user=user, read_only=read_only)
    assert status.returncode == 0, status.stderr
    assert "Last round: 2026-11-03 09:02:59 GMT" in status.stdout, status.stdout
    period = ("--since", SINCE, "--until", UNTIL)
    report = netwatch(code, cfg, "report", *period, "--format", "json", user=user, read_only=read_only)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["summary"]["outage_count"] == 1
    verify = netwatch(code, cfg, "verify", user=user, read_only=read_only)
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.splitlines()[0] == f"Evidence chain of {cfg.parent}/state/netwatch.db: intact"
    assert verify.stdout.splitlines()[-1] == (
        f"  no checkpoint written: {why}, so this verification was not sealed as a checkpoint"
    )
    bundle = out / "evidence.zip"
    made = netwatch(code, cfg, "evidence", *period, "--output", str(bundle), user=user, read_only=read_only)
    assert made.returncode == 0, made.stderr
    assert "chain intact" in made.stdout
    with zipfile.ZipFile(bundle) as zipped:
        assert json.loads(zipped.read("report.json"))["summary"]["outage_count"] == 1
    assert copied_rounds(code, cfg, out, user=user, read_only=read_only) == 180


def copied_rounds(code: Path, cfg: Path, out: Path, *, user: str | None = None, read_only: Path | None = None) -> int:
    """`evidence --with-store` as ``user``: the rounds of the store's copy in the bundle, which must hold no
    write-ahead log (it opens anywhere) and leave no working copy behind."""
    bundle = out / "with-store.zip"
    period = ("--since", SINCE, "--until", UNTIL)
    made = netwatch(
        code, cfg, "evidence", *period, "--with-store", "--output", str(bundle), user=user, read_only=read_only
    )
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(bundle) as zipped:
        zipped.extract("netwatch.db", out / "copy")
    assert not list(out.glob(".netwatch-store-*"))
    conn = sqlite3.connect(f"file:{out / 'copy' / 'netwatch.db'}?mode=ro", uri=True)
    try:
        [(mode,)] = conn.execute("PRAGMA journal_mode").fetchall()
        [(rounds,)] = conn.execute("SELECT count(*) FROM rounds").fetchall()
    finally:
        conn.close()
    assert mode == "delete"
    shutil.rmtree(out / "copy")
    return int(rounds)


@pytest.fixture
def public() -> Iterator[Path]:
    """A directory everyone may enter (pytest's own temporary directories are its owner's only)."""
    place = Path(tempfile.mkdtemp(prefix="netwatch-test-"))
    place.chmod(0o755)
    yield place
    shutil.rmtree(place)


def test_another_users_store_is_read_without_write_access(code: Path, public: Path) -> None:
    """A first `sudo` run left the state directory and the store owned by root: nobody may read them, not write."""
    state = public / "state"
    state.mkdir(mode=0o755)
    record(state / "netwatch.db")
    (state / "netwatch.db").chmod(0o644)
    assert sorted(p.name for p in state.iterdir()) == ["netwatch.db"]  # no log pending: the file is the store
    cfg = configure(public, state / "netwatch.db")
    out = public / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    reads(code, cfg, out, user="65534", why=f"this user may not write to {state}/netwatch.db")
    assert sorted(p.name for p in state.iterdir()) == ["netwatch.db"], "reading leaves nothing behind"

    added = netwatch(code, cfg, "ticket", "open", "--reported", "now", "--ref", "A1", user="65534")
    assert (added.returncode, added.stdout) == (4, "")
    assert added.stderr == (
        f'netwatch: ticket "A1" was not recorded: cannot write to store {state}/netwatch.db (attempt to write a'
        " readonly database): it belongs to root, and the user nobody may not write to it or to its directory; run"
        " the command as root (e.g. with sudo), or make both writable by nobody\n"
    )


def test_a_store_in_a_directory_this_user_may_not_enter_says_so(code: Path, public: Path) -> None:
    """The service's state directory is the group netwatch's only (0750): a user not (yet) in that group is told
    so, never that there is no store, nor an internal error."""
    state = public / "state"
    state.mkdir(mode=0o750)
    record(state / "netwatch.db")
    cfg = configure(public, state / "netwatch.db")
    fix = "run the command with sudo, or join the group netwatch (`sudo usermod -aG netwatch $USER`, then log in again)"
    status = netwatch(code, cfg, "status", user="65534")
    assert (status.returncode, status.stdout) == (4, "")
    assert status.stderr == f"netwatch: cannot read store {state}/netwatch.db: this user may not enter {state}; {fix}\n"
    added = netwatch(code, cfg, "ticket", "open", "--reported", "now", "--ref", "A1", user="65534")
    assert added.stderr == (
        f'netwatch: ticket "A1" was not recorded: cannot read store {state}/netwatch.db: this user may not enter'
        f" {state}; {fix}\n"
    )
    shown = netwatch(code, cfg, "check-config", user="65534")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[2] == (
        f"# store {state}/netwatch.db (this user may not look into {state}: use sudo, or join the group netwatch)"
    )


def test_the_daemons_latest_commits_are_read_while_it_runs_as_another_user(code: Path, public: Path) -> None:
    """While the writer (root here, as a daemon run with sudo) holds the store, its newest commits are still in
    the write-ahead log: a reader without write access must see them, never the older main file alone."""
    state = public / "state"
    state.mkdir(mode=0o755)
    writer = record(state / "netwatch.db", rounds=300, end=False)
    try:
        for path in state.iterdir():
            path.chmod(0o644)
        assert (state / "netwatch.db-wal").stat().st_size > 0
        cfg = configure(public, state / "netwatch.db")
        status = netwatch(code, cfg, "status", user="65534")
        assert status.returncode == 0, status.stderr
        last = writer.last_round()
        assert last is not None and last.at == T0 + 299
        assert "Last round: 2026-11-03 09:04:59 GMT" in status.stdout, status.stdout
        out = public / "out"
        out.mkdir(mode=0o777)
        out.chmod(0o777)
        # the copy holds the commits still in the writer's log, read by a user who may not write the store
        assert copied_rounds(code, cfg, out, user="65534") == 300
    finally:
        writer.close()


def test_a_store_on_a_read_only_file_system_is_read_and_not_written(code: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    record(state / "netwatch.db")
    cfg = configure(tmp_path, state / "netwatch.db")
    out = tmp_path / "out"
    out.mkdir()
    reads(code, cfg, out, read_only=state, why=f"{state}/netwatch.db is on a read-only file system")

    added = netwatch(code, cfg, "ticket", "open", "--reported", "now", "--ref", "A1", read_only=state)
    assert (added.returncode, added.stdout) == (4, "")
    assert added.stderr == (
        f'netwatch: ticket "A1" was not recorded: cannot write to store {state}/netwatch.db: it is on a read-only'
        " file system; remount it read-write (`sudo mount -o remount,rw` on its mount point), or point store.path"
        " at a writable disk\n"
    )


def test_a_pending_log_on_a_read_only_file_system_is_refused_not_ignored(code: Path, tmp_path: Path) -> None:
    """A copy taken while the daemon ran holds commits in its -wal file only; read-only, SQLite cannot use it,
    and reading the main file alone would silently drop them."""
    live = tmp_path / "live"
    live.mkdir()
    writer = record(live / "netwatch.db", rounds=300, end=False)
    copy = tmp_path / "copy"
    copy.mkdir()
    try:
        for name in ("netwatch.db", "netwatch.db-wal"):
            shutil.copy2(live / name, copy / name)
    finally:
        writer.close()
    cfg = configure(tmp_path, copy / "netwatch.db")
    status = netwatch(code, cfg, "status", read_only=copy)
    assert (status.returncode, status.stdout) == (4, "")
    assert status.stderr == (
        f"netwatch: cannot read store {copy}/netwatch.db: its write-ahead log netwatch.db-wal can only be read where"
        " SQLite may write its netwatch.db-shm file, and it is on a read-only file system; copy netwatch.db with"
        " netwatch.db-wal into a directory you can write and read the copy (`--config` with store.path pointing at"
        " it), or run the command as the store's owner\n"
    )
