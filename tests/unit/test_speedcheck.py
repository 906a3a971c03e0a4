"""Speed tests: [speedtest] configuration, the slow detector, scheduling decisions and the store (issue 5)."""

from __future__ import annotations

import random
import sqlite3
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwatch import config
from netwatch.adapters.influx.points import speed_result_line
from netwatch.adapters.store import Store, migrations
from netwatch.config import speed as speed_config
from netwatch.config.records import SpeedtestConfig
from netwatch.core import speedcheck
from netwatch.core.detect import Closed, Opened, Updated
from netwatch.core.model import Cause, Incident, Kind, SpeedResult
from netwatch.core.speedcheck import SlowRules, SlowState
from tests.support.configs import error, parse
from tests.support.speeds import complete, measured

RULES = SlowRules(download_mbps=80.0, upload_mbps=20.0, below_percent=50.0)
T0 = 1_790_000_000.0


ok = partial(measured, server="X", latency_ms=23.0, bytes_used=1000)


def failed(at: float) -> SpeedResult:
    return SpeedResult(at=at, backend="speedtest", tool="speedtest-cli", ok=False, error="HTTP 403")


# --- configuration ------------------------------------------------------------------------------------------


def test_defaults() -> None:
    cfg = parse("")
    assert cfg.speedtest == SpeedtestConfig(False, "speedtest", ("cloudflare",), 3600.0, 600.0, 0.0, {})
    assert cfg.speedtest.chain == ("speedtest", "cloudflare")
    assert cfg.plan.slow_below_percent == 50.0


def test_backend_options_round_trip_through_render() -> None:
    text = '[speedtest]\nbackend = "iperf3"\nfallback = []\n[speedtest.iperf3]\nhost = "10.9.0.2"\nport = 5202\n'
    cfg = parse(text)
    assert cfg.speedtest.options_for("iperf3") == {"host": "10.9.0.2", "port": 5202}
    assert parse(config.render(cfg)) == cfg


def test_errors_verbatim() -> None:
    assert error('[speedtest]\nbackend = "iperf3"\n') == (
        "1 configuration problem in netwatch.toml:\n"
        "  speedtest.iperf3.host: missing; set host to use the iperf3 backend"
    )
    assert error("[speedtest]\ninterval = 30\n") == (
        "1 configuration problem in netwatch.toml:\n"
        "  speedtest.interval: must be at least 60, got 30.0; set speedtest.interval to 60 or more"
    )
    assert error("[speedtest]\ninterval = 600\njitter = 600\n") == (
        "1 configuration problem in netwatch.toml:\n"
        "  speedtest.jitter: must be less than speedtest.interval (600.0), got 600.0; set speedtest.jitter below"
        " 600.0, e.g. a sixth of it"
    )
    assert error('[speedtest]\nfallback = ["speedtest"]\n') == (
        '1 configuration problem in netwatch.toml:\n  speedtest.fallback[0]: repeats speedtest.backend ("speedtest");'
        " remove it"
    )
    assert error('[speedtest]\nfallback = ["cloudfare"]\n') == (
        "1 configuration problem in netwatch.toml:\n  speedtest.fallback[0]: must be one of speedtest, ookla, http,"
        ' iperf3, cloudflare, got "cloudfare"; did you mean "cloudflare"?'
    )
    assert error('[speedtest.iperf3]\nhost = "h"\nbogus = 1\n') == (
        "1 configuration problem in netwatch.toml:\n  speedtest.iperf3.bogus: unknown option; remove it; iperf3"
        " accepts host, port, streams, duration, omit, upload, connect_timeout, binary"
    )
    assert error("[speedtest]\niperf3 = 3\n") == (
        "1 configuration problem in netwatch.toml:\n"
        "  speedtest.iperf3: must be a table, not an integer (3); write it as a [speedtest.iperf3] table"
    )
    assert error("[plan]\nslow_below_percent = 0\n") == (
        "1 configuration problem in netwatch.toml:\n  plan.slow_below_percent: must be greater than 0 and at most"
        " 100, got 0.0; set plan.slow_below_percent to a value greater than 0 and at most 100"
    )


def test_interval_minimum_is_a_documented_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speed_config, "SPEED_MIN_INTERVAL", 1.0)
    cfg = parse("[speedtest]\ninterval = 5\njitter = 1\n")
    assert (cfg.speedtest.interval, cfg.speedtest.jitter) == (5.0, 1.0)


# --- the slow detector ------------------------------------------------------------------------------------------


def test_detail_and_cause() -> None:
    state, events = speedcheck.step(SlowState(), ok(T0, 8.1), RULES, line_ok=True)
    assert events == [
        Opened(
            Incident(
                Kind.SLOW,
                Cause.ISP,
                T0,
                rounds=1,
                cause_rounds=((Cause.ISP, 1),),
                detail="download 8.1 Mbit/s = 10 % of the plan's 80 (threshold 50 %) via speedtest server X",
            )
        )
    ]
    state, events = speedcheck.step(state, ok(T0 + 60, 50.0, 5.0), RULES, line_ok=False)
    assert isinstance(events[0], Updated) and events[0].incident.rounds == 2
    assert events[0].incident.detail.startswith("download 8.1")  # still the worst share (10 % < 25 % upload)
    state, events = speedcheck.step(state, ok(T0 + 120, 60.0, 15.0), RULES, line_ok=True)
    assert isinstance(events[0], Closed) and events[0].incident.end == T0 + 120
    assert events[0].incident.cause_rounds == ((Cause.ISP, 1), (Cause.UNKNOWN, 1))
    assert state == SlowState()


