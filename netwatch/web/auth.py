"""Signing in to and out of the dashboard, and the gate every write passes.

Owns the sign-in page (rate-limited by ``netwatch.web.ratelimit`` before the password is hashed, the CSRF token
checked first and renewed on success, only a path of this site followed afterwards), signing out, and ``allowed``:
a write goes ahead only with the session's CSRF token from a same-origin page and a signed-in session; otherwise
nothing is recorded. A form sent signed out, or after its session expired, leads to the sign-in page and back to
the form's page, with what was typed kept in the session (``session.keep``) to be put back. What a session holds
is ``netwatch.web.session``'s. Must not record anything: ``actions`` does, after ``allowed`` said yes.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from anyio import to_thread
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from netwatch.app import access
from netwatch.errors import WebError
from netwatch.web.dashboard import Dashboard, dashboard
from netwatch.web.layout import page
from netwatch.web.session import CSRF_FIELD, DRAFT, USER, csrf_ok, same_origin, signed_in

FORBIDDEN = (
    "This form was not sent from this dashboard's page, or it has expired (the page was open from before a "
    "restart or another sign-in): reload the page and send it again. Nothing was recorded."
)


def allowed(request: Request, form: FormData, back: str = "/act") -> Response | None:
    """None when the write may go ahead; else the response that refuses it (nothing is recorded): the sign-in
    page, then ``back`` (the page the form is on: the form's own address takes no GET), when not signed in or when
    the session expired (a page of this site whose session holds no token any more); 403 when the CSRF token or
    the origin is wrong."""
    if not csrf_ok(request, form) and not expired(request):
        return page(request, "message.html.j2", {"title": "Not recorded", "message": FORBIDDEN}, status_code=403)
    if not signed_in(request):
        return RedirectResponse(f"/login?next={quote(back)}", status_code=303)
    return None


def expired(request: Request) -> bool:
    """A write from this site's own page whose session is gone (its cookie outlived ``SESSION_HOURS``): it holds no
    CSRF token to compare. Only the sign-in page follows: nothing is recorded without a token."""
    return CSRF_FIELD not in request.session and same_origin(request)


def _next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_page(request: Request, *, message: str = "", status_code: int = 200) -> Response:
    board = dashboard(request)
    context: dict[str, Any] = {
        "title": "Sign in",
        "message": message,
        "next": _next(request.query_params.get("next")),
        "no_password": _no_password(board),
        "kept": DRAFT in request.session,
    }
    return page(request, "login.html.j2", context, status_code=status_code, forms=True)


def _no_password(board: Dashboard) -> str:
    """Why nobody can sign in, or ""."""
    try:
        stored = access.stored_hash(board.cfg)
    except WebError as err:
        return str(err)
    if stored is None:
        where = board.cfg.web.password_file
        return (
            "No password is set, so nothing can be recorded here yet. On the machine netwatch runs on, run "
            f"`netwatch web passwd` (it writes {where})."
            if where is not None
            else 'Sign-in is switched off (web.password_file = "").'
        )
    return ""


async def login(request: Request) -> Response:
    """GET: the form. POST: check the token, the rate limit, then the password (in a worker thread: hashing takes
    a fraction of a second)."""
    if request.method == "GET":
        return login_page(request)
    board = dashboard(request)
    form = await request.form()
    if not csrf_ok(request, form):
        return login_page(request, message=FORBIDDEN, status_code=403)
    client = request.client.host if request.client else "?"
    wait = board.limiter.wait(client)
    if wait:
        response = login_page(
            request,
            message=f"Too many wrong passwords: try again in {wait} seconds.",
            status_code=429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        stored = access.stored_hash(board.cfg)
    except WebError as err:
        return login_page(request, message=str(err), status_code=503)
    password = form.get("password")
    if stored is None or not isinstance(password, str):
        return login_page(request, message=_no_password(board) or "Type the password.", status_code=400)
    if not await to_thread.run_sync(access.matches, password, stored):
        board.limiter.failed(client)
        return login_page(request, message="That is not the password. Nothing was changed.", status_code=401)
    board.limiter.succeeded(client)
    kept = request.session.get(DRAFT)
    request.session.clear()
    request.session.update({"user": USER, "epoch": access.epoch(stored), CSRF_FIELD: secrets.token_urlsafe(32)})
    if kept is not None:
        request.session[DRAFT] = kept
    target = form.get("next")
    return RedirectResponse(_next(target if isinstance(target, str) else None), status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form):
        return page(request, "message.html.j2", {"title": "Not signed out", "message": FORBIDDEN}, status_code=403)
    request.session.clear()
    return RedirectResponse("/", status_code=303)
