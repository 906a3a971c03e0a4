"""The InfluxQL reader's parts without InfluxDB: quoting, coverage runs, and the shape of its requests and error
messages, against a small canned HTTP server on loopback (InfluxDB 2.x and 3.x cannot be run here; the real 1.x
server is in tests/integration/test_influx_report.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from netwatch import config
from netwatch.adapters.influx.history import InfluxSource, runs
from netwatch.adapters.influx.query import chunks, quote
from netwatch.config import records
from netwatch.core.model import Period
from netwatch.errors import ReportError


def test_influxql_strings_are_quoted() -> None:
    assert quote("home") == "'home'"
    assert quote("Bob's office") == r"'Bob\'s office'"


def test_chunks_cut_long_queries_on_bucket_boundaries() -> None:
    assert chunks(10, 10, 7, 0) == []
    assert chunks(10, 30, 7, 0) == [(10, 14), (14, 21), (21, 28), (28, 30)]
    assert chunks(10, 30, 7, 10) == [(10, 17), (17, 24), (24, 30)]
    assert chunks(10, 14, 7, 0) == [(10, 14)]


def test_runs_join_consecutive_buckets() -> None:
    assert runs([], 60_000) == []
    assert runs([0, 60_000, 120_000, 300_000, 360_000, 600_000], 60_000) == [
        (0, 120_000),
        (300_000, 360_000),
        (600_000, 600_000),
    ]


@dataclass
class Canned:
    """Answers every request with ``status`` and ``body``; records (path, query, headers)."""

    status: int = 200
    body: Any = field(default_factory=lambda: {"results": [{"statement_id": 0}]})
    seen: list[tuple[str, dict[str, list[str]], dict[str, str]]] = field(default_factory=list)


@pytest.fixture
def canned() -> Iterator[tuple[Canned, str]]:
    state = Canned()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            state.seen.append((parts.path, parse_qs(parts.query), dict(self.headers)))
            body = json.dumps(state.body).encode() if not isinstance(state.body, bytes) else state.body
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def influx(tmp_path: Path, table: str) -> records.InfluxConfig:
    path = tmp_path / "netwatch.toml"
    path.write_text(f"[influxdb]\n{table}")
    return config.load(path, {"HOME": str(tmp_path)}).influxdb


def test_v2_reads_the_bucket_through_the_compatibility_api_with_a_token(
    canned: tuple[Canned, str], tmp_path: Path
) -> None:
    state, url = canned
    (tmp_path / "token").write_text("s3cret\n")
    (tmp_path / "token").chmod(0o600)
    cfg = influx(tmp_path, f'url = "{url}/"\norg = "o"\nbucket = "netwatch"\ntoken_file = "{tmp_path / "token"}"\n')
    values = [["probe", "a"], ["probe", "b"]]
    series = {"name": "netwatch_status", "columns": ["key", "value"], "values": values}
    state.body = {"results": [{"statement_id": 0, "series": [series]}]}
    assert InfluxSource(cfg, "a").probes() == ["a", "b"]
    ((path, query, headers),) = state.seen
    assert path == "/query"
    assert query == {
        "db": ["netwatch"],
        "epoch": ["ms"],
        "q": ['SHOW TAG VALUES FROM "netwatch_status" WITH KEY = "probe"'],
    }
    assert headers["Authorization"] == "Token s3cret"

    state.seen.clear()
    one_eight = influx(tmp_path, f'url = "{url}"\norg = "-"\nbucket = "telegraf/week"\ntoken = "u:p"\n')
    InfluxSource(one_eight, "a").ql.query(["SHOW DATABASES"])
    ((_, query, headers),) = state.seen
    assert (query["db"], query["rp"], headers["Authorization"]) == (["telegraf"], ["week"], "Token u:p")


def test_v1_sends_basic_auth_and_the_retention_policy(canned: tuple[Canned, str], tmp_path: Path) -> None:
    state, url = canned
    cfg = influx(
        tmp_path,
        f'url = "{url}"\napi = "v1"\ndatabase = "nw"\nretention_policy = "year"\n'
        'username = "reader"\npassword = "pw"\n',
    )
    InfluxSource(cfg, "a").ql.query(["SHOW DATABASES"])
    ((_, query, headers),) = state.seen
    assert (query["db"], query["rp"], headers["Authorization"]) == (["nw"], ["year"], "Basic cmVhZGVyOnB3")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            403,
            {"message": "insufficient permissions"},
            "InfluxDB at {url} denied reading (HTTP 403: insufficient "
            "permissions); check influxdb.token (or token_file): it needs read permission on the bucket",
        ),
        (
            404,
            {"code": "not found", "message": 'no dbrp mapping for database "nw"'},
            "InfluxDB at {url} has no such "
            'target (HTTP 404: no dbrp mapping for database "nw"); InfluxQL reads the bucket through a database named '
            '"nw": check influxdb.bucket, or create that database/retention policy mapping (influx v1 dbrp create)',
        ),
        (500, {"error": "boom"}, "InfluxDB at {url} could not answer a report query (HTTP 500: boom)"),
        (
            200,
            {"results": [{"statement_id": 0, "error": "bucket not found"}]},
            "InfluxDB at {url} (api v2, bucket "
            "nw, org o) has no such database (bucket not found); InfluxQL reads the bucket through a database named "
            '"nw": check influxdb.bucket, or create that database/retention policy mapping (influx v1 dbrp create)',
        ),
        (
            200,
            {"results": [{"statement_id": 0, "series": [], "partial": True}]},
            "InfluxDB at {url} cut an answer short (its max-row-limit); raise that limit or report on a shorter period",
        ),
        (200, b"<html>", "InfluxDB at {url} answered something that is not JSON: b'<html>'"),
    ],
)
def test_failures_are_one_line(
    canned: tuple[Canned, str], tmp_path: Path, status: int, body: Any, expected: str
) -> None:
    state, url = canned
    state.status, state.body = status, body
    cfg = influx(tmp_path, f'url = "{url}"\norg = "o"\nbucket = "nw"\ntoken = "t"\n')
    with pytest.raises(ReportError) as err:
        InfluxSource(cfg, "a").incidents(Period(0.0, 60.0))
    assert str(err.value) == expected.format(url=url)
