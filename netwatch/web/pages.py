"""The dashboard's pages: Now, a day, the outages of a month, one incident, a month's figures, and Act.

Owns what each page asks the application for (the same operations as the command line: ``app.now``,
``app.status``, ``app.reports.build``, ``app.incidents``, ``app.tickets``) and the context its template gets,
including the report's own context where a page includes the report's parts (summary cards, the day-by-day
timeline, the charts, the claims). Reading a page's address (a day, a month, a cause) is here too: a bad one is a
page that says what to write instead. Handlers are plain functions: Starlette runs them in its (small) thread
pool, where the store's blocking reads belong. Must not record anything (``actions`` does).
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from netwatch.app import documents, incidents, now, reports, settings, status, stores, tickets
from netwatch.config.records import Config
from netwatch.core.calendar import local_date
from netwatch.core.model import Cause, Incident, Kind, LineNow, LineState
from netwatch.core.nameservice import Resolver
from netwatch.core.text import (
    iso_month,
    local_time,
    month_long,
    month_short,
    short_when,
    weekday_date,
    weekday_long,
)
from netwatch.core.when import EARLIEST, too_old
from netwatch.errors import NetwatchError, ReportError
from netwatch.report import now as words
from netwatch.report import view
from netwatch.report.render import html_context
from netwatch.report.tickets import Standing, TicketFigures, standing_of
from netwatch.web.dashboard import Dashboard, dashboard
from netwatch.web.layout import page
from netwatch.web.session import draft

_MONTH = re.compile(r"\d{4}-\d{2}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
RECENT = 5
# Incidents the Act page looks back over for the provider's last outage: a run of the owner's own (a flaky router)
# must not hide it.
TOLD_BACK = 50
EARLIEST_AT = datetime.combine(EARLIEST, time(0), tzinfo=UTC).timestamp()


class BadAddress(NetwatchError):
    """A page's address names no day, month or incident: the page says what to write, under ``heading``."""

    def __init__(self, text: str, heading: str = "That address is not valid") -> None:
        super().__init__(text)
        self.heading = heading


DAY_NOT_VALID = "That date is not valid"
MONTH_NOT_VALID = "That month is not valid"


def no_such_day(text: str) -> str:
    """Why ``text`` (YYYY-MM-DD in form) names no day of the calendar: the month that has no such day, or the
    month number that does not exist."""
    year, month, day = int(text[:4]), int(text[5:7]), int(text[8:10])
    if not 1 <= month <= 12:
        return f'"{text}" is not a day of the calendar: there is no month {month} (months go from 01 to 12)'
    days = calendar.monthrange(year, month)[1]
    if day == 0:
        return f'"{text}" is not a day of the calendar: days of the month go from 01 to {days}'
    return f'"{text}" is not a day of the calendar: {month_long(date(year, month, 1))} has {days} days'


def message(request: Request, title: str, text: str, status_code: int) -> HTMLResponse:
    return page(request, "message.html.j2", {"title": title, "message": text}, status_code=status_code)


# --- Now -------------------------------------------------------------------------------------------------------


def now_context(board: Dashboard) -> dict[str, Any]:
    """Everything the Now page shows, at the dashboard's "now" (also what its live updates render)."""
    cfg = board.cfg
    at = board.clock()
    line = now.line_now(cfg, at)
    snapshot = status.snapshot(cfg, at, RECENT) if stores.recorded(cfg) else None
    open_tickets = snapshot.open_tickets if snapshot is not None else ()
    recent = snapshot.recent_incidents if snapshot is not None else ()
    zone = cfg.business_hours.timezone
    down = line.state is LineState.DOWN
    resolver = _resolver(cfg, line.outage, line) if down else None
    tolls = [(i, words.so_far(i, at, cfg.business_hours, cfg.cost.hourly)) for i in line.open_incidents]
    return {
        "line": line,
        "state": line.state.value.replace(" ", "-"),
        "detail": words.detail(line, cfg.detect.confirm, zone, settings.start_command()),
        "layers": words.layers(line.last_round),
        "tolls": tolls if line.running else [],
        "currency": cfg.cost.currency,
        "hourly": cfg.cost.hourly,
        "tickets": [(s.ticket, _said(s, at)) for s in tickets.standing(cfg, open_tickets, at)],
        "facts": words.isp_facts(line, line.outage, open_tickets, cfg.probe.interval, zone, resolver) if down else [],
        "before_calling": words.before_calling(line, zone, resolver),
        "recent": recent,
        "now": at,
        "interval": cfg.probe.interval,
    }


