"""The area report and the joint letter as documents: HTML (and PDF) of the area, the joint letter in Markdown (and
PDF).

Owns what the templates ``area.html.j2``, ``_area.html.j2`` and ``joint_letter.md.j2`` are given, turning the letter's
Markdown into HTML for WeasyPrint (python-markdown, the ``pdf`` extra). Must not compute
figures (``netwatch.report.area``) or read anything but templates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from netwatch import __version__
from netwatch.config.records import OwnerConfig
from netwatch.core.text import period_text
from netwatch.errors import ReportError
from netwatch.report.area import AreaFigures
from netwatch.report.areaview import timeline
from netwatch.report.pdf import MISSING, to_pdf
from netwatch.report.render import CAUSES, environment

FORMATS = ("html", "pdf", "json")
LETTER_FORMATS = ("md", "pdf")


def _context(area: AreaFigures, generated_at: float) -> dict[str, Any]:
    zone = ZoneInfo(area.timezone)
    return {
        "area": area,
        "area_rows": timeline(area),
        "generated_at": generated_at,
        "version": __version__,
        "period_text": period_text(area.period.since, area.period.until, zone),
        "causes": CAUSES,
        "title": f"Area report: {area.isp} in {area.area}",
    }


def _render(fmt: str, template: str, context: dict[str, Any], templates: Path | None, zone: ZoneInfo) -> str:
    env = environment(fmt, templates, zone, "GBP")
    try:
        return env.get_template(template).render(context)
    except jinja2.TemplateError as err:
        raise ReportError(
            f"{template}: {err}; fix the template, or remove it from {templates} to use the built-in one"
        ) from err


def html(area: AreaFigures, generated_at: float, templates: Path | None = None) -> str:
    return _render("html", "area.html.j2", _context(area, generated_at), templates, ZoneInfo(area.timezone))


def letter(area: AreaFigures, owner: OwnerConfig, generated_at: float, templates: Path | None = None) -> str:
    """The joint letter in Markdown, from this household (``owner``'s details, when set) for every household of
    ``area`` that published outages; signed by those that chose to be named."""
    listed = [h for h in area.households if h.outages]
    if not listed:
        raise ReportError(
            "no household of this provider and area published an outage in the period: there is no joint letter to"
            " write"
        )
    signatures = [h.label for h in listed if h.label != h.household]
    sender = [line for line in (owner.business, owner.name, *owner.address.splitlines(), owner.email) if line.strip()]
    context = {
        **_context(area, generated_at),
        "sender": sender or [f"Household {area.household}"],
        "signatures": signatures,
        "unnamed": len(listed) - len(signatures),
    }
    return _render("md", "joint_letter.md.j2", context, templates, ZoneInfo(area.timezone))


def letter_pdf(markdown_text: str) -> bytes:
    """The joint letter laid out on pages: its Markdown as HTML (python-markdown), then WeasyPrint."""
    try:
        import markdown
    except ImportError as err:
        raise ReportError(MISSING.replace("WeasyPrint", "WeasyPrint and python-markdown")) from err
    body = markdown.markdown(markdown_text, extensions=["tables"], output_format="html")
    style = (
        "@page { size: A4; margin: 20mm 18mm; } body { font-family: sans-serif; font-size: 10pt; line-height: 1.4; }"
        " table { border-collapse: collapse; width: 100%; font-size: 8pt; margin: 2mm 0 4mm; }"
        " th, td { border-bottom: 1px solid #ccd; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }"
        " td:last-child { font-family: monospace; font-size: 6.5pt; overflow-wrap: anywhere; }"
        " h2 { font-size: 12pt; margin-top: 6mm; } h3 { font-size: 10.5pt; margin: 4mm 0 1mm; }"
    )
    head = f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><style>{style}</style></head>'
    page = f"{head}<body>{body}</body></html>"
    return to_pdf(page)


def area_pdf(area: AreaFigures, generated_at: float, templates: Path | None = None) -> bytes:
    return to_pdf(html(area, generated_at, templates))
