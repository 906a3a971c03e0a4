"""The running dashboard's shared parts: the configuration, the page renderer, the sign-in limiter, the speed test
it may be running and the lock that lets one document be made at a time.

Owns ``Dashboard`` (one per process, kept in the application's state) and ``dashboard(request)``, how a handler
reaches it. Must not handle a request itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
from starlette.requests import Request

from netwatch.config import Config
from netwatch.web.ratelimit import Limiter
from netwatch.web.speedjob import SpeedJob
from netwatch.web.templating import Pages


@dataclass
class Dashboard:
    """What every handler shares. ``clock`` gives "now" (UTC Unix seconds); ``secure``: served over https."""

    cfg: Config
    pages: Pages
    speed: SpeedJob
    secure: bool = False
    limiter: Limiter = field(default_factory=Limiter)
    clock: Callable[[], float] = time.time
    documents: anyio.Semaphore = field(default_factory=lambda: anyio.Semaphore(1))  # one document (child) at a time


def dashboard(request: Request) -> Dashboard:
    board = request.app.state.dashboard
    assert isinstance(board, Dashboard)
    return board
