"""Incidents as the detector records them: outages, degraded periods and slow-speed periods.

Owns building ``Incident`` values with the evidence filled in the detector's way: ``rounds`` bad rounds, every one
of them counted for the incident's cause. Must not open, close or classify incidents by netwatch's rules (the
detector and core.speedcheck own those, and the tests check them); an incident with mixed evidence is written
out in full where a test needs one.
"""

from __future__ import annotations

from netwatch.core.model import Cause, Incident, Kind


def incident(
    kind: Kind, start: float, end: float | None = None, cause: Cause = Cause.ISP, *, rounds: int = 0, detail: str = ""
) -> Incident:
    """A ``kind`` incident from ``start`` to ``end`` (None: still open) over ``rounds`` bad rounds, all of them
    pointing at ``cause``."""
    tally = ((cause, rounds),) if rounds else ()
    return Incident(kind, cause, start, end, rounds, tally, detail)


def outage(
    start: float, end: float | None = None, cause: Cause = Cause.ISP, *, rounds: int = 0, detail: str = ""
) -> Incident:
    return incident(Kind.OUTAGE, start, end, cause, rounds=rounds, detail=detail)


def degraded(
    start: float, end: float | None = None, cause: Cause = Cause.UPSTREAM, *, rounds: int = 0, detail: str = ""
) -> Incident:
    return incident(Kind.DEGRADED, start, end, cause, rounds=rounds, detail=detail)


def slow(start: float, end: float | None = None, cause: Cause = Cause.ISP, *, detail: str = "") -> Incident:
    return incident(Kind.SLOW, start, end, cause, detail=detail)


def outage_for(cause: Cause, start: float, seconds: float, detail: str = "") -> Incident:
    """An outage of ``seconds`` from ``start``, seen at one round a second (the daemon's default interval)."""
    return outage(start, start + seconds, cause, rounds=round(seconds), detail=detail)
