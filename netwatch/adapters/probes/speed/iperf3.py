"""The ``iperf3`` backend: the user's own iperf3 server, measured through iperf3's JSON output (``-J``).

Owns building the iperf3 command lines (download is ``-R``: the server sends; upload is a second, plain run),
parsing the JSON (a pure function, ``parse_iperf3``) and turning both runs into one ``SpeedResult``. It must not
start servers. iperf3 reports no idle latency; the upload run's mean TCP RTT is the latency under load.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import dataclass

from netwatch.core.model import CANCELLED, SpeedResult

from ._proc import Outcome, run_command, tail
from .result import clip_raw, failure, mbps

TOOL = "iperf3"


@dataclass(frozen=True)
class Iperf3Run:
    """What one iperf3 client run measured. ``error`` is iperf3's own message when it failed."""

    bits_per_second: float | None  # as received by the receiving end
    bytes_total: int  # everything sent, the omitted warm-up seconds included
    version: str = ""
    mean_rtt_ms: float | None = None  # the sending side's smoothed TCP RTT (only known when we send)
    error: str = ""


def parse_iperf3(text: str) -> Iperf3Run:
    """Parse ``iperf3 -c ... -J`` output. Output that is not iperf3 JSON is a run with an ``error``."""
    try:
        data = json.loads(text)
    except ValueError:
        return Iperf3Run(None, 0, error="iperf3 printed no JSON")
    if not isinstance(data, dict):
        return Iperf3Run(None, 0, error="iperf3 printed unexpected JSON")
    start = data.get("start") or {}
    version = str(start.get("version", "")).removeprefix("iperf ").strip()
    intervals = data.get("intervals") or []
    total = sum(int((i.get("sum") or {}).get("bytes", 0)) for i in intervals if isinstance(i, dict))
    if data.get("error"):
        return Iperf3Run(None, total, version, error=str(data["error"]))
    end = data.get("end") or {}
    received = end.get("sum_received") or {}
    bps = received.get("bits_per_second")
    if not isinstance(bps, int | float):
        return Iperf3Run(None, total, version, error="iperf3 reported no received throughput")
    rtts = [
        float(s["sender"]["mean_rtt"])
        for s in end.get("streams") or []
        if isinstance(s.get("sender"), dict) and s["sender"].get("mean_rtt")
    ]
    mean_rtt = round(sum(rtts) / len(rtts) / 1000, 3) if rtts else None  # iperf3 gives microseconds
    sent = end.get("sum_sent") or {}
    total = max(total, int(sent.get("bytes", 0)))
    return Iperf3Run(float(bps), total, version, mean_rtt)


class Iperf3Backend:
    """iperf3 against ``host``:``port`` with ``streams`` parallel TCP streams for ``duration`` seconds each
    way (``omit`` warm-up seconds excluded from the figures, as iperf3's ``-O`` does; both whole seconds)."""

    def __init__(
        self,
        host: str,
        port: int = 5201,
        *,
        streams: int = 4,
        duration: int = 10,
        omit: int = 1,
        upload: bool = True,
        connect_timeout: float = 5.0,
        binary: str = "iperf3",
        name: str = "iperf3",
    ) -> None:
        if not host:  # for direct callers: netwatch.config.speed states it (in the same words) for configuration files
            raise ValueError("iperf3 needs a server host")
        self.name = name
        self.host = host
        self.port = port
        self.streams = streams
        self.duration = max(1, int(duration))  # iperf3 takes whole seconds
        self.omit = max(0, int(omit))
        self.upload = upload
        self.connect_timeout = connect_timeout
        self.binary = binary

    def missing(self) -> str | None:
        """Why this backend cannot run here (the iperf3 binary is not found), or None."""
        if shutil.which(self.binary) is None:
            return f"iperf3 binary {self.binary!r} not found: install the Debian package iperf3 or set the binary path"
        return None

    def command(self, reverse: bool) -> list[str]:
        argv = [self.binary, "-c", self.host, "-p", str(self.port), "-J", "-t", str(self.duration)]
        argv += ["-P", str(self.streams), "-O", str(self.omit)]
        argv += ["--connect-timeout", str(round(self.connect_timeout * 1000))]
        return [*argv, "-R"] if reverse else argv

    def run(self, cancel: threading.Event) -> SpeedResult:
        at, start = time.time(), time.monotonic()
        server = f"{self.host}:{self.port}"
        runs: list[Iperf3Run] = []
        raws: list[str] = []
        for reverse in (True, False) if self.upload else (True,):
            direction = "download" if reverse else "upload"
            outcome = run_command(self.command(reverse), cancel, self._timeout())
            raws.append(outcome.stdout or outcome.stderr)
            error = self._error(outcome, direction)
            run = parse_iperf3(outcome.stdout) if not error else None
            if run is not None and run.error:
                error = f"iperf3 {direction} to {server} failed: {run.error}"
            if error or run is None:
                used = sum(r.bytes_total for r in runs) + (run.bytes_total if run else 0)
                version = runs[0].version if runs else (run.version if run else "")
                return failure(
                    self.name,
                    TOOL,
                    error,
                    at=at,
                    duration_s=time.monotonic() - start,
                    raw="\n".join(raws),
                    tool_version=version,
                    server=server,
                    bytes_used=used,
                )
            runs.append(run)
        down, up = runs[0], runs[1] if len(runs) > 1 else None
        assert down.bits_per_second is not None
        return SpeedResult(
            at=at,
            backend=self.name,
            tool=TOOL,
            tool_version=down.version,
            server=server,
            download_mbps=mbps(down.bits_per_second),
            upload_mbps=mbps(up.bits_per_second) if up and up.bits_per_second is not None else None,
            loaded_latency_ms=up.mean_rtt_ms if up else None,
            bytes_used=sum(r.bytes_total for r in runs),
            ok=True,
            raw=clip_raw("\n".join(raws)),
            duration_s=time.monotonic() - start,
        )

    def _timeout(self) -> float:
        return self.connect_timeout + self.omit + self.duration + 10.0

    def _error(self, outcome: Outcome, direction: str) -> str:
        if outcome.cancelled:
            return CANCELLED
        if outcome.start_error:
            return f"iperf3 binary {outcome.start_error}: install the Debian package iperf3 or set the binary path"
        if outcome.timed_out:
            return f"iperf3 {direction} to {self.host}:{self.port} timed out after {self._timeout():g} s"
        if outcome.returncode != 0 and not outcome.stdout.strip():
            detail = tail(outcome.stderr) or "no output"
            return f"iperf3 {direction} exited with status {outcome.returncode}: {detail}"
        return ""
