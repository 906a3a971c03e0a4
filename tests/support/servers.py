"""Real time-series servers for integration tests: InfluxDB 1.x (`influxd`) and VictoriaMetrics, on loopback.

Owns starting each server from its Debian binary with every file in a temporary directory and a free port,
waiting until it answers, stopping it (SIGTERM, then SIGKILL) and restarting it on the same port and data
(`stop()` / `start()` simulate an outage of the database in the middle of a run), plus the few HTTP helpers the
tests need to look at what arrived. It must not touch the system services or their data in /var/lib.

A server can also run inside a network namespace of the simulated ISP (`netns="nw…-internet"`, see
netns_isp.py), where the daemon in `home` reaches it through the simulated line: the helpers then make their HTTP
requests from a thread that has joined that namespace (setns is per thread), so the host's network is untouched.

Without the binary `ServerUnavailable` is raised; the fixtures in tests/integration/conftest.py turn it into a
skip (a failure under CI). Run by hand: `python -m tests.support.servers` starts both and prints their URLs.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.support import processes
from tests.support.netns_isp import in_netns
from tests.support.sockets import free_port

INFLUXD = "influxd"
VICTORIA = "victoria-metrics"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "netwatch-test-admin"  # a throwaway server on loopback
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class ServerUnavailable(RuntimeError):
    """The server's binary is not installed (the message says which package provides it)."""


class ServerError(RuntimeError):
    """The server did not start, or a helper request failed; the message carries the server's log tail."""


class _Server:
    """One server process: start, wait until it answers `health_path`, stop; same port and data across restarts."""

    binary = ""
    package = ""
    health_path = ""
    health_status: tuple[int, ...] = (200, 204)

    def __init__(self, workdir: Path, *, host: str = "127.0.0.1", port: int | None = None, netns: str | None = None):
        path = shutil.which(self.binary)
        if path is None:
            raise ServerUnavailable(f"`{self.binary}` is not installed (apt-get install {self.package})")
        self.exe = path
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port or free_port()
        self.netns = netns
        self.log_path = self.workdir / f"{self.binary}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the process (no-op if running) and return once it answers its health check."""
        if self.running:
            return
        cmd = self.command()
        if self.netns is not None:
            cmd = ["ip", "netns", "exec", self.netns, *cmd]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.binary} exited ({self.proc.returncode}) at start:\n{self.log_tail()}")
            with contextlib.suppress(OSError, ServerError):
                if self.request("GET", self.health_path, timeout=1.0)[0] in self.health_status:
                    return
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"{self.binary} did not answer {self.health_path} within {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT; afterwards the port refuses connections."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        processes.stop(proc, STOP_TIMEOUT)

    def restart(self) -> None:
        self.stop()
        self.start()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | Sequence[tuple[str, str]] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> tuple[int, bytes]:
        """One HTTP request to the server: (status, body); HTTP errors are returned, not raised."""
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})

        def go() -> tuple[int, bytes]:
            try:
                with urllib.request.urlopen(req, timeout=timeout) as resp:
                    return int(resp.status), bytes(resp.read())
            except urllib.error.HTTPError as err:
                with err:
                    return int(err.code), bytes(err.read())

        return in_netns(self.netns, go)

    def __enter__(self) -> _Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class InfluxDB1(_Server):
    """`influxd` 1.x with HTTP auth enabled and an admin user (`username` / `password`), reporting disabled."""

    binary = INFLUXD
    package = "influxdb"
    health_path = "/ping"

    def __init__(self, workdir: Path, *, host: str = "127.0.0.1", port: int | None = None, netns: str | None = None):
        super().__init__(workdir, host=host, port=port, netns=netns)
        self.rpc_port = free_port()
        self.username = ADMIN_USER
        self.password = ADMIN_PASSWORD
        self.config_path = self.workdir / "influxdb.conf"
        self._admin_created = False

    def command(self) -> list[str]:
        self._write_config()
        return [self.exe, "-config", str(self.config_path)]

    def _write_config(self) -> None:
        d = self.workdir
        self.config_path.write_text(
            f"""reporting-enabled = false
bind-address = "127.0.0.1:{self.rpc_port}"

[meta]
  dir = "{d / "meta"}"
  logging-enabled = false

[data]
  dir = "{d / "data"}"
  wal-dir = "{d / "wal"}"
  query-log-enabled = false
  trace-logging-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "{self.host}:{self.port}"
  auth-enabled = true
  log-enabled = false
  write-tracing = false
  pprof-enabled = false

[continuous_queries]
  log-enabled = false

[subscriber]
  enabled = false

[logging]
  level = "warn"
  suppress-logo = true
"""
        )

    def start(self, timeout: float = START_TIMEOUT) -> None:
        super().start(timeout)
        if not self._admin_created:
            # With auth enabled and no user yet, InfluxDB 1.x accepts exactly this statement unauthenticated.
            self._query(f"CREATE USER {self.username} WITH PASSWORD '{self.password}' WITH ALL PRIVILEGES", auth=False)
            self._admin_created = True

    def auth_header(self, username: str | None = None, password: str | None = None) -> dict[str, str]:
        user, pw = username or self.username, password or self.password
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}

    def _query(self, q: str, db: str | None = None, *, auth: bool = True, epoch: str | None = None) -> Any:
        params = {"q": q}
        if db is not None:
            params["db"] = db
        if epoch is not None:
            params["epoch"] = epoch
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(self.auth_header() if auth else {})}
        status, body = self.request("POST", "/query", body=urllib.parse.urlencode(params).encode(), headers=headers)
        if status != 200:
            raise ServerError(f"InfluxQL {q!r} → HTTP {status}: {body.decode(errors='replace')}")
        data = json.loads(body)
        errors = [r["error"] for r in data.get("results", []) if "error" in r]
        if "error" in data or errors:
            raise ServerError(f"InfluxQL {q!r} → {data.get('error') or errors}")
        return data

    def query(self, q: str, db: str | None = None, *, epoch: str | None = None) -> Any:
        """Run InfluxQL as the admin; the parsed JSON of /query (ServerError on any error in it).

        `epoch` ("ms", "s", …) returns integer timestamps instead of RFC 3339 strings.
        """
        return self._query(q, db, epoch=epoch)

    def rows(self, q: str, db: str | None = None, *, epoch: str | None = "ms") -> list[dict[str, Any]]:
        """The rows of every series of the first statement's result, as dicts (tags of GROUP BY merged in)."""
        out: list[dict[str, Any]] = []
        for series in self.query(q, db, epoch=epoch)["results"][0].get("series", []):
            tags = series.get("tags", {})
            for values in series["values"]:
                out.append({**tags, **dict(zip(series["columns"], values, strict=True))})
        return out

    def create_database(self, name: str) -> None:
        self.query(f'CREATE DATABASE "{name}"')

    def create_user(self, name: str, password: str, *, admin: bool = False, write_db: str | None = None) -> None:
        """A user with all privileges (admin) or WRITE on `write_db` (or none at all)."""
        self.query(f"CREATE USER \"{name}\" WITH PASSWORD '{password}'" + (" WITH ALL PRIVILEGES" if admin else ""))
        if write_db is not None:
            self.query(f'GRANT WRITE ON "{write_db}" TO "{name}"')

    def write(self, lines: Sequence[str], db: str, *, precision: str = "ms") -> None:
        """Write line protocol as the admin (ServerError unless 204)."""
        status, body = self.request(
            "POST",
            "/write",
            params={"db": db, "precision": precision},
            body="\n".join(lines).encode(),
            headers=self.auth_header(),
        )
        if status != 204:
            raise ServerError(f"write → HTTP {status}: {body.decode(errors='replace')}")


