"""What the dashboard records: a fault ticket opened, closed or given a missed appointment, and a speed test run.

Owns the handlers of the Act page's forms: each passes ``auth.allowed`` first (signed in, the session's CSRF token,
same origin), reads its fields (``netwatch.web.forms``), calls the same operation as `netwatch ticket …` or
`netwatch speedtest` (``netwatch.app.tickets``, ``netwatch.web.speedjob``) in a worker thread, and answers with the
Act page: after a write a redirect to it (so that a reload sends nothing twice) with what was recorded; after bad
input the page again with the message beside its form, the values kept, status 400 and nothing written (for a time
that happened twice, with the two times to choose from). Must not
check a value's meaning itself: the application refuses before it writes.
"""

from __future__ import annotations

from collections.abc import Callable

from anyio import to_thread
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from netwatch.app import tickets
from netwatch.core.model import Ticket
from netwatch.core.text import local
from netwatch.errors import InputError, StoreError, TimeTwice
from netwatch.web import forms
from netwatch.web.auth import allowed
from netwatch.web.dashboard import dashboard
from netwatch.web.pages import DONE, act_page
from netwatch.web.session import keep


async def _record(
    request: Request, name: str, fields: Callable[[FormData], dict[str, str]], work: Callable[..., str]
) -> Response:
    """Gate, read, record in a worker thread; the Act page with the outcome. A GET (the form's address followed
    from somewhere) goes to the form on its page."""
    if request.method != "POST":
        return RedirectResponse(f"/act#{name}", status_code=303)
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str) and key != "csrf"}
    refused = allowed(request, form, f"/act#{name}")
    if refused is not None:
        if isinstance(refused, RedirectResponse):  # to the sign-in page: what was typed waits there
            keep(request, name, values)
        return refused
    choices: dict[str, tuple[tuple[str, float], ...]] = {}
    try:
        read = fields(form)
        done = await to_thread.run_sync(lambda: work(**read))
    except InputError as err:
        problem, code = forms.worded(err), 400
        if isinstance(err, TimeTwice) and err.field is not None:
            choices[err.field] = err.choices
    except StoreError as err:
        problem, code = f"Not recorded: {err}", 503
    else:
        request.session[DONE] = done
        return RedirectResponse(f"/act#{name}", status_code=303)
    return await to_thread.run_sync(
        lambda: act_page(request, errors={name: problem}, values=values, choices=choices, status_code=code)
    )


async def open_ticket(request: Request) -> Response:
    board = dashboard(request)
    zone = board.cfg.business_hours.timezone

    def fields(form: FormData) -> dict[str, str]:
        channel = forms.text(form, "channel")
        if channel and channel not in tickets.CHANNELS:
            raise InputError(f"{channel!r} is not one of {', '.join(tickets.CHANNELS)}", "channel")
        return {
            "ref": forms.text(form, "ref"),
            "reported": forms.when(form, "reported"),
            "channel": channel,
            "note": forms.text(form, "note"),
        }

    def work(ref: str, reported: str, channel: str, note: str) -> str:
        made: Ticket = tickets.open_ticket(board.cfg, ref, reported, channel or None, note, board.clock())
        return f"Ticket {made.ref} opened: reported {local(made.reported, zone)}."

    return await _record(request, "open", fields, work)


async def close_ticket(request: Request) -> Response:
    board = dashboard(request)
    zone = board.cfg.business_hours.timezone

    def fields(form: FormData) -> dict[str, str]:
        return {"ref": forms.text(form, "ref"), "fixed": forms.when(form, "fixed")}

    def work(ref: str, fixed: str) -> str:
        done = tickets.close_ticket(board.cfg, ref, fixed, board.clock())
        return f"Ticket {done.ref} closed: repaired {local(done.fixed or done.reported, zone)}."

    return await _record(request, "close", fields, work)


async def missed(request: Request) -> Response:
    board = dashboard(request)
    zone = board.cfg.business_hours.timezone

    def fields(form: FormData) -> dict[str, str]:
        return {"ref": forms.text(form, "ref"), "when": forms.when(form, "at", empty="")}

    def work(ref: str, when: str) -> str:
        found = tickets.missed_appointment(board.cfg, ref, when, board.clock())
        at = local(found.at, zone)
        if found.already:
            return f"Ticket {found.ticket.ref}: the appointment of {at} was recorded already."
        return f"Ticket {found.ticket.ref}: missed appointment {at} recorded."

    return await _record(request, "missed", fields, work)


async def speedtest(request: Request) -> Response:
    """Start the dashboard's speed test; a page's script asks for JSON, a plain form gets the Act page."""
    if request.method != "POST":
        return RedirectResponse("/act#speed", status_code=303)
    form = await request.form()
    refused = allowed(request, form, "/act#speed")
    if refused is not None:
        return refused
    started = dashboard(request).speed.start()
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"started": started}, status_code=202 if started else 409)
    return RedirectResponse("/act#speed", status_code=303)
