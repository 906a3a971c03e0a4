"""The ``ookla`` backend: the official Speedtest CLI by Ookla, when the user has installed it.

Owns running ``speedtest --format=json --accept-license --accept-gdpr`` (binary name configurable), parsing its
JSON (a pure function, ``parse_ookla``) and its error log lines. It must not install the CLI. Beware the name
clash: speedtest-cli (the Python package) also installs a ``speedtest`` command; its version banner gives it
away and the failure says so.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from dataclasses import replace
from typing import Any

from netwatch.core.model import CANCELLED, SpeedResult

from ._proc import run_command, tail
from .result import clip_raw, failure, mbps

TOOL = "ookla"
INSTALL = "install it from speedtest.net/apps/cli or set the binary path"
_VERSION_RE = re.compile(r"Speedtest by Ookla\s+v?([0-9][0-9.]*)")


def parse_version(text: str) -> str | None:
    """The version from ``speedtest --version``; None when the banner is not the Ookla CLI's."""
    m = _VERSION_RE.search(text)
    return m.group(1) if m else None


def parse_errors(text: str) -> list[str]:
    """Error messages the CLI logged, in order: JSON log lines (``{"type":"log","level":"error",...}``) and
    plain ``[error]`` lines (with the lines that continue them, e.g. "Limit reached: Speedtest CLI. Too many
    requests received.")."""
    found: list[str] = []
    continuing = False
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            continuing = False
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and item.get("level") == "error" and item.get("message"):
                found.append(str(item["message"]).strip())
            elif isinstance(item, dict) and item.get("error"):
                found.append(str(item["error"]).strip())
        elif "[error]" in line:
            found.append(line.split("[error]", 1)[1].strip())
            continuing = True
        elif continuing and not line.startswith("["):
            found[-1] = f"{found[-1]} {line}".strip()
        else:
            continuing = False
    return [f for f in found if f]


def parse_ookla(text: str, *, at: float, backend: str = "ookla", version: str = "") -> SpeedResult:
    """The ``SpeedResult`` in the CLI's ``--format=json`` output (the line with ``"type": "result"``).

    Bandwidths there are bytes per second; latencies milliseconds. Output without a result line is a failure
    carrying the CLI's own error messages.
    """
    data: dict[str, Any] | None = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and item.get("type") == "result":
                data = item
    if data is None:
        errors = parse_errors(text)
        reason = "; ".join(errors) if errors else "printed no result"
        return failure(backend, TOOL, f"Ookla speedtest: {reason}", at=at, raw=text, tool_version=version)
    down, up = _section(data, "download"), _section(data, "upload")
    ping, iface, server = _section(data, "ping"), _section(data, "interface"), _section(data, "server")
    down_bw = _number(down.get("bandwidth"))
    if down_bw is None or down_bw <= 0:
        return failure(backend, TOOL, "Ookla speedtest: no download measured", at=at, raw=text, tool_version=version)
    up_bw = _number(up.get("bandwidth"))
    loaded = _number(_section(down, "latency").get("iqm"))
    name = ", ".join(str(server[k]) for k in ("name", "location") if server.get(k))
    host = f"{server['host']}:{server['port']}" if server.get("host") and server.get("port") else server.get("host")
    return SpeedResult(
        at=at,
        backend=backend,
        tool=TOOL,
        tool_version=version,
        server=f"{name} ({host})" if name and host else str(name or host or ""),
        server_id=str(server.get("id", "")),
        result_url=str(_section(data, "result").get("url") or ""),
        download_mbps=mbps(down_bw * 8),
        upload_mbps=mbps(up_bw * 8) if up_bw is not None and up_bw > 0 else None,
        latency_ms=_number(ping.get("latency")),
        loaded_latency_ms=loaded,
        jitter_ms=_number(ping.get("jitter")),
        bytes_used=int(_number(down.get("bytes")) or 0) + int(_number(up.get("bytes")) or 0),
        external_ip=str(iface.get("externalIp") or ""),
        ok=True,
        raw=clip_raw(text),
    )


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class OoklaBackend:
    """The Ookla CLI at ``binary`` (a name on PATH or a path), optionally against ``server_id``."""

    def __init__(
        self, *, binary: str = "speedtest", server_id: str = "", timeout: float = 120.0, name: str = "ookla"
    ) -> None:
        self.name = name
        self.binary = binary
        self.server_id = str(server_id)
        self.timeout = timeout
        self._version: str | None = None

    def missing(self) -> str | None:
        """Why this backend cannot run here (the CLI is not found), or None. Whether it is really Ookla's CLI
        and not speedtest-cli's ``speedtest`` shows only when it runs."""
        if shutil.which(self.binary) is None:
            return f"Ookla speedtest CLI {self.binary!r} not found: {INSTALL}"
        return None

    def command(self) -> list[str]:
        argv = [self.binary, "--format=json", "--accept-license", "--accept-gdpr"]
        return [*argv, f"--server-id={self.server_id}"] if self.server_id else argv

    def run(self, cancel: threading.Event) -> SpeedResult:
        at, start = time.time(), time.monotonic()

        def failed(reason: str, raw: str = "") -> SpeedResult:
            return failure(
                self.name,
                TOOL,
                reason,
                at=at,
                duration_s=time.monotonic() - start,
                raw=raw,
                tool_version=self._version or "",
            )

        if self._version is None:
            probe = run_command([self.binary, "--version"], cancel, 15.0)
            if probe.cancelled:
                return failed(CANCELLED)
            if probe.start_error:
                return failed(f"Ookla speedtest CLI {probe.start_error}: {INSTALL}")
            banner = probe.stdout + probe.stderr
            version = parse_version(banner)
            if version is None:
                hint = " (that is speedtest-cli; use backend 'speedtest')" if "speedtest-cli" in banner else ""
                return failed(f"{self.binary!r} is not the Ookla speedtest CLI{hint}", banner)
            self._version = version
        outcome = run_command(self.command(), cancel, self.timeout)
        if outcome.cancelled:
            return failed(CANCELLED)
        if outcome.start_error:
            return failed(f"Ookla speedtest CLI {outcome.start_error}")
        if outcome.timed_out:
            return failed(f"Ookla speedtest timed out after {self.timeout:g} s", outcome.stdout + outcome.stderr)
        result = parse_ookla(outcome.stdout + "\n" + outcome.stderr, at=at, backend=self.name, version=self._version)
        if not result.ok and outcome.returncode not in (0, None) and "printed no result" in result.error:
            detail = tail(outcome.stderr) or "no output"
            return failed(f"Ookla speedtest exited with status {outcome.returncode}: {detail}", outcome.stderr)
        return replace(result, duration_s=time.monotonic() - start)
