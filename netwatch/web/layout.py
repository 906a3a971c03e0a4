"""What every dashboard page has around its content: the navigation, who is signed in (and so whether fault
tickets' notes show), the CSRF token of its forms, and the evidence chain's newest seal at the foot.

Owns ``page`` (a template rendered with that frame into a response) and ``fragment`` (a part of a page, for the live
updates). Must not decide what a page shows: the handlers pass their context.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from netwatch.app import status
from netwatch.errors import StoreError
from netwatch.web.dashboard import dashboard
from netwatch.web.session import csrf_token, signed_in

NAV = (
    ("now", "/", "Now"),
    ("day", "/day", "Day"),
    ("history", "/history", "Outages"),
    ("month", "/month", "Month"),
    ("act", "/act", "Act"),
)


def frame(request: Request, *, forms: bool = False) -> dict[str, Any]:
    """The context every page shares; ``forms``: the page has forms (their CSRF token is made if missing)."""
    board = dashboard(request)
    signed = signed_in(request)
    try:
        seal = status.newest_seal(board.cfg)
    except StoreError:
        seal = None
    return {
        "request_path": request.url.path,
        "nav": NAV,
        "signed_in": signed,
        "ticket_notes": signed,  # a ticket's note may name people and promises: only for the signed-in owner
        "notes_shared": board.cfg.report.ticket_notes,  # [report] ticket_notes: also in the provider's documents
        "csrf": csrf_token(request) if signed or forms else "",
        "seal": seal,
        "now": board.clock(),
    }


def page(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200, forms: bool = False
) -> HTMLResponse:
    board = dashboard(request)
    html = board.pages.render(template, {**frame(request, forms=forms), **context})
    return HTMLResponse(html, status_code=status_code)
