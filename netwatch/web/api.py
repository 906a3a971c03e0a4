"""The dashboard's JSON feeds, for Home Assistant, homepage widgets and scripts: ``/api/status`` and
``/api/incidents`` (README "Web dashboard" documents both).

Owns their addresses' parameters and errors (``{"error": …}`` with status 400). ``/api/status`` is the line's state
now (``netwatch.report.now.status_json``); ``/api/incidents`` the incidents of a period exactly as the JSON report
lists them, with the period and its coverage (``netwatch.report.jsonout``). Both are read-only and open without
signing in: they hold no name, address or account. Must not compute a figure itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse

from netwatch.app import now, reports, status
from netwatch.core.model import Cause, Kind
from netwatch.errors import NetwatchError
from netwatch.report import now as words
from netwatch.report.jsonout import incident_json, to_json
from netwatch.web.dashboard import dashboard

HEADERS = {"Cache-Control": "no-store"}
DEFAULT_DAYS = 7


def api_status(request: Request) -> JSONResponse:
    board = dashboard(request)
    cfg = board.cfg
    at = board.clock()
    try:
        line = now.line_now(cfg, at)
        snapshot = status.snapshot(cfg, at, 0) if cfg.store.path.exists() else None
    except NetwatchError as err:
        return JSONResponse({"error": str(err)}, status_code=503, headers=HEADERS)
    open_tickets = snapshot.open_tickets if snapshot is not None else ()
    doc = words.status_json(
        line,
        business=cfg.business_hours,
        hourly=cfg.cost.hourly,
        currency=cfg.cost.currency,
        tickets=[(t, reports.deadlines_of(cfg, t)) for t in open_tickets],
        seal=snapshot.seal if snapshot is not None else None,
    )
    return JSONResponse(doc, headers=HEADERS)


def api_incidents(request: Request) -> JSONResponse:
    """?since=WHEN&until=WHEN (default: the last 7 days to now) &kind=outage|degraded|slow &cause=isp|…"""
    board = dashboard(request)
    cfg = board.cfg
    params = request.query_params
    kind, cause = params.get("kind"), params.get("cause")
    if kind is not None and kind not in {k.value for k in Kind}:
        return _bad(f'kind: "{kind}" is not one of {", ".join(k.value for k in Kind)}')
    if cause is not None and cause not in {c.value for c in Cause}:
        return _bad(f'cause: "{cause}" is not one of {", ".join(c.value for c in Cause)}')
    at = board.clock()
    since = params.get("since") or None
    until = params.get("until") or None
    try:
        if since is None:
            since = _days_ago(at, cfg.business_hours.timezone.key)
        built = reports.build(cfg, since=since, until=until, now=at, witness=False)
    except NetwatchError as err:
        return _bad(str(err).replace("--since", "since").replace("--until", "until"))
    report = built.report
    doc = to_json(report)
    listed = [
        incident_json(f, report)
        for f in report.incidents
        if (kind is None or f.incident.kind.value == kind) and (cause is None or f.incident.cause.value == cause)
    ]
    return JSONResponse({"period": doc["period"], "coverage": doc["coverage"], "incidents": listed}, headers=HEADERS)


def _days_ago(at: float, zone: str) -> str:
    return (datetime.fromtimestamp(at, ZoneInfo(zone)) - timedelta(days=DEFAULT_DAYS)).isoformat(timespec="seconds")


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400, headers=HEADERS)
