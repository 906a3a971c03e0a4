"""Where exported lines go: InfluxDB's v1 ``/write`` endpoint and its v2 write API, behind one small Protocol.

Owns the HTTP side of replication: building a sink from the ``[influxdb]`` table (reading secret files and
warning when others can read them), one synchronous write per batch, and translating every failure into
``TransientError`` (retry later: the network, 5xx, 429) or ``PermanentError`` (fix the configuration or the
server: 401, 403, 404, a malformed batch), each with a message that says what failed and what to do. Secrets
never appear in messages or logs. Must not retry, buffer or decide anything: the exporter owns that. The v2 sink
uses influxdb-client's synchronous WriteApi only (its batching mode loses points on SIGTERM and long outages).
"""

from __future__ import annotations

import base64
import errno
import http.client
import json
import logging
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, cast

from netwatch.adapters import textfiles
from netwatch.config.records import InfluxConfig
from netwatch.core import extras
from netwatch.errors import PermanentError, TransientError

log = logging.getLogger("netwatch.export")
_MS: Any = "ms"  # influxdb_client.WritePrecision.MS, typed as str where write() wants a WritePrecision


class Sink(Protocol):
    """A replica that accepts line protocol (ms timestamps). ``write`` returns once every line is stored, or
    raises TransientError / PermanentError; replaying lines must be harmless (same points overwrite)."""

    def write(self, lines: Sequence[str]) -> None: ...

    def close(self) -> None: ...


def describe(cfg: InfluxConfig) -> str:
    """Where the lines go, for messages: "http://h:8086, database netwatch" (never a secret)."""
    if cfg.api == "v1":
        rp = f", retention policy {cfg.retention_policy}" if cfg.retention_policy else ""
        return f"{public(cfg.url)} (api v1, database {cfg.database}{rp})"
    return f"{public(cfg.url)} (api v2, bucket {cfg.bucket}, org {cfg.org})"


def public(url: str) -> str:
    """The URL without any user:password@ in it, for messages."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def sink_key(cfg: InfluxConfig) -> str:
    """The replica's name in the store: another server, database or bucket starts a cursor of its own."""
    where = f"{cfg.database}/{cfg.retention_policy}" if cfg.api == "v1" else f"{cfg.org}/{cfg.bucket}"
    return f"influxdb {cfg.api} {public(cfg.url).rstrip('/')} {where}"


def read_secret(path: Path, key: str) -> str:
    """The first line of a secret file (see ``netwatch.adapters.textfiles``)."""
    return textfiles.read_secret(path, key)


def open_sink(cfg: InfluxConfig) -> Sink:
    """The sink for the ``[influxdb]`` table. Raises ConfigError (unreadable secret file) or PermanentError
    (influxdb-client missing for api v2)."""
    if cfg.api == "v1":
        password = read_secret(cfg.password_file, "influxdb.password_file") if cfg.password_file else cfg.password
        return V1Sink(cfg.url, cfg.database, cfg.retention_policy, cfg.username, password, cfg.timeout)
    token = read_secret(cfg.token_file, "influxdb.token_file") if cfg.token_file else cfg.token
    return V2Sink(cfg.url, cfg.org, cfg.bucket, token, cfg.timeout)


# --- failures --------------------------------------------------------------------------------------------------


