"""Report metrics: pure computation from incidents and coverage over a period.

Owns what a report says in numbers: monitored and unmonitored time (and the gaps between sessions),
availability over monitored time, downtime and business-hours downtime, outage statistics (longest, median,
MTBF, MTTR), everything split by cause, downtime per local day, ISO week and month, degraded time, the anchor
loss and latency series, the method the figures rest on, cost and credit (``report.money``), speed against the
plan (``report.speed``), and the JSON contract. Must not read the store, the clock or files: the caller passes
the period (already clipped to "now"), the incidents, the coverage sessions, the anchor series and the speed
tests. Unmonitored time is never counted as up or down.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from netwatch.core.model import (
    Cause,
    Coverage,
    Incident,
    Kind,
    Period,
    ProbeMethod,
    Role,
    SeriesPoint,
    SessionMethod,
    Target,
)
from netwatch.core.nameservice import Resolver, resolver_lookup
from netwatch.core.schedule import BusinessHours
from netwatch.core.witness import NO_WITNESS, WitnessFigures
from netwatch.report.area import NO_AREA, AreaFigures
from netwatch.report.buckets import Bucket, Measure, Unit, calendar, gaps, months, spread
from netwatch.report.cost import NO_MONEY, Money, money
from netwatch.report.evidence import NO_EVIDENCE, EvidenceFigures
from netwatch.report.speed import NO_SPEED, SpeedFigures, speed_figures
from netwatch.report.tickets import NO_CLAIMS, ClaimFigures

if TYPE_CHECKING:
    from netwatch.config.records import CostConfig, DetectConfig, PlanConfig, ProbeConfig
    from netwatch.core.model import SpeedResult

__all__ = [
    "CLOCK",
    "ISP_CAUSES",
    "Bucket",
    "CauseFigures",
    "IncidentFigures",
    "Method",
    "MethodEra",
    "Money",
    "Period",
    "Report",
    "SeriesPoint",
    "SpeedFigures",
    "compute",
    "method_from_config",
    "method_from_sessions",
    "series_bucket_seconds",
    "series_points",
]

# The causes the provider may answer for; a dns outage only through the provider's resolvers (``IncidentFigures``).
ISP_CAUSES = frozenset({Cause.ISP, Cause.UPSTREAM, Cause.ISP_OR_UPSTREAM, Cause.DNS})
CLOCK = (
    "system wall clock (UTC) for timestamps, rounds paced by the monotonic clock. Before the clock is synchronised"
    " (a Raspberry Pi boots with a stale time) rounds are timed provisionally from the monotonic clock and corrected"
    " once it is; a step of a synchronised clock of more than 1 s between rounds closes open incidents and starts a"
    " new session, so it never becomes a fake outage or a negative duration"
)
SERIES_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 7 * 86400)  # seconds


@dataclass(frozen=True)
class IncidentFigures:
    incident: Incident
    start: float  # clipped to the period
    end: float  # clipped to the period (and, while open, to the last monitored instant)
    business_seconds: float
    resolver: Resolver | None = None  # a dns outage's: whose resolvers failed (None: not a dns outage, or not known)

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)

    @property
    def provider(self) -> bool:
        """Whether the provider answers for it: causes isp, upstream and isp_or_upstream, and dns only when the
        names failed through the provider's resolvers (never through the owner's router)."""
        cause = self.incident.cause
        return cause in ISP_CAUSES and (cause is not Cause.DNS or self.resolver is Resolver.PROVIDER)

    @property
    def own_dns(self) -> bool:
        """A dns outage not claimed from the provider: the resolvers were the owner's, or were not recorded."""
        return self.incident.cause is Cause.DNS and self.resolver is not Resolver.PROVIDER

    @property
    def clipped(self) -> bool:
        inc = self.incident
        return self.start != inc.start or inc.end is None or self.end != inc.end


@dataclass(frozen=True)
class CauseFigures:
    """The outages of one cause inside the period."""

    cause: Cause
    count: int
    seconds: float
    business_seconds: float


@dataclass(frozen=True)
class MethodEra:
    """A stretch of the period whose sessions recorded the same method: [since, until], clipped to the period;
    ``settings`` is None where the sessions began before netwatch recorded their method."""

    since: float
    until: float
    settings: ProbeMethod | None


