"""The probing method a configuration states: what a session records when it begins.

Owns turning ``[probe]``, ``[targets]``, ``[dns]`` and ``[detect]`` into a ``ProbeMethod`` (the targets' roles and
addresses as configured, "auto" where a hop is discovered). Must not read the store or decide how a report words
it (``netwatch.report.compute`` and the templates do).
"""

from __future__ import annotations

from netwatch.config.records import Config
from netwatch.core.model import ProbeMethod, Role, Target


def probe_method(cfg: Config) -> ProbeMethod:
    """The method of ``cfg``: its interval, timeout, outage and degradation rules and the targets it names."""
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
    )
