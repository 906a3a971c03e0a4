"""Building the record of one speed test attempt (``netwatch.core.model.SpeedResult``), whatever backend ran it.

Owns the helpers backends use: ``failure`` for a test that could not produce figures, ``clip_raw`` to bound the
raw output kept as evidence, and ``mbps``. Must not do I/O or read a clock: a backend passes in what it measured.
"""

from __future__ import annotations

from netwatch.core.model import CANCELLED, SpeedResult

__all__ = ["CANCELLED", "RAW_LIMIT", "SpeedResult", "clip_raw", "failure", "mbps"]

RAW_LIMIT = 32_000  # characters of a tool's raw output kept with a result


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
