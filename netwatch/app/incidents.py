"""Incidents as a face shows them apart from a report: one on its own (the dashboard's incident page), and the
incidents of a period (``/api/incidents``).

Owns finding an incident by its key (kind and start, as the store keys it) and measuring it the way a report does:
a report of the incident's own time span (its business-hours part, its cost, its traceroutes, the fault tickets
that cover it), with the running daemon's last seconds counted as monitored; and ``listed``, the incidents of a
period with only what they need (their coverage and traceroutes: no latency series, speed tests or claims, so that
a feed asked for often stays light on a Pi). Not a second witness: a page must not wait for an InfluxDB the outage
may have cut off. Must not word anything (faces do, through ``netwatch.report``).
"""

from __future__ import annotations

from dataclasses import dataclass

from netwatch.app import stores
from netwatch.app.now import fresh_live
from netwatch.app.reports import from_store, with_live
from netwatch.config import Config
from netwatch.config.method import probe_method
from netwatch.core.model import Kind, Period
from netwatch.core.text import iso_utc_ms
from netwatch.errors import ReportError
from netwatch.report import period as periods
from netwatch.report.compute import IncidentFigures, Report, compute, method_from_sessions
from netwatch.report.evidence import evidence_figures

SAME_START = 0.0005  # seconds: the store keeps instants to the millisecond


@dataclass(frozen=True)
class Found:
    """An incident with its figures, in a report of its own time span."""

    report: Report
    figures: IncidentFigures


def find(cfg: Config, kind: Kind, start: float, now: float) -> Found:
    """The ``kind`` incident that started at ``start`` (Unix seconds). Raises ReportError when there is none."""
    current = fresh_live(cfg, now)
    with stores.reading(cfg) as store, store.snapshot():
        match = next(
            (i for i in store.incidents(start, start) if i.kind is kind and abs(i.start - start) < SAME_START), None
        )
        if match is None:
            raise ReportError(
                f"no {kind.value} started at {iso_utc_ms(start)}: the link is wrong, or the store no longer holds it"
            )
        end = match.end if match.end is not None else now
        report = from_store(store, cfg, Period(match.start, max(end, match.start + cfg.probe.interval)), current)
    figures = next((f for f in report.incidents if f.incident == match), None)
    if figures is None:  # an incident that ended where it began: nothing to measure
        raise ReportError(f"the {kind.value} of {iso_utc_ms(start)} lasted no time: there is nothing to show")
    return Found(report, figures)


def period_of(cfg: Config, since: str, until: str | None, now: float) -> Period:
    """The period from WHEN ``since`` to ``until`` (None: now), clipped to now. Raises InputError."""
    return periods.resolve(since, until, cfg.business_hours.timezone, now=now, history_start=None)


def listed(cfg: Config, chosen: Period, now: float) -> Report:
    """The incidents overlapping ``chosen`` as a report of it holds them (clipped to it, with their business-hours
    part and traceroutes), and its coverage; nothing else is read. Before the daemon made a store, nothing was
    monitored. Raises StoreError."""
    if not stores.recorded(cfg):
        return compute(chosen, (), (), cfg.business_hours)
    current = fresh_live(cfg, now)
    with stores.reading(cfg) as store, store.snapshot():
        sessions = with_live(store.sessions(chosen.since, chosen.until), current)
        traces = store.traces(chosen.since, chosen.until)
        found = store.incidents(chosen.since, chosen.until)
        # The recorded methods say whose resolvers a dns outage failed on, as the report says it.
        method = method_from_sessions(store.session_methods(chosen.since, chosen.until), probe_method(cfg), chosen)
    evidence = evidence_figures(chosen.since, chosen.until, (), (), traces, None)
    return compute(chosen, found, sessions, cfg.business_hours, evidence=evidence, method=method)
