"""The running dashboard's shared parts: the configuration, the page renderer, the sign-in limiter and the speed
test it may be running.

Owns ``Dashboard`` (one per process, kept in the application's state) and ``dashboard(request)``, how a handler
reaches it. Must not handle a request itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

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


def dashboard(request: Request) -> Dashboard:
    board = request.app.state.dashboard
    assert isinstance(board, Dashboard)
    return board
