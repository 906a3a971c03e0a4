"""The area report's figures: for each of my outages, how many households of the same provider and area were
monitoring and how many were down, with households of other providers in the same area as a control.

Owns the rule and its sentences. A household counts as **monitoring** one of my outages when it was down during it
(an outage is only recorded while monitoring) or when its published monitored stretches cover the whole of it; a
household that monitored only part of it and was up then is listed as "partly monitored" and counted neither way,
and one that published nothing for that time is not counted at all: unmonitored households are never counted as up.
**Down** means an outage of a cause the provider answers for, published by that household, overlapping mine; the
**overlap** is the time every household counted as down was down at once. Records that cannot be checked (no seal
digest or chain head) are not counted and the report lists their households; households that withdrew are named as
such. Providers and areas compare case-insensitively, blanks collapsed, as neighbours type them. Must not read the
pool or the store: the pool's records, my outages and the period come in as arguments; reading them is
``netwatch.app.pool``'s.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from netwatch.core.model import Incident, Kind, Member, Period, PooledIncident, PooledSpan
from netwatch.core.pool import PROVIDER_CAUSES
from netwatch.core.text import clock_time, local_time
from netwatch.core.text import span as words

DASH = "\u2013"  # between the two ends of a time span, as typeset
EPSILON = 0.001  # seconds: stretches published to the millisecond


def same(a: str, b: str) -> bool:
    """Two providers' (or areas') names as neighbours type them: case and blanks aside."""
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


Intervals = list[tuple[float, float]]


def union(pieces: Sequence[tuple[float, float]]) -> Intervals:
    out: Intervals = []
    for a, b in sorted(p for p in pieces if p[1] > p[0]):
        if out and a <= out[-1][1] + EPSILON:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def clip(pieces: Intervals, lo: float, hi: float) -> Intervals:
    """The parts of ``pieces`` (sorted, disjoint: as ``union`` makes them) inside [lo, hi)."""
    first = max(0, bisect.bisect_right(pieces, (lo, math.inf)) - 1)  # the piece that may hold lo, then on
    out: Intervals = []
    for a, b in pieces[first:]:
        if a >= hi:
            break
        if b > lo:
            out.append((max(a, lo), min(b, hi)))
    return out


def total(pieces: Intervals) -> float:
    return sum(b - a for a, b in pieces)


def intersect(x: Intervals, y: Intervals) -> Intervals:
    out: Intervals = []
    i = j = 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if b > a:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


@dataclass(frozen=True)
class Household:
    """One household of the pool in the period: ``label`` is its signature when it signs, else its id."""

    household: str
    label: str
    isp: str
    area: str
    mine: bool
    outages: tuple[PooledIncident, ...]  # published outages of the provider's causes overlapping the period
    monitored: Intervals = field(default_factory=list)  # clipped to the period, outages included
    withdrawn: float | None = None
    down: Intervals = field(default_factory=list)  # its outages as one sorted, disjoint list

    @property
    def monitored_seconds(self) -> float:
        return total(self.monitored)


@dataclass(frozen=True)
class Neighbour:
    """One household during one of my outages."""

    household: Household
    state: str  # "down", "up", "partly monitored", "not monitoring"
    down_seconds: float  # inside my outage
    monitored_seconds: float  # inside my outage
    outages: tuple[PooledIncident, ...] = ()  # its outages overlapping mine


@dataclass(frozen=True)
class Count:
    """Households of one group during one outage: those monitoring it, those down."""

    monitoring: int
    down: int
    partly: int


@dataclass(frozen=True)
class Shared:
    """One of my outages against the pool."""

    outage: Incident
    start: float  # clipped to the period
    end: float
    neighbours: tuple[Neighbour, ...]  # the same provider and area, me first
    control: tuple[Neighbour, ...]  # other providers, same area
    same: Count
    others: Count
    together: tuple[tuple[float, float], ...]  # when every household counted as down was down at once
    extent: tuple[float, float]  # earliest start and latest end of their outages overlapping mine

    @property
    def overlap_seconds(self) -> float:
        return total(list(self.together))


@dataclass(frozen=True)
class AreaFigures:
    """The area report of a period: ``isp`` and ``area`` as asked; ``households`` of that provider and area (me
    first), ``control`` those of other providers in the area, ``shared`` each of my outages, ``unchecked`` the
    households whose records cannot be checked (and why), ``withdrawn`` those that withdrew theirs."""

    period: Period
    timezone: str
    household: str
    isp: str
    area: str
    households: tuple[Household, ...]
    control: tuple[Household, ...]
    shared: tuple[Shared, ...]
    unchecked: tuple[tuple[str, str], ...] = ()
    withdrawn: tuple[Member, ...] = ()
    asked: bool = True
    reason: str = ""  # why the pool could not be asked (asked False)

    @property
    def signed(self) -> tuple[Household, ...]:
        return tuple(h for h in self.households if h.label != h.household)

    def of(self, incident: Incident) -> Shared | None:
        """The comparison of one of this household's outages (None for any other incident)."""
        return next(
            (s for s in self.shared if (s.outage.kind, s.outage.start) == (incident.kind, incident.start)), None
        )

    def sentence(self, shared: Shared) -> str:
        return sentence(shared, self.isp, self.area, ZoneInfo(self.timezone))

    def control_sentence(self, shared: Shared) -> str:
        return control_sentence(shared, self.area)