class VictoriaMetrics(_Server):
    """`victoria-metrics` single node: accepts the InfluxDB v1 and v2 write APIs; read back with `export()`."""

    binary = VICTORIA
    package = "victoria-metrics"
    health_path = "/health"

    def command(self) -> list[str]:
        return [
            self.exe,
            f"-storageDataPath={self.workdir / 'data'}",
            f"-httpListenAddr={self.host}:{self.port}",
            "-retentionPeriod=100y",  # tests write timestamps from any year
            "-loggerLevel=WARN",
        ]

    def force_flush(self) -> None:
        status, body = self.request("GET", "/internal/force_flush")
        if status != 200:
            raise ServerError(f"force_flush → HTTP {status}: {body.decode(errors='replace')}")

    def export(self, match: str = '{__name__!=""}') -> list[dict[str, Any]]:
        """Every stored series matching the selector: [{"metric": {...}, "values": [...], "timestamps": [ms]}].

        Flushes first so that what was just written is visible. (Never read through VictoriaMetrics' /query:
        it answers any InfluxQL SELECT with a fake result.)
        """
        self.force_flush()
        status, body = self.request("GET", "/api/v1/export", params=[("match[]", match)])
        if status != 200:
            raise ServerError(f"export {match} → HTTP {status}: {body.decode(errors='replace')}")
        return [json.loads(line) for line in body.decode().splitlines() if line.strip()]


def main() -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        influx, vm = InfluxDB1(Path(tmp) / "influx"), VictoriaMetrics(Path(tmp) / "vm")
        with influx, vm:
            print(f"influxd {influx.url} (user {influx.username} / {influx.password}); victoria-metrics {vm.url}")
            print("Ctrl-C to stop")
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
