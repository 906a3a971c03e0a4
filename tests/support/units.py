"""netwatch's systemd files as shipped in the repository's systemd/ folder, read as the tests need them.

Owns where those files are (``SYSTEMD``) and reading a unit's ``Key=value`` settings. Must not install, verify or
start a unit (the tests run systemd's own tools for that) or judge a setting.
"""

from __future__ import annotations

from pathlib import Path

SYSTEMD = Path(__file__).parents[2] / "systemd"


def settings(unit: str) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit file, in order (keys may repeat, e.g. ExecStart)."""
    found: dict[str, list[str]] = {}
    for line in (SYSTEMD / unit).read_text().splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found
