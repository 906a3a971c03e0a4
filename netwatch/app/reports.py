"""Reports from the local store: reading everything a report of a period needs and computing its figures.

Owns the store side of `netwatch report` and of the evidence bundle: incidents, coverage sessions, the anchor
series, speed tests, clock events and spans, traceroutes, fault tickets and the chain's seal, read through a read-only
``Store`` and handed to ``compute``. Must not render or write anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from netwatch.adapters.store import codec
from netwatch.adapters.store.sqlite import Store
from netwatch.config import Config
from netwatch.config.records import UK_NATIONS
from netwatch.core.campaign.progress import evaluation_of, measurements
from netwatch.core.claims import claims_for
from netwatch.core.model import Coverage, Incident, Role, SpeedResult, Target, Ticket
from netwatch.report.compute import Period, Report, compute, method_from_config, series_bucket_seconds, series_points
from netwatch.report.evidence import Seal, Unsynced, evidence_figures
from netwatch.report.tickets import CampaignFigures, ClaimFigures, relevant, ticket_figures


def unsynced(store: Store, since: float, until: float) -> list[Unsynced]:
    """The clock spans overlapping the period as the report shows them."""
    out = []
    for span in store.clock_spans(since, until):
        rounds = 0 if span.last_round is None else max(0, span.last_round - span.first_round + 1)
        end = codec.from_ms(span.end_ms if span.end_ms is not None else span.start_ms)
        delta = None if span.delta_ms is None else codec.from_ms(span.delta_ms)
        out.append(Unsynced(codec.from_ms(span.start_ms), end, rounds, span.delta_ms is not None, delta))
    return out


SPEED_CLOCK_LOOKBACK = 92 * 86400.0  # seconds of speed tests read before the period or its first ticket
# A ticket the owner closed up to this long before the period may still cover it: the measurement, not the owner's
# word, ends a fault (a line still down after the "fix").
TICKET_LOOKBACK = 92 * 86400.0
LIVE_SLACK = 300.0  # seconds: a session ending this close to the period's end is the running daemon's


def uk_nation(cfg: Config) -> str:
    """``[claims] region``, else the nation of ``business_hours.holidays`` ("GB-SCT" → "SCT"), else England."""
    if cfg.claims.region:
        return cfg.claims.region
    holidays = str(cfg.business_hours.to_table().get("holidays") or "")
    country, _, nation = holidays.upper().partition("-")
    return nation if country in ("GB", "UK") and nation in UK_NATIONS else "ENG"


def measured_until(chosen: Period, coverage: Sequence[Coverage]) -> float:
    """Where open tickets and outages are measured to: the end of the period, or, while the daemon is recording
    (its session reaches the period's end but for the commit lag), its last commit; when monitoring stopped
    before the end, the end of the period, so that the stop shows (nothing unseen is ever counted as down)."""
    last = max((c.end for c in coverage), default=chosen.since)
    return last if chosen.until - LIVE_SLACK <= last < chosen.until else chosen.until


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
    until = max(chosen.since, measured_until(chosen, coverage))
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
    )
    return ClaimFigures(figures, claims, cfg.claims.rules)


def period_tickets(store: Store, chosen: Period) -> list[Ticket]:
    """The tickets that may have something in the period: reported before its end, and not closed (by the owner's
    word) long before its start; ``relevant`` decides with the measurements."""
    return store.tickets(chosen.since - TICKET_LOOKBACK, chosen.until)


def figures(store: Store, cfg: Config, chosen: Period) -> Report:
    """Every figure of a report of ``chosen`` from ``store``, with ``cfg``'s method, plan, cost and schedule."""
    bucket = series_bucket_seconds(chosen)
    series = series_points(store.anchor_series(chosen.since, chosen.until, bucket), bucket)
    last = store.last_round()
    targets = [s.target for s in last.samples] if last else [Target(Role.ANCHOR, a) for a in cfg.targets.anchors]
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
        store.sessions(chosen.since, chosen.until),
        cfg.business_hours,
        method=method_from_config(cfg.probe, cfg.detect, targets),
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
    instants = [s.planned for s in current.slots] + [m.at for m in measurements(current)]
    if not any(chosen.since <= at < chosen.until for at in instants):
        return None
    return CampaignFigures(current, evaluation_of(current, cfg.plan))
