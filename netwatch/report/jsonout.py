"""The JSON report: the contract of DESIGN.md, extended additively.

Owns the shape of ``--format json``: every key the contract names is always present, with the same meaning;
new keys are named after the Report attributes they come from. Numbers are rounded to the millisecond
(percentages to 4 decimals, money to the cent); instants are ISO 8601 UTC with "Z", except the period's bounds,
which are local time in the business timezone. Must not remove, rename or change the meaning of a key (keys are
only ever added), or write anything: it builds plain dicts.
"""

from __future__ import annotations

from typing import Any

from netwatch.core.claims.model import ClaimItem, Deadline
from netwatch.core.model import Kind, ProbeMethod, StoredTrace
from netwatch.core.text import iso_local, iso_utc
from netwatch.core.witness import Witness, WitnessFigures
from netwatch.report.areajson import to_json as area_json
from netwatch.report.compute import Bucket, IncidentFigures, Method, Money, Report
from netwatch.report.speed import EVENING_PEAK, Direction, Percentiles, SpeedFigures
from netwatch.report.tickets import ClaimFigures, TicketFigures
from netwatch.report.traces import trace_summary


def _r(x: float) -> float:
    return round(x, 3)


def _opt(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(x, digits)


def _bucket(b: Bucket) -> dict[str, Any]:
    return {
        "label": b.label,
        "start": iso_utc(b.start),
        "end": iso_utc(b.end),
        "monitored_seconds": _r(b.monitored_seconds),
        "downtime_seconds": _r(b.downtime_seconds),
        "business_downtime_seconds": _r(b.business_downtime_seconds),
        "degraded_seconds": _r(b.degraded_seconds),
    }


def ticket_json(f: TicketFigures, notes: bool = True) -> dict[str, Any]:
    """A fault ticket with what the measurements say about it (also `netwatch ticket list --json`); ``notes`` False
    keeps the owner's note out (a document for the provider): "note" is null and "note_withheld" says one exists."""
    t = f.ticket
    return {
        "ref": t.ref,
        "reported": iso_utc(t.reported),
        "channel": t.channel.value if t.channel else None,
        "note": t.note if notes else None,
        "note_withheld": bool(t.note) and not notes,
        "fixed": iso_utc(t.fixed) if t.fixed is not None else None,
        "open": t.is_open,
        "missed_appointments": [iso_utc(at) for at in t.missed_appointments],
        "kind": t.kind.value,
        "planned": t.planned,
        "declined_appointments": [
            {"at": iso_utc(p.at), "next": iso_utc(p.until) if p.until is not None else None} for p in t.declined
        ],
        "notice": iso_utc(t.notice) if t.notice is not None else None,
        "credits": [{"amount": c.amount, "on": c.on.isoformat()} for c in t.credits],
        "credited": t.credited,
        "outages": len(f.outages),
        "down_since": iso_utc(f.down_since) if f.down_since is not None else None,
        "restored": iso_utc(f.restored) if f.restored is not None else None,
        "down_after_report_seconds": _r(f.down_after_report),
        "business_down_after_report_seconds": _r(f.business_after_report),
    }


def _item(i: ClaimItem) -> dict[str, Any]:
    return {
        "rule": i.rule,
        "item": i.item,
        "pack": i.pack,
        "source": {"title": i.source.title, "url": i.source.url},
        "ticket": i.ticket or None,
        "start": iso_utc(i.start),
        "end": iso_utc(i.end),
        "quantity": i.quantity,
        "rate": i.rate,
        "amount": round(i.amount, 2),
        "overridden": i.overridden,
        "rate_status": i.rate_status,
        "down_seconds": _r(i.down_seconds),
        "explanation": i.explanation,
    }


def deadline_json(d: Deadline) -> dict[str, Any]:
    return {"rule": d.rule, "what": d.what, "from": iso_utc(d.at), "last_day": d.last_day.isoformat(), "basis": d.basis}


def _claims(figures: ClaimFigures) -> dict[str, Any]:
    """What ``[claims] rules`` gives for the period, item by item, each with its rule and source."""
    from netwatch.report.campaign import evaluation_doc

    found = figures.campaign
    campaign = None if found is None else evaluation_doc(found.campaign, found.evaluation)
    c = figures.claims
    deadlines = {ref: [deadline_json(d) for d in found] for ref, found in figures.deadlines}
    settled = [
        {
            "ticket": s.ref,
            "claimed": s.claimed,
            "contestable": s.contestable,
            "credited": s.credited,
            "credits": [{"amount": x.amount, "on": x.on.isoformat()} for x in s.credits],
        }
        for s in figures.settled
    ]
    if c is None:
        return {
            "rules": figures.rules,
            "pack": None,
            "items": [],
            "checks": [],
            "total": None,
            "currency": None,
            "notes": [],
            "request": "",
            "campaign": campaign,
            "contestable": [],
            "contestable_total": None,
            "basis": [],
            "status": "",
            "deadlines": deadlines,
            "settled": settled,
        }
    return {
        "rules": figures.rules,
        "pack": {"id": c.pack, "name": c.name, "version": c.version, "jurisdiction": c.jurisdiction},
        "currency": c.currency,
        "total": round(c.total, 2),
        "items": [_item(i) for i in c.items],
        "checks": [
            {
                "rule": k.rule,
                "pack": k.pack,
                "source": {"title": k.source.title, "url": k.source.url},
                "title": k.title,
                "verdict": k.verdict.value,
                "figures": {label: value for label, value in k.figures},
                "explanation": k.explanation,
            }
            for k in c.checks
        ],
        "notes": list(c.notes),
        "request": c.request,
        "campaign": campaign,
        "contestable": [_item(i) for i in c.contestable],
        "contestable_total": round(c.contestable_total, 2),
        "basis": list(c.basis),
        "status": c.status,
        "deadlines": deadlines,
        "settled": settled,
    }


def _method(m: Method | None) -> dict[str, Any] | None:
    if m is None:
        return None
    settings = settings_json(m.settings)
    del settings["recorded"]
    return {
        **settings,
        "interval": m.interval,
        "clock": m.clock,
        "eras": [{"since": iso_utc(e.since), "until": iso_utc(e.until), **settings_json(e.settings)} for e in m.eras],
    }


def settings_json(s: ProbeMethod | None) -> dict[str, Any]:
    """A recorded method as the JSON contract spells it; ``{"recorded": false}`` for sessions that recorded none."""
    if s is None:
        return {"recorded": False}
    return {
        "recorded": True,
        "interval": s.interval,
        "timeout": s.timeout,
        "confirm": s.confirm,
        "window": s.window,
        "loss_percent": s.loss_percent,
        "latency_ms": s.latency_ms,
        "targets": [{"role": t.role.value, "address": t.address} for t in s.targets],
        "resolvers": None if s.resolvers is None else list(s.resolvers),  # None: not recorded
    }


def _money(m: Money) -> dict[str, Any]:
    return {
        "currency": m.currency,
        "hourly": m.hourly,
        "business_downtime_cost": _opt(m.business_downtime_cost, 2),
        "monthly_fee": m.monthly_fee,
        "contracted_availability": m.contracted_availability,
        "credit": _opt(m.credit, 2),
        "credit_basis": m.credit_basis,
        "isp_availability_percent": _opt(m.isp_availability_percent, 4),
        "breached": m.breached,
        "not_comparable": m.not_comparable,
    }


def _percentiles(p: Percentiles | None) -> dict[str, float] | None:
    if p is None:
        return None
    return {"p10": _r(p.p10), "p50": _r(p.p50), "p90": _r(p.p90), "min": _r(p.min), "max": _r(p.max)}


def _direction(d: Direction) -> dict[str, Any]:
    return {
        "measured": d.measured,
        "plan_mbps": d.plan_mbps,
        "threshold_mbps": _opt(d.threshold_mbps),
        "mbps": _percentiles(d.mbps),
        "percent_of_plan": _percentiles(d.of_plan),
        "under_threshold": d.under,
        "under_threshold_percent": _opt(d.under_percent, 4),
    }


def _speed(s: SpeedFigures) -> dict[str, Any]:
    """Speed against the plan (see ``report.speed``): always present, with zero tests when none ran."""
    return {
        "threshold_percent": s.threshold_percent,
        "tests": s.tests,
        "ok": s.ok,
        "failed": s.failed,
        "skipped": s.skipped,
        "slow": s.slow,
        "slow_percent": _opt(s.slow_percent, 4),
        "bytes_used": s.bytes_used,
        "download": _direction(s.download),
        "upload": _direction(s.upload),
        "latency_ms": _opt(s.latency_ms),
        "loaded_latency_ms": _opt(s.loaded_latency_ms),
        "jitter_ms": _opt(s.jitter_ms),
        "evening_peak": {"start": f"{EVENING_PEAK[0]:02d}:00", "end": f"{EVENING_PEAK[1]:02d}:00"},
        "hours": [
            {
                "hour": h.hour,
                "tests": h.tests,
                "failed": h.failed,
                "median_download_mbps": _opt(h.median_mbps),
                "median_percent_of_plan": _opt(h.median_percent, 4),
                "slow": h.slow,
                "evening_peak": h.evening_peak,
            }
            for h in s.hours
        ],
        "windows": [
            {
                "window": w.key,
                "tests": w.tests,
                "median_download_mbps": _opt(w.median_mbps),
                "median_percent_of_plan": _opt(w.median_percent, 4),
                "slow": w.slow,
                "slow_percent": _opt(w.slow_percent, 4),
            }
            for w in s.windows
        ],
        "failures": [
            {
                "at": iso_utc(a.at),
                "backend": a.backend,
                "tool": a.tool,
                "server": a.server,
                "reason": a.reason,
                "skipped": a.skipped,
                "bytes_used": a.bytes_used,
            }
            for a in s.failures
        ],
        "tools": list(s.tools),
    }


def trace_json(t: StoredTrace) -> dict[str, Any]:
    return {
        "at": iso_utc(t.at),
        "reason": t.reason,
        "destination": t.trace.destination,
        "reached": t.trace.reached,
        "summary": trace_summary(t),
        "error": t.trace.error,
        "hops": [{"ttl": h.ttl, "address": h.address, "rtt_ms": _opt(h.rtt_ms), "note": h.note} for h in t.trace.hops],
    }


def witness_json(w: Witness | None) -> dict[str, Any] | None:
    """A second probe's verdict on one outage (``netwatch.core.witness``); None for other incidents or without one."""
    if w is None:
        return None
    return {
        "verdict": w.verdict.value,
        "rounds": w.counts.rounds,
        "reached_rounds": w.counts.reached_rounds,
        "reached_percent": _opt(w.reached_percent, 4),
        "anchors": [{"address": a.address, "probed": a.probed, "reached": a.reached} for a in w.counts.anchors],
        "own_line_down_rounds": w.counts.own_line_down_rounds,
        "summary": w.sentence,
        "reason": w.reason or None,
    }


def witness_summary_json(w: WitnessFigures) -> dict[str, Any]:
    """Whose verdicts the incidents carry: always present, probe null without a witness configured."""
    return {
        "probe": w.probe or None,
        "asked": w.asked,
        "reason": w.reason or None,
        "anchors": list(w.anchors),
        "threshold_percent": w.threshold_percent,
        "own_line_percent": w.own_line_percent,
    }


def incident_json(f: IncidentFigures, report: Report) -> dict[str, Any]:
    """One incident of ``report`` as the JSON report lists it (also ``/api/incidents``)."""
    return {
        "kind": f.incident.kind.value,
        "cause": f.incident.cause.value,
        "start": iso_utc(f.incident.start),
        "end": None if f.incident.end is None else iso_utc(f.incident.end),
        "duration_seconds": _r(f.seconds),
        "business_seconds": _r(f.business_seconds),
        "clipped_to_period": f.clipped,
        "rounds": f.incident.rounds,
        "cause_rounds": {c.value: n for c, n in f.incident.cause_rounds},
        "evidence": f.incident.detail,
        "traceroutes": [trace_json(t) for t in report.evidence.traces_of(f.incident)],
        "witness": witness_json(report.witness.of(f)),
        "claimed_from_provider": f.incident.kind is Kind.OUTAGE and f.provider,
        "dns_resolver": None if f.resolver is None else f.resolver.value,  # provider, own, public or unrecorded
    }


def to_json(report: Report, ticket_notes: bool = False) -> dict[str, Any]:
    """The JSON report: the contract of DESIGN.md (every field always present), extended. A document for the
    provider: the owner's ticket notes are in it only with ``ticket_notes`` ([report] ticket_notes)."""
    outages = report.outages
    degraded = report.of_kind(Kind.DEGRADED)
    seal = report.evidence.seal
    checked = report.evidence.checked
    availability = report.availability_percent
    return {
        "period": {
            "since": iso_local(report.period.since, report.timezone),
            "until": iso_local(report.period.until, report.timezone),
            "timezone": report.timezone,
        },
        "coverage": {
            "monitored_seconds": _r(report.monitored_seconds),
            "unmonitored_seconds": _r(report.unmonitored_seconds),
            "sessions": [{"start": iso_utc(c.start), "end": iso_utc(c.end), "clean": c.clean} for c in report.sessions],
        },
        "summary": {
            "availability_percent": None if availability is None else round(availability, 4),
            "outage_count": len(outages),
            "downtime_seconds": _r(report.downtime_seconds),
            "business_downtime_seconds": _r(report.business_downtime_seconds),
            "longest_outage_seconds": _r(report.longest_outage_seconds),
            "degraded_count": len(degraded),
            "degraded_seconds": _r(report.degraded_seconds),
        },
        "incidents": [incident_json(f, report) for f in report.incidents],
        "metrics": {
            "median_outage_seconds": _opt(report.median_outage_seconds),
            "mtbf_seconds": _opt(report.mtbf_seconds),
            "mttr_seconds": _opt(report.mttr_seconds),
            "isp_attributable_seconds": _r(report.isp_attributable_seconds),
            "local_seconds": _r(report.local_seconds),
            "dns_not_claimed_seconds": _r(report.own_dns_seconds),
        },
        "by_cause": [
            {
                "cause": c.cause.value,
                "count": c.count,
                "seconds": _r(c.seconds),
                "business_seconds": _r(c.business_seconds),
            }
            for c in report.by_cause
        ],
        "days": [_bucket(b) for b in report.days],
        "weeks": [_bucket(b) for b in report.weeks],
        "months": [_bucket(b) for b in report.months],
        "gaps": [{"start": iso_utc(a), "end": iso_utc(b), "seconds": _r(b - a)} for a, b in report.gaps],
        "series": [
            {
                "start": iso_utc(p.start),
                "seconds": p.seconds,
                "sent": p.sent,
                "lost": p.lost,
                "loss_percent": _opt(p.loss_percent),
                "rtt_avg_ms": _opt(p.rtt_avg_ms),
                "rtt_max_ms": _opt(p.rtt_max_ms),
            }
            for p in report.series
        ],
        "method": _method(report.method),
        "money": _money(report.money),
        "speed": _speed(report.speed),
        "clock_events": [
            {"at": iso_utc(e.at), "kind": e.kind.value, "step_seconds": _r(e.step), "detail": e.detail}
            for e in report.evidence.clock_events
        ],
        "unsynchronised": [
            {
                "start": iso_utc(u.start),
                "end": iso_utc(u.end),
                "rounds": u.rounds,
                "retimed": u.retimed,
                "retimed_by_seconds": _opt(u.delta),
            }
            for u in report.evidence.unsynced
        ],
        "seal": None if seal is None else {"seal": seal.seal_id, "sha256": seal.digest},
        # null unless the chain was verified for this document (an evidence bundle): a plain report is not checked
        "verification": None if checked is None else {"ok": checked.ok, "at": iso_utc(checked.at)},
        "tickets": [ticket_json(f, ticket_notes) for f in report.claims.tickets],
        "claims": _claims(report.claims),
        "witness": witness_summary_json(report.witness),
        "neighbourhood": area_json(report.area) if report.area.asked or report.area.reason else None,
    }