@dataclass(frozen=True)
class Method:
    """How the figures were measured, stated in the report so that a reader can judge them: ``settings`` are the
    latest method the period's sessions recorded (or the configuration's, when none was recorded or the report
    is not from the store), ``interval`` the precision of every start and end (the coarsest interval recorded),
    ``eras`` the recorded methods in order."""

    settings: ProbeMethod
    interval: float  # seconds between rounds: the precision of every outage's start and end
    clock: str  # a sentence describing the clock source
    eras: tuple[MethodEra, ...] = ()  # the recorded methods of the period's sessions, in order; () = not from them
    current: ProbeMethod | None = None  # today's configuration, given when some session recorded no method

    @property
    def timeout(self) -> float:
        return self.settings.timeout

    @property
    def confirm(self) -> int:
        return self.settings.confirm

    @property
    def window(self) -> int:
        return self.settings.window

    @property
    def loss_percent(self) -> float:
        return self.settings.loss_percent

    @property
    def latency_ms(self) -> float:
        return self.settings.latency_ms

    @property
    def targets(self) -> tuple[Target, ...]:
        return self.settings.targets

    @property
    def resolvers(self) -> tuple[str, ...] | None:
        return self.settings.resolvers

    @property
    def recorded(self) -> tuple[MethodEra, ...]:
        """The eras whose method was recorded."""
        return tuple(e for e in self.eras if e.settings is not None)

    @property
    def unrecorded(self) -> bool:
        """Some sessions of the period have no recorded method (they began before netwatch recorded it): a
        document must say so rather than present the current configuration as theirs."""
        return any(e.settings is None for e in self.eras)

    @property
    def several(self) -> bool:
        """The period's sessions were not all recorded with one method: each era is stated with its dates."""
        return len(self.eras) > 1 or self.unrecorded


@dataclass(frozen=True)
class Report:
    """Every figure of a report, built by ``compute``. Outage statistics (median, MTBF, MTTR, by cause) count
    outages only; degraded time is separate; every duration is clipped to the period."""

    period: Period
    timezone: str
    sessions: tuple[Coverage, ...]  # clipped to the period, merged
    monitored_seconds: float
    incidents: tuple[IncidentFigures, ...]
    by_cause: tuple[CauseFigures, ...] = ()  # outages, every Cause in declaration order, zeros included
    days: tuple[Bucket, ...] = ()  # local days, ISO weeks and months in the business timezone
    weeks: tuple[Bucket, ...] = ()
    months: tuple[Bucket, ...] = ()
    series: tuple[SeriesPoint, ...] = ()
    method: Method | None = None
    money: Money = NO_MONEY
    gaps: tuple[tuple[float, float], ...] = ()  # unmonitored [start, end) inside the period, in order
    speed: SpeedFigures = NO_SPEED  # the speed tests that started inside the period (``report.speed``)
    evidence: EvidenceFigures = NO_EVIDENCE  # clock events, traceroutes and the chain's seal (``report.evidence``)
    claims: ClaimFigures = NO_CLAIMS  # fault tickets and what the rules give for them (``report.tickets``)
    witness: WitnessFigures = NO_WITNESS  # a second probe on each outage, added by ``netwatch.app.witness``
    area: AreaFigures = NO_AREA  # the neighbourhood pool on each outage, added by ``netwatch.app.pool``

    @property
    def unmonitored_seconds(self) -> float:
        return max(0.0, self.period.seconds - self.monitored_seconds)

    def of_kind(self, kind: Kind) -> tuple[IncidentFigures, ...]:
        return tuple(f for f in self.incidents if f.incident.kind is kind)

    @property
    def outages(self) -> tuple[IncidentFigures, ...]:
        return self.of_kind(Kind.OUTAGE)

    @property
    def downtime_seconds(self) -> float:
        return sum(f.seconds for f in self.outages)

    @property
    def availability_percent(self) -> float | None:
        if self.monitored_seconds <= 0:
            return None
        return max(0.0, 100.0 * (self.monitored_seconds - self.downtime_seconds) / self.monitored_seconds)

    @property
    def business_downtime_seconds(self) -> float:
        return sum(f.business_seconds for f in self.outages)

    @property
    def longest_outage_seconds(self) -> float:
        return max((f.seconds for f in self.outages), default=0.0)

    @property
    def median_outage_seconds(self) -> float | None:
        """None when there was no outage."""
        durations = [f.seconds for f in self.outages]
        return statistics.median(durations) if durations else None

    @property
    def mttr_seconds(self) -> float | None:
        """Mean time to repair: the mean outage duration; None when there was no outage."""
        durations = [f.seconds for f in self.outages]
        return sum(durations) / len(durations) if durations else None

    @property
    def mtbf_seconds(self) -> float | None:
        """Mean time between failures: monitored up time divided by the number of outages; None without any."""
        count = len(self.outages)
        return max(0.0, self.monitored_seconds - self.downtime_seconds) / count if count else None

    @property
    def isp_attributable_seconds(self) -> float:
        """Outage seconds the provider answers for: causes isp, upstream, isp_or_upstream, and dns through the
        provider's resolvers (``IncidentFigures.provider``)."""
        return sum(f.seconds for f in self.outages if f.provider)

    @property
    def own_dns(self) -> tuple[IncidentFigures, ...]:
        """The dns outages not claimed from the provider (``IncidentFigures.own_dns``)."""
        return tuple(f for f in self.outages if f.own_dns)

    @property
    def own_dns_seconds(self) -> float:
        return sum(f.seconds for f in self.own_dns)

    @property
    def local_seconds(self) -> float:
        """Outage seconds of local faults (the gateway did not answer either)."""
        return sum(f.seconds for f in self.outages if f.incident.cause is Cause.LOCAL)

    @property
    def degraded_seconds(self) -> float:
        return sum(f.seconds for f in self.of_kind(Kind.DEGRADED))


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


