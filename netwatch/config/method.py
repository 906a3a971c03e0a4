"""The probing method a configuration states: what a session records when it begins.

Owns turning ``[probe]``, ``[targets]``, ``[dns]`` and ``[detect]`` into a ``ProbeMethod`` (the targets' roles and
addresses as configured, "auto" where a hop is discovered). Must not read the store or decide how a report words
it (``netwatch.report.compute`` and the templates do).
"""

from __future__ import annotations

from collections.abc import Sequence

from netwatch.config.records import Config
from netwatch.core.model import ProbeMethod, Role, Target


def probe_method(cfg: Config, system_resolvers: Sequence[str] | None = None) -> ProbeMethod:
    """The method of ``cfg``: its interval, timeout, outage and degradation rules, the targets it names and the
    resolvers its names go to: ``[dns] servers``, else ``system_resolvers`` (the system's, as read when the session
    begins; None: not known, as for a report's idea of today's configuration)."""
    if not cfg.dns.names:
        resolvers: tuple[str, ...] | None = ()
    elif cfg.dns.servers:
        resolvers = cfg.dns.servers
    else:
        resolvers = None if system_resolvers is None else tuple(system_resolvers)
    hops = (Target(Role.GATEWAY, cfg.targets.gateway), Target(Role.ISP, cfg.targets.isp))
    return ProbeMethod(
        interval=cfg.probe.interval,
        timeout=cfg.probe.timeout,
        confirm=cfg.detect.confirm,
        window=cfg.detect.window,
        loss_percent=cfg.detect.loss_percent,
        latency_ms=cfg.detect.latency_ms,
        targets=(
            *(t for t in hops if t.address),
            *(Target(Role.ANCHOR, a) for a in cfg.targets.anchors),
            *(Target(Role.DNS, n) for n in cfg.dns.names),
        ),
        resolvers=resolvers,
    )
