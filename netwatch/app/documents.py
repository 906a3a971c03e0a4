"""A report as a document: its bytes, and where it is written.

Owns making a report in one of its formats (their names, and telling one from a file name, are
``netwatch.app.formats``'): naming a report file after its period in an ``--output-dir``, rendering (``render``: the
text or bytes and the warnings a face shows), what a face says beside a document for the provider (``beside``), the
months netwatch ran in (``months_recorded``: the months a document can be made of), and writing it through the one
atomic writer. Must not compute figures (``netwatch.app.reports`` assembles them) or print: faces decide how to show
what comes back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from netwatch.app import stores
from netwatch.app.files import write_atomically
from netwatch.app.formats import READ
from netwatch.config import Config
from netwatch.core.calendar import months_touched
from netwatch.core.model import Period
from netwatch.errors import ReportError
from netwatch.report.advice import advice
from netwatch.report.compute import Report
from netwatch.report.period import file_stem
from netwatch.report.unmonitored import not_running


def months_recorded(cfg: Config, now: float) -> list[date]:
    """The first day of every local month netwatch ran in up to ``now``, newest first; none before a store exists."""
    if not stores.recorded(cfg):
        return []
    with stores.reading(cfg) as store:
        sessions = store.sessions(0.0, now)
    return months_touched(((s.start, min(s.end, now)) for s in sessions), cfg.business_hours.timezone)


@dataclass(frozen=True)
class Destination:
    """Where a report goes: ``--output FILE``, ``--output-dir DIR`` (named from the period), else stdout."""

    file: Path | None
    directory: Path | None
    period_name: str | None
    tz: ZoneInfo

    def path(self, kind: str, period: Period) -> Path | None:
        if self.directory is None:
            return self.file
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ReportError(
                f"cannot create --output-dir {self.directory}: {err.strerror}; choose a writable directory"
            ) from err
        return self.directory / f"{file_stem(self.period_name, period, self.tz)}.{kind}"

    @property
    def option(self) -> str:
        return "--output" if self.directory is None else "--output-dir"


@dataclass(frozen=True)
class Rendered:
    """A report in one format, and what its reader should be told (placeholders in the letter, a missing part)."""

    data: str | bytes
    warnings: tuple[str, ...] = ()


def render(kind: str, report: Report, cfg: Config, now: float) -> Rendered:
    """``report`` as ``kind`` (one of FORMATS), rendered ``now``. Raises ReportError (a PDF without WeasyPrint)."""
    if kind == "json":
        from netwatch.report.jsonout import to_json

        return Rendered(json.dumps(to_json(report, cfg.report.ticket_notes), indent=2) + "\n")
    if kind == "csv":
        from netwatch.report.csvout import to_csv

        return Rendered(to_csv(report))
    from netwatch.report.render import render as render_text

    rendered = render_text(
        report,
        "md" if kind in ("md", "txt") else "html",
        business=cfg.business_hours,
        owner=cfg.owner,
        plan=cfg.plan,
        title=cfg.report.title,
        templates=cfg.report.templates,
        generated_at=now,
        claims=cfg.claims,
        pdf=kind == "pdf",
        ticket_notes=cfg.report.ticket_notes,
    )
    if kind == "pdf":
        from netwatch.report.pdf import to_pdf

        return Rendered(to_pdf(rendered.text), tuple(rendered.warnings))
    if kind == "txt":
        from netwatch.report.plaintext import plain_letter

        return Rendered(plain_letter(rendered.text), tuple(rendered.warnings))
    return Rendered(rendered.text, tuple(rendered.warnings))


def beside(kind: str, report: Report, problems: Sequence[str | None] = ()) -> tuple[str, ...]:
    """What a face says beside ``report`` in ``kind``, one line each: for a document people read, first that
    netwatch was not running for part of the period, then ``problems`` (what could not go into it), then what the
    owner could configure for a fuller report (which a document for the provider never says); for csv and json,
    ``problems`` only."""
    if kind not in READ:
        return tuple(p for p in problems if p)
    return tuple(line for line in (not_running(report), *problems, *advice(report)) if line)


def placeholders_note(warnings: tuple[str, ...]) -> str | None:
    """One line for a bundle's letter: how many placeholders it shows, instead of every warning."""
    if not warnings:
        return None
    n = len(warnings)
    return (
        f"the letter shows {n} placeholder{'s' if n != 1 else ''} for details not in the configuration "
        "(`netwatch report --format md` lists them)"
    )


def write(kind: str, rendered: Rendered, destination: Destination, period: Period) -> Path | None:
    """Write ``rendered`` to ``destination`` atomically; None when it goes to stdout (the face prints it)."""
    output = destination.path(kind, period)
    if output is not None:
        write_atomically(output, rendered.data, destination.option)
    return output
