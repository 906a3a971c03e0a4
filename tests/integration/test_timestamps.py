"""Trusted timestamps (RFC 3161) of the evidence chain against a real authority made with `openssl ts` (a root CA,
a TSA certificate, and an HTTP server signing each query): taken by `netwatch timestamp` and by the daemon, kept
and chained in the store, checked by `netwatch verify`, and carried in the evidence bundle so that a third party
can check them with openssl alone."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from netwatch import config
from netwatch.adapters.store import Store
from netwatch.app.daemon import stamps
from netwatch.app.daemon.writer import Writer
from netwatch.cli import main
from netwatch.cli.command import ExitCode
from netwatch.config import loading
from netwatch.core.model import Role, Round, Sample, Target
from tests.support.skipping import need
from tests.support.tsa import Authority, authority

GW = Target(Role.GATEWAY, "192.168.1.1")
A1 = Target(Role.ANCHOR, "1.1.1.1")
T0 = 1_796_290_000.0


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authority]:
    need("openssl", "apt-get install openssl")
    with authority(tmp_path_factory.mktemp("tsa")) as found:
        yield found


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tsa: Authority) -> Path:
    """A store of three minutes, and a configuration naming the authority."""
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp_path / "absent.toml")
    config = tmp_path / "netwatch.toml"
    config.write_text(f'[timestamp]\nurl = "{tsa.url}"\nca_file = "{tsa.root}"\n')
    monkeypatch.setenv("NETWATCH_CONFIG", str(config))
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "state" / "netwatch.db"
    store.parent.mkdir()
    with Store.open(store) as s:
        s.begin_session(T0)
        for i in range(180):
            s.add_round(Round(T0 + i, (Sample(GW, 0.4), Sample(A1, 9.5))))
            if i % 10 == 9:
                s.commit()
        s.end_session(T0 + 179)
    return store


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_timestamp_is_taken_kept_verified_and_checkable_with_openssl_alone(state: Path, tsa: Authority) -> None:
    with Store.open(state, readonly=True) as store:
        head = store.head()
    code, out, err = invoke("timestamp")
    assert (code, err) == (0, "")
    assert out.startswith(f"seal {head.seal_id} sha256:{head.digest.hex()} timestamped by {tsa.url}: it existed at ")
    code, out, _ = invoke("verify")
    assert code == 0, out
    [line] = [line for line in out.splitlines() if line.startswith("  trusted timestamp:")]
    assert line.startswith(f"  trusted timestamp: seal {head.seal_id} sha256:{head.digest.hex()[:16]}… existed at ")
    assert line.endswith(f" by {tsa.url}: verified")
    # the evidence bundle carries what a third party needs; openssl checks it without netwatch
    code, _, err = invoke("evidence", "--since", "2026-12-01", "--until", "2026-12-01", "--output", "ev.zip")
    assert code == 0, err
    with zipfile.ZipFile("ev.zip") as bundle:
        names = set(bundle.namelist())
        assert {f"timestamps/seal-{head.seal_id}.tsr", f"timestamps/seal-{head.seal_id}.txt"} <= names
        assert {"timestamps/tsa-root.pem", "timestamps/HOW-TO-CHECK.txt"} <= names
        bundle.extractall("out")
    tokens = len([n for n in names if n.endswith(".tsr")])
    readme = " ".join(Path("out/README.txt").read_text().split())
    assert (
        f"The bundle holds {tokens} trusted timestamp{'s' if tokens != 1 else ''} (RFC 3161): an independent"
        " authority signed that a seal existed at a time. Anyone can check one with openssl"
        " (timestamps/HOW-TO-CHECK.txt)."
    ) in readme
    assert "timestamps/ the trusted timestamps of seals; HOW-TO-CHECK.txt inside says how to check them" in readme
    statement = Path(f"out/timestamps/seal-{head.seal_id}.txt").read_text()
    assert statement == f"netwatch evidence chain: seal {head.seal_id} sha256:{head.digest.hex()}\n"
    files = f"out/timestamps/seal-{head.seal_id}"
    argv = ["openssl", "ts", "-verify", "-in", f"{files}.tsr", "-data", f"{files}.txt"]
    checked = subprocess.run([*argv, "-CAfile", "out/timestamps/tsa-root.pem"], capture_output=True, text=True)
    assert checked.stdout.strip() == "Verification: OK", checked.stderr


def test_a_token_of_another_authority_or_for_another_seal_does_not_verify(
    state: Path, tsa: Authority, tmp_path: Path
) -> None:
    assert invoke("timestamp")[0] == 0
    with authority(tmp_path / "rogue") as rogue:
        config = tmp_path / "rogue.toml"
        config.write_text(f'[timestamp]\nurl = "{rogue.url}"\nca_file = "{rogue.root}"\n')
        assert invoke("timestamp", "--config", str(config))[0] == 0  # a token only the rogue's root accepts
    code, out, _ = invoke("verify")
    assert code == ExitCode.VERIFY
    broken = [line for line in out.splitlines() if line.startswith("  BROKEN: trusted timestamp 2")]
    assert len(broken) == 1 and broken[0].endswith(
        ": its token does not hold: it is not signed by the authority of the configured root certificate"
    )
    conn = sqlite3.connect(state, isolation_level=None)
    try:  # the first token moved to another seal, its digest too: the statement it certifies no longer says so
        conn.execute("UPDATE timestamps SET seal_id = seal_id - 1, digest = (SELECT digest FROM seals WHERE id = 1)")
    finally:
        conn.close()
    code, out, _ = invoke("verify")
    assert "its statement does not name its digest (forged?)" in out


def test_without_the_extra_the_commands_name_it(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rfc3161_client", None)  # as on a Pi installed without netwatch[timestamp]
    code, out, err = invoke("timestamp")
    assert (code, out) == (ExitCode.CONFIG, "")
    assert err.endswith(
        "timestamp.url: needs the rfc3161-client package, which is not installed; install the timestamp extra"
        " (in the netwatch checkout: .venv/bin/pip install '.[timestamp]'; for the service: sudo ./bootstrap install"
        ' --extras speedtest,web,timestamp), or set timestamp.url = ""\n'
    )
    code, out, _ = invoke("verify")  # the chain itself is still checked; no token is there to check
    assert code == 0 and "Evidence chain" in out


def test_the_daemon_takes_a_timestamp_by_itself(state: Path, tsa: Authority, monkeypatch: pytest.MonkeyPatch) -> None:
    """The task, with the daemon's writer and a store, as the daemon runs it: the first look comes at once here,
    and the run stops once the token is kept."""
    monkeypatch.setattr(stamps, "FIRST", 0.0)
    cfg = config.load(None, os.environ)
    ready = threading.Event()
    ready.set()

    class Once(stamps.StampTask):
        async def _take(self, roots: list[Any] | None) -> float:
            wait = await super()._take(roots)
            self.stop.set()
            return wait

    async def run() -> int:
        store = Store.open(state)
        writer = Writer(store)
        task = Once(cfg, writer, asyncio.Event(), ready)
        await task.run()
        writer.submit(store.close).result()
        writer.close()
        return task.taken

    assert asyncio.run(run()) == 1
    code, out, _ = invoke("verify")
    assert code == 0 and out.count(": verified") == 1
