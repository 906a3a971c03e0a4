"""The exporter's parts without a server: [influxdb] validation, secret files, backoff, the store's bookkeeping,
the replication loop against a fake sink, error translation and the status line."""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netwatch import config
from netwatch.adapters.influx import sinks
from netwatch.adapters.influx.points import Points
from netwatch.adapters.store import Store, migrations
from netwatch.app.daemon.export import Backoff, Exporter, StoreLedger
from netwatch.app.influx import backfill
from netwatch.core.model import Cause, ExportState, Incident, Kind, Round, SpeedResult
from netwatch.core.schedule import BusinessHours
from netwatch.errors import ConfigError, PermanentError, TransientError
from netwatch.report.status import Freshness, export_line
from tests.support.configs import error, parse
from tests.support.instants import T0
from tests.support.processes import wait_for
from tests.support.rounds import Line
from tests.support.targets import A1, A2, GW

LINE = Line.of(GW, A1, A2)
POINTS = Points("probe1", BusinessHours.from_config({"timezone": "UTC"}))
SINK = "influxdb v1 http://influx:8086 netwatch/"


def rnd(at: float, up: bool = True) -> Round:
    """Every target answering in 1.5 ms, or none at all."""
    return LINE.round(at, None if up else Cause.LOCAL, rtt=1.5)


# --- configuration ---------------------------------------------------------------------------------------------


class TestConfig:
    def test_disabled_by_default(self) -> None:
        cfg = parse("")
        assert not cfg.influxdb.enabled
        assert (cfg.influxdb.api, cfg.influxdb.batch_size, cfg.influxdb.timeout) == ("v2", 5000, 10.0)

    def test_v2_needs_bucket_and_org(self) -> None:
        assert error('[influxdb]\nurl = "http://influx:8086"\n') == (
            "2 configuration problems in netwatch.toml:\n"
            '  influxdb.org: must be set with api = "v2"; set influxdb.org to your organization (InfluxDB 1.8 and '
            '3.x ignore it: any value, e.g. "-")\n'
            '  influxdb.bucket: must be set with api = "v2"; set influxdb.bucket to the bucket to write to '
            '(InfluxDB 1.8: "database/retention_policy")'
        )

    def test_v1_needs_a_database_and_keys_of_v2_are_refused(self) -> None:
        text = '[influxdb]\nurl = "http://influx:8086"\napi = "v1"\nbucket = "b"\npassword = "x"\n'
        assert error(text) == (
            "3 configuration problems in netwatch.toml:\n"
            '  influxdb.bucket: is only used with api = "v2"; remove it, or set influxdb.api = "v2"\n'
            '  influxdb.database: must be set with api = "v1"; set influxdb.database to the database to write to '
            "(create it first: CREATE DATABASE netwatch)\n"
            "  influxdb.username: must be set when a password is given; set influxdb.username to the InfluxDB user, "
            "or remove the password"
        )

    def test_a_secret_given_twice_and_a_bad_url(self) -> None:
        text = '[influxdb]\nurl = "http://i"\norg = "o"\nbucket = "b"\ntoken = "t"\ntoken_file = "tok"\n'
        assert error(text) == (
            "1 configuration problem in netwatch.toml:\n"
            "  influxdb.token_file: cannot be used together with influxdb.token; keep one of them (a file keeps the "
            "token out of this configuration)"
        )
        assert error('[influxdb]\nurl = "influx:8086"\n') == (
            "1 configuration problem in netwatch.toml:\n"
            '  influxdb.url: must be an http:// or https:// URL, got "influx:8086"; write it like '
            '"http://influxdb.lan:8086"'
        )

    def test_probe_name_becomes_a_tag(self) -> None:
        assert error('[probe]\nname = "a\\\\b"\n') == (
            "1 configuration problem in netwatch.toml:\n"
            '  probe.name: must not contain a backslash or control character, got "a\\\\b"; use letters, digits, - '
            "and _"
        )

    def test_valid_v1_and_secrets_redacted(self, tmp_path: Path) -> None:
        text = (
            '[influxdb]\nurl = "https://influx.example/x"\napi = "v1"\ndatabase = "nw"\nusername = "u"\n'
            'password = "hunter2"\n'
        )
        cfg = parse(text, source=str(tmp_path / "n.toml"))
        assert cfg.influxdb.enabled and cfg.influxdb.password == "hunter2"
        rendered = config.render(cfg)
        assert 'password = "***"' in rendered and "hunter2" not in rendered
        assert sinks.sink_key(cfg.influxdb) == "influxdb v1 https://influx.example/x nw/"


