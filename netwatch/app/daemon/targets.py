"""What each round probes: the gateway (from the routing table), the ISP hop (a TTL-limited probe) and the anchors.

Owns ``Targets``: the current target list, re-reading the default route (cheap: /proc/net/route is tiny) and
keeping the last gateway when the route vanishes with the carrier, discovering the ISP hop on a daemon thread
(refreshed periodically and after every outage), and remembering the last hop found in the state directory, so
that a start during an outage still blames the right layer. Must not probe the targets themselves.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from pathlib import Path

from netwatch.adapters.probes import discover
from netwatch.app.daemon.writer import in_daemon_thread
from netwatch.config import Config
from netwatch.core.model import Role, Target

log = logging.getLogger("netwatch")


class Targets:
    """The targets of the current rounds; gateway and ISP hop may change at runtime. ``remember`` writes the ISP
    hop found to the state directory (`netwatch probe` reads it, but never writes state)."""

    def __init__(self, config: Config, remember: bool = True) -> None:
        self.config = config
        self.remember = remember
        self.gateway: str | None = None
        self.anchors: tuple[str, ...] = config.targets.anchors
        self.isp: str | None = self._remembered_isp_hop()
        self.last_isp_discovery = -1e18
        self._gateway_gone = False
        self._discovery: asyncio.Task[None] | None = None

    def icmp_targets(self) -> tuple[Target, ...]:
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
        found = discover.default_gateway()
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
            if self.remember:
                self._remember_isp_hop(hop)
        elif not hop and self.isp is None:
            log.info("ISP hop not found yet (no Time Exceeded at TTL 2); retrying after the next refresh")
        elif not hop:
            log.debug("ISP hop not found now; keeping %s", self.isp)

    # The ISP hop cannot be discovered while the access link is down, which is exactly when it matters most:
    # remember the last one found, so a start (or `netwatch probe`) during an outage can still blame the right layer.
    @property
    def _isp_hop_file(self) -> Path:
        return self.config.state_dir / "isp-hop"

    def _remembered_isp_hop(self) -> str | None:
        if self.config.targets.isp != "auto":
            return None
        try:
            text = self._isp_hop_file.read_text().strip()
            ipaddress.ip_address(text)
        except (OSError, ValueError):
            return None
        return text

    def _remember_isp_hop(self, hop: str) -> None:
        try:
            self._isp_hop_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._isp_hop_file.with_suffix(".tmp")
            tmp.write_text(hop + "\n")
            tmp.replace(self._isp_hop_file)
        except OSError as err:
            log.warning("cannot remember the ISP hop in %s: %s", self._isp_hop_file, err.strerror)

    def maybe_rediscover(self, privileged: bool, force: bool = False) -> None:
        due = time.monotonic() - self.last_isp_discovery >= self.config.targets.isp_refresh
        if (force or due) and (self._discovery is None or self._discovery.done()):
            self._discovery = asyncio.create_task(self.discover_isp(privileged))

    def cancel(self) -> None:
        """Stop a discovery in progress (its thread is a daemon thread: nobody waits for it)."""
        if self._discovery is not None:
            self._discovery.cancel()