def _buckets(
    unit: Unit,
    period: Period,
    zone: ZoneInfo,
    sessions: Sequence[Coverage],
    figures: Sequence[IncidentFigures],
    business: Measure,
) -> tuple[Bucket, ...]:
    cuts = calendar(period.since, period.until, zone, unit)
    if not cuts:
        return ()
    bounds = [start for start, _, _ in cuts] + [cuts[-1][1]]
    outages = [(f.start, f.end) for f in figures if f.incident.kind is Kind.OUTAGE]
    degraded = [(f.start, f.end) for f in figures if f.incident.kind is Kind.DEGRADED]
    columns = zip(
        spread(bounds, ((c.start, c.end) for c in sessions)),
        spread(bounds, outages),
        spread(bounds, outages, business),
        spread(bounds, degraded),
        strict=True,
    )
    return tuple(Bucket(start, end, label, *row) for (start, end, label), row in zip(cuts, columns, strict=True))


def compute(
    period: Period,
    incidents: Sequence[Incident],
    sessions: Sequence[Coverage],
    business: BusinessHours,
    *,
    method: Method | None = None,
    cost: CostConfig | None = None,
    plan: PlanConfig | None = None,
    series: Sequence[SeriesPoint] = (),
    speeds: Sequence[SpeedResult] = (),
    evidence: EvidenceFigures = NO_EVIDENCE,
    claims: ClaimFigures = NO_CLAIMS,
) -> Report:
    """Figures for ``period``. Open incidents run to the end of the monitored time, never beyond it.

    ``series`` is kept as given (see ``series_points``), minus the points outside the period; ``cost`` and
    ``plan`` give the money figures (None: not configured). ``speeds`` are speed test attempts: those starting
    inside the period give the speed figures against ``plan`` (see ``report.speed``). Work grows with the number
    of incidents, speed tests and days, not with the length of the period in seconds. ``evidence`` is kept as
    given (see ``report.evidence.evidence_figures``), and so is ``claims`` (``report.tickets``).
    """
    merged = _merge(sessions, period)
    monitored_until = merged[-1].end if merged else period.since
    hours = Measure(business.intervals(period.since, period.until))
    figures: list[IncidentFigures] = []
    resolver_at = resolvers_of(method)
    for inc in sorted(incidents, key=lambda i: (i.start, i.kind.value)):
        end = inc.end if inc.end is not None else max(inc.start, monitored_until)
        start, stop = max(inc.start, period.since), min(end, period.until)
        if stop < start or (stop == start and inc.end is not None and inc.end > inc.start):
            continue
        resolver = resolver_at(start) if inc.cause is Cause.DNS else None
        figures.append(IncidentFigures(inc, start, stop, hours.seconds(start, stop), resolver))
    outages = [f for f in figures if f.incident.kind is Kind.OUTAGE]
    by_cause = tuple(
        CauseFigures(
            cause,
            sum(1 for f in outages if f.incident.cause is cause),
            sum(f.seconds for f in outages if f.incident.cause is cause),
            sum(f.business_seconds for f in outages if f.incident.cause is cause),
        )
        for cause in Cause
    )
    zone = business.timezone
    month_cuts = months(period.since, period.until, zone)
    isp = [(f.start, f.end) for f in outages if f.provider]
    isp_by_month = spread([start for start, _, _ in month_cuts] + [period.until], isp) if month_cuts else []
    monitored = sum(c.seconds for c in merged)
    return Report(
        period=period,
        timezone=str(business.timezone),
        sessions=merged,
        monitored_seconds=monitored,
        incidents=tuple(figures),
        by_cause=by_cause,
        days=_buckets(Unit.DAY, period, zone, merged, figures, hours),
        weeks=_buckets(Unit.WEEK, period, zone, merged, figures, hours),
        months=_buckets(Unit.MONTH, period, zone, merged, figures, hours),
        series=tuple(p for p in series if p.start < period.until and p.start + p.seconds > period.since),
        method=method,
        money=money(
            cost=cost,
            plan=plan,
            business_downtime_seconds=sum(f.business_seconds for f in outages),
            isp_seconds_by_month=[(s, length) for s, (_, _, length) in zip(isp_by_month, month_cuts, strict=True)],
            monitored_seconds=monitored,
            period_seconds=period.until - period.since,
        ),
        gaps=gaps((period.since, period.until), [(c.start, c.end) for c in merged]),
        speed=speed_figures(speeds, business, plan, since=period.since, until=period.until),
        evidence=evidence,
        claims=claims,
    )