class TestSecretFiles:
    def test_first_line_and_a_warning_when_others_can_read(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        path = tmp_path / "token"
        path.write_text("s3cret\nignored\n")
        path.chmod(0o644)
        with caplog.at_level(logging.WARNING, "netwatch.export"):
            assert sinks.read_secret(path, "influxdb.token_file") == "s3cret"
        assert caplog.messages == [f"influxdb.token_file {path} can be read by other users (mode 644): chmod 600 it"]
        path.chmod(0o600)
        caplog.clear()
        assert sinks.read_secret(path, "influxdb.token_file") == "s3cret"
        assert caplog.messages == []

    def test_missing_and_empty(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError) as caught:
            sinks.read_secret(tmp_path / "nope", "influxdb.password_file")
        assert str(caught.value) == (
            f"1 configuration problem:\n  influxdb.password_file: {tmp_path / 'nope'} does not exist; create it with"
            " the secret on its first line, or point influxdb.password_file at another file"
        )
        (tmp_path / "empty").write_text("\n")
        (tmp_path / "empty").chmod(0o600)
        with pytest.raises(ConfigError, match="empty; write the secret on its first line"):
            sinks.read_secret(tmp_path / "empty", "influxdb.password_file")


# --- backoff ---------------------------------------------------------------------------------------------------


@given(st.integers(0, 10_000), st.floats(0, 1, exclude_max=True))
def test_backoff_is_capped_exponential_with_jitter(attempt: int, rand: float) -> None:
    b = Backoff(base=1.0, cap=30.0)
    ceiling = min(30.0, 2.0 ** min(attempt, 62))
    assert ceiling / 2 <= b.delay(attempt, rand) <= ceiling
    assert b.delay(attempt, 0.0) <= b.delay(attempt + 1, 0.0)


def test_backoff_sequence() -> None:
    assert [Backoff(1.0, 30.0).delay(n, 0.999999) for n in range(7)] == pytest.approx([1, 2, 4, 8, 16, 30, 30])


# --- the store's bookkeeping -----------------------------------------------------------------------------------


class TestStore:
    def test_a_new_replica_starts_after_the_last_round_and_before_every_incident(self, store: Store) -> None:
        store.add_round(rnd(T0))
        store.save_incident(Incident(Kind.OUTAGE, Cause.ISP, T0))
        state = store.start_export(SINK, T0 + 1)
        assert (state.round_id, state.incident_seq, state.behind, state.error) == (1, 0, 0, "")
        assert store.start_export(SINK, T0 + 2) == state  # an existing row is kept

    def test_incident_changes_are_numbered_and_keep_every_cause(self, store: Store) -> None:
        inc = Incident(Kind.OUTAGE, Cause.ISP, T0)
        store.save_incident(inc)
        store.save_incident(Incident(Kind.DEGRADED, Cause.UPSTREAM, T0 + 5))
        store.save_incident(Incident(Kind.OUTAGE, Cause.LOCAL, T0, end=T0 + 50))
        store.save_incident(Incident(Kind.OUTAGE, Cause.LOCAL, T0, end=T0 + 60))  # saved again, same cause
        [item] = store.export_incidents_after(2, 10)
        assert (item.seq, item.incident.cause, item.causes) == (4, Cause.LOCAL, (Cause.ISP, Cause.LOCAL))
        assert item.incident.end == T0 + 60
        assert [i.seq for i in store.export_incidents_after(0, 10)] == [2, 4]
        assert [i.seq for i in store.export_incidents(T0 + 61, T0 + 100)] == [2]  # the open degradation

    def test_a_store_of_schema_1_is_migrated_with_its_incidents(self, tmp_path: Path) -> None:
        path = tmp_path / "old.db"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.executescript(f"BEGIN;\n{migrations.MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
        conn.execute(
            "INSERT INTO incidents (kind, start_ms, end_ms, cause, rounds, cause_rounds, detail)"
            " VALUES ('outage', 1000, 5000, 'isp', 4, '[[\"isp\",4]]', 'x')"
        )
        conn.close()
        with Store.open(path) as s:
            [item] = s.export_incidents_after(0, 10)
            assert (item.seq, item.causes, item.incident.end) == (1, (Cause.ISP,), 5.0)
            s.save_incident(Incident(Kind.OUTAGE, Cause.LOCAL, T0))
            assert [i.seq for i in s.export_incidents_after(1, 10)] == [2]

    def test_recovery_closing_an_incident_is_a_change(self, tmp_path: Path) -> None:
        path = tmp_path / "crash.db"
        with Store.open(path) as s:
            s.save_incident(Incident(Kind.OUTAGE, Cause.ISP, T0))
        with Store.open(path) as s:
            s.recover()
            [item] = s.export_incidents_after(1, 10)
            assert item.incident.end == T0

    def test_cursors_ride_with_the_next_commit(self, store: Store) -> None:
        store.start_export(SINK, T0)
        for i in range(5):
            store.add_round(rnd(T0 + i))
        store.commit()
        store.set_export_error(SINK, "boom", T0 + 5, stopped=False)
        store.set_export_cursor(SINK, 3, 0, T0 + 6)
        with Store.open(store.path, readonly=True) as reader:
            before = reader.export_state(SINK)
            assert before is not None and (before.round_id, before.behind, before.error) == (0, 5, "boom")
            store.commit()
            after = reader.export_state(SINK)
            assert after == ExportState(SINK, 3, 0, behind=2, updated=T0 + 6)
            store.set_export_cursor(SINK, 2, 0, T0 + 7)  # never backwards
            store.commit()
            assert reader.export_state(SINK) == ExportState(SINK, 3, 0, behind=2, updated=T0 + 7)

    def test_rounds_after_follow_ids_not_the_clock(self, store: Store) -> None:
        for at in (T0 + 10, T0, T0 + 5):  # the wall clock stepped back
            store.add_round(rnd(at))
        store.commit()
        assert [(i, r.at) for i, r in store.rounds_after(1, 10)] == [(2, T0), (3, T0 + 5)]
        assert store.count_rounds(T0, T0 + 10) == 2


# --- the replication loop --------------------------------------------------------------------------------------


class FakeSink:
    """A sink that stores points by identity (as InfluxDB does) and fails on demand."""

    def __init__(self) -> None:
        self.points: dict[str, str] = {}
        self.writes = 0
        self.fail: Exception | None = None
        self.closed = False
        self.lock = threading.Lock()

    def write(self, lines: Sequence[str]) -> None:
        with self.lock:
            if self.fail is not None:
                raise self.fail
            self.writes += 1
            for text in lines:
                head, _, at = text.rpartition(" ")
                series = head.partition(" ")[0]
                self.points[f"{series} {at}"] = text

    def close(self) -> None:
        self.closed = True


def exporter_for(path: Path, sink: FakeSink, state: ExportState, **kw: float) -> Exporter:
    ledger = StoreLedger(Store.open(path), SINK)
    return Exporter(
        Store.open(path, readonly=True), sink, POINTS, ledger, state, batch_size=10, backoff=Backoff(0.01, 0.05), **kw
    )  # type: ignore[arg-type]


def test_step_writes_whole_rounds_oldest_first_and_moves_the_cursor(store: Store) -> None:
    state = store.start_export(SINK, T0)
    for i in range(5):
        store.add_round(rnd(T0 + i))
    store.save_incident(Incident(Kind.OUTAGE, Cause.ISP, T0 + 1))
    sink = FakeSink()
    exporter = exporter_for(store.path, sink, state)
    assert exporter.step() == 1 + 8  # the incident, then two rounds of four points (10 would split a third)
    assert (exporter.round_id, exporter.incident_seq) == (2, 1)
    assert exporter.step() == 8
    assert exporter.step() == 4
    assert exporter.step() == 0
    assert len(sink.points) == 5 * 4 + 1
    exporter.stop()
    assert sink.closed
    with Store.open(store.path, readonly=True) as reader:
        assert reader.export_state(SINK) == ExportState(SINK, 5, 1, behind=0, updated=pytest.approx(time.time(), abs=5))


def test_the_loop_retries_backfills_and_stops_on_a_permanent_error(store: Store) -> None:
    state = store.start_export(SINK, T0)
    sink = FakeSink()
    sink.fail = TransientError("connection refused")
    exporter = exporter_for(store.path, sink, state, poll=0.01)
    exporter.start()
    for i in range(30):  # rounds keep coming while InfluxDB is away
        store.add_round(rnd(T0 + i, up=i % 7 != 0))
        store.commit()
    time.sleep(0.1)
    with Store.open(store.path, readonly=True) as reader:
        failing = reader.export_state(SINK)
        assert failing is not None and (failing.behind, failing.error) == (30, "connection refused")
    sink.fail = None
    wait_for("the backlog to be exported", lambda: len(sink.points) == 30 * 4, 5.0, every=0.01)
    sink.fail = PermanentError("bad token")
    store.add_round(rnd(T0 + 30))
    store.commit()
    wait_for("the exporter to stop", lambda: not exporter.running, 5.0, every=0.01)
    assert exporter.error == "bad token"
    with Store.open(store.path, readonly=True) as reader:
        stopped = reader.export_state(SINK)
        assert stopped is not None and (stopped.round_id, stopped.stopped, stopped.error) == (30, True, "bad token")
        line = export_line("InfluxDB", stopped, Freshness(1.0, 10.0), ZoneInfo("UTC"))
        assert line == "InfluxDB export stopped: bad token"


def test_backfill_replays_identically(store: Store) -> None:
    for i in range(25):
        store.add_round(rnd(T0 + i))
    store.save_incident(Incident(Kind.OUTAGE, Cause.LOCAL, T0 + 3, end=T0 + 9))
    sink = FakeSink()
    done = backfill(store, sink, POINTS, T0 + 5, T0 + 20, batch_size=10)
    assert (done.rounds, done.incidents, done.points, sink.writes) == (15, 1, 61, 1 + 8)
    copy = dict(sink.points)
    backfill(store, sink, POINTS, T0, T0 + 25, batch_size=10)
    assert len(sink.points) == 25 * 4 + 1
    assert {k: v for k, v in sink.points.items() if k in copy} == copy


def test_finish_sends_what_the_last_commit_added_then_ends(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A clean stop: the rounds and the incident the final commit wrote reach the replica before the thread ends,
    though the exporter would not have looked again for a minute."""
    state = store.start_export(SINK, T0)
    sink = FakeSink()
    exporter = exporter_for(store.path, sink, state, poll=60.0)
    exporter.start()
    wait_until(lambda: exporter.round_id == 0 and sink.writes == 0 and exporter.running)
    for i in range(12):
        store.add_round(rnd(T0 + i, up=i < 8))
    store.save_incident(Incident(Kind.OUTAGE, Cause.UPSTREAM, T0 + 8, end=T0 + 11))
    store.save_speed(SpeedResult(T0 + 5, "http", "netwatch", download_mbps=80.0, ok=True))
    store.commit()
    assert exporter.finish(5.0) is True
    assert not exporter.running and sink.closed
    assert len(sink.points) == 12 * 4 + 1 + 1  # every round, the incident, the speed test
    assert exporter.round_id == 12
    store.commit()  # as the daemon's writer does after finish: the cursor it moved
    with Store.open(store.path, readonly=True) as reader:
        saved = reader.export_state(SINK)
    assert saved is not None and (saved.round_id, saved.behind) == (12, 0)


def test_finish_gives_up_at_the_first_failure_and_leaves_the_rest_for_the_next_start(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = store.start_export(SINK, T0)
    sink = FakeSink()
    sink.fail = TransientError("connection to http://influx:8086 refused")
    exporter = exporter_for(store.path, sink, state, poll=60.0)
    exporter.start()
    store.add_round(rnd(T0))
    store.commit()
    with caplog.at_level(logging.WARNING, logger="netwatch.export"):
        assert exporter.finish(5.0) is False
    assert not exporter.running and sink.points == {}
    assert (
        "InfluxDB export stopped with the daemon: connection to http://influx:8086 refused; the rest is sent at the"
        " next start" in caplog.messages
    )


def test_finish_sends_nothing_while_the_clock_is_not_trusted(store: Store, tmp_path: Path) -> None:
    state = store.start_export(SINK, T0)
    sink = FakeSink()
    exporter = exporter_for(store.path, sink, state, poll=60.0)
    exporter._hold = threading.Event()  # clear: provisional stamps must never reach a replica
    exporter.start()
    store.add_round(rnd(T0))
    store.commit()
    assert exporter.finish(5.0) is False
    assert not exporter.running and sink.points == {}


def test_backfill_sends_the_speed_tests_of_the_period_too(store: Store) -> None:
    store.add_round(rnd(T0))
    for at, ok in ((T0 - 60, True), (T0 + 60, True), (T0 + 120, False), (T0 + 4000, True)):
        store.save_speed(SpeedResult(at, "http", "netwatch", download_mbps=80.0 if ok else None, ok=ok))
    store.commit()
    sink = FakeSink()
    done = backfill(store, sink, POINTS, T0, T0 + 3600, batch_size=10)
    assert (done.rounds, done.incidents, done.speed_tests, done.points) == (1, 0, 2, 4 + 2)
    speed = sorted((t for t in sink.points.values() if t.startswith("netwatch_speed,")), key=lambda t: t[-13:])
    assert [text.rpartition(" ")[2] for text in speed] == [str(int((T0 + 60) * 1000)), str(int((T0 + 120) * 1000))]
    assert "ok=true" in speed[0] and "ok=false" in speed[1]


def wait_until(check: object, timeout: float = 5.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# --- errors and the status line ------------------------------------------------------------------------------


def test_http_errors_are_classified() -> None:
    e = sinks.http_error(401, b'{"error":"authorization failed"}\n', "http://h:8086", "FIX AUTH", "FIX DB")
    assert isinstance(e, PermanentError)
    assert str(e) == "InfluxDB at http://h:8086 refused the credentials (HTTP 401: authorization failed); FIX AUTH"
    e = sinks.http_error(404, b'{"code":"not found","message":"bucket \\"b\\" not found"}', "u", "A", "B")
    assert str(e) == 'InfluxDB at u has no such target (HTTP 404: bucket "b" not found); B'
    assert isinstance(sinks.http_error(503, b"", "u", "A", "B"), TransientError)
    assert isinstance(sinks.http_error(429, b"slow down", "u", "A", "B"), TransientError)
    assert isinstance(
        sinks.http_error(500, b'{"error":"retention policy not found: x"}', "u", "A", "B"), PermanentError
    )


def test_network_errors_are_named() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = sinks.V1Sink(f"http://127.0.0.1:{port}", "db", "", "", "", 1.0)
    with pytest.raises(TransientError) as caught:
        sink.write(["m v=1 1"])
    assert str(caught.value) == (
        f"connection to http://127.0.0.1:{port} refused: is InfluxDB running there? check influxdb.url"
    )
    err = sinks.network_error(socket.gaierror(-2, "Name or service not known"), "influx.invalid", "u")
    assert str(err) == "cannot resolve influx.invalid (Name or service not known): check influxdb.url and DNS"


def test_status_lines() -> None:
    fresh, utc = Freshness(1.0, 10.0), ZoneInfo("UTC")
    assert fresh.export_lag == 22
    assert export_line("InfluxDB", None, fresh, utc) == "InfluxDB: not started yet (the daemon starts the export)"
    assert export_line("InfluxDB", ExportState(SINK, 5, 0, behind=22), fresh, utc) == "InfluxDB: up to date"
    late = ExportState(SINK, 5, 0, behind=120, error="connection refused", error_at=T0)
    assert export_line("InfluxDB", late, fresh, utc) == (
        "InfluxDB: 120 rounds behind; retrying since 2026-01-01 00:00:00 UTC: connection refused"
    )