def title_of(context: dict[str, Any]) -> str:
    """The browser tab's title: the state first, so that a glance at the tab tells it."""
    line = context["line"]
    return f"{words.NAMES[line.state]} · netwatch"


def now_page(request: Request) -> Response:
    context = now_context(dashboard(request))
    return page(request, "now.html.j2", {**context, "title": title_of(context), "page": "now"})


# --- a day, a month ------------------------------------------------------------------------------------------


def parse_day(text: str) -> date:
    if not _DAY.fullmatch(text):
        raise BadAddress(f'"{text}" is not a day: write it as YYYY-MM-DD, e.g. /day/2026-03-24', DAY_NOT_VALID)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadAddress(no_such_day(text), DAY_NOT_VALID) from None
    if day < EARLIEST:
        raise BadAddress(too_old(text), DAY_NOT_VALID)
    return day


def parse_month(text: str | None, today: date) -> date:
    """The first day of the month ``text`` ("2026-03") names; this month without one."""
    if not text:
        return today.replace(day=1)
    if not _MONTH.fullmatch(text):
        raise BadAddress(f'"{text}" is not a month: write it as YYYY-MM, e.g. ?month=2026-03', MONTH_NOT_VALID)
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12:
        raise BadAddress(
            f'"{text}" is not a month of the calendar: there is no month {month} (months go from 01 to 12)',
            MONTH_NOT_VALID,
        )
    if date(year, month, 1) < EARLIEST:
        raise BadAddress(too_old(text), MONTH_NOT_VALID)
    return date(year, month, 1)


def today(board: Dashboard) -> date:
    return local_date(board.clock(), board.cfg.business_hours.timezone)


@dataclass(frozen=True)
class Month:
    first: date
    last: date

    @property
    def label(self) -> str:
        return month_long(self.first)

    @property
    def key(self) -> str:
        return iso_month(self.first)

    @property
    def previous(self) -> str:
        return iso_month(self.first - timedelta(days=1))

    @property
    def next(self) -> str:
        return iso_month(self.last + timedelta(days=1))

    @property
    def previous_label(self) -> str:
        return month_short(self.first - timedelta(days=1))

    @property
    def next_label(self) -> str:
        return month_short(self.last + timedelta(days=1))


def month_of(first: date) -> Month:
    return Month(first, first.replace(day=calendar.monthrange(first.year, first.month)[1]))


def report_context(board: Dashboard, since: date, until: date) -> dict[str, Any]:
    """The report of the local days [since, until] (clipped to now) and the report's template context; before
    anything is recorded, that of a period nothing was monitored in, and ``nothing_yet`` says so."""
    cfg = board.cfg
    at = board.clock()
    first, last = since.isoformat(), until.isoformat()
    recorded = stores.recorded(cfg)
    if recorded:
        built = reports.build(cfg, since=first, until=last, now=at, witness=False)
    else:
        built = reports.unrecorded(cfg, first, last, at)
    context = html_context(
        built.report,
        business=cfg.business_hours,
        owner=cfg.owner,
        plan=cfg.plan,
        title=cfg.report.title,
        generated_at=at,
    )
    return {
        **context,
        "warnings": built.warnings,
        "nothing_yet": "" if recorded else words.nothing_yet(settings.start_command()),
    }