def resolvers_of(method: Method | None) -> Callable[[float], Resolver]:
    """Whose resolvers a dns outage under way at an instant (inside the period) failed on, from the method its
    session recorded (the era holding it; the method's own settings when it has no eras); UNRECORDED without one."""
    if method is None:
        return lambda _: Resolver.UNRECORDED
    if method.eras:
        spans = [(e.since, e.until, e.settings) for e in method.eras]
        return resolver_lookup(spans, gateways_in(method.settings))
    return resolver_lookup([(float("-inf"), float("inf"), method.settings)])


def gateways_in(settings: ProbeMethod) -> tuple[str, ...]:
    return tuple(t.address for t in settings.targets if t.role is Role.GATEWAY)


def method_from_config(
    probe: ProbeConfig, detect: DetectConfig, targets: Iterable[Target], clock: str = CLOCK
) -> Method:
    """The Method of a configuration and the targets actually probed (duplicates dropped, order kept)."""
    settings = ProbeMethod(
        interval=probe.interval,
        timeout=probe.timeout,
        confirm=detect.confirm,
        window=detect.window,
        loss_percent=detect.loss_percent,
        latency_ms=detect.latency_ms,
        targets=tuple(dict.fromkeys(targets)),
    )
    return Method(settings, probe.interval, clock)


def method_from_sessions(
    sessions: Sequence[SessionMethod],
    current: ProbeMethod,
    period: Period,
    probed: Sequence[Target] = (),
    clock: str = CLOCK,
) -> Method:
    """The Method of the period from the methods its ``sessions`` recorded when they began: consecutive sessions of
    one method make one era (clipped to the period). The interval is the coarsest recorded; the other fields are the
    latest recorded method's, or ``current`` (today's configuration) when no session recorded one. ``probed`` are
    the targets of the latest round (the addresses found for "auto" hops), shown instead when they hold the same
    anchors as that method."""
    eras: list[MethodEra] = []
    for s in sessions:
        since, until = max(period.since, s.start), min(period.until, s.end)
        if until < since or (until == since and s.end > s.start):
            continue
        if eras and eras[-1].settings == s.method:
            eras[-1] = MethodEra(eras[-1].since, until, s.method)
        else:
            eras.append(MethodEra(since, until, s.method))
    recorded = [e.settings for e in eras if e.settings is not None]
    base = recorded[-1] if recorded else current
    if probed and _same_anchors(base.targets, probed):
        base = replace(base, targets=tuple(dict.fromkeys(probed)))
    return Method(
        settings=base,
        interval=max(m.interval for m in recorded) if recorded else current.interval,
        clock=clock,
        eras=tuple(eras),
        current=current if any(e.settings is None for e in eras) else None,
    )


def _same_anchors(named: Sequence[Target], probed: Sequence[Target]) -> bool:
    def anchors(targets: Sequence[Target]) -> set[Target]:
        return {t for t in targets if t.role is Role.ANCHOR}

    return anchors(named) == anchors(probed)


def series_bucket_seconds(period: Period, max_points: int = 500, sessions: Sequence[Coverage] = ()) -> int:
    """The smallest bucket of SERIES_STEPS giving at most ``max_points`` points over the period: 5 min for a
    day, 30 min for a week, 2 h for a month, 1 day for a year. With ``sessions``, over the part of the period
    from the first to the last of them only (a short history gets points a minute apart, not a few dots)."""
    seconds = period.seconds
    if sessions:
        first = max(period.since, min(s.start for s in sessions))
        last = min(period.until, max(s.end for s in sessions))
        seconds = min(seconds, max(0.0, last - first))
    return next((step for step in SERIES_STEPS if seconds / step <= max_points), SERIES_STEPS[-1])


def series_points(
    rows: Iterable[tuple[int, int, int, float | None, float | None]], bucket_seconds: float
) -> tuple[SeriesPoint, ...]:
    """SeriesPoints from ``Store.anchor_series`` rows (bucket start, sent, lost, RTT average, RTT maximum)."""
    return tuple(
        SeriesPoint(float(start), float(bucket_seconds), sent, lost, avg, top) for start, sent, lost, avg, top in rows
    )
