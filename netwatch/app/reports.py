"""A report's figures, assembled: from the local store or from the InfluxDB replica, with the fault tickets, the
claims, the speed campaign and a second witness.

Owns what every face asks for when it wants a report (``build``): choosing the period (a named one, or
``--since``/``--until``, by default from the store's first session), reading everything it needs (incidents,
coverage, the anchor series, speed tests, clock events and spans, traceroutes, fault tickets, the chain's seal)
and handing it to ``netwatch.report.compute``, with the running daemon's last uncommitted seconds counted as
monitored (its live file, ``netwatch.app.now``); for a report from InfluxDB, the local store's tickets, and the
witness's verdicts. A part that cannot be read never loses the report: it comes back as a warning. Must not
render or write anything (``netwatch.app.documents``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from netwatch.adapters.store import codec
from netwatch.adapters.store.sqlite import Store
from netwatch.app import stores
from netwatch.app.now import fresh_live
from netwatch.config import Config
from netwatch.config.method import probe_method
from netwatch.config.records import UK_NATIONS
from netwatch.core.claims import Deadline, claims_for, deadlines
from netwatch.core.model import Coverage, Incident, Live, Period, Role, SpeedResult, Target, Ticket
from netwatch.core.when import bound
from netwatch.errors import InputError, ReportError, StoreError
from netwatch.report import period as periods
from netwatch.report.compute import (
    CLOCK,
    Report,
    compute,
    method_from_config,
    method_from_sessions,
    series_bucket_seconds,
    series_points,
)
from netwatch.report.evidence import Seal, Unsynced, evidence_figures
from netwatch.report.tickets import CampaignFigures, ClaimFigures, relevant, ticket_figures

if TYPE_CHECKING:
    from netwatch.report.area import AreaFigures


def unsynced(store: Store, since: float, until: float) -> list[Unsynced]:
    """The rounds timed provisionally around the period as the report shows them: the spans never corrected,
    and every re-timing act the chain holds (each one is listed, so that no report hides a moved time)."""
    out = []
    for span in store.clock_spans(since, until):
        if span.delta_ms is not None:
            continue  # listed from its re-timing act below
        rounds = 0 if span.last_round is None else max(0, span.last_round - span.first_round + 1)
        end = codec.from_ms(span.end_ms if span.end_ms is not None else span.start_ms)
        out.append(Unsynced(codec.from_ms(span.start_ms), end, rounds, False, None))
    out += [Unsynced(start, end, rounds, True, delta) for start, end, rounds, delta in store.retimings(since, until)]
    return sorted(out, key=lambda u: u.start)


SPEED_CLOCK_LOOKBACK = 92 * 86400.0  # seconds of speed tests read before the period or its first ticket
# A ticket the owner closed up to this long before the period may still cover it: the measurement, not the owner's
# word, ends a fault (a line still down after the "fix").
TICKET_LOOKBACK = 92 * 86400.0
LIVE_SLACK = 300.0  # seconds: a session ending this close to the period's end is the running daemon's
SAME_INSTANT = 0.002  # seconds: the live file's session start and the store's (kept to the millisecond) agree


def uk_nation(cfg: Config) -> str:
    """``[claims] region``, else the nation of ``business_hours.holidays`` ("GB-SCT" → "SCT"), else England."""
    if cfg.claims.region:
        return cfg.claims.region
    holidays = str(cfg.business_hours.to_table().get("holidays") or "")
    country, _, nation = holidays.upper().partition("-")
    return nation if country in ("GB", "UK") and nation in UK_NATIONS else "ENG"


def measured_until(chosen: Period, coverage: Sequence[Coverage], lag: float = 0.0) -> float:
    """Where open tickets and outages are measured to: the end of the period, or, while the daemon is recording
    (its session reaches the period's end but for the commit lag: ``lag``, the seal interval, and some slack), its
    last commit; when monitoring stopped before the end, the end of the period, so that the stop shows (nothing
    unseen is ever counted as down)."""
    last = max((c.end for c in coverage), default=chosen.since)
    return last if chosen.until - LIVE_SLACK - lag <= last < chosen.until else chosen.until


def claim_figures(
    cfg: Config,
    chosen: Period,
    tickets: Sequence[Ticket],
    around: Sequence[Incident],
    speeds: Sequence[SpeedResult],
    coverage: Sequence[Coverage],
) -> ClaimFigures:
    """The tickets of the period against the incidents ``around`` them and the ``coverage`` (the sessions since the
    earliest report), and what ``[claims] rules`` gives for them. Candidate tickets that have nothing in the period
    (their fault was over before it) are left out."""
    until = max(chosen.since, measured_until(chosen, coverage, cfg.store.seal_every))
    figures = tuple(
        f for f in ticket_figures(tickets, around, coverage, until, cfg.business_hours) if relevant(f, chosen.since)
    )
    claims = claims_for(
        cfg.claims.rules,
        since=chosen.since,
        until=until,
        incidents=around,
        tickets=[f.ticket for f in figures],
        speeds=speeds,
        plan=cfg.plan,
        timezone=cfg.business_hours.timezone.key,
        region=uk_nation(cfg),
        overrides=cfg.claims.amounts,
        coverage=coverage,
        situation=cfg.claims.situation,
        holidays=cfg.business_hours.holidays,
    )
    deadlines = tuple((f.ticket.ref, found) for f in figures if (found := deadlines_of(cfg, f.ticket)))
    return ClaimFigures(figures, claims, cfg.claims.rules, deadlines=deadlines)


def deadlines_of(cfg: Config, ticket: Ticket) -> tuple[Deadline, ...]:
    """When ``[claims] rules``' clocks run out for ``ticket`` in the owner's situation (none for a closed ticket
    or rules without any)."""
    if not ticket.is_open:
        return ()
    return deadlines(
        cfg.claims.rules,
        ticket,
        timezone=cfg.business_hours.timezone.key,
        region=uk_nation(cfg),
        situation=cfg.claims.situation,
        holidays=cfg.business_hours.holidays,
    )


def period_tickets(store: Store, chosen: Period) -> list[Ticket]:
    """The tickets that may have something in the period: reported before its end, and not closed (by the owner's
    word) long before its start; ``relevant`` decides with the measurements."""
    return store.tickets(chosen.since - TICKET_LOOKBACK, chosen.until)


def with_live(sessions: Sequence[Coverage], current: Live | None) -> list[Coverage]:
    """``sessions`` with the running daemon's (``current``: its fresh live file) reaching one interval past its
    last round: the store commits rounds in batches, and the seconds the daemon probed since its last commit are
    monitored, not a gap. Nothing changes without a live file or while its clock is not trusted."""
    if current is None or not current.trusted or current.last_round is None:
        return list(sessions)
    reach = current.last_round.at + current.interval
    return [
        replace(c, end=max(c.end, reach)) if abs(c.start - current.session_start) < SAME_INSTANT else c
        for c in sessions
    ]


def with_open(incidents: Sequence[Incident], current: Live | None) -> list[Incident]:
    """``incidents`` with the running daemon's open ones (``current``: its fresh live file) as it sees them after its
    last round: one it opened since the last commit is added, and its version of one the store holds replaces it."""
    if current is None:
        return list(incidents)
    live = {(i.kind, round(i.start, 3)): i for i in current.open_incidents}
    kept = [i for i in incidents if (i.kind, round(i.start, 3)) not in live]
    return sorted([*kept, *live.values()], key=lambda i: (i.start, i.kind.value))


def from_store(store: Store, cfg: Config, chosen: Period, current: Live | None = None) -> Report:
    """Every figure of a report of ``chosen`` from ``store``: the method its sessions recorded (``cfg``'s where
    none was recorded), ``cfg``'s plan, cost and schedule; ``current`` is the running daemon's live file (its last
    seconds are monitored, see ``with_live``)."""
    sessions = with_live(store.sessions(chosen.since, chosen.until), current)
    bucket = series_bucket_seconds(chosen, sessions=sessions)
    series = series_points(store.anchor_series(chosen.since, chosen.until, bucket), bucket)
    last = store.last_round()
    probed = [s.target for s in last.samples] if last else []
    method = method_from_sessions(store.session_methods(chosen.since, chosen.until), probe_method(cfg), chosen, probed)
    head = store.head()
    evidence = evidence_figures(
        chosen.since,
        chosen.until,
        store.clock_events(chosen.since, chosen.until),
        unsynced(store, chosen.since, chosen.until),
        store.traces(chosen.since, chosen.until),
        Seal(head.seal_id, head.digest.hex()) if head.seal_id else None,
    )
    incidents = store.incidents(chosen.since, chosen.until)
    report = compute(
        chosen,
        incidents,
        sessions,
        cfg.business_hours,
        method=method,
        cost=cfg.cost,
        plan=cfg.plan,
        series=series,
        speeds=store.speed_results(chosen.since, chosen.until),
        evidence=evidence,
    )
    return replace(report, claims=claims_from_store(store, cfg, chosen, incidents))


def claims_from_store(store: Store, cfg: Config, chosen: Period, inside: Sequence[Incident]) -> ClaimFigures:
    """The claims part of a report of ``chosen``: its tickets, what the rules give, its speed campaign. ``inside``
    are the incidents overlapping the period (from the store, or from InfluxDB); the store gives the rest: the
    tickets, the outages between an earlier report and the period, the coverage, the speed tests."""
    tickets = period_tickets(store, chosen)
    # A ticket reported before the period covers the outage it was about, which may have begun before it too;
    # an hour seen "up" between the report and the period would end the fault too early.
    first = min((t.reported for t in tickets), default=chosen.since)
    before = store.incidents(first, chosen.since) if first < chosen.since else []
    seen = {(i.kind, i.start) for i in inside}
    around = [i for i in before if (i.kind, i.start) not in seen] + list(inside)
    # The speeds code's 30-day clock starts at a report after a slow test, both possibly in an earlier period.
    speeds = store.speed_results(min(first, chosen.since) - SPEED_CLOCK_LOOKBACK, chosen.until)
    coverage = store.sessions(min(first, chosen.since), chosen.until)
    claims = claim_figures(cfg, chosen, tickets, around, speeds, coverage)
    return replace(claims, campaign=campaign_in(store, cfg, chosen))


def campaign_in(store: Store, cfg: Config, chosen: Period) -> CampaignFigures | None:
    """The current speed campaign when one of its slots is planned or measured inside the period."""
    current = store.campaign()
    if current is None:
        return None
    from netwatch.core.campaign.progress import evaluation_of, measurements

    instants = [s.planned for s in current.slots] + [m.at for m in measurements(current)]
    if not any(chosen.since <= at < chosen.until for at in instants):
        return None
    return CampaignFigures(current, evaluation_of(current, cfg.plan))


def from_influx(
    cfg: Config, probe: str, chosen: Period | None, since: str | None, until: str | None, *, now: float
) -> Report:
    """The report of ``probe`` built from ``[influxdb]``: the period is ``chosen``, else ``--since``/``--until``
    (``since`` defaulting to the probe's first point in InfluxDB). Raises ReportError (and ConfigError for an
    unreadable secret file)."""
    if not cfg.influxdb.enabled:
        raise ReportError(
            "--source influxdb reads the [influxdb] replica, but influxdb.url is not set; set it to the InfluxDB "
            'that netwatch exports to, e.g. url = "http://influxdb.lan:8086", with the keys of its api'
        )
    from netwatch.adapters.influx.history import InfluxSource
    from netwatch.adapters.influx.sinks import describe

    with InfluxSource(cfg.influxdb, probe, fallback_interval=cfg.probe.interval) as source:
        source.check_probe()
        if chosen is None:
            tz = cfg.business_hours.timezone
            start = None if since else source.first_seen()
            chosen = periods.resolve(since, until, tz, now=now, history_start=start)
        period = chosen
        history = source.read(period, lambda sessions: series_bucket_seconds(period, sessions=sessions))
    targets = history.targets or tuple(Target(Role.ANCHOR, a) for a in cfg.targets.anchors)
    clock = (
        f"{CLOCK}. Read from InfluxDB at {describe(cfg.influxdb)}, probe {probe}: incidents as exported, coverage"
        " from the probe's status points to the minute (unmonitored gaps under a minute are not seen)"
    )
    method = method_from_config(cfg.probe, cfg.detect, targets, clock=clock)
    if history.interval is not None:
        method = replace(method, interval=round(history.interval, 3))
    return compute(
        chosen,
        history.incidents,
        history.sessions,
        cfg.business_hours,
        method=method,
        cost=cfg.cost,
        plan=cfg.plan,
        series=history.series,
    )


def named_period(named: str | None, since: str | None, until: str | None, cfg: Config, now: float) -> Period | None:
    """The period ``--period`` names (None without it); bad ``--since``/``--until`` words are refused here, before
    any store is opened. Raises InputError."""
    tz = cfg.business_hours.timezone
    if named and (since or until):
        raise InputError("--period names the whole period: use it or --since/--until, not both")
    chosen = periods.named(named, tz, now=now) if named else None
    for field, word in (("since", since), ("until", until)):
        if word:
            bound(field, word, tz, end_of_day=False)
    return chosen


def period_in(store: Store, since: str | None, until: str | None, cfg: Config, now: float) -> Period:
    """The period of ``--since``/``--until``; without ``--since`` it starts with the store's first session."""
    history = store.sessions(float("-inf"), now)
    tz = cfg.business_hours.timezone
    return periods.resolve(since, until, tz, now=now, history_start=history[0].start if history else None)


def ticketed(figures: Report, cfg: Config, probe: str) -> tuple[Report, str | None]:
    """A report from InfluxDB of this probe with the fault tickets, speed tests (for the claims) and speed campaign
    of the local store: InfluxDB holds none of them. Another probe's report, or no local store, has none; a store
    that cannot be read costs one warning, never the report."""
    from netwatch.app.daemon.export import probe_name

    if probe != probe_name(cfg.probe) or not cfg.store.path.exists():
        return figures, None
    try:
        with Store.open(cfg.store.path, readonly=True) as store, store.snapshot():
            claims = claims_from_store(store, cfg, figures.period, [f.incident for f in figures.incidents])
    except StoreError as err:
        return figures, f"no fault tickets in this report: {err}"
    return replace(figures, claims=claims), None


def witnessed(figures: Report, cfg: Config, probe: str | None = None) -> tuple[Report, str | None]:
    """``figures`` with the verdicts of ``[report] witness`` on its outages (``probe``: whose report it is, by
    default this probe); when the witness cannot be asked, the report says why and so does the warning."""
    if not cfg.report.witness:
        return figures, None
    from netwatch.app.daemon.export import probe_name
    from netwatch.app.witness import ask

    return ask(figures, cfg, probe or probe_name(cfg.probe))


@dataclass(frozen=True)
class Built:
    """A report and what could not go into it (one line each, for the face to show)."""

    report: Report
    warnings: tuple[str, ...] = ()


def unrecorded(cfg: Config, since: str, until: str, now: float) -> Built:
    """The report of the period ``since``-``until`` (WHEN words, clipped to now) before the daemon recorded anything
    (no store yet): all of it not monitored, nothing counted as up or down. Raises InputError."""
    chosen = periods.resolve(since, until, cfg.business_hours.timezone, now=now, history_start=None)
    targets = [Target(Role.ANCHOR, a) for a in cfg.targets.anchors]
    method = method_from_config(cfg.probe, cfg.detect, targets)
    return Built(compute(chosen, (), (), cfg.business_hours, method=method, cost=cfg.cost, plan=cfg.plan))


def build(
    cfg: Config,
    *,
    named: str | None = None,
    since: str | None = None,
    until: str | None = None,
    source: str = "sqlite",
    probe: str | None = None,
    now: float,
    witness: bool = True,
) -> Built:
    """The report a face asks for: the period ``named`` or ``since``/``until``, from the local store
    (``source`` "sqlite") or from the ``[influxdb]`` replica ("influxdb", of ``probe``, by default this one).
    ``witness``: ask ``[report] witness`` about the outages (a page shown during an outage does not wait for it)."""
    chosen = named_period(named, since, until, cfg, now)
    warnings: list[str | None] = []
    if source == "influxdb":
        from netwatch.app.daemon.export import probe_name

        whose = probe or probe_name(cfg.probe)
        report, warning = ticketed(from_influx(cfg, whose, chosen, since, until, now=now), cfg, whose)
        report, asked = witnessed(report, cfg, whose) if witness else (report, None)
        warnings += [warning, asked]
    else:
        if probe is not None:
            raise InputError("--probe picks a probe in InfluxDB: add --source influxdb (the local store holds one)")
        current = fresh_live(cfg, now)
        with stores.reading(cfg) as store:
            report = from_store(store, cfg, chosen or period_in(store, since, until, cfg, now), current)
            if witness and cfg.pool.enabled:  # a page shown during an outage does not wait for the pool either
                from netwatch.app import pool

                area, pooled = pool.in_report(cfg, report.period, store)
                report = replace(report, area=area)
                warnings.append(pooled)
        report, asked = witnessed(report, cfg) if witness else (report, None)
        warnings.append(asked)
    return Built(report, tuple(w for w in warnings if w))


def area_of(
    cfg: Config,
    named: str | None,
    since: str | None,
    until: str | None,
    now: float,
    *,
    isp: str | None = None,
    area: str | None = None,
) -> AreaFigures:
    """The area report of the period `netwatch pool report` names (as `netwatch report` takes it)."""
    from netwatch.app import pool

    pool.require_pool(cfg)
    chosen = named_period(named, since, until, cfg, now)
    with Store.open(cfg.store.path, readonly=True) as store:
        period = chosen or period_in(store, since, until, cfg, now)
        return pool.area_report(cfg, period, store, isp=isp, area=area)
