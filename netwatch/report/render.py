"""Rendering reports with Jinja2: the HTML evidence report and the Markdown complaint letter.

Owns the template environment (the user's template directory first, then the built-in ``templates/``), its filters
(from ``netwatch.core.text``), escaping (HTML autoescape; Markdown escaping of every value a template prints), what
the templates are given (the report, the pictures of ``view`` and ``speedview``, the letter's details of
``letter``), and translating template errors into :class:`ReportError` with the file, the line and a fix. Must not
compute figures (``compute`` does), read the clock (``generated_at`` is passed in) or write files
(``netwatch.app.documents`` does, atomically); it only reads templates, and keeps them compiled in Jinja2's
private directory of temporary files (``compiled_templates``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sysconfig
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from netwatch import __version__
from netwatch.config.records import ClaimsConfig, OwnerConfig, PlanConfig
from netwatch.core.calendar import local_days
from netwatch.core.model import Cause, Kind, Role
from netwatch.core.schedule import DAYS, BusinessHours
from netwatch.core.text import (
    duration,
    iso_utc,
    local_time,
    mbps,
    money,
    percent,
    period_span,
    period_text,
    short_duration,
    weekday_date,
)
from netwatch.errors import ReportError
from netwatch.report import areaview, hatch, speedview, view
from netwatch.report.complaint import complaint
from netwatch.report.compute import Report
from netwatch.report.escape import css_string, md_escape, shown
from netwatch.report.evidence import CLOCK_MEANING, failed_notice
from netwatch.report.inlinesvg import as_images
from netwatch.report.letter import letter
from netwatch.report.measured import plain_detail
from netwatch.report.nameservice import own_dns_words, side
from netwatch.report.now import deadline_text
from netwatch.report.speed import EVENING_PEAK
from netwatch.report.traces import trace_path, trace_summary
from netwatch.report.unmonitored import not_running

TEMPLATES = {"html": "report.html.j2", "md": "letter.md.j2"}


@dataclass(frozen=True)
class Rendered:
    """A rendered report. ``warnings`` name every detail the text shows as a placeholder, with the fix."""

    text: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CauseInfo:
    """How a cause is named, drawn (its colour; the pattern is in _svg.html.j2) and explained."""

    key: str
    label: str
    colour: str
    rule: str


CAUSES: dict[Cause, CauseInfo] = {
    Cause.ISP: CauseInfo(
        "isp",
        "ISP access network",
        "#c0392b",
        "the router answered but the provider's first hop did not: the fault is in the provider's access network",
    ),
    Cause.UPSTREAM: CauseInfo(
        "upstream",
        "ISP upstream",
        "#e67e22",
        "the router and the provider's first hop answered but no public anchor did: the fault is beyond the "
        "first hop, in the provider's core network or its upstream connectivity",
    ),
    Cause.ISP_OR_UPSTREAM: CauseInfo(
        "isp_or_upstream",
        "ISP access or upstream",
        "#d35400",
        "the router answered but no public anchor did, and no first hop of the provider was known to tell its "
        "access network from what lies beyond (not found yet, e.g. when netwatch started during the outage, or "
        "one that answers too few pings): the fault is in the provider's network either way",
    ),
    Cause.DNS: CauseInfo(
        "dns",
        "DNS",
        "#8e44ad",
        "the anchors answered pings but names could not be resolved: the name service failed (the provider's only "
        "when the resolvers were public ones, not your router)",
    ),
    Cause.LOCAL: CauseInfo(
        "local",
        "Local (premises)",
        "#2874a6",
        "the router itself did not answer: a fault on the premises (router, power, cabling), not attributed to "
        "the provider",
    ),
    Cause.UNKNOWN: CauseInfo(
        "unknown",
        "Undetermined",
        "#7f8c8d",
        "the evidence does not place the fault (for example the router or the provider's hop was not probed)",
    ),
}
ROLES: dict[str, str] = {
    Role.GATEWAY: "the router on the premises: when it does not answer either, the fault is local",
    Role.ISP: "the provider's first hop beyond the router: when the router answers and this hop does not, the fault "
    "is in the provider's access network",
    Role.ANCHOR: "public, independent hosts: the line is down when none of them answers",
    Role.DNS: "a host name resolved every round: tells a failed name service from a broken line",
}
KINDS: dict[Kind, str] = {Kind.OUTAGE: "Outage", Kind.DEGRADED: "Degraded", Kind.SLOW: "Slow"}
# Incidents a PDF shows in the full table. Beyond them it lists each on one line: a table cell costs WeasyPrint
# so much layout that a year's table (some 3 900 rows, 140 pages) took a minute and more; every incident keeps its
# number, and its evidence is in the HTML report and the CSV beside the PDF.
PDF_TABLE_ROWS = 150


def builtin_templates() -> Path:
    """The built-in templates: ``templates/`` of a source checkout (or editable install), else the copy a wheel
    installs under ``<prefix>/share/netwatch/templates``. Raises ReportError when neither exists."""
    places = [Path(__file__).resolve().parents[2] / "templates"]
    for scheme in (None, f"{os.name}_user"):
        data = sysconfig.get_path("data", scheme) if scheme else sysconfig.get_path("data")
        places.append(Path(data) / "share" / "netwatch" / "templates")
    for place in places:
        if (place / TEMPLATES["html"]).is_file():
            return place
    raise ReportError(
        f"the built-in report templates are missing (looked in {', '.join(map(str, places))}); reinstall netwatch"
    )


# --- the environment -----------------------------------------------------------------------------------------


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja2's cache of compiled templates, which never fails a report: a template it cannot read or store is
    compiled (again)."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@functools.cache
def compiled_templates() -> jinja2.BytecodeCache | None:
    """Where compiled templates are kept between runs: Jinja2's directory among the user's temporary files, which
    it makes private to the user and refuses when anyone else made it. Compiling the report's templates was most of
    rendering it (0.2 s of a month's PDF here); a template is compiled again whenever its text changes (Jinja2
    keys each by its file and checks its checksum). None when that directory cannot be had (a read-only /tmp):
    the templates are then compiled every time."""
    try:
        return _CompiledTemplates()
    except (OSError, RuntimeError):  # RuntimeError: Jinja2 found the directory unsafe
        return None


def environment(fmt: str, templates: Path | None, zone: ZoneInfo, currency: str) -> jinja2.Environment:
    """The Jinja2 environment of one format: user templates first, StrictUndefined, escaping on."""
    builtin = builtin_templates()
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        if not templates.is_dir():
            raise ReportError(
                f"report.templates: {templates} is not a directory; set [report] templates to a directory of "
                "templates, or remove it to use the built-in ones"
            )
        loaders.append(jinja2.FileSystemLoader(templates))
    loaders.append(jinja2.FileSystemLoader(builtin))
    common: dict[str, Any] = {
        "loader": jinja2.ChoiceLoader(loaders),
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
        "bytecode_cache": compiled_templates(),
    }
    if fmt == "html":
        # Always on, whatever a user template is called: names come from configuration and probes. No control
        # or bidirectional override character reaches a page (one would reverse the signer's name in the PDF).
        env = jinja2.Environment(autoescape=True, finalize=shown, **common)
    else:
        env = jinja2.Environment(autoescape=False, finalize=lambda value: md_escape(shown(value)), **common)
    filters: dict[str, Callable[..., Any]] = {
        "duration": duration,
        "percent": percent,
        "local": lambda at, style="datetime": local_time(at, zone, style),
        "money": lambda amount: money(amount, currency),
        "money_in": money,  # an amount in a currency of its own (a rule pack's)
        "utc": lambda at: "" if at is None else iso_utc(at),
        "short_duration": short_duration,
        "md": lambda value: md_escape(str(value)),
        "sentence": lambda text: text[:1].upper() + text[1:],
        "css": css_string,
        "mbps": mbps,
        "trace_summary": trace_summary,
        "trace_path": trace_path,
        "weekday": weekday_date,
        "deadline": deadline_text,  # a ticket's deadline as of an instant (the report's generation)
        "plain": plain_detail,  # an incident's evidence in words a complaint handler reads
        "own_dns_words": own_dns_words,  # the label of the dns outages not claimed from the provider
        "dns_side": side,  # whose resolvers they failed on: "own", "public" or "unrecorded"
    }
    env.filters.update(filters)
    env.globals.update(hatch_path=hatch.path, hatches=hatch.HATCHES, outline=hatch.outline, boxes=view.boxes)
    return env


def _template_frames(tb: TracebackType | None) -> Iterator[tuple[str, int]]:
    """(file, line) of the template frames of a traceback, which Jinja2 rewrites to point into templates."""
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2"):
            yield name, tb.tb_lineno
        tb = tb.tb_next


def _translate(err: jinja2.TemplateError, templates: Path | None) -> ReportError:
    fix = (
        f"fix the template, or remove it from {templates} to use the built-in one"
        if templates is not None
        else "reinstall netwatch"
    )
    if isinstance(err, jinja2.TemplateSyntaxError):
        return ReportError(f"{err.filename or err.name}, line {err.lineno}: {err.message}; {fix}")
    where = list(_template_frames(err.__traceback__))
    place = f"{where[-1][0]}, line {where[-1][1]}: " if where else ""
    if isinstance(err, jinja2.TemplateNotFound):
        looked = f"{templates} or the built-in templates" if templates is not None else "the built-in templates"
        return ReportError(f"{place}template {err.name} not found in {looked}; create it or correct the name")
    return ReportError(f"{place}{err.message}; {fix}")


# --- contexts --------------------------------------------------------------------------------------------------


def _schedule(business: BusinessHours) -> dict[str, Any]:
    table = business.to_table()
    week = [(day.capitalize(), table["week"][day]) for day in DAYS if table["week"][day]]
    return {"timezone": table["timezone"], "week": week, "holidays": table["holidays"], "closed": table["closed"]}


def _common(
    report: Report, business: BusinessHours, owner: OwnerConfig, plan: PlanConfig, title: str, generated_at: float
) -> dict[str, Any]:
    outages = report.of_kind(Kind.OUTAGE)
    return {
        "report": report,
        "title": title,
        "owner": owner,
        "plan": plan,
        "money_figures": report.money,
        "method": report.method,
        "generated_at": generated_at,
        "version": __version__,
        "schedule": _schedule(business),
        "causes": CAUSES,
        "cause_order": [CAUSES[c] for c in view.CAUSES],
        "by_cause": sorted(report.by_cause, key=lambda row: view.CAUSES.index(row.cause)),
        "causes_by_key": {info.key: info for info in CAUSES.values()},
        "roles": ROLES,
        "kinds": KINDS,
        "outages": outages,
        "numbered": list(enumerate(report.incidents, 1)),
        "period_text": period_text(report.period.since, report.period.until, ZoneInfo(report.timezone)),
        "period_span": period_span(report.period.since, report.period.until, ZoneInfo(report.timezone)),
        "speed": report.speed,
        "evening_peak": f"{EVENING_PEAK[0]:02d}:00-{EVENING_PEAK[1]:02d}:00",
        "evidence": report.evidence,
        "clock_meaning": {kind.value: text for kind, text in CLOCK_MEANING.items()},
        "not_running": not_running(report),
        "failed_notice": failed_notice(report.evidence, ZoneInfo(report.timezone)),
    }


def _html_context(report: Report, business: BusinessHours) -> dict[str, Any]:
    rows = view.timeline(report, business)
    return {
        "timeline": rows,
        "timeline_days": len(local_days(report.period.since, report.period.until, ZoneInfo(report.timezone))),
        "max_timeline_days": view.MAX_TIMELINE_DAYS,
        "bars": view.downtime_bars(report),
        "latency": view.latency_chart(report),
        "coverage_strip": view.coverage_strip(report),
        "row_width": view.ROW_WIDTH,
        "used_causes": [CAUSES[c].key for c in view.CAUSES if any(f.incident.cause is c for f in report.incidents)],
        "min_mark_minutes": round(view.MIN_MARK / view.ROW_WIDTH * 24 * 60, 1),
        "speed_chart": speedview.hour_chart(report.speed),
        "frames": {"bars": view.BARS, "rtt": view.RTT, "loss": view.LOSS, "speed": speedview.SPEED},
        "area": report.area,
        "area_rows": areaview.timeline(report.area) if report.area.asked else [],
        "paper": False,  # True for a PDF: what only a screen shows (an SVG mark's tooltip) is left out
    }


def html_context(
    report: Report,
    *,
    business: BusinessHours,
    owner: OwnerConfig,
    plan: PlanConfig,
    title: str,
    generated_at: float,
) -> dict[str, Any]:
    """What the HTML report's templates (and the dashboard's pages that include them) are given for ``report``."""
    context = _common(report, business, owner, plan, title, generated_at)
    context.update(_html_context(report, business))
    return context


def render(
    report: Report,
    fmt: str,
    *,
    business: BusinessHours,
    owner: OwnerConfig,
    plan: PlanConfig,
    title: str,
    templates: Path | None,
    generated_at: float,
    claims: ClaimsConfig | None = None,
    pdf: bool = False,
    ticket_notes: bool = False,
) -> Rendered:
    """The report as ``fmt`` ("html": the self-contained evidence report; "md": the complaint letter). ``pdf``:
    the HTML is laid out on paper, where more than ``PDF_TABLE_ROWS`` incidents are listed one per line.

    Everything shown comes from the arguments. ``templates`` is the user's template directory, searched before
    the built-in one; ``claims`` gives the smallest amount the letter asks for (None: the default); the owner's ticket
    notes are printed only with ``ticket_notes`` ([report] ticket_notes: the documents go to the provider). Raises
    ReportError for an unknown format, a missing template directory or template, and any error in a template
    (with its file, line and fix); InputError for a letter of a period in which netwatch never ran.
    """
    if fmt not in TEMPLATES:
        raise ReportError(f'unknown report format "{fmt}"; use one of: {", ".join(TEMPLATES)}')
    currency = report.money.currency
    env = environment(fmt, templates, ZoneInfo(report.timezone), currency)
    warnings: tuple[str, ...] = ()
    if fmt == "html":
        context = html_context(
            report, business=business, owner=owner, plan=plan, title=title, generated_at=generated_at
        )
        context["compact"] = pdf and len(report.incidents) > PDF_TABLE_ROWS
        context["paper"] = pdf
        context["ticket_notes"] = ticket_notes
    else:
        context = _common(report, business, owner, plan, title, generated_at)
        found = complaint(report, (claims or ClaimsConfig()).minimum_request)
        details = letter(report, owner, plan, found)
        context.update(letter=details, complaint=found, outages=found.outages)
        warnings = details.warnings
    try:
        text = env.get_template(TEMPLATES[fmt]).render(context)
    except jinja2.TemplateError as err:
        raise _translate(err, templates) from err
    except Exception as err:
        # Any other error raised while running one of the user's templates (a division by zero, a filter given
        # the wrong type) is theirs to fix; raised anywhere else, it is a bug in netwatch and propagates.
        where = list(_template_frames(err.__traceback__))
        if templates is None or not where or not Path(where[-1][0]).is_relative_to(templates):
            raise
        raise ReportError(
            f"{where[-1][0]}, line {where[-1][1]}: {type(err).__name__}: {err}; fix the template, or remove it "
            f"from {templates} to use the built-in one"
        ) from err
    if fmt == "md":  # a text file: exactly one line feed at its end, whatever the template's last lines hold
        text = text.rstrip() + "\n"
    elif pdf:
        text = as_images(text)
    return Rendered(text, warnings)
