"""The area report as JSON (`netwatch pool report --format json`, and ``neighbourhood`` in the report's JSON).

Owns the document's shape: instants as ISO-8601 UTC, and as Unix seconds where precision matters (an outage's ends,
the extent of the shared one). Must not compute a figure: they come from ``netwatch.report.area``.
"""

from __future__ import annotations

from typing import Any

from netwatch.core.text import iso_utc
from netwatch.report.area import AreaFigures, Household, Neighbour, Shared


def _neighbour(n: Neighbour) -> dict[str, Any]:
    return {
        "household": n.household.household,
        "state": n.state,
        "down_seconds": round(n.down_seconds, 3),
        "monitored_seconds": round(n.monitored_seconds, 3),
    }


def _shared(area: AreaFigures, s: Shared) -> dict[str, Any]:
    return {
        "start": iso_utc(s.start),
        "end": iso_utc(s.end),
        "start_epoch": s.start,
        "end_epoch": s.end,
        "cause": s.outage.cause.value,
        "monitoring": s.same.monitoring,
        "down": s.same.down,
        "partly_monitored": s.same.partly,
        "overlap_seconds": round(s.overlap_seconds, 3),
        "extent": [s.extent[0], s.extent[1]],
        "sentence": area.sentence(s),
        "control": {"monitoring": s.others.monitoring, "down": s.others.down, "sentence": area.control_sentence(s)},
        "households": [_neighbour(n) for n in s.neighbours],
        "control_households": [_neighbour(n) for n in s.control],
    }


def _household(h: Household) -> dict[str, Any]:
    return {
        "household": h.household,
        "label": h.label,
        "isp": h.isp,
        "area": h.area,
        "this": h.mine,
        "monitored_seconds": round(h.monitored_seconds, 3),
        "outages": [
            {"start": o.start, "end": o.end, "cause": o.cause.value, "digest": o.digest, "seal": o.seal}
            for o in h.outages
        ],
    }


def to_json(area: AreaFigures) -> dict[str, Any]:
    """The area report as JSON (instants as ISO-8601 UTC, and as Unix seconds where precision matters)."""
    return {
        "asked": area.asked,
        "reason": area.reason or None,
        "period": {"since": iso_utc(area.period.since), "until": iso_utc(area.period.until), "timezone": area.timezone},
        "household": area.household,
        "isp": area.isp,
        "area": area.area,
        "outages": [_shared(area, s) for s in area.shared],
        "households": [_household(h) for h in area.households],
        "control": [_household(h) for h in area.control],
        "unchecked": [{"household": h, "why": why} for h, why in area.unchecked],
        "withdrawn": [{"household": m.household, "at": m.withdrawn} for m in area.withdrawn],
    }
