"""The CSV report: one row per incident, for spreadsheets and accountants.

Owns the columns of ``--format csv`` and their order (a header row first), written with the csv module
(RFC 4180 quoting, CRLF line ends). Text that probes or the store supply could start with a character a
spreadsheet reads as a formula ("=HYPERLINK(...)"), so such cells get a leading apostrophe, as OWASP advises
against CSV injection. Must not write anything: it returns the text.
"""

from __future__ import annotations

import csv
import io

from netwatch.core.model import Kind
from netwatch.core.text import duration, iso_local, iso_utc
from netwatch.report.compute import IncidentFigures, Report

COLUMNS = (
    "kind",
    "cause",
    "start",
    "end",
    "start_local",
    "end_local",
    "duration_seconds",
    "duration",
    "business_seconds",
    "business_duration",
    "clipped_to_period",
    "rounds",
    "evidence",
    "witness",
    "witness_rounds",
    "witness_reached_rounds",
    "claimed_from_provider",
    "dns_resolver",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """``text`` made inert for spreadsheets: a leading formula character is escaped with an apostrophe."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def exact_seconds(seconds: float) -> str:
    """Seconds as a plain decimal to the millisecond the store keeps ("1800", "63.615"): no float noise, no
    exponent, no ".0" a spreadsheet would show as a different number."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


def _witness_cells(report: Report, f: IncidentFigures) -> tuple[str, str, str]:
    """The second probe's verdict on an outage and its rounds (see ``netwatch.core.witness``); empty otherwise."""
    w = report.witness.of(f)
    if w is None:
        return "", "", ""
    if w.counts.rounds == 0:
        return w.verdict.value, "", ""
    return w.verdict.value, str(w.counts.rounds), str(w.counts.reached_rounds)


def to_csv(report: Report) -> str:
    """Every incident of the report, in the report's order. ``start``/``end`` are the incident's own instants in
    UTC ("end" empty while open), ``*_local`` the same in the business timezone; the durations, in exact seconds
    and beside them as people read them ("1h 02m 03s"), are clipped to the period (``clipped_to_period`` says
    when); ``witness*`` give a second probe's verdict on each outage; ``claimed_from_provider`` whether the provider
    answers for the outage, and ``dns_resolver`` whose resolvers a dns outage failed on (provider, own, public,
    unrecorded)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    tz = report.timezone
    for f in report.incidents:
        inc = f.incident
        row = (
            inc.kind.value,
            inc.cause.value,
            iso_utc(inc.start),
            "" if inc.end is None else iso_utc(inc.end),
            iso_local(inc.start, tz),
            "" if inc.end is None else iso_local(inc.end, tz),
            exact_seconds(f.seconds),
            duration(f.seconds),
            exact_seconds(f.business_seconds),
            duration(f.business_seconds),
            "true" if f.clipped else "false",
            str(inc.rounds),
            inc.detail,
            *_witness_cells(report, f),
            "true" if inc.kind is Kind.OUTAGE and f.provider else "false",
            "" if f.resolver is None else f.resolver.value,
        )
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