NO_AREA = AreaFigures(Period(0.0, 0.0), "UTC", "", "", "", (), (), (), asked=False)


def _household(member_of: dict[str, Member], household: str, isp: str, area: str, mine: bool) -> Household:
    member = member_of.get(household)
    label = member.signature if member is not None and member.signature else household
    withdrawn = member.withdrawn if member is not None else None
    return Household(household, label, isp, area, mine, (), [], withdrawn)


def area_figures(
    period: Period,
    timezone: str,
    household: str,
    isp: str,
    area: str,
    outages: Sequence[Incident],
    incidents: Sequence[PooledIncident],
    spans: Sequence[PooledSpan],
    members: Sequence[Member],
    unreadable: Sequence[tuple[str, str]] = (),
    home: tuple[str, str] | None = None,
) -> AreaFigures:
    """The figures of ``period`` for ``household`` (this one), whose ``outages`` (from its own store) are compared
    with the pool's records of provider ``isp`` in ``area`` (and of other providers in that area, the control).
    ``home`` is this household's own provider and area (default: ``isp`` and ``area``); its published records say
    it first. This household counts among the others only when it is of that provider and area."""
    member_of = {m.household: m for m in members}
    unchecked = dict(unreadable)
    where: dict[str, tuple[str, str]] = {}
    records: list[PooledIncident | PooledSpan] = [*incidents, *spans]
    for rec in records:
        where.setdefault(rec.household, (rec.isp, rec.area))
    if household not in where:
        where[household] = home or (isp, area)
    outages_of: dict[str, list[PooledIncident]] = {}
    for i in incidents:
        if i.kind is Kind.OUTAGE and i.cause in PROVIDER_CAUSES and i.end > period.since and i.start < period.until:
            outages_of.setdefault(i.household, []).append(i)
    spans_of: dict[str, list[tuple[float, float]]] = {}
    for s in spans:
        spans_of.setdefault(s.household, []).append((s.start, s.end))
    built: dict[str, Household] = {}
    for h, (h_isp, h_area) in where.items():
        if h in unchecked or not same(h_area, area):
            continue
        base = _household(member_of, h, h_isp, h_area, h == household)
        down = tuple(outages_of.get(h, ()))
        covered = union(spans_of.get(h, []) + [(i.start, i.end) for i in down])
        built[h] = Household(
            h,
            base.label,
            h_isp,
            h_area,
            h == household,
            down,
            clip(covered, period.since, period.until),
            base.withdrawn,
            union([(i.start, i.end) for i in down]),
        )
    mine = built.get(household)
    households = (
        *((mine,) if mine is not None and same(mine.isp, isp) else ()),
        *sorted((h for h in built.values() if same(h.isp, isp) and not h.mine), key=lambda h: h.household),
    )
    control = tuple(
        sorted((h for h in built.values() if not same(h.isp, isp) and not h.mine), key=lambda h: h.household)
    )
    shared = []
    for outage in sorted(outages, key=lambda i: i.start):
        if outage.kind is not Kind.OUTAGE or outage.cause not in PROVIDER_CAUSES:
            continue
        start = max(outage.start, period.since)
        end = min(outage.end if outage.end is not None else period.until, period.until)
        if end <= start:
            continue
        shared.append(_shared(outage, start, end, households, control))
    withdrawn = tuple(m for m in members if m.withdrawn is not None and same(m.area, area))
    return AreaFigures(
        period,
        timezone,
        household,
        isp,
        area,
        households,
        control,
        tuple(shared),
        tuple(sorted(unchecked.items())),
        withdrawn,
    )


