"""What a dashboard session holds and proves.

Owns the session's contents (``{"user", "epoch", "csrf"}``, and for a moment the ``draft`` of a form sent while
signed out: ``keep`` and ``draft``), in Starlette's signed, HttpOnly, SameSite=Strict cookie (signed, not encrypted,
so nothing secret goes in), whether a request is signed in (the epoch of the password it signed in with must be the
current one: `netwatch web passwd` signs everyone out), the synchronizer CSRF token (in the session, sent back in
every form, compared in constant time) and the same-origin check of the browser's Origin and Sec-Fetch-Site
headers. Must not render or record anything.
"""

from __future__ import annotations

import hmac
import json
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request

from netwatch.app import access
from netwatch.errors import WebError
from netwatch.web.dashboard import dashboard

USER = "owner"
CSRF_FIELD = "csrf"
DRAFT = "draft"  # what was typed into a form sent while signed out, put back after signing in
DRAFT_MOST = 2400  # characters of JSON: the session cookie must stay under the 4 KB browsers keep


def signed_in(request: Request) -> bool:
    """Whether the request carries a session signed in under the current password."""
    session = request.session
    if session.get("user") != USER:
        return False
    try:
        stored = access.stored_hash(dashboard(request).cfg)
    except WebError:
        return False
    return stored is not None and hmac.compare_digest(str(session.get("epoch", "")), access.epoch(stored))


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def same_origin(request: Request) -> bool:
    """A browser's write comes from the dashboard's own pages: Sec-Fetch-Site is not cross-site, and an Origin
    header, when sent, names this host."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == request.headers.get("host", "")


def csrf_ok(request: Request, form: FormData) -> bool:
    """The form (or the X-CSRF-Token header) carries the session's token, and the request is same-origin."""
    expected = request.session.get(CSRF_FIELD)
    sent = form.get(CSRF_FIELD) or request.headers.get("x-csrf-token") or ""
    if not isinstance(expected, str) or not isinstance(sent, str) or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode()) and same_origin(request)


def keep(request: Request, form: str, values: dict[str, str]) -> bool:
    """Keep what was typed into ``form`` in the session, to be put back once signed in; False when it is too long
    for the session cookie (the note is then left out)."""
    whole = len(json.dumps(values)) <= DRAFT_MOST
    kept = values if whole else {k: v for k, v in values.items() if k != "note"}
    request.session[DRAFT] = {"form": form, "values": kept, "whole": whole}
    return whole


def draft(request: Request) -> tuple[str, dict[str, str], bool] | None:
    """What was typed into a form before signing in (its name, its values, whether all of it was kept), once."""
    found = request.session.pop(DRAFT, None)
    if not isinstance(found, dict) or not isinstance(found.get("values"), dict):
        return None
    values = {str(k): str(v) for k, v in found["values"].items()}
    return str(found.get("form", "")), values, bool(found.get("whole"))