def server_text(body: bytes) -> str:
    """The server's own message: InfluxDB answers {"error": ...} (1.x) or {"message": ...} (2.x)."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:200]
    if isinstance(data, dict):
        return str(data.get("error") or data.get("message") or text)[:200]
    return text[:200]


def beyond_retention(status: int, body: bytes) -> bool:
    """InfluxDB dropped points older than the retention policy (1.x: 400, 2.x: 422) and wrote the others:
    nothing a retry could change, and nothing lost that the replica would keep, so the batch counts as written."""
    return status in (400, 422) and "beyond retention" in server_text(body)


def http_error(
    status: int, body: bytes, where: str, fix_auth: str, fix_missing: str
) -> TransientError | PermanentError:
    """The error for an HTTP answer other than success, permanent unless retrying can help."""
    said = server_text(body)
    got = f"HTTP {status}: {said}" if said else f"HTTP {status}"
    if status == 401:
        return PermanentError(f"InfluxDB at {where} refused the credentials ({got}); {fix_auth}")
    if status == 403:
        return PermanentError(f"InfluxDB at {where} denied writing ({got}); {fix_auth}")
    if status == 404:
        return PermanentError(f"InfluxDB at {where} has no such target ({got}); {fix_missing}")
    if status == 413:
        return PermanentError(f"InfluxDB at {where} refused a batch as too large ({got}); lower influxdb.batch_size")
    if status in (408, 429) or status >= 500:
        if "retention policy not found" in said:  # InfluxDB 1.x answers 500 for a missing one
            return PermanentError(f"InfluxDB at {where} has no such retention policy ({got}); {fix_missing}")
        return TransientError(f"InfluxDB at {where} is failing for now ({got}); retrying")
    return PermanentError(f"InfluxDB at {where} rejected the points ({got}); check the schema of existing data")


def network_error(err: BaseException, host: str, where: str) -> TransientError:
    """A failure below HTTP, named plainly: name resolution, refused, unreachable, timeout, TLS."""
    while isinstance(err, urllib.error.URLError) and isinstance(err.reason, BaseException):
        err = err.reason
    chain: list[BaseException] = []
    cur: BaseException | None = err
    while cur is not None and len(chain) < 8:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    for e in chain:
        if isinstance(e, socket.gaierror):
            return TransientError(f"cannot resolve {host} ({e.strerror}): check influxdb.url and DNS")
        if isinstance(e, ssl.SSLError | ssl.CertificateError):
            return TransientError(f"TLS with {where} failed ({e}); check the certificate or the https:// URL")
        if isinstance(e, ConnectionRefusedError):
            return TransientError(f"connection to {where} refused: is InfluxDB running there? check influxdb.url")
        if isinstance(e, TimeoutError | socket.timeout):
            return TransientError(f"{where} did not answer in time (influxdb.timeout)")
        if isinstance(e, OSError) and e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return TransientError(f"{where} is unreachable ({e.strerror}): the network is down")
    text = str(chain[-1]) or type(chain[-1]).__name__
    return TransientError(f"cannot reach {where}: {text}")


# --- v1 -----------------------------------------------------------------------------------------------------------


class V1Sink:
    """InfluxDB 1.x ``POST /write?db=&rp=&precision=ms`` with HTTP basic authentication, through urllib."""

    def __init__(self, url: str, database: str, retention_policy: str, username: str, password: str, timeout: float):
        params = {"db": database, "precision": "ms"}
        if retention_policy:
            params["rp"] = retention_policy
        self._url = url.rstrip("/") + "/write?" + urllib.parse.urlencode(params)
        self._host = urllib.parse.urlsplit(url).hostname or url
        self._where = public(url)
        self._timeout = timeout
        self._headers = {"Content-Type": "text/plain; charset=utf-8"}
        if username:
            pair = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            self._headers["Authorization"] = f"Basic {pair}"
        self._fix_auth = "check influxdb.username and influxdb.password (the user needs WRITE on the database)"
        self._fix_missing = f'create database "{database}" (CREATE DATABASE {database}) or fix influxdb.database'
        if retention_policy:
            self._fix_missing += " and influxdb.retention_policy"

    def write(self, lines: Sequence[str]) -> None:
        if not lines:
            return
        body = ("\n".join(lines) + "\n").encode("utf-8")
        req = urllib.request.Request(self._url, data=body, headers=self._headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                resp.read()
        except urllib.error.HTTPError as err:
            with err:
                body = err.read()
            if beyond_retention(err.code, body):
                log.debug("InfluxDB dropped points beyond its retention policy: %s", server_text(body))
                return
            raise http_error(err.code, body, self._where, self._fix_auth, self._fix_missing) from None
        except (OSError, http.client.HTTPException) as err:  # URLError is an OSError
            raise network_error(err, self._host, self._where) from None

    def close(self) -> None:
        """Nothing to release: every write uses a connection of its own."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- v2 -----------------------------------------------------------------------------------------------------------


class V2Sink:
    """The InfluxDB v2 write API through influxdb-client's synchronous WriteApi (no batching, no retries)."""

    def __init__(self, url: str, org: str, bucket: str, token: str, timeout: float):
        try:
            from influxdb_client.client.influxdb_client import InfluxDBClient
            from influxdb_client.client.write_api import SYNCHRONOUS
        except ImportError as err:
            raise PermanentError(
                f'influxdb.api = "v2" needs the influxdb-client package: {extras.install("influxdb")}'
                ' (or use api = "v1" with InfluxDB 1.x)'
            ) from err
        self._org, self._bucket = org, bucket
        self._host = urllib.parse.urlsplit(url).hostname or url
        self._where = public(url)
        # retries=False: urllib3 must not retry behind our back; the exporter's backoff does.
        self._client = InfluxDBClient(url=url, token=token, org=org, timeout=int(timeout * 1000), retries=False)
        self._api = self._client.write_api(write_options=SYNCHRONOUS)
        self._fix_auth = "check influxdb.token (or token_file): it needs write permission on the bucket"
        self._fix_missing = (
            f'check influxdb.org and influxdb.bucket ("{bucket}" must exist; InfluxDB 1.x before 1.8 has no v2'
            ' API: use api = "v1")'
        )

    def write(self, lines: Sequence[str]) -> None:
        if not lines:
            return
        from influxdb_client.rest import ApiException

        try:
            self._api.write(bucket=self._bucket, org=self._org, record=list(lines), write_precision=_MS)
        except ApiException as err:
            body = err.body if isinstance(err.body, bytes) else str(err.body or "").encode()
            if beyond_retention(int(err.status or 0), body):
                log.debug("InfluxDB dropped points beyond its retention policy: %s", server_text(body))
                return
            raise http_error(int(err.status or 0), body, self._where, self._fix_auth, self._fix_missing) from None
        except Exception as err:  # urllib3's errors (connection, timeout, protocol) and OSErrors
            raise network_error(err, self._host, self._where) from None

    def close(self) -> None:
        cast(Any, self._api).close()  # untyped in influxdb-client
        cast(Any, self._client).close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