def _neighbour(h: Household, start: float, end: float, mine: bool) -> Neighbour:
    length = end - start
    if mine:
        return Neighbour(h, "down", length, length)
    down = clip(h.down, start, end)
    monitored = total(clip(h.monitored, start, end))
    overlapping = tuple(o for o in h.outages if o.end > start and o.start < end) if down else ()
    if down:
        return Neighbour(h, "down", total(down), monitored, overlapping)
    if monitored >= length - EPSILON:
        return Neighbour(h, "up", 0.0, monitored)
    return Neighbour(h, "partly monitored" if monitored > 0 else "not monitoring", 0.0, monitored)


def _count(neighbours: Sequence[Neighbour]) -> Count:
    return Count(
        sum(n.state in ("down", "up") for n in neighbours),
        sum(n.state == "down" for n in neighbours),
        sum(n.state == "partly monitored" for n in neighbours),
    )


def _shared(
    outage: Incident, start: float, end: float, households: Sequence[Household], control: Sequence[Household]
) -> Shared:
    neighbours = tuple(_neighbour(h, start, end, h.mine) for h in households)
    others = tuple(_neighbour(h, start, end, False) for h in control)
    down = [n for n in neighbours if n.state == "down"]
    together: Intervals = [(start, end)]
    for n in down:
        if not n.household.mine:
            together = intersect(together, clip(n.household.down, start, end))
    pieces = [(outage.start, outage.end or end)] + [(o.start, o.end) for n in down for o in n.outages]
    extent = (min(a for a, _ in pieces), max(b for _, b in pieces))
    return Shared(outage, start, end, neighbours, others, _count(neighbours), _count(others), tuple(together), extent)


def _households(n: int) -> str:
    return f"{n} household{'' if n == 1 else 's'}"


def _mine(shared: Shared) -> bool:
    return any(n.household.mine for n in shared.neighbours)


def sentence(shared: Shared, isp: str, area: str, zone: ZoneInfo) -> str:
    """ "5 of 6 monitored households on Example Broadband in AB1 2 were down 09:12-13:05 (overlap 3 h 41 min)" (the
    times joined by an en dash)."""
    c = shared.same
    where = f"on {isp} in {area}"
    partly = f"; {_households(c.partly)} monitored only part of it" if c.partly else ""
    if not c.monitoring:
        return f"no household {where} was monitoring then{partly}"
    if not _mine(shared) and not c.down:
        noun, verb = ("household", "was") if c.monitoring == 1 else ("households", "were")
        return f"0 of {c.monitoring} monitored {noun} {where} {verb} down{partly}"
    if _mine(shared) and c.down <= 1:
        others = c.monitoring - c.down
        return (
            f"this household alone: none of the {_households(others)} {where} monitoring then was down{partly}"
            if others
            else f"no other household {where} was monitoring then{partly}"
        )
    extent = shared.extent
    span = f"{clock_time(extent[0], zone)}{DASH}{clock_time(extent[1], zone)}"
    if local_time(extent[0], zone, "date") != local_time(extent[1], zone, "date"):
        span = f"{local_time(extent[0], zone, 'minute')}{DASH}{local_time(extent[1], zone, 'minute')}"
    return (
        f"{c.down} of {c.monitoring} monitored households {where} were down {span} "
        f"(overlap {words(shared.overlap_seconds)}){partly}"
    )


def control_sentence(shared: Shared, area: str) -> str:
    """ "0 of 3 on other providers in AB1 2 were down" (or that none was monitoring)."""
    c = shared.others
    if not c.monitoring:
        return f"no household on another provider in {area} was monitoring then"
    verb = "was" if c.monitoring == 1 else "were"
    return f"{c.down} of {c.monitoring} on other providers in {area} {verb} down"
