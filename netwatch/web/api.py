"""The dashboard's JSON feeds, for Home Assistant, homepage widgets and scripts: ``/api/status`` and
``/api/incidents`` (README "Web dashboard" documents both).

Owns their addresses' parameters and errors (``{"error": …}`` with status 400, naming the parameter). ``/api/status``
is the line's state now (``netwatch.report.now.status_json``); ``/api/incidents`` the incidents of a period of at
most ``MAX_DAYS`` exactly as the JSON report lists them, with the period and its coverage
(``netwatch.report.jsonout``), read alone (``netwatch.app.incidents.listed``); before anything is recorded, an
empty list with a note. Both are read-only and open without signing in: they hold no name, address or account.
Must not compute a figure itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse

from netwatch.app import incidents, now, settings, status, stores, tickets
from netwatch.core.model import Cause, Kind
from netwatch.core.text import iso_local
from netwatch.errors import InputError, NetwatchError, PeriodEmpty
from netwatch.report import now as words
from netwatch.report.jsonout import incident_json, to_json
from netwatch.web.dashboard import dashboard

HEADERS = {"Cache-Control": "no-store"}
DEFAULT_DAYS = 7
MAX_DAYS = 92  # a quarter: what one answer may span, so that anyone on the LAN cannot push the process past its memory


def api_status(request: Request) -> JSONResponse:
    board = dashboard(request)
    cfg = board.cfg
    at = board.clock()
    try:
        line = now.line_now(cfg, at)
        snapshot = status.snapshot(cfg, at, 0) if stores.recorded(cfg) else None
    except NetwatchError as err:
        return JSONResponse({"error": str(err)}, status_code=503, headers=HEADERS)
    open_tickets = snapshot.open_tickets if snapshot is not None else ()
    doc = words.status_json(
        line,
        business=cfg.business_hours,
        hourly=cfg.cost.hourly,
        currency=cfg.cost.currency,
        tickets=tickets.standing(cfg, open_tickets, at),
        seal=snapshot.seal if snapshot is not None else None,
    )
    return JSONResponse(doc, headers=HEADERS)


def api_incidents(request: Request) -> JSONResponse:
    """?since=WHEN&until=WHEN (default: the last 7 days to now; at most ``MAX_DAYS``) &kind=outage|degraded|slow
    &cause=isp|…"""
    board = dashboard(request)
    cfg = board.cfg
    params = request.query_params
    kind, cause = params.get("kind"), params.get("cause")
    if kind is not None and kind not in {k.value for k in Kind}:
        return _bad(f'kind: "{kind}" is not one of {", ".join(k.value for k in Kind)}')
    if cause is not None and cause not in {c.value for c in Cause}:
        return _bad(f'cause: "{cause}" is not one of {", ".join(c.value for c in Cause)}')
    at = board.clock()
    since = params.get("since") or _days_ago(at, cfg.business_hours.timezone.key)
    until = params.get("until") or None
    try:
        chosen = incidents.period_of(cfg, since, until, at)
        if chosen.seconds > MAX_DAYS * 86400:
            return _bad(
                f"the period from {iso_local(chosen.since, cfg.business_hours.timezone.key)} to "
                f"{iso_local(chosen.until, cfg.business_hours.timezone.key)} is longer than {MAX_DAYS} days; ask for "
                f"at most {MAX_DAYS} days at a time (since=… and until=…), or make a report for longer periods"
            )
        report = incidents.listed(cfg, chosen, at)
    except InputError as err:
        return _bad(worded(err))
    except NetwatchError as err:
        return JSONResponse({"error": str(err)}, status_code=503, headers=HEADERS)
    doc = to_json(report)
    listed = [
        incident_json(f, report)
        for f in report.incidents
        if (kind is None or f.incident.kind.value == kind) and (cause is None or f.incident.cause.value == cause)
    ]
    found: dict[str, Any] = {"period": doc["period"], "coverage": doc["coverage"], "incidents": listed}
    if not stores.recorded(cfg):
        found["note"] = words.nothing_yet(settings.start_command())
    return JSONResponse(found, headers=HEADERS)


def worded(err: InputError) -> str:
    """``err`` as this feed says it: behind the name of the parameter it is about ("since: …")."""
    said = str(err)
    if isinstance(err, PeriodEmpty):  # in this feed's own names for its parameters
        said = err.said("since", "until")
    return f"{err.field}: {said}" if err.field else said


def _days_ago(at: float, zone: str) -> str:
    return (datetime.fromtimestamp(at, ZoneInfo(zone)) - timedelta(days=DEFAULT_DAYS)).isoformat(timespec="seconds")


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400, headers=HEADERS)
