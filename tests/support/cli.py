"""netwatch's command line run in process (click's CliRunner), isolated from the machine it runs on.

Owns invoking ``netwatch ARGS...`` and the environment a command sees in a test: no system-wide configuration
file, the state directory and home in the test's temporary directory. Must not parse a command's output (the
tests check what it says) or hold fixtures (conftest.py files build theirs from ``isolate``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from netwatch.cli import main
from netwatch.config import loading


def invoke(*args: str) -> tuple[int, str, str]:
    """``netwatch ARGS...``: its exit code, stdout and stderr."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def isolate(
    monkeypatch: pytest.MonkeyPatch, tmp: Path, *, cfg: Path | None = None, home: bool = True, chdir: bool = False
) -> Path:
    """Commands see no /etc/netwatch/netwatch.toml, the configuration file ``cfg`` ($NETWATCH_CONFIG; None: no
    file), the state directory TMP/state (returned) and, with ``home``, TMP as $HOME; ``chdir`` runs them in TMP."""
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp / "absent.toml")
    if cfg is None:
        monkeypatch.delenv("NETWATCH_CONFIG", raising=False)
    else:
        monkeypatch.setenv("NETWATCH_CONFIG", str(cfg))
    state = tmp / "state"
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(state))
    if home:
        monkeypatch.setenv("HOME", str(tmp))
    if chdir:
        monkeypatch.chdir(tmp)
    return state
