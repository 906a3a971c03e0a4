"""The ``speedtest`` backend: speedtest-cli (the ``speedtest`` extra) against the Ookla speedtest.net network.

Owns running speedtest-cli in secure mode (HTTPS to speedtest.net) in a child process (``_speedtest_worker.py``)
that a cancel event kills at once, and mapping what the child reports to a ``SpeedResult``
(``map_worker_output``, pure). It must not import speedtest-cli itself: the child does, so a missing extra is a
failed result naming the extra, and speedtest-cli's threads never outlive a cancelled test.

speedtest.net answers speedtest-cli with 403 or 429 at times, and speedtest-cli turns transfer errors into low
speeds; both become failed results here (with the HTTP status), never a slow line.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netwatch.core import extras
from netwatch.core.model import CANCELLED, SpeedResult

from ._proc import run_command, tail
from .result import clip_raw, failure, mbps

TOOL = "speedtest-cli"
WORKER = Path(__file__).with_name("_speedtest_worker.py")
MISSING = f"speedtest-cli is not installed: install the speedtest extra ({extras.install('speedtest')})"
_STAGES = {
    "import": "loading speedtest-cli",
    "config": "fetching speedtest.net's configuration",
    "servers": "fetching speedtest.net's server list",
    "latency": "measuring latency to the server",
    "download": "the download test",
    "upload": "the upload test",
    "share": "sharing the result",
}
# speedtest-cli's latency probe counts a failed request as 3600 s; its mean over three requests is halved.
_LATENCY_FAILED_MS = 600_000.0


def _http_error(item: Mapping[str, Any]) -> str:
    status = item.get("status")
    what = f"HTTP {status} {item.get('reason', '')}".strip() if status else str(item.get("reason", "error"))
    return f"{what} from {item.get('url', '?')}"


def _stage_error(data: Mapping[str, Any]) -> str:
    """Why the child stopped, worded for the user, with the HTTP status when speedtest.net refused."""
    stage = str(data.get("stage", ""))
    error = str(data.get("error", ""))
    if stage == "import" or error.startswith(("ImportError", "ModuleNotFoundError")):
        return MISSING
    statuses = [e for e in data.get("http_errors") or [] if isinstance(e, dict)]
    refused = [e for e in statuses if e.get("status") in (403, 429)]
    where = _STAGES.get(stage, stage)
    if refused:
        first = refused[0]
        kind = "rate-limited" if first["status"] == 429 else "refused"
        return f"speedtest.net {kind} speedtest-cli while {where}: {_http_error(first)}"
    if statuses:
        return f"{where} failed: {_http_error(statuses[-1])}"
    if error.startswith("NoMatchedServers"):
        return "the configured server_id is not in speedtest.net's server list"
    return f"{where} failed: {error}" if error else f"{where} failed"


def map_worker_output(
    data: Mapping[str, Any], *, at: float, backend: str = "speedtest", duration: float = 0.0, upload: bool = True
) -> SpeedResult:
    """The ``SpeedResult`` for what the worker printed (``results`` is speedtest-cli's ``results.dict()``:
    speeds in bit/s, ping in ms). Failures: an error at any stage, a failed download or upload request,
    zero bytes moved, or a server that never answered its latency probe."""
    version = str(data.get("version", ""))
    results = data.get("results") if isinstance(data.get("results"), dict) else None
    raw = json.dumps(data, default=str)
    server: Mapping[str, Any] = (results or {}).get("server") or {}
    sponsor = ", ".join(str(server[k]) for k in ("sponsor", "name") if server.get(k))
    server_name = f"{sponsor} ({server['host']})" if sponsor and server.get("host") else sponsor
    used = int((results or {}).get("bytes_received") or 0) + int((results or {}).get("bytes_sent") or 0)

    def failed(reason: str) -> SpeedResult:
        return failure(
            backend,
            TOOL,
            reason,
            at=at,
            duration_s=duration,
            raw=raw,
            tool_version=version,
            server=server_name,
            server_id=str(server.get("id", "")),
            bytes_used=used,
        )

    if data.get("error") or results is None or data.get("stage") not in ("done", "share"):
        return failed(_stage_error(data))
    for direction in ("download", "upload") if upload else ("download",):
        bad = [e for e in data.get(f"{direction}_errors") or [] if isinstance(e, dict)]
        if bad:
            return failed(f"{len(bad)} request(s) of the {direction} test failed: {_http_error(bad[0])}")
    if not results.get("bytes_received"):
        return failed("the download test received no data (speedtest-cli reports transfer errors as low speeds)")
    if upload and not results.get("bytes_sent"):
        return failed("the upload test sent no data (speedtest-cli reports transfer errors as low speeds)")
    ping = float(results.get("ping") or 0.0)
    if ping >= _LATENCY_FAILED_MS:
        return failed(f"the server {server_name or '?'} did not answer speedtest-cli's latency requests")
    client: Mapping[str, Any] = results.get("client") or data.get("client") or {}
    return SpeedResult(
        at=at,
        backend=backend,
        tool=TOOL,
        tool_version=version,
        server=server_name,
        server_id=str(server.get("id", "")),
        result_url=str(results.get("share") or ""),
        download_mbps=mbps(float(results.get("download") or 0.0)),
        upload_mbps=mbps(float(results.get("upload") or 0.0)) if upload else None,
        latency_ms=round(ping, 3) if ping else None,
        bytes_used=used,
        external_ip=str(client.get("ip") or ""),
        ok=True,
        raw=clip_raw(raw),
        duration_s=duration,
    )


class SpeedtestCliBackend:
    """speedtest-cli in secure mode; the server chosen by speedtest-cli (closest by latency) or ``server_id``.

    ``timeout`` is speedtest-cli's per-request socket timeout; ``deadline`` bounds the whole test. ``share``
    posts the figures to speedtest.net for a result link (kept in ``result_url``).
    """

    def __init__(
        self,
        *,
        server_id: str = "",
        upload: bool = True,
        share: bool = True,
        secure: bool = True,
        timeout: float = 10.0,
        deadline: float = 120.0,
        name: str = "speedtest",
    ) -> None:
        self.name = name
        self.options = {
            "server_id": str(server_id),
            "upload": upload,
            "share": share,
            "secure": secure,
            "timeout": timeout,
        }
        self.deadline = deadline

    @staticmethod
    def missing() -> str | None:
        """Why this backend cannot run here (speedtest-cli not installed), or None."""
        return None if importlib.util.find_spec("speedtest") is not None else MISSING

    def command(self) -> list[str]:
        return [sys.executable, "-P", str(WORKER), json.dumps(self.options)]

    def run(self, cancel: threading.Event) -> SpeedResult:
        at, start = time.time(), time.monotonic()

        def failed(reason: str, raw: str = "") -> SpeedResult:
            return failure(self.name, TOOL, reason, at=at, duration_s=time.monotonic() - start, raw=raw)

        missing = self.missing()
        if missing:
            return failed(missing)
        outcome = run_command(self.command(), cancel, self.deadline)
        if outcome.cancelled:
            return failed(CANCELLED)
        if outcome.start_error:
            return failed(f"cannot run speedtest-cli: {outcome.start_error}")
        if outcome.timed_out:
            return failed(f"speedtest-cli did not finish within {self.deadline:g} s", outcome.stdout + outcome.stderr)
        lines = [line for line in outcome.stdout.splitlines() if line.strip()]
        try:
            data = json.loads(lines[-1]) if lines else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            detail = tail(outcome.stderr) or "no output"
            return failed(f"speedtest-cli worker exited with status {outcome.returncode}: {detail}", outcome.stderr)
        return map_worker_output(
            data, at=at, backend=self.name, duration=time.monotonic() - start, upload=bool(self.options["upload"])
        )
