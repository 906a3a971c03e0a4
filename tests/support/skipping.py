"""Whether a test may skip: under CI a missing requirement is a failure, elsewhere a skip with the reason.

Owns reading ``$CI`` and turning "this machine lacks X" into a skip or a failure. Must not decide what a test
needs (each test or fixture names its own requirement) and must not install anything.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> NoReturn:
    """Skip for ``reason``; under CI (``$CI`` set) fail instead: CI has everything, so a skip would hide a gap."""
    if in_ci():
        pytest.fail(f"{reason}; CI is set, so this is a failure rather than a skip", pytrace=False)
    pytest.skip(reason)


def need(tool: str, hint: str = "./bootstrap test installs it") -> str:
    """The path of ``tool`` on PATH, or ``unavailable``."""
    found = shutil.which(tool)
    if found is None:
        unavailable(f"needs {tool} ({hint})")
    return found
