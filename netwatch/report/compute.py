"""Report metrics: pure computation from incidents and coverage over a period.

Owns what a report says in numbers: monitored and unmonitored time, availability over monitored time, downtime
and business-hours downtime, per-incident figures clipped to the period. Must not read the store, the clock or
files: the caller passes the period (already clipped to "now"), the incidents and the coverage sessions.
Unmonitored time is never counted as up or down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from netwatch.model import Coverage, Incident, Kind
from netwatch.schedule import BusinessHours


@dataclass(frozen=True)
class Period:
    since: float
    until: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.until - self.since)


@dataclass(frozen=True)
class IncidentFigures:
    incident: Incident
    start: float  # clipped to the period
    end: float  # clipped to the period (and, while open, to the last monitored instant)
    business_seconds: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)

    @property
    def clipped(self) -> bool:
        inc = self.incident
        return self.start != inc.start or inc.end is None or self.end != inc.end


@dataclass(frozen=True)
class Report:
    period: Period
    timezone: str
    sessions: tuple[Coverage, ...]  # clipped to the period
    monitored_seconds: float
    incidents: tuple[IncidentFigures, ...]

    @property
    def unmonitored_seconds(self) -> float:
        return max(0.0, self.period.seconds - self.monitored_seconds)

    def of_kind(self, kind: Kind) -> tuple[IncidentFigures, ...]:
        return tuple(f for f in self.incidents if f.incident.kind is kind)

    @property
    def downtime_seconds(self) -> float:
        return sum(f.seconds for f in self.of_kind(Kind.OUTAGE))

    @property
    def availability_percent(self) -> float | None:
        if self.monitored_seconds <= 0:
            return None
        return max(0.0, 100.0 * (self.monitored_seconds - self.downtime_seconds) / self.monitored_seconds)


def _merge(sessions: Sequence[Coverage], period: Period) -> tuple[Coverage, ...]:
    """Sessions clipped to the period, sorted, overlaps merged (a restart can overlap a crashed session's tail)."""
    clipped = sorted(
        (Coverage(max(s.start, period.since), min(s.end, period.until), s.clean) for s in sessions),
        key=lambda c: c.start,
    )
    merged: list[Coverage] = []
    for c in clipped:
        if c.end <= c.start:
            continue
        if merged and c.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Coverage(last.start, max(last.end, c.end), last.clean and c.clean)
        else:
            merged.append(c)
    return tuple(merged)


def compute(
    period: Period,
    incidents: Sequence[Incident],
    sessions: Sequence[Coverage],
    business: BusinessHours,
) -> Report:
    """Figures for ``period``. Open incidents run to the end of the monitored time, never beyond it."""
    merged = _merge(sessions, period)
    monitored_until = merged[-1].end if merged else period.since
    figures: list[IncidentFigures] = []
    for inc in sorted(incidents, key=lambda i: (i.start, i.kind.value)):
        end = inc.end if inc.end is not None else max(inc.start, monitored_until)
        start, stop = max(inc.start, period.since), min(end, period.until)
        if stop < start or (stop == start and inc.end is not None and inc.end > inc.start):
            continue
        figures.append(IncidentFigures(inc, start, stop, business.seconds_ts(start, stop)))
    return Report(
        period=period,
        timezone=str(business.timezone),
        sessions=merged,
        monitored_seconds=sum(c.seconds for c in merged),
        incidents=tuple(figures),
    )


def iso_utc(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def iso_local(at: float, tz: str) -> str:
    return datetime.fromtimestamp(at, ZoneInfo(tz)).isoformat(timespec="seconds")


def _r(x: float) -> float:
    return round(x, 3)


def to_json(report: Report) -> dict[str, Any]:
    """The JSON report: the contract of DESIGN.md (every field always present), extended."""
    outages = report.of_kind(Kind.OUTAGE)
    degraded = report.of_kind(Kind.DEGRADED)
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
            "business_downtime_seconds": _r(sum(f.business_seconds for f in outages)),
            "longest_outage_seconds": _r(max((f.seconds for f in outages), default=0.0)),
            "degraded_count": len(degraded),
            "degraded_seconds": _r(sum(f.seconds for f in degraded)),
        },
        "incidents": [
            {
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
            }
            for f in report.incidents
        ],
    }
