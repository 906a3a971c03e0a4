"""What `netwatch verify` says of the cases the chain alone cannot call intact: an empty store, a record added
long after its time, and what a published digest proves."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from netwatch.adapters.store.sqlite import Store
from netwatch.cli import ExitCode, main
from netwatch.config import loading
from netwatch.core.model import Hop, Role, Round, Sample, StoredTrace, Target, Trace

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC).timestamp()
GW, A1 = Target(Role.GATEWAY, "192.168.1.1"), Target(Role.ANCHOR, "1.1.1.1")


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp_path / "absent.toml")
    monkeypatch.delenv("NETWATCH_CONFIG", raising=False)
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "state" / "netwatch.db"
    path.parent.mkdir()
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


def test_an_empty_store_is_empty_and_exits_9(state: Path) -> None:
    Store.open(state).close()
    code, out = invoke("verify")
    assert code == ExitCode.VERIFY
    assert out.splitlines()[0] == (
        f"Evidence chain of {state}: EMPTY: it holds no seal and no record (nothing was recorded yet, or everything"
        " was deleted)"
    )


def test_a_late_record_is_flagged_and_a_published_seal_says_what_it_proves(state: Path) -> None:
    with Store.open(state) as s:
        s.begin_session(T0)
        for i in range(0, 4 * 3600, 10):
            s.add_round(Round(T0 + i, (Sample(GW, 0.4), Sample(A1, 9.0))))
            if i % 600 == 0:
                s.commit()
        s.commit()
        published = s.head()
        code, out = invoke("verify", "--expect", published.digest.hex()[:16])
        assert code == 0
        assert (
            "  the expected seal is in the chain: nothing sealed up to it was changed since it was published, and"
            " nothing sealed after it describes a time more than an hour before it"
        ) in out.splitlines()
        # a traceroute of 09:10 stored after 13:00: nothing takes that long
        s.save_trace(StoredTrace(Trace("1.1.1.1", T0 + 600, (Hop(1, "192.168.1.1", 0.4),), True), "outage started"))
        s.end_session(T0 + 4 * 3600 - 10)
        late = s.head().seal_id - 1
    code, out = invoke("verify")
    assert code == 0
    assert (
        f"  flagged: trace 1 [2026-11-03 09:10:00 UTC]: was first sealed 3 h 49 min 50 s after the time it describes"
        f" (seal {late})"
    ) in out.splitlines()
    code, out = invoke("verify", "--expect", published.digest.hex())
    assert code == ExitCode.VERIFY
    assert (
        f"  BROKEN: trace 1 [2026-11-03 09:10:00 UTC]: was added after the published seal {published.seal_id} (in seal"
        f" {late}), about a time before it (backdated?)"
    ) in out.splitlines()
