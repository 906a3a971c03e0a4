"""The neighbourhood pool's rules: what a household publishes, and nothing more.

Owns which incidents leave the machine (closed ones, of the kinds ``[pool] kinds`` names, of a cause the provider
answers for: never the owner's own faults), the stretches of time published as monitored (the sessions less the
outages not published, so that a household whose own router was down is never taken for one whose line was up), cut
at UTC midnight so that a pool's retention policy can drop whole days, and the records themselves (``Publication``:
measurement, tags, fields, time). A publication holds the household's pseudonymous id, its provider, ASN and area,
and for an incident its start, end, kind, cause, the seconds monitored in the hour it began in, the SHA-256 of its
sealed record and the chain's head: never an address, a target, a name (unless the owner opts in to sign a joint
letter), a speed result or a round. Must not read a clock, the store or the network: every instant and every digest
is passed in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from netwatch.core.model import Cause, Coverage, Incident, Kind, Member, Publication

INCIDENT = "netwatch_pool_incident"
COVERAGE = "netwatch_pool_coverage"
MEMBER = "netwatch_pool_member"
MEASUREMENTS = (INCIDENT, COVERAGE, MEMBER)
PREFIX = "netwatch_pool_"  # a household's database (InfluxDB 1.x) or bucket (2.x) is this and its id
ID_LENGTH = 12  # hex characters of a household id: 48 random bits
# Line faults only: a dns outage is usually the household's own router's resolver (``core.nameservice``), and one
# household's resolver says nothing about the area's line; during one the household does not count as monitoring.
PROVIDER_CAUSES = frozenset({Cause.ISP, Cause.UPSTREAM, Cause.ISP_OR_UPSTREAM})
KINDS = (Kind.OUTAGE.value, Kind.DEGRADED.value)  # what [pool] kinds may name
DAY = 86_400.0
HOUR = 3600.0


def household_id(random_bytes: bytes) -> str:
    """A household's pseudonymous id from ``ID_LENGTH // 2`` random bytes: lowercase hex."""
    return random_bytes[: ID_LENGTH // 2].hex()


def is_household_id(text: str) -> bool:
    return len(text) == ID_LENGTH and all(c in "0123456789abcdef" for c in text)


def publishable(incident: Incident, kinds: Iterable[str]) -> bool:
    """A closed incident of a published kind whose cause the provider answers for."""
    return incident.end is not None and incident.kind.value in set(kinds) and incident.cause in PROVIDER_CAUSES


def _blind(incident: Incident, kinds: Iterable[str]) -> bool:
    """An outage during which the household cannot count as monitoring: still open (its cause may yet turn out to
    be the owner's own), or closed with a cause it does not publish."""
    return incident.kind is Kind.OUTAGE and not (incident.end is not None and publishable(incident, kinds))


def spans(
    sessions: Sequence[Coverage], incidents: Sequence[Incident], kinds: Iterable[str], since: float, until: float
) -> list[tuple[float, float]]:
    """The monitored stretches of [since, until) to publish: the sessions, less every outage not published (an
    open one up to ``until``), cut at each UTC midnight; in order, none empty."""
    wanted = tuple(kinds)
    holes = sorted((i.start, i.end if i.end is not None else until) for i in incidents if _blind(i, wanted))
    out: list[tuple[float, float]] = []
    for session in sorted(sessions, key=lambda s: s.start):
        pieces = [(max(session.start, since), min(session.end, until))]
        for lo, hi in holes:
            pieces = [p for a, b in pieces for p in ((a, min(b, lo)), (max(a, hi), b))]
        for a, b in pieces:
            day = math.floor(a / DAY) * DAY
            while a < b:
                day += DAY
                out.append((a, min(b, day)))
                a = day
    merged: list[tuple[float, float]] = []
    for a, b in sorted(p for p in out if p[1] > p[0]):
        if merged and a <= merged[-1][1] and math.floor(a / DAY) == math.floor(merged[-1][0] / DAY):
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def monitored_in_hour(sessions: Sequence[Coverage], at: float) -> float:
    """Seconds of the UTC clock hour holding ``at`` that the sessions cover."""
    lo = math.floor(at / HOUR) * HOUR
    hi = lo + HOUR
    clipped = sorted((max(s.start, lo), min(s.end, hi)) for s in sessions if s.end > lo and s.start < hi)
    total, reach = 0.0, lo
    for a, b in clipped:
        a = max(a, reach)
        if b > a:
            total += b - a
            reach = b
    return total


def _ms(at: float) -> int:
    return round(at * 1000)


def _tags(member: Member) -> dict[str, str]:
    return {"household": member.household, "isp": member.isp, "area": member.area}


def incident_publication(
    member: Member, incident: Incident, digest: str, seal: int, head: tuple[int, str], hour_monitored: float
) -> Publication:
    """An incident as the pool gets it, at its start: ``digest`` is the SHA-256 (hex) of its sealed record, ``seal``
    the seal holding that version, ``head`` the chain's newest seal when it was queued."""
    assert incident.end is not None
    tags = {**_tags(member), "kind": incident.kind.value, "cause": incident.cause.value}
    fields: dict[str, bool | int | float | str] = {
        "start": float(incident.start),  # always floats: InfluxDB refuses a field whose type changes
        "end": float(incident.end),
        "duration_s": float(round(incident.end - incident.start, 3)),
        "hour_monitored_s": float(round(hour_monitored, 3)),
        "asn": member.asn,
        "digest": digest,
        "seal": seal,
        "head_seal": head[0],
        "head_digest": head[1],
    }
    start_ms = _ms(incident.start)
    return Publication(f"incident {incident.kind.value} {start_ms}", INCIDENT, tags, fields, start_ms)


def coverage_publication(member: Member, start: float, end: float) -> Publication:
    """A monitored stretch as the pool gets it, at its start (a longer version of it overwrites the point)."""
    fields: dict[str, bool | int | float | str] = {
        "start": float(start),
        "end": float(end),
        "monitored_s": float(round(end - start, 3)),
        "asn": member.asn,
    }
    start_ms = _ms(start)
    return Publication(f"coverage {start_ms}", COVERAGE, _tags(member), fields, start_ms)


def member_publication(member: Member, joined: float) -> Publication:
    """What the household says of itself, at the instant it joined (rewritten when any of it changes)."""
    fields: dict[str, bool | int | float | str] = {
        "isp": member.isp,
        "asn": member.asn,
        "area": member.area,
        "signature": member.signature,
        "withdrawn": 0.0 if member.withdrawn is None else float(member.withdrawn),
    }
    return Publication("member", MEMBER, {"household": member.household}, fields, _ms(joined))