def day_page(request: Request) -> Response:
    board = dashboard(request)
    current = today(board)
    text = request.path_params.get("day") or request.query_params.get("date")
    day = parse_day(text) if text else current
    if day > current:
        return message(request, "Not yet", f"{weekday_long(day)} has not begun yet: nothing is recorded.", 404)
    context = report_context(board, day, day)
    extra = {
        "title": f"{weekday_date(day)} · netwatch",
        "page": "day",
        "day": day,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1) if day < current else None,
        "is_today": day == current,
    }
    return page(request, "day.html.j2", {**context, **extra})


CAUSE_FILTERS = tuple((c.value, c) for c in view.CAUSES)  # every cause, in the timeline's order


def history_page(request: Request) -> Response:
    board = dashboard(request)
    current = today(board)
    month = month_of(parse_month(request.query_params.get("month"), current))
    if month.first > current:
        return message(request, "Not yet", f"{month.label} has not begun yet: nothing is recorded.", 404)
    chosen = request.query_params.get("cause") or ""
    if chosen and chosen not in dict(CAUSE_FILTERS):
        raise BadAddress(f'"{chosen}" is not a cause: use one of {", ".join(dict(CAUSE_FILTERS))}, or none for all')
    context = report_context(board, month.first, month.last)
    report = context["report"]
    outages = [f for f in report.outages if not chosen or f.incident.cause.value == chosen]
    extra = {
        "title": f"Outages {month.label} · netwatch",
        "page": "history",
        "month": month,
        "is_current": month.first == current.replace(day=1),
        "cause": chosen,
        "cause_filters": CAUSE_FILTERS,
        "listed": outages,
        "listed_seconds": sum(f.seconds for f in outages),
        "listed_business": sum(f.business_seconds for f in outages),
    }
    return page(request, "history.html.j2", {**context, **extra})


def month_page(request: Request) -> Response:
    board = dashboard(request)
    current = today(board)
    month = month_of(parse_month(request.query_params.get("month"), current))
    if month.first > current:
        return message(request, "Not yet", f"{month.label} has not begun yet: nothing is recorded.", 404)
    context = report_context(board, month.first, month.last)
    extra = {
        "title": f"{month.label} · netwatch",
        "page": "month",
        "month": month,
        "is_current": month.first == current.replace(day=1),
    }
    return page(request, "month.html.j2", {**context, **extra}, forms=True)


def incident_page(request: Request) -> Response:
    board = dashboard(request)
    try:
        kind = Kind(request.path_params["kind"])
    except ValueError:
        raise BadAddress(
            f'"{request.path_params["kind"]}" is not a kind of incident: outage, degraded or slow'
        ) from None
    key = request.path_params["start"]
    at = board.clock()
    start = key / 1000.0
    if not EARLIEST_AT <= start <= at + 86400.0:  # a key no incident can have: the link is wrong
        raise BadAddress(f'"{key}" is not the start of an incident (milliseconds since 1970): the link is wrong')
    try:
        found = incidents.find(board.cfg, kind, start, at)
    except ReportError as err:
        return message(request, "No such incident", str(err), 404)
    cfg = board.cfg
    context = html_context(
        found.report,
        business=cfg.business_hours,
        owner=cfg.owner,
        plan=cfg.plan,
        title=cfg.report.title,
        generated_at=at,
    )
    inc = found.figures.incident
    zone = cfg.business_hours.timezone
    toll = words.so_far(inc, found.figures.end, cfg.business_hours, cfg.cost.hourly)
    extra = {
        "title": f"{kind.value.capitalize()} of {short_when(inc.start, zone)} · netwatch",
        "day_key": local_time(inc.start, zone, "iso_date"),
        "page": "history",
        "f": found.figures,
        "inc": inc,
        "toll": toll,
        "traces": found.report.evidence.traces_of(inc),
        "currency": cfg.cost.currency,
        "covering": [t for t in found.report.claims.tickets if any(o.start == inc.start for o in t.outages)],
    }
    return page(request, "incident.html.j2", {**context, **extra})


