"""The status snapshot: the state of the line and of netwatch as the store holds it, for `netwatch status` and
the dashboard.

Owns reading one ``Status`` from the configured store (the last round, open and recent incidents, the current
session, the replicas' cursors, an open clock span, the newest seal, open tickets), and whose resolvers a dns
outage's names failed on. Must not word it
(``netwatch.report.status``) or ask the running daemon anything: the store is the truth (the line's state now,
from the daemon's live file, is ``netwatch.app.now``'s).
"""

from __future__ import annotations

from netwatch.adapters.influx.sinks import sink_key
from netwatch.app import stores
from netwatch.config import Config
from netwatch.core.model import ExportState, LineNow, Role, Status
from netwatch.core.nameservice import Resolver, resolver_at

SESSIONS_BACK = 366 * 86400.0  # seconds: how far back the current session is looked for


def snapshot(cfg: Config, now: float, recent: int = 5) -> Status:
    """The status at ``now``, with the ``recent`` latest incidents. Raises StoreError."""
    with stores.reading(cfg) as store:
        sessions = store.sessions(now - SESSIONS_BACK, now)
        exports: tuple[tuple[str, ExportState | None], ...] = ()
        if cfg.influxdb.enabled:
            exports = (("InfluxDB", store.export_state(sink_key(cfg.influxdb))),)
        open_spans = [s for s in store.clock_spans(float("-inf"), float("inf")) if s.open]
        head = store.head()
        unsynced = None
        if open_spans:
            span = open_spans[-1]
            unsynced = (span.start_ms / 1000.0, max(0, (span.last_round or 0) - span.first_round + 1))
        return Status(
            last_round=store.last_round(),
            open_incidents=tuple(store.open_incidents()),
            recent_incidents=tuple(store.recent_incidents(recent)),
            sessions=(sessions[-1],) if sessions else (),
            exports=exports,
            unsynced=unsynced,
            seal=(head.seal_id, head.digest.hex()) if head.seal_id else None,
            open_tickets=tuple(t for t in store.tickets(now, now) if t.is_open),
        )


def newest_seal(cfg: Config) -> tuple[int, str] | None:
    """The evidence chain's newest seal (id, hex digest); None before the first one or without a store."""
    if not cfg.store.path.exists():
        return None
    with stores.reading(cfg) as store:
        head = store.head()
    return (head.seal_id, head.digest.hex()) if head.seal_id else None


def resolvers_at(cfg: Config, instant: float, line: LineNow) -> Resolver:
    """Whose resolvers the session running at ``instant`` asked (a dns outage's, for what the pages advise): the
    resolvers it recorded, the gateway also as ``line``'s last round names it. UNRECORDED without a store."""
    if not cfg.store.path.exists():
        return Resolver.UNRECORDED
    with stores.reading(cfg) as store:
        found = store.session_methods(instant - SESSIONS_BACK, instant)
    last = line.last_round
    gateways = {s.target.address for s in last.samples if s.target.role is Role.GATEWAY} if last is not None else set()
    return resolver_at(instant, [(m.start, max(m.end, instant), m.method) for m in found[-1:]], gateways)
