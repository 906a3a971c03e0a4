"""Helpers every test module may use: whether this is CI, skipping (a failure in CI) when a requirement is missing,
and reading datagrams off a socket a test binds."""

from __future__ import annotations

import os
import shutil
import socket
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


def received(sock: socket.socket) -> list[bytes]:
    """Every datagram waiting on ``sock``, without waiting for more."""
    out = []
    while True:
        try:
            out.append(sock.recv(4096, socket.MSG_DONTWAIT))
        except BlockingIOError:
            return out
