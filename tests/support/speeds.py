"""Speed test results as a backend reports them: measured ones, and one with every field filled in.

Owns building ``SpeedResult`` values for tests that store, report or judge speeds. Must not build failed attempts
(netwatch's own ``failure()`` says how a backend reports one, and the tests use it) or measure anything.
"""

from __future__ import annotations

from typing import Any

from netwatch.core.model import SpeedResult


def measured(
    at: float,
    down: float,
    up: float | None = None,
    *,
    backend: str = "speedtest",
    tool: str = "speedtest-cli",
    **fields: Any,
) -> SpeedResult:
    """A successful test at ``at``: ``down`` and ``up`` Mbit/s (None: upload not measured); ``fields`` sets any
    other field (``latency_ms=12.0``, ``server="X"``, ...)."""
    return SpeedResult(at=at, backend=backend, tool=tool, download_mbps=down, upload_mbps=up, ok=True, **fields)


def complete(at: float) -> SpeedResult:
    """A successful speedtest-cli test with every field set, for round trips through the store and the exporter."""
    return measured(
        at,
        18.25,
        4.9,
        tool_version="2.1.3",
        server="X (Town)",
        server_id="123",
        result_url="https://www.speedtest.net/result/1",
        latency_ms=23.0,
        loaded_latency_ms=80.5,
        jitter_ms=1.5,
        bytes_used=123_456_789,
        external_ip="192.0.2.7",
        error="",
        raw='{"x": 1}',
        duration_s=21.5,
    )


def speed_ok(at: float, down: float, up: float | None = None) -> SpeedResult:
    """A speedtest-cli test at ``at`` as a report shows it: server, latencies and the data it used."""
    return measured(
        at,
        down,
        up,
        tool_version="2.1.3",
        server="Example (1)",
        latency_ms=12.0,
        loaded_latency_ms=95.0,
        bytes_used=50_000_000,
    )
