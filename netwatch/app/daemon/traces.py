"""The daemon's traceroutes: evidence of where the path ended when an outage or an ISP-hop failure began.

Owns deciding when to trace (an outage opened; the ISP hop silent for ``confirm`` rounds while the router
answers, outside an outage), towards which anchor (the first IPv4 one, else the first), running the trace on a
daemon thread (about one ``[traceroute] timeout``; the probe loop never waits for it, and a stop does not
either), and storing it through the writer, linked to its incident. One trace at a time: a failure that starts
while one runs is not traced again. Must not decide from anything but the rounds and events the daemon hands
over, nor make the probe loop or a stop wait for a trace.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import ipaddress
import logging
import time
from typing import TYPE_CHECKING

from netwatch.adapters.probes.traceroute import trace
from netwatch.core import detect
from netwatch.core.model import Incident, Kind, Role, Round, StoredTrace, Trace
from netwatch.report.traces import summary

if TYPE_CHECKING:
    from netwatch.app.daemon.runtime import Runtime
    from netwatch.app.daemon.writer import Writer

log = logging.getLogger("netwatch")


def destination(anchors: tuple[str, ...]) -> str | None:
    """The anchor to trace towards: the first IPv4 one (IPv4 paths are the ones ISPs answer questions about),
    else the first."""
    v4 = [a for a in anchors if ipaddress.ip_address(a).version == 4]
    candidates = v4 or list(anchors)
    return candidates[0] if candidates else None


class TraceTask:
    """Traceroutes for one daemon run; ``observe`` after every handled round."""

    def __init__(self, runtime: Runtime, writer: Writer, privileged: bool) -> None:
        self.runtime, self.writer, self.privileged = runtime, writer, privileged
        self.cfg = runtime.config.traceroute
        self.confirm = runtime.config.detect.confirm
        self._running: asyncio.Task[None] | None = None
        self._isp_silent = 0  # consecutive rounds with the ISP hop silent and the router answering
        self.traces = 0

    def observe(self, rnd: Round, events: list[detect.Event]) -> None:
        """Start a trace when this round opened an outage, or made the ISP hop's silence a failure."""
        for event in events:
            if isinstance(event, detect.Opened) and event.incident.kind is Kind.OUTAGE:
                self._start("outage started", event.incident)
                return
        gateway, isp = rnd.by_role(Role.GATEWAY), rnd.by_role(Role.ISP)
        silent = bool(isp) and not any(s.ok for s in isp) and all(s.ok for s in gateway)
        self._isp_silent = self._isp_silent + 1 if silent else 0
        if self._isp_silent == self.confirm and self.runtime.state.outage is None:
            self._start("the ISP hop stopped answering", self.runtime.state.degraded)

    def _start(self, reason: str, incident: Incident | None) -> None:
        target = destination(self.runtime.config.targets.anchors)
        if target is None or (self._running is not None and not self._running.done()):
            return
        self._running = asyncio.ensure_future(self._trace(target, reason, incident))

    async def _trace(self, target: str, reason: str, incident: Incident | None) -> None:
        from netwatch.app.daemon.writer import in_daemon_thread

        started, mono = self.runtime.now(), time.monotonic()
        run = functools.partial(
            trace,
            target,
            privileged=self.privileged,
            max_hops=self.cfg.max_hops,
            timeout=self.cfg.timeout,
            started_at=started,
        )
        try:
            path: Trace = await in_daemon_thread(run, name="netwatch-traceroute")
        except Exception as err:  # a bug in the probe must not stop the daemon; the incident stays without it
            log.error("traceroute towards %s failed: %r", target, err)
            return
        self.traces += 1
        log.info("traceroute (%s): %s", reason, summary(path))
        # A synchronisation during the trace re-timed the provisional start of the trace and of its incident.
        stored = StoredTrace(
            trace=dataclasses.replace(path, started_at=self.runtime.restamp(started, mono)),
            reason=reason,
            incident_kind=None if incident is None else incident.kind,
            incident_start=None if incident is None else self.runtime.restamp(incident.start, mono),
        )
        self.writer.submit(self.writer.store.save_trace, stored)

    def cancel(self) -> None:
        if self._running is not None:
            self._running.cancel()
