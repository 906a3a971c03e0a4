"""The record of one speed test attempt, whatever backend ran it.

Owns ``SpeedResult`` (a frozen dataclass: figures plus provenance) and the helpers backends use to build one:
``failure`` for a test that could not produce figures, ``clip_raw`` to bound the raw output kept as evidence,
and the JSON round trip. Pure data: no I/O, no clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RAW_LIMIT = 32_000  # characters of a tool's raw output kept with a result
CANCELLED = "cancelled"  # the ``error`` of a test stopped by its cancel event (daemon shutdown)


@dataclass(frozen=True)
class SpeedResult:
    """One speed test attempt.

    ``at`` is the wall-clock start (UTC Unix seconds) and ``duration_s`` the monotonic time the attempt took.
    ``ok`` is True only when ``download_mbps`` was measured (upload may be None when not configured); a failed
    attempt has ``ok=False``, the reason in ``error`` and no speeds, so it can never look like a slow line.
    Speeds are megabits per second (10^6 bit/s); latencies milliseconds. ``latency_ms`` is measured on an idle
    line, ``loaded_latency_ms`` while the line is saturated (None when the backend cannot tell). ``bytes_used``
    counts every byte the test moved in both directions, for data budgets. ``raw`` is the tool's own output
    (JSON or text), at most ``RAW_LIMIT`` characters.
    """

    at: float
    backend: str  # the configured backend name: speedtest, ookla, http, iperf3, cloudflare
    tool: str  # what actually measured: "speedtest-cli", "ookla", "netwatch-http", "iperf3"
    tool_version: str = ""
    server: str = ""  # human-readable name and host of the server measured against
    server_id: str = ""
    result_url: str = ""
    download_mbps: float | None = None
    upload_mbps: float | None = None
    latency_ms: float | None = None
    loaded_latency_ms: float | None = None
    jitter_ms: float | None = None
    bytes_used: int = 0
    external_ip: str = ""
    ok: bool = False
    error: str = ""
    raw: str = ""
    duration_s: float = 0.0

    @property
    def cancelled(self) -> bool:
        return not self.ok and self.error == CANCELLED

    def to_dict(self) -> dict[str, Any]:
        """Every field by name, JSON-serialisable."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpeedResult:
        """The inverse of ``to_dict``; unknown keys are ignored (results written by a newer netwatch)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def failure(
    backend: str,
    tool: str,
    error: str,
    *,
    at: float,
    duration_s: float = 0.0,
    raw: str = "",
    tool_version: str = "",
    server: str = "",
    server_id: str = "",
    bytes_used: int = 0,
) -> SpeedResult:
    """A failed attempt: no speeds, ``ok=False`` and the reason (one line, meant for the user)."""
    return SpeedResult(
        at=at,
        backend=backend,
        tool=tool,
        tool_version=tool_version,
        server=server,
        server_id=server_id,
        bytes_used=bytes_used,
        ok=False,
        error=error.strip() or "failed without a reason",
        raw=clip_raw(raw),
        duration_s=duration_s,
    )


def clip_raw(text: str, limit: int = RAW_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, keeping its head and tail (where tools put errors and summaries)."""
    if len(text) <= limit:
        return text
    marker = f"\n[... {len(text) - limit} characters cut ...]\n"
    keep = max(0, limit - len(marker))
    head = keep // 2
    return text[:head] + marker + text[len(text) - (keep - head) :]


def mbps(bits_per_second: float) -> float:
    """bit/s to Mbit/s (10^6), rounded to what any line can resolve."""
    return round(bits_per_second / 1e6, 3)
