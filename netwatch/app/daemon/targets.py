"""What each round probes: the gateway (from the routing table), the ISP hop (a TTL-limited probe) and the anchors.

Owns ``Targets``: the current target list, re-reading the default route (cheap: /proc/net/route is tiny) and
keeping the last gateway when the route vanishes with the carrier, discovering the ISP hop on a daemon thread
(refreshed periodically and after every outage), starting from the hop an earlier run found (the daemon keeps it in
the store; older versions kept it in an ``isp-hop`` file in the state directory) so that a start during an
outage still blames the right layer, and telling ``found`` each new hop. Must not probe the targets themselves, nor
open the store.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Callable

from netwatch.adapters.probes import discover
from netwatch.app.daemon.writer import in_daemon_thread
from netwatch.config import Config
from netwatch.core.model import Role, Target

log = logging.getLogger("netwatch")


class Targets:
    """The targets of the current rounds; gateway and ISP hop may change at runtime. ``found``, when set, is told
    every ISP hop discovered that differs from the one in use (the daemon remembers it in the store)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.found: Callable[[str], None] | None = None
        self.gateway: str | None = None
        self.anchors: tuple[str, ...] = config.targets.anchors
        self.isp: str | None = None
        self.last_isp_discovery = -1e18
        self._gateway_gone = False
        self._discovery: asyncio.Task[None] | None = None
        self._forced = False  # a forced discovery waits for the one in progress
        self._routes = discover.Routes()
        # The targets of the last (gateway, ISP hop), asked for several times a round: rebuilt only when one changes.
        self._built: tuple[tuple[str | None, str | None], tuple[Target, ...]] | None = None

    def icmp_targets(self) -> tuple[Target, ...]:
        key = (self.gateway, self.isp)
        if self._built is None or self._built[0] != key:
            self._built = key, self._build()
        return self._built[1]

    def _build(self) -> tuple[Target, ...]:
        out: list[Target] = []
        if self.gateway:
            out.append(Target(Role.GATEWAY, self.gateway))
        if self.isp:
            out.append(Target(Role.ISP, self.isp))
        out.extend(Target(Role.ANCHOR, a) for a in self.anchors)
        return tuple(out)

    def resolve_gateway(self) -> None:
        want = self.config.targets.gateway
        if want != "auto":
            self.gateway = want or None
            return
        found = self._routes.default_gateway()
        if found == self.gateway or (found is None and self._gateway_gone):
            return
        if found:
            log.info("gateway is %s (default route)", found)
            self.gateway = found
            self._gateway_gone = False
        elif self.gateway:
            # The route vanishes with the carrier (cable pulled, Wi-Fi lost): keep probing the last gateway, so
            # the outage is blamed on the local network rather than on nobody.
            log.warning("default route gone; still probing the last gateway %s", self.gateway)
            self._gateway_gone = True
        else:
            log.warning("no default route: the gateway is not probed until one appears")
            self._gateway_gone = True

    async def discover_isp(self, privileged: bool) -> None:
        want = self.config.targets.isp
        self.last_isp_discovery = time.monotonic()
        if want != "auto":
            self.isp = want or None
            return
        hop = await in_daemon_thread(
            discover.isp_hop, self.anchors, self.gateway, privileged, self.config.probe.timeout
        )
        if hop and hop != self.isp:
            log.info("ISP hop is %s (first hop beyond the gateway)", hop)
            self.isp = hop
            if self.found is not None:
                self.found(hop)
        elif not hop and self.isp is None:
            log.info("ISP hop not found yet (no Time Exceeded at TTL 2); retrying after the next refresh")
        elif not hop:
            log.debug("ISP hop not found now; keeping %s", self.isp)

    def recall(self, remembered: str | None) -> None:
        """Probe ``remembered`` (the ISP hop an earlier run found) as the ISP hop until discovery says otherwise:
        it cannot be discovered while the access link is down, which is exactly when it matters most."""
        if self.config.targets.isp == "auto" and remembered and self.isp is None:
            log.info("ISP hop is %s (found by an earlier run; checked again now)", remembered)
            self.isp = remembered

    def legacy_isp_hop(self) -> str | None:
        """The hop an older netwatch kept in the state directory (``isp-hop``), if any and valid."""
        try:
            text = (self.config.state_dir / "isp-hop").read_text().strip()
            ipaddress.ip_address(text)
        except (OSError, ValueError):
            return None
        return text

    def maybe_rediscover(self, privileged: bool, force: bool = False) -> None:
        """Discover the ISP hop again when forced (after an outage) or due (``isp_refresh``). Called every round: a
        forced discovery asked for while one is running (begun during the outage, when it cannot succeed) starts as
        soon as that one is done, rather than an hour later."""
        self._forced = self._forced or force
        due = time.monotonic() - self.last_isp_discovery >= self.config.targets.isp_refresh
        if (self._forced or due) and (self._discovery is None or self._discovery.done()):
            self._forced = False
            self._discovery = asyncio.create_task(self.discover_isp(privileged))

    def cancel(self) -> None:
        """Stop a discovery in progress (its thread is a daemon thread: nobody waits for it), and let go of the
        routing tables."""
        if self._discovery is not None:
            self._discovery.cancel()
        self._routes.close()
