"""An InfluxQL client for reports: ``GET /query`` on the ``[influxdb]`` server, every failure one ReportError line.

Owns the read side of the HTTP conversation with InfluxDB: the URL, database and retention policy of the 1.x
``/query`` endpoint (InfluxDB 1.x natively; 2.x, 3.x and Cloud through their 1.x compatibility API, where the
bucket's name is the database name, and "db/rp" buckets of InfluxDB 1.8 are that pair), authentication (1.x: basic,
with the password or password_file; otherwise the token or token_file), parallel requests, and error messages that
say what failed and what to fix, reusing the exporter's helpers for secrets and messages. Must not write to
InfluxDB (the exporter does) or let a third-party exception through: every failure is one ReportError line.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Self

from netwatch.adapters.influx.sinks import describe, http_error, network_error, public, read_secret, server_text
from netwatch.errors import ReportError

if TYPE_CHECKING:
    from netwatch.config.records import InfluxConfig

__all__ = ["MIN_TIMEOUT", "PARALLEL", "InfluxQL", "Series", "chunks", "quote", "rows"]

MIN_TIMEOUT = 60.0  # seconds per query at least: aggregates over weeks take longer than a write
PARALLEL = 4  # requests at a time: InfluxDB 1.x runs one query on one core
Series = dict[str, Any]  # one series of an InfluxQL answer: name, tags, columns, values


def quote(text: str) -> str:
    """A single-quoted InfluxQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def rows(series: Sequence[Series]) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    """(tags, {column: value}) of every row of every series."""
    for s in series:
        columns = s["columns"]
        for values in s.get("values") or ():
            yield s.get("tags") or {}, dict(zip(columns, values, strict=True))


def chunks(lo: int, hi: int, step: int, origin: int) -> list[tuple[int, int]]:
    """[lo, hi) cut at origin + k·step: the pieces of a long query (bucket boundaries stay inside one piece)."""
    cuts = [lo]
    k = (lo - origin) // step + 1
    while origin + k * step < hi:
        cuts.append(origin + k * step)
        k += 1
    return list(zip(cuts, [*cuts[1:], hi], strict=True)) if hi > lo else []