def test_upload_only_judged_when_known() -> None:
    assert speedcheck.shortfall(ok(T0, 70.0, None), RULES) is None
    slow = speedcheck.shortfall(ok(T0, 70.0, 4.0), RULES)
    assert slow is not None and slow.detail.startswith("upload 4.0 Mbit/s = 20 % of the plan's 20")
    assert speedcheck.shortfall(ok(T0, 1.0), SlowRules(0.0, 0.0, 50.0)) is None  # no plan: never slow
    assert speedcheck.shortfall(ok(T0, 40.0), RULES) is None  # exactly at the threshold is not slow


outcome = st.one_of(st.none(), st.floats(0.0, 200.0))  # None = a failed or skipped test


@settings(max_examples=300, deadline=None)
@given(st.lists(outcome, max_size=40))
def test_one_incident_per_run_of_slow_tests(outcomes: list[float | None]) -> None:
    state, opened, closed = SlowState(), [], []
    for i, down in enumerate(outcomes):
        result = failed(T0 + i) if down is None else ok(T0 + i, down)
        state, events = speedcheck.step(state, result, RULES, line_ok=True)
        if down is None:
            assert events == []  # failures never open, update nor close one
        opened += [e.incident.start for e in events if isinstance(e, Opened)]
        closed += [e.incident for e in events if isinstance(e, Closed)]
    # Expected: a run of slow ok-tests (failures ignored) opens at its first and closes at the next good one.
    judged = [(T0 + i, d < 40.0) for i, d in enumerate(outcomes) if d is not None]
    starts = [at for k, (at, slow) in enumerate(judged) if slow and (k == 0 or not judged[k - 1][1])]
    assert opened == starts
    assert len(closed) == len(starts) - (1 if state.incident is not None else 0)
    assert all(inc.end is not None and inc.end > inc.start and inc.rounds >= 1 for inc in closed)


# --- scheduling ---------------------------------------------------------------------------------------------------


@given(st.floats(0.0, 1.0, exclude_max=True), st.floats(60.0, 86400.0), st.floats(0.0, 1.0, exclude_max=True))
def test_delays_stay_within_interval_and_jitter(rand: float, interval: float, share: float) -> None:
    jitter = share * interval
    assert 1.0 <= speedcheck.first_delay(interval, rand) <= interval
    assert interval - jitter <= speedcheck.next_delay(interval, jitter, rand) <= interval + jitter


def test_delays_from_an_injected_random() -> None:
    rng = random.Random(5)
    assert [round(speedcheck.next_delay(3600, 600, rng.random())) for _ in range(3)] == [3747, 3890, 3954]
    assert speedcheck.first_delay(3600, 0.0) == 1.0  # never at start
    assert speedcheck.first_delay(3600, 0.5) == 1800.0


def test_skip_reasons() -> None:
    outage = Incident(Kind.OUTAGE, Cause.ISP, T0)
    assert speedcheck.skip_reason(outage, 0, 0) == "skipped: line down (outage since 2026-09-21 14:13:20 UTC)"
    assert (
        speedcheck.skip_reason(None, 500, 512_300_000) == "skipped: daily data budget of 500 MB used (512.3 MB today)"
    )
    assert speedcheck.skip_reason(None, 500, 100_000_000) is None
    assert speedcheck.skip_reason(None, 0, 10**12) is None  # unlimited
    assert speedcheck.budget_left(500, 100_000_000) == 400_000_000
    assert speedcheck.budget_left(0, 5) is None
    assert speedcheck.utc_day_start(T0) == T0 - T0 % 86400
    skipped = speedcheck.skipped(T0, "http", "skipped: x")
    assert (skipped.ok, skipped.error, skipped.tool) == (False, "skipped: x", "netwatch")


# --- store and export ---------------------------------------------------------------------------------------------


def test_store_round_trip_and_budget(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.save_speed(complete(T0 + 0.123))
        store.save_speed(speedcheck.skipped(T0 + 10, "speedtest", "skipped: line down"))
        store.save_speed(complete(T0 + 86400))
    with Store.open(tmp_path / "s.db", readonly=True) as reader:
        got = reader.speed_results(T0, T0 + 86400)
        assert got == [complete(T0 + 0.123), speedcheck.skipped(T0 + 10, "speedtest", "skipped: line down")]
        assert reader.speed_bytes_since(T0 + 1) == 123_456_789
        assert [i for i, _ in reader.speed_results_after(1, 10)] == [2, 3]


def test_migration_from_schema_2(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(migrations.MIGRATIONS[:2], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.execute("INSERT INTO exports (sink, round_id, incident_seq) VALUES ('s', 7, 3)")
    conn.close()
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST
        state = store.export_state("s")
        assert state is not None and (state.round_id, state.incident_seq, state.speed_id) == (7, 3, 0)
        store.save_speed(complete(T0))
        store.set_export_cursor("s", 7, 3, T0, speed_id=1)
        store.commit()
        assert store.speed_results(T0, T0 + 1) == [complete(T0)]
        state = store.export_state("s")
        assert state is not None and state.speed_id == 1


def test_speed_points() -> None:
    assert speed_result_line("p", complete(T0)) == (
        "netwatch_speed,backend=speedtest,probe=p,server=X\\ (Town) download_mbps=18.25,upload_mbps=4.9,"
        "latency_ms=23.0,jitter_ms=1.5,loaded_latency_ms=80.5,bytes_used=123456789i,ok=true 1790000000000"
    )
    assert speed_result_line("p", failed(T0)) == (
        "netwatch_speed,backend=speedtest,probe=p bytes_used=0i,ok=false 1790000000000"
    )
