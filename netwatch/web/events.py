"""The dashboard's live updates: Server-Sent Events for the Now page and for a running speed test.

Owns the two streams. Each is an async generator (an open stream never holds one of the few worker threads) that
renders its part of the page in a worker thread every ``TICK_S`` and sends it only when it changed, as
``event: <name>`` with ``{"html": …, "title": …}``, or ``{"error": …}`` while rendering fails (the stream goes
on, and an unexpected failure is logged once, when it begins); a comment every ``KEEPALIVE_S`` keeps proxies from
closing an idle stream. The Now stream follows the daemon's live file, so the page is at most a tick behind the
daemon's last round. Must not decide what the parts show: ``pages.now_context`` and the templates do.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import StreamingResponse

from netwatch.errors import NetwatchError
from netwatch.web import pages
from netwatch.web.dashboard import dashboard

log = logging.getLogger("netwatch")

TICK_S = 0.5
KEEPALIVE_S = 15.0
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def _stream(request: Request, name: str, render: Callable[[], tuple[dict[str, Any], bool]]) -> AsyncIterator[str]:
    """Send ``render()``'s document whenever it changes, until the client goes or ``render`` says it is the last."""
    last: dict[str, Any] | None = None
    quiet_since = time.monotonic()
    failing = False  # a failure is logged once, when it begins, not at every tick it lasts
    while not await request.is_disconnected():
        try:
            data, final = await to_thread.run_sync(render)
            failing = False
        except NetwatchError as err:
            data, final = {"html": "", "error": str(err)}, False
        except Exception as err:
            if not failing:
                log.error("dashboard: the %s stream failed", name, exc_info=err)
            failing = True
            data, final = (
                {"html": "", "error": f"internal error: {err!r} (the log has the details; please report it)"},
                False,
            )
        if data != last:
            yield _event(name, data)
            last, quiet_since = data, time.monotonic()
        elif time.monotonic() - quiet_since >= KEEPALIVE_S:
            yield ": still here\n\n"
            quiet_since = time.monotonic()
        if final:
            return
        await anyio.sleep(TICK_S)


async def now_events(request: Request) -> StreamingResponse:
    board = dashboard(request)

    def render() -> tuple[dict[str, Any], bool]:
        context = pages.now_context(board)
        html = board.pages.render("now_live.html.j2", context)
        return {"html": html, "title": pages.title_of(context), "state": context["state"]}, False

    return StreamingResponse(_stream(request, "now", render), media_type="text/event-stream", headers=HEADERS)


async def speed_events(request: Request) -> StreamingResponse:
    board = dashboard(request)

    def render() -> tuple[dict[str, Any], bool]:
        progress = board.speed.progress
        html = board.pages.render("speed_live.html.j2", {"speed": progress, "now": board.clock()})
        return {"html": html, "done": progress is None or progress.done}, progress is None or progress.done

    return StreamingResponse(_stream(request, "speed", render), media_type="text/event-stream", headers=HEADERS)