class InfluxQL:
    """Queries on the ``[influxdb]`` server, timestamps in epoch milliseconds. Reads secret files when built
    (ConfigError if unreadable)."""

    def __init__(self, cfg: InfluxConfig) -> None:
        self.where = public(cfg.url)
        self.describe = describe(cfg)
        self._host = urllib.parse.urlsplit(cfg.url).hostname or cfg.url
        self._timeout = max(cfg.timeout, MIN_TIMEOUT)
        self._headers = {"Accept": "application/json"}
        if cfg.api == "v1":
            self._db, self._rp = cfg.database, cfg.retention_policy
            password = read_secret(cfg.password_file, "influxdb.password_file") if cfg.password_file else cfg.password
            if cfg.username:
                pair = base64.b64encode(f"{cfg.username}:{password}".encode()).decode("ascii")
                self._headers["Authorization"] = f"Basic {pair}"
            self._fix_auth = "check influxdb.username and influxdb.password (the user needs READ on the database)"
            self._fix_missing = "fix influxdb.database" + (" and influxdb.retention_policy" if self._rp else "")
        else:
            # The 1.x compatibility API maps a database (and retention policy) to a bucket: 2.x and Cloud map every
            # bucket to a database of its name, "db/rp" buckets (InfluxDB 1.8) to that pair; 3.x's database is it.
            self._db, _, self._rp = cfg.bucket.partition("/")
            token = read_secret(cfg.token_file, "influxdb.token_file") if cfg.token_file else cfg.token
            self._headers["Authorization"] = f"Token {token}"
            self._fix_auth = "check influxdb.token (or token_file): it needs read permission on the bucket"
            self._fix_missing = (
                f'InfluxQL reads the bucket through a database named "{self._db}": check influxdb.bucket, or create '
                "that database/retention policy mapping (influx v1 dbrp create)"
            )
        self._url = cfg.url.rstrip("/") + "/query"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        """Nothing to release: every query uses a connection of its own."""

    def query(self, statements: Sequence[str], *, post: bool = False) -> list[list[Series]]:
        """The series of each statement (several statements go in one request), or ReportError. ``post`` sends them
        as a POST form, as InfluxDB 1.x wants for statements that change something (DROP SERIES, GRANT)."""
        params = {"db": self._db, "q": ";\n".join(statements), "epoch": "ms"}
        if self._rp:
            params["rp"] = self._rp
        if post:
            headers = {**self._headers, "Content-Type": "application/x-www-form-urlencoded"}
            form = urllib.parse.urlencode(params).encode()
            req = urllib.request.Request(self._url, data=form, headers=headers, method="POST")
        else:
            req = urllib.request.Request(self._url + "?" + urllib.parse.urlencode(params), headers=self._headers)
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                body = resp.read()
        except urllib.error.HTTPError as err:
            with err:
                body = err.read()
            raise ReportError(self._http_failure(err.code, body)) from None
        except (OSError, ValueError) as err:  # URLError, timeouts, connection resets; ValueError: a bad URL
            if _timed_out(err):
                raise ReportError(
                    f"InfluxDB at {self.where} did not answer a report query within {self._timeout:g} s; try a "
                    "shorter period"
                ) from None
            raise ReportError(str(network_error(err, self._host, self.where))) from None
        try:
            data = json.loads(body)
        except ValueError:
            raise ReportError(f"InfluxDB at {self.where} answered something that is not JSON: {body[:80]!r}") from None
        if data.get("error"):
            raise ReportError(f"InfluxDB at {self.where} refused a report query: {data['error']}")
        out: list[list[Series]] = []
        for result in data.get("results", []):
            error = result.get("error")
            if error:
                raise ReportError(self._result_failure(str(error)))
            if result.get("partial"):
                raise ReportError(
                    f"InfluxDB at {self.where} cut an answer short (its max-row-limit); raise that limit or "
                    "report on a shorter period"
                )
            out.append(list(result.get("series") or ()))
        if len(out) != len(statements):
            raise ReportError(f"InfluxDB at {self.where} answered {len(out)} of {len(statements)} queries")
        return out

    def _http_failure(self, status: int, body: bytes) -> str:
        if status in (401, 404):
            return str(http_error(status, body, self.where, self._fix_auth, self._fix_missing))
        said = server_text(body)
        got = f"HTTP {status}: {said}" if said else f"HTTP {status}"
        if status == 403:
            return f"InfluxDB at {self.where} denied reading ({got}); {self._fix_auth}"
        return f"InfluxDB at {self.where} could not answer a report query ({got})"

    def _result_failure(self, error: str) -> str:
        if error.startswith(("database not found", "retention policy not found")) or "bucket not found" in error:
            return f"InfluxDB at {self.describe} has no such database ({error}); {self._fix_missing}"
        if "authoriz" in error:
            return f"InfluxDB at {self.where} refused the query ({error}); {self._fix_auth}"
        return f"InfluxDB at {self.where} could not run a report query: {error}"

    def many(self, requests: Sequence[Sequence[str]]) -> list[list[Series]]:
        """Each request (its statements) on a connection of its own, PARALLEL at a time: InfluxDB 1.x runs a query
        on one core. The series of every statement, in order."""
        if len(requests) <= 1:
            return [series for statements in requests for series in self.query(statements)]
        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            answers = list(pool.map(self.query, requests))
        return [series for answer in answers for series in answer]


def _timed_out(err: BaseException) -> bool:
    while isinstance(err, urllib.error.URLError) and isinstance(err.reason, BaseException):
        err = err.reason
    return isinstance(err, TimeoutError)