# --- Act -------------------------------------------------------------------------------------------------------


MONTHS_OFFERED = 12  # the documents of older months are made with `netwatch report` and `netwatch evidence`


def act_context(board: Dashboard) -> dict[str, Any]:
    cfg = board.cfg
    at = board.clock()
    recorded = stores.recorded(cfg)
    listed = tickets.list_tickets(cfg, at) if recorded else ()
    line = now.line_now(cfg, at)
    snapshot = status.snapshot(cfg, at, TOLD_BACK) if recorded else None
    recent = snapshot.recent_incidents if snapshot is not None else ()
    open_tickets = [f.ticket for f in listed if f.ticket.is_open]
    zone = cfg.business_hours.timezone
    recorded_months = documents.months_recorded(cfg, at)
    resolver_of = functools.cache(lambda outage: _resolver(cfg, outage, line))  # each outage's read once
    told = words.told_outage(line, recent, resolver_of)
    told_resolver = resolver_of(told)
    open_resolver = resolver_of(line.outage)
    return {
        "line": line,
        "listed": listed,
        "deadlines": {f.ticket.ref: _said(_standing(cfg, f), at) for f in listed if f.ticket.is_open},
        "facts": words.isp_facts(line, told, open_tickets, cfg.probe.interval, zone, told_resolver),
        "told_ended": told is not None and told.end is not None,
        "before_calling": words.before_calling(line, zone, open_resolver),
        "speed": board.speed.progress,
        "channels": tickets.CHANNELS,
        "months": [month_of(first) for first in recorded_months[:MONTHS_OFFERED]],
        "older_months": len(recorded_months) > MONTHS_OFFERED,
        "max_ref": tickets.MAX_REF,
    }


def act_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    choices: dict[str, tuple[tuple[str, float], ...]] | None = None,
    kept: dict[str, str] | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    """The Act page; after a write, with what was ``done``, or a form's error and the values sent back (with
    ``choices``: the instants, with their offsets, a field's local time may mean, to choose from)."""
    context = act_context(dashboard(request))
    extra = {
        "title": "Act · netwatch",
        "page": "act",
        "errors": errors or {},
        "values": values or {},
        "choices": choices or {},
        "kept": kept or {},
        "done": done,
    }
    return page(request, "act.html.j2", {**context, **extra}, status_code=status_code, forms=True)


DONE = "done"  # the session key of what the last write recorded, shown once on the Act page after its redirect
KEPT = "You are signed in: what you typed is back in the form. Check it and send it again; nothing was recorded yet."


def act(request: Request) -> Response:
    """The Act page; after a write, with what was recorded; after signing in to send a form, with what was typed
    into it put back (``auth.keep``), to be checked and sent again."""
    done = request.session.pop(DONE, "") if DONE in request.session else ""
    kept = draft(request)
    if kept is not None:
        form, values, whole = kept
        note = KEPT if whole else f"{KEPT} The note was too long to keep: type it again."
        return act_page(request, values=values, kept={form: note})
    return act_page(request, done=done if isinstance(done, str) else "")


def _resolver(cfg: Config, outage: Incident | None, line: LineNow) -> Resolver | None:
    """Whose resolvers a dns ``outage``'s names failed on (None for any other outage: no store read)."""
    if outage is None or outage.cause is not Cause.DNS:
        return None
    return status.resolvers_at(cfg, outage.start, line)


def _standing(cfg: Config, figures: TicketFigures) -> Standing:
    return standing_of(figures, reports.deadlines_of(cfg, figures.ticket), cfg.business_hours.timezone)


def _said(standing: Standing, at: float) -> list[str]:
    """An open ticket's deadlines as the pages say them, or that the line came back before compensation would
    start (then its deadlines would mislead)."""
    if standing.back:
        return [f"{standing.back[:1].upper()}{standing.back[1:]}: close the ticket"]
    return [words.deadline_text(d, at) for d in standing.deadlines]
