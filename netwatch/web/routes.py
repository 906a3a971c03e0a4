"""The dashboard as an ASGI application: its addresses, the session cookie, the headers every answer carries, and
what an error looks like.

Owns ``application``: the routes (pages, forms, live streams, JSON feeds, downloads, static files, the web app
manifest and the report's stylesheet), Starlette's signed session cookie (HttpOnly, SameSite=Strict, Secure over
https, ``SESSION_HOURS`` long, signed with the key of ``netwatch.app.access``), security headers (a Content
Security Policy that allows nothing from elsewhere and no inline script, no framing, no referrer to other sites),
errors as pages (a bad address says what to write; a failure says what failed, never a traceback), and the worker
pool's size (``THREADS``: each thread costs memory on a Pi, and a stream never holds one). Must not handle a page
itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from anyio import to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netwatch import __version__
from netwatch.app import access
from netwatch.config import Config
from netwatch.errors import InputError, NetwatchError
from netwatch.web import actions, api, auth, downloads, events, pages
from netwatch.web.dashboard import Dashboard
from netwatch.web.speedjob import SpeedJob
from netwatch.web.templating import STATIC, Pages

log = logging.getLogger("netwatch")

# One worker thread: a page takes tens of milliseconds, the live streams and downloads hold none, the speed test has
# its own; every further thread raised the process's peak memory by a few MB (benchmarks/bench_web.py) on a Pi.
THREADS = 1
SESSION_HOURS = 12
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    # Not "no-referrer": with it, browsers send "Origin: null" on the dashboard's own form posts, which the CSRF
    # check must refuse (a page elsewhere, a data: URL, sends that too).
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


_LIBC = ctypes.util.find_library("c")
_TRIM = getattr(ctypes.CDLL(_LIBC), "malloc_trim", None) if _LIBC else None


def give_back() -> None:
    """Return the memory a page freed to the system (glibc keeps it otherwise): a page's report is built and
    dropped, and the Pi's memory is the budget (60 MB)."""
    if _TRIM is not None:
        _TRIM(0)


class SecurityHeaders:
    """Adds ``HEADERS`` to every answer, and ``Cache-Control: no-store`` to all but static files (a page shows the
    line's state now; a shared browser must not keep one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in HEADERS if name not in names]
                if not static and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
        if not static:
            give_back()


def manifest(request: Request) -> JSONResponse:
    """The web app manifest: the dashboard installs on a phone's home screen."""
    board: Dashboard = request.app.state.dashboard
    doc: dict[str, Any] = {
        "name": "netwatch: your internet line",
        "short_name": "netwatch",
        "description": "Is the line down, since when, whose fault, and what to tell the ISP.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f4e79",
        "icons": [
            {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml"},
        ],
        "lang": "en",
        "id": f"/?netwatch={board.cfg.web.listen}",
    }
    return JSONResponse(doc, media_type="application/manifest+json")


def report_css(request: Request) -> Response:
    """The HTML report's stylesheet, for the pages that include the report's parts."""
    board: Dashboard = request.app.state.dashboard
    css = board.pages.render("_style.css.j2", {"title": "netwatch", "period_text": ""})
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


async def not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "no such address"}, status_code=status)
    text = "There is no page at this address." if status == 404 else "This address does not take that request."
    return await to_thread.run_sync(lambda: pages.message(request, "Not here", text, status))


async def failed(request: Request, exc: Exception) -> Response:
    """A netwatch error is said as it is (a bad address or a value in it: 400; the store or a report: 500); anything
    else is a bug, logged with its traceback and shown as one line."""
    heading = "Something went wrong"
    if isinstance(exc, pages.BadAddress):
        status, text, heading = 400, str(exc), exc.heading
    elif isinstance(exc, InputError):
        status, text, heading = 400, str(exc), "That request is not valid"
    elif isinstance(exc, NetwatchError):
        status, text = 500, str(exc)
    else:
        log.error("dashboard: %s %s failed", request.method, request.url.path, exc_info=exc)
        status, text = 500, f"internal error: {exc!r} (the log has the details; please report it)"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": text}, status_code=status)
    return await to_thread.run_sync(lambda: pages.message(request, heading, text, status))


def application(
    cfg: Config,
    *,
    secure: bool = False,
    speed: SpeedJob | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The dashboard for ``cfg``; ``secure``: served over https (the session cookie is then Secure). ``speed`` and
    ``clock`` are the speed test runner and "now" (tests hand in their own)."""
    board = Dashboard(cfg, Pages(cfg), speed or SpeedJob(cfg), secure=secure, clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield

    routes = [
        Route("/", pages.now_page),
        Route("/day", pages.day_page),
        Route("/day/{day}", pages.day_page),
        Route("/history", pages.history_page),
        Route("/incident/{kind}/{start:int}", pages.incident_page),
        Route("/month", pages.month_page),
        Route("/act", pages.act),
        Route("/act/ticket", actions.open_ticket, methods=["GET", "POST"]),
        Route("/act/close", actions.close_ticket, methods=["GET", "POST"]),
        Route("/act/missed", actions.missed, methods=["GET", "POST"]),
        Route("/act/speedtest", actions.speedtest, methods=["GET", "POST"]),
        Route("/events/now", events.now_events),
        Route("/events/speedtest", events.speed_events),
        Route("/api/status", api.api_status),
        Route("/api/incidents", api.api_incidents),
        Route("/download/{month}/{name}", downloads.download),
        Route("/login", auth.login, methods=["GET", "POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/manifest.webmanifest", manifest),
        Route("/static/report.css", report_css),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=access.session_key(cfg).hex(),
            session_cookie="netwatch_session",
            max_age=SESSION_HOURS * 3600,
            same_site="strict",
            https_only=secure,
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={404: not_found, 405: not_found, NetwatchError: failed, Exception: failed},
    )
    app.state.dashboard = board
    app.state.version = __version__
    return app
