"""The monitoring loop: probe on a fixed cadence, detect, persist, export.

Owns waiting for the network before the first route to an anchor (nothing is recorded meanwhile: that time is not
monitored), scheduling of rounds (a fixed cadence on the monotonic clock that does not drift and skips slots it
overran), the clock (netwatch.core.clock decides; the daemon stamps rounds, records clock events and has the store
re-time provisional stamps), feeding the detector, and handing rounds and incidents to the store's writer thread
(``writer``) so that a slow SD card never delays a probe; what is probed is ``targets``'. It starts the InfluxDB
exporter (a thread of its own that follows the committed store; its cursor goes through the writer), and the
scheduled speed tests (``speed``), and notifications (``notify``: closed incidents are handed to it). Signals only
set the stop event; shutdown stops the exporter, aborts a running speed test and delivery, closes open incidents at
the last round seen and flushes everything. The optional Prometheus endpoint (``netwatch.adapters.metrics``) is fed
after each round; what systemd is told (readiness, the watchdog kept alive from this loop, status) is ``service``'s,
and a stall of this loop is reported with its stack by ``stall``;
the tasks see the run through ``runtime.Runtime``. Must not decide anything about the line itself (the core's
detector and clock rules do) or word a report.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import functools
import logging
import os
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from netwatch import __version__
from netwatch.adapters import live, localzone
from netwatch.adapters.clock import SystemClock
from netwatch.adapters.clock import policy as clock_policy
from netwatch.adapters.probes import discover
from netwatch.adapters.probes.dns import DnsProber, system_resolvers
from netwatch.adapters.probes.icmp import IcmpProber, choose_mode
from netwatch.adapters.probes.protocols import EchoProbe, NameProbe
from netwatch.adapters.sdnotify import Notifier
from netwatch.adapters.store.sqlite import Store
from netwatch.app.daemon.probe_errors import ProbeErrors
from netwatch.app.daemon.runtime import Line
from netwatch.app.daemon.service import Supervision, watchdog_needed
from netwatch.app.daemon.stall import StallReporter
from netwatch.app.daemon.targets import Targets
from netwatch.app.daemon.traces import TraceTask
from netwatch.app.daemon.writer import Writer, exclusive_lock
from netwatch.config import Config
from netwatch.config.method import probe_method
from netwatch.core import clock as clocks
from netwatch.core import detect
from netwatch.core.model import ClockEvent, EventKind, Incident, Kind, Live, ProbeMethod, Round, Sample, SpeedResult
from netwatch.core.text import duration, utc
from netwatch.errors import OwnFault, StoreError

if TYPE_CHECKING:
    from netwatch.adapters.metrics import MetricsServer, Tracker
    from netwatch.app.daemon.export import Exporter
    from netwatch.app.daemon.notify import NotifyTask
    from netwatch.app.daemon.pool import PoolTask
    from netwatch.app.daemon.speed import SpeedTask

log = logging.getLogger("netwatch")

PRUNE_EVERY = 3600.0  # seconds between retention passes
# Seconds a clean stop waits for the exporter to send what the final commit added: a few writes when InfluxDB
# answers, well within systemd's TimeoutStopSec (30 s) with the final flush.
FINAL_EXPORT_S = 10.0
MAX_WAITING = 86_400  # rounds the writer holds while the store takes none (a hanging disk): a day at 1 s
# A seal touches a few dozen 1-KiB pages (the ends of the rounds' B-trees); a pruning pass reads more, a bit slower
# with a small cache. SQLite's default 2 MB would be filled by appends over a few hours and kept for good.
STORE_CACHE_KIB = 256
T = TypeVar("T")


def describe(incident: Incident) -> str:
    return f"{incident.kind.value} (cause {incident.cause.value}): {incident.detail}"


@dataclass(frozen=True)
class Unprobed:
    """A round that measured nothing: netwatch itself could not probe (``reason``), at ``at`` (monotonic ``mono``)."""

    at: float
    mono: float
    reason: str


class Daemon:
    """One monitoring run. ``run`` returns when ``stop`` is set, after flushing everything."""

    def __init__(
        self,
        config: Config,
        stop: asyncio.Event,
        clock: clocks.Clock | None = None,
        probes: tuple[EchoProbe, NameProbe] | None = None,
        notifier: Notifier | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """``clock`` and ``probes`` default to the system's clocks and to real ICMP and DNS probers; ``notifier``
        to systemd's notification socket (a no-op unless run under systemd); ``env`` (where the live state's RAM
        directory is found) to this process's environment."""
        self.config = config
        self.stop = stop
        self.env = os.environ if env is None else env
        self._probes = probes
        self.service = Supervision(notifier or Notifier(), config)
        # A gap between rounds longer than a healthy one (half the watchdog rule's minimum) is a stall: reported
        # with the loop's stack before the watchdog kills the process.
        self.stall = StallReporter(watchdog_needed(config.probe.interval, config.probe.timeout, config.dns.timeout) / 2)
        self.clock: clocks.Clock = clock if clock is not None else SystemClock()
        self.policy = clock_policy(config.clock.sync)
        self.clock_state = clocks.State()
        # Set while the wall clock is trusted; the exporter waits for it, so that replicas never get the
        # provisional times of rounds taken before the clock was synchronised.
        self.clock_ready = threading.Event()
        self._clock_events: list[ClockEvent] = []
        self.rules = detect.Rules(
            confirm=config.detect.confirm,
            window=config.detect.window,
            loss_percent=config.detect.loss_percent,
            latency_ms=config.detect.latency_ms,
            isp_sought=config.targets.isp == "auto",
        )
        self.state = detect.State()
        self.targets = Targets(config)
        self.last_round: Round | None = None
        self.rounds = 0
        self.overruns = 0
        self.clock_steps = 0
        self._speed: SpeedTask | None = None
        self._speed_run: asyncio.Task[None] | None = None
        self._traces: TraceTask | None = None
        self.notifier: NotifyTask | None = None  # [notify]: closed incidents are handed to it
        self._unnotified: list[Incident] = []  # closed while the clock was untrusted, waiting for the re-timing
        self._syncs: list[tuple[float, float]] = []  # (monotonic instant, re-timing in s) of each synchronisation
        self._notify_run: asyncio.Task[None] | None = None
        self.pool: PoolTask | None = None  # [pool]: closed incidents are handed to it
        self._pool_run: asyncio.Task[None] | None = None
        self._probe_errors = ProbeErrors()
        self._stamps_run: asyncio.Task[None] | None = None
        self._paused: str | None = None  # why netwatch itself cannot probe: monitoring is paused, time unmonitored
        self.unprobed = 0  # rounds that measured nothing (netwatch itself could not probe)
        self._dns_broken = ""  # the DNS probe's last exception, logged once
        self.metrics: Tracker | None = None  # what /metrics shows, with [metrics] enabled
        self._live: live.LiveFile | None = None  # the RAM file the line's state is written to after each round
        self._session_start = 0.0
        self._stopping: asyncio.Future[Any] | None = None  # see _stopping_future

    # --- the loop --------------------------------------------------------------------------------------------

    async def _monitor(self) -> None:
        cfg = self.config
        privileged = choose_mode(cfg.probe.mode) if self._probes is None else False
        store = await self.service.step("opening the store", asyncio.to_thread(Store.open, cfg.store.path))
        store.limit_cache(STORE_CACHE_KIB)
        try:
            lock = exclusive_lock(cfg.store.path)
        except StoreError:
            store.close()
            raise
        writer = Writer(store)
        icmp: EchoProbe
        dns: NameProbe
        if self._probes is not None:
            icmp, dns = self._probes
        else:
            icmp = IcmpProber(privileged, cfg.probe.timeout)
            dns = DnsProber(cfg.dns.names, cfg.dns.servers, cfg.dns.timeout)
        exporter: Exporter | None = None
        try:
            recovering = asyncio.wrap_future(writer.submit(store.recover))
            for closed in await self.service.step("closing what an unclean stop left open", recovering):
                log.warning("closed %s left open by an unclean stop, at the last stored round", describe(closed))
            # Not with injected probes: a daemon fed by fakes is on no real network to wait for.
            if self._probes is None and not await self._wait_for_network():
                return
            await self._begin(writer)
            await self._recall_isp_hop(writer)
            path = live.writable_path(cfg.store.path, self.env)
            self._live = live.LiveFile(path) if path is not None else None
            if self._live is None:
                log.info("no RAM directory for the live state (/run/netwatch, $XDG_RUNTIME_DIR): readers use the store")
            exporter = await self._start_export(writer)
            self.targets.resolve_gateway()
            self.targets.maybe_rediscover(privileged, force=True)
            log.info(
                "netwatch started: %s ICMP, a round every %g s (timeout %g s), store %s",
                "privileged" if privileged else "unprivileged",
                cfg.probe.interval,
                cfg.probe.timeout,
                cfg.store.path,
            )
            if localzone.system_zone() is None:
                log.info(localzone.NO_ZONE)
            self._start_speed_tests(writer)
            self._start_notifications(writer)
            self._start_timestamps(writer)
            self._start_pool(writer)
            # Not with injected probes: a daemon fed by fakes is on no real network to trace.
            if cfg.traceroute.enabled and self._probes is None:
                self._traces = TraceTask(self, writer, privileged)
            self.service.ready(self.line())
            self.stall.start()
            await self._loop(icmp, dns, writer, privileged)
        finally:
            self.stall.stop()  # before the final flush, which may take long without being a stall
            self.service.stopping()
            self.targets.cancel()
            if self._speed is not None:
                self._speed.cancel.set()  # a running backend aborts; its thread is a daemon thread
            if self._speed_run is not None:
                self._speed_run.cancel()
            if self._traces is not None:
                self._traces.cancel()
            if self.notifier is not None:
                self.notifier.cancel.set()  # a running command is killed; an unsent message stays in the outbox
            if self._notify_run is not None:
                self._notify_run.cancel()
            if self._stamps_run is not None:
                self._stamps_run.cancel()
            if self._pool_run is not None:
                self._pool_run.cancel()  # an unsent publication stays in the store's pool outbox
            icmp.close()
            try:
                self._shutdown(writer, exporter)
            finally:
                os.close(lock)

    async def _wait_for_network(self) -> bool:
        """Before the first route to an anchor (a Pi booting while DHCP is slow, a cable not yet in) there is no
        line to measure: netwatch waits, recording nothing, so that time is neither up nor down, nor an outage;
        it is not monitored. The session begins once a route appears (after that, a route that vanishes is an
        outage like any other). False when stopped while waiting."""
        anchors = self.config.targets.anchors
        if any(discover.routed(a) for a in anchors):
            return True
        log.warning(
            "waiting for the network: no route to any anchor yet (DHCP not done, or no cable or Wi-Fi); nothing is"
            " recorded, as up or down, until there is one"
        )
        self.service.waiting("no route to any anchor yet")
        began = time.monotonic()
        while not self.stop.is_set():
            try:
                await asyncio.wait_for(self.stop.wait(), self.config.probe.interval)
                return False
            except TimeoutError:
                pass
            self.service.keep_alive()
            if any(discover.routed(a) for a in anchors):
                log.info("network up after %s of waiting: monitoring starts", duration(time.monotonic() - began))
                return True
        return False

    async def _begin(self, writer: Writer) -> None:
        """Read the clocks for the first time and begin the session: provisionally timed when the wall clock is not
        trusted yet (and never before what the store already holds)."""
        store = writer.store
        floor = await asyncio.wrap_future(writer.submit(store.last_instant))
        reading = self.clock.read()
        self.clock_state, stamp, events = clocks.start(reading, self.policy, floor)
        self._session_start = stamp
        provisional = self.clock_state.offset is not None
        begin = functools.partial(
            store.begin_session,
            stamp,
            boot_id=self.clock.boot_id(),
            method=self.method,
            offset=stamp - reading.mono,
            provisional=provisional,
        )
        await asyncio.wrap_future(writer.submit(begin))
        for event in events:
            # A trusted clock that nothing could check is a note; an untrusted one changes how rounds are timed.
            level = logging.INFO if event.kind is EventKind.UNVERIFIED else logging.WARNING
            log.log(level, "clock: %s", event.detail)
            writer.submit(store.record_clock, event)
        if not provisional:
            # An earlier run of this boot may have stopped before the clock was synchronised: its provisional
            # stamps can be corrected now, from the same monotonic clock.
            retimed = await asyncio.wrap_future(
                writer.submit(store.retime, self.clock.boot_id(), reading.wall - reading.mono)
            )
            if retimed is not None and retimed.spans:
                event = ClockEvent(
                    EventKind.SYNCED,
                    stamp,
                    0.0,
                    f"the clock is synchronised: {retimed.rounds} rounds of an earlier run in this boot, timed before"
                    " it was, re-timed",
                )
                log.warning("clock: %s", event.detail)
                writer.submit(store.record_clock, event, retimed.rounds)
            self.clock_ready.set()

    async def _recall_isp_hop(self, writer: Writer) -> None:
        """Start from the ISP hop an earlier run found (kept in the store; an older netwatch's ``isp-hop`` file is
        taken into the store once), and keep every new one found."""
        store = writer.store
        remembered = await asyncio.wrap_future(writer.submit(store.isp_hop))
        if remembered is None and (legacy := self.targets.legacy_isp_hop()) is not None:
            remembered = legacy
            writer.submit(store.remember_isp_hop, legacy, self.now())
        self.targets.recall(remembered)

        def found(hop: str) -> None:
            writer.submit(store.remember_isp_hop, hop, self.now())

        self.targets.found = found

    def now(self) -> float:
        """The current instant as this run stamps it: the wall clock once trusted, else provisional."""
        offset = self.clock_state.offset
        reading = self.clock.read(status=False)
        return reading.wall if offset is None else reading.mono + offset

    def restamp(self, stamp: float, taken: float) -> float:
        """A stamp taken at monotonic instant ``taken``, corrected by every synchronisation since (work that spans
        one, such as a speed test or a traceroute, is stored after its provisional start was re-timed)."""
        return stamp + sum(delta for at, delta in self._syncs if at > taken)

    def line(self) -> Line:
        """The line after the last round, as systemd's status line shows it."""
        slow = self._speed.state.incident if self._speed is not None else None
        incidents = tuple(i for i in (self.state.outage, self.state.degraded, slow) if i is not None)
        targets = len(self.targets.icmp_targets()) + len(self.config.dns.names)
        return Line(incidents, targets, self.last_round.at if self.last_round is not None else None)

    def speed_measured(self, result: SpeedResult, events: Sequence[detect.Event] = ()) -> None:
        if self.metrics is not None:
            self.metrics.speed(result)
            if events:
                self.metrics.events(list(events))

    def closed(self, incident: Incident) -> None:
        if self.notifier is not None:
            self.notifier.closed(incident)

    @property
    def method(self) -> ProbeMethod:
        """The method recorded with each session it begins, with the system's resolvers as they are then (DHCP may
        have changed them since the last session)."""
        return probe_method(self.config, system_resolvers())

    async def run(self) -> None:
        """Monitor until ``stop`` is set, then flush everything. With ``[metrics] enabled`` the Prometheus
        endpoint comes first (a port in use is named before anything is opened) and closes last."""
        if self.config.timestamp.enabled and self.config.timestamp.ca_file is not None:
            from netwatch.adapters.timestamps import load_roots

            load_roots(self.config.timestamp.ca_file)  # the extra and the certificate, named before anything starts
        server = self._serve_metrics()
        try:
            await self._monitor()
        finally:
            if server is not None:
                server.close()
            if self._stopping is not None and self._stopping.get_loop() is asyncio.get_running_loop():
                self._stopping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._stopping

    def _serve_metrics(self) -> MetricsServer | None:
        """The Prometheus endpoint when ``[metrics] enabled``; raises ConfigError naming the key it cannot use."""
        if not self.config.metrics.enabled:
            return None
        from netwatch.adapters.metrics import Tracker, serve

        self.metrics = Tracker(self.config.detect.window)
        return serve(self.config.metrics, self.metrics, str(self.config.source) if self.config.source else None)

    def _publish(self, rnd: Round, events: list[detect.Event], writer: Writer) -> None:
        """Hand the round just handled to the metrics tracker (a few microseconds)."""
        assert self.metrics is not None
        slow = self._speed is not None and self._speed.state.incident is not None
        self.metrics.round(
            rnd,
            self.state,
            events,
            seconds=time.monotonic() - rnd.mono,
            overruns=self.overruns,
            pending=writer.pending(),
            write_failures=writer.failures,
            slow_open=slow,
        )

    def _start_speed_tests(self, writer: Writer) -> None:
        """The scheduled speed tests when ``[speedtest] enabled``; a backend that cannot run here is named now."""
        if not self.config.speedtest.enabled:
            return
        from netwatch.adapters.probes.speed import make_backend, unavailable
        from netwatch.app.daemon.speed import SpeedTask

        for name in self.config.speedtest.chain:
            why = unavailable(make_backend(name, self.config.speedtest.options_for(name)))
            if why:
                log.warning("speed test backend %s cannot run: %s", name, why)
        self._speed = SpeedTask(self, writer)
        self._speed_run = asyncio.create_task(self._speed.run())

    def _start_notifications(self, writer: Writer) -> None:
        """Notifications when ``[notify]`` has a channel; delivered only while the line is up."""
        if not self.config.notify.enabled:
            return
        from netwatch.app.daemon.notify import start

        def line_up() -> bool:
            return detect.line_ok(self.last_round) and detect.current_outage(self.state) is None

        self.notifier = start(self.config, writer, line_up, self.stop)
        if self.notifier is not None:
            self._notify_run = asyncio.create_task(self.notifier.run())

    def _start_timestamps(self, writer: Writer) -> None:
        """Trusted timestamps of the chain head when ``[timestamp] url`` is set (the ``timestamp`` extra is needed:
        run() refuses to start without it)."""
        if not self.config.timestamp.enabled:
            return
        from netwatch.app.daemon.stamps import StampTask

        self._stamps_run = asyncio.create_task(StampTask(self.config, writer, self.stop, self.clock_ready).run())

    def _start_pool(self, writer: Writer) -> None:
        """Publishing to the neighbourhood pool when ``[pool]`` has a URL; sent only while the line is up."""
        if not self.config.pool.enabled:
            return
        from netwatch.app.daemon.pool import start

        def line_up() -> bool:
            return detect.line_ok(self.last_round) and detect.current_outage(self.state) is None

        self.pool = start(self.config, writer, line_up, self.stop, self.clock_ready)
        self._pool_run = asyncio.create_task(self.pool.run())

    async def _start_export(self, writer: Writer) -> Exporter | None:
        """The InfluxDB exporter when ``[influxdb]`` is configured, following the store from its recorded cursor."""
        if not self.config.influxdb.enabled:
            return None
        from netwatch.adapters.influx.sinks import sink_key
        from netwatch.app.daemon.export import StoreLedger, start_exporter

        key = sink_key(self.config.influxdb)
        try:
            state = await asyncio.wrap_future(writer.submit(writer.store.start_export, key, time.time()))
        except StoreError as err:
            log.error("InfluxDB export not started: %s", err)
            return None
        return start_exporter(self.config, state, StoreLedger(writer.store, key, writer.submit), hold=self.clock_ready)

    async def _loop(self, icmp: EchoProbe, dns: NameProbe, writer: Writer, privileged: bool) -> None:
        cfg = self.config
        interval = cfg.probe.interval
        start = time.monotonic()
        slot = 0
        last_commit = last_seal = start
        committing: Future[None] | None = None
        last_prune = start - PRUNE_EVERY + 60.0  # first retention pass a minute after start
        stopping = self._stopping_future()
        while not self.stop.is_set():
            delay = start + slot * interval - time.monotonic()
            if delay > 0:
                await asyncio.wait((stopping,), timeout=delay)
                if stopping.done():
                    break
            self.targets.resolve_gateway()  # a few microseconds: /proc/net/route is tiny
            rnd = await self.until_stopped(self._probe_round(icmp, dns))
            if rnd is None:
                break
            if isinstance(rnd, Unprobed):
                self._pause(rnd, writer)
                rnd = dataclasses.replace(self.last_round, at=rnd.at) if self.last_round else None
            else:
                if self._paused is not None:
                    self._resume(rnd, writer)
                self._handle(rnd, writer, privileged)
            self.service.after_round(self.line())  # the watchdog's keep-alive: a hung loop stops it
            self.stall.beat()
            now = time.monotonic()
            # One commit in flight at most: a disk that hangs must not pile up a task per interval. Between seals
            # a commit goes to the round log: a few hundred bytes, where a transaction rewrites whole pages.
            if now - last_commit >= cfg.store.commit_interval and (committing is None or committing.done()):
                if now - last_seal >= cfg.store.seal_interval:
                    committing = writer.submit(writer.store.commit)
                    last_seal = now
                else:
                    committing = writer.submit(writer.store.log)
                last_commit = now
            # Not while the clock is untrusted: provisional stamps (1970 on a Pi without fake-hwclock) would be
            # taken for old rounds.
            if now - last_prune >= PRUNE_EVERY and self.clock_ready.is_set() and rnd is not None:
                writer.submit(writer.store.prune, rnd.at, cfg.store.retention_days)
                last_prune = now
            self.targets.maybe_rediscover(privileged)
            next_slot = int((time.monotonic() - start) / interval) + 1
            if next_slot > slot + 1:
                self.overruns += next_slot - slot - 1
                log.debug("round overran its slot; skipped %d slot(s)", next_slot - slot - 1)
            slot = next_slot

    async def until_stopped(self, work: Coroutine[Any, Any, T]) -> T | None:
        """``work``'s result, or None when stop is set first (the work is cancelled: shutdown never waits for
        a round's timeout). The work runs in the caller's task, which a stop cancels while it waits for it: a
        task and a wait of their own, every round, cost two more turns of the event loop."""
        stopping = self._stopping_future()
        if stopping.done():
            work.close()
            return None
        task = asyncio.current_task()
        assert task is not None
        waiting = True

        def interrupt(_: object) -> None:
            if waiting:  # not once the work is over: the cancellation would hit whatever the task awaits next
                task.cancel()

        stopping.add_done_callback(interrupt)
        try:
            return await work
        except asyncio.CancelledError:
            if stopping.done() and task.uncancel() == 0:
                return None  # our cancellation, and no one else's
            raise
        finally:
            waiting = False
            stopping.remove_done_callback(interrupt)

    def _stopping_future(self) -> asyncio.Future[Any]:
        """One task waiting for the stop event, shared by every wait of the run on this event loop: a new one per
        round, created and then cancelled, cost the daemon more than a round's probing."""
        loop = asyncio.get_running_loop()
        if self._stopping is None or self._stopping.get_loop() is not loop:
            self._stopping = asyncio.ensure_future(self.stop.wait())
        return self._stopping

    async def _probe_round(self, icmp: EchoProbe, dns: NameProbe) -> Round | Unprobed:
        """One round; ``Unprobed`` when netwatch itself could not probe (its own descriptors, memory or buffers ran
        out, this machine refused to send, or the echo probe failed as a whole): nothing was measured."""
        first = self.clock_state.last is None  # `netwatch probe`: no session began
        reading = self.clock.read(status=first or self.clock_state.offset is not None)
        if first:
            self.clock_state, at, _ = clocks.start(reading, self.policy, None)
        else:
            self.clock_state, at, events = clocks.observe(self.clock_state, reading)
            self._clock_events.extend(events)
        targets = self.targets.icmp_targets()
        # Each probe fails on its own: a broken resolver must not turn answered pings into a fake local outage.
        # The names are resolved in a task of their own while this one waits for the echoes (gather would make two
        # tasks a round, and one with no names to resolve).
        names = asyncio.ensure_future(dns.probe()) if dns.targets else None
        icmp_result: tuple[Sample, ...] | Exception
        dns_result: tuple[Sample, ...] | Exception = ()
        try:
            try:
                icmp_result = await icmp.probe(targets)
            except Exception as err:
                icmp_result = err
            if names is not None:
                try:
                    dns_result = await names
                except Exception as err:
                    dns_result = err
        finally:
            if names is not None and not names.done():
                names.cancel()  # this round was cancelled (a stop): so is its resolution
        if isinstance(dns_result, OwnFault):
            return Unprobed(at, reading.mono, str(dns_result))
        if isinstance(icmp_result, BaseException):
            why = str(icmp_result) if isinstance(icmp_result, OwnFault) else f"probe error: {icmp_result}"
            return Unprobed(at, reading.mono, why if why.startswith("netwatch itself") else f"netwatch itself: {why}")
        samples = (*icmp_result, *self._names(dns_result))
        for error in self._probe_errors.new(samples):
            log.info("probe: %s", error)
        return Round(at=at, samples=samples, mono=reading.mono)

    def _split_at_clock_step(self, rnd: Round, event: ClockEvent, writer: Writer) -> None:
        """A wall-clock step of a trusted clock (someone set it, or NTP corrected a drift) must not become a fake
        outage or a negative duration: close what is open at the last round before the step and start a new
        coverage session after it."""
        last = self.last_round
        assert last is not None
        log.warning(
            "wall clock stepped by %+.3f s between %s and %s; open incidents are closed at the last round "
            "before the step and monitoring continues in a new session",
            event.step,
            utc(last.at),
            utc(rnd.at),
        )
        self.state, events = detect.close_all(self.state, at=last.at, rules=self.rules)
        for closed in events:
            writer.submit(writer.store.save_incident, closed.incident)
            log.info("closed %s at the last round before the clock step", describe(closed.incident))
        self.state = detect.State()
        store = writer.store
        writer.submit(store.end_session, last.at)
        reading = self.clock_state.last
        assert reading is not None
        offset = rnd.at - reading.mono
        begin = functools.partial(
            store.begin_session, rnd.at, boot_id=self.clock.boot_id(), offset=offset, method=self.method
        )
        writer.submit(begin)
        writer.submit(store.record_clock, event)
        self.clock_steps += 1

    def _synchronised(self, event: ClockEvent, writer: Writer) -> None:
        """The clock is synchronised: every provisional stamp of this boot moves by the re-timing (in the store,
        and in what the detector and the speed tests hold), and the exporter may go on."""
        delta = event.step
        log.warning("clock: %s", event.detail)
        self._syncs.append((self.clock_state.last.mono if self.clock_state.last else time.monotonic(), delta))
        if self.notifier is not None:
            for inc in self._unnotified:
                self.notifier.closed(
                    dataclasses.replace(inc, start=inc.start + delta, end=(inc.end or inc.start) + delta)
                )
        self._unnotified = []
        self.state = detect.shifted(self.state, delta)
        if self.last_round is not None:
            self.last_round = dataclasses.replace(self.last_round, at=self.last_round.at + delta)
        if self._speed is not None:
            self._speed.shifted(delta)
        reading = self.clock_state.last
        assert reading is not None
        # The exporter may go on once the re-timing is committed, not before (it would export provisional times).
        writer.submit(
            functools.partial(
                writer.store.retime,
                self.clock.boot_id(),
                reading.wall - reading.mono,
                event,
                lambda _: self.clock_ready.set(),
            )
        )

    def _names(self, result: tuple[Sample, ...] | BaseException) -> tuple[Sample, ...]:
        """The DNS samples; none when the DNS probe failed as a whole (a bug of netwatch's, not the resolver's
        answer): DNS is then not measured, which is never a DNS outage."""
        if not isinstance(result, BaseException):
            self._dns_broken = ""
            return result
        if str(result) != self._dns_broken:
            log.error("the DNS probe failed (DNS is not measured until it works): %s", result)
            self._dns_broken = str(result)
        return ()

    def _pause(self, unprobed: Unprobed, writer: Writer) -> None:
        """netwatch itself cannot probe: what is open closes at the last round, the session ends with the reason,
        and until probing works again nothing is recorded (the time is unmonitored, never an outage)."""
        self.unprobed += 1
        if self._paused is None:
            self._paused = unprobed.reason
            log.warning("%s: monitoring paused; this time is unmonitored, not an outage", unprobed.reason)
            if self._live is not None:
                self._live.remove()
            last = self.last_round
            end = last.at if last is not None else unprobed.at
            self.state, events = detect.close_all(self.state, at=end)
            for event in events:
                writer.submit(writer.store.save_incident, event.incident)
                log.info("closed %s at the last round before monitoring paused", describe(event.incident))
            self.state = detect.State()
            writer.submit(functools.partial(writer.store.end_session, end, unprobed.reason))
        elif unprobed.reason != self._paused:
            log.warning("%s (monitoring still paused)", unprobed.reason)
            self._paused = unprobed.reason
        noticed, self._clock_events = self._clock_events, []
        for clock_event in noticed:  # the clock goes on: a synchronisation re-times what was recorded before
            if clock_event.kind is EventKind.SYNCED:
                self._synchronised(clock_event, writer)
            else:
                writer.submit(writer.store.record_clock, clock_event)

    def _resume(self, rnd: Round, writer: Writer) -> None:
        """Probing works again: a new session begins with this round (provisionally timed if the clock still is)."""
        log.warning("probing works again: monitoring resumed (it was paused: %s)", self._paused)
        self._paused = None
        provisional = self.clock_state.offset is not None
        begin = functools.partial(
            writer.store.begin_session,
            rnd.at,
            boot_id=self.clock.boot_id(),
            method=self.method,
            offset=rnd.at - rnd.mono,
            provisional=provisional,
        )
        writer.submit(begin)
        self._session_start = rnd.at

    def _handle(self, rnd: Round, writer: Writer, privileged: bool) -> None:
        noticed, self._clock_events = self._clock_events, []
        for clock_event in noticed:
            if clock_event.kind is EventKind.STEP:
                self._split_at_clock_step(rnd, clock_event, writer)
            elif clock_event.kind is EventKind.SYNCED:
                self._synchronised(clock_event, writer)
            else:
                writer.submit(writer.store.record_clock, clock_event)
        self.state, events = detect.step(self.state, rnd, self.rules)
        self.last_round = rnd
        self.rounds += 1
        writer.add_round(rnd)
        for event in events:
            inc = event.incident
            writer.submit(writer.store.save_incident, inc)
            if isinstance(event, detect.Opened):
                log.warning("%s STARTED at %s: %s", inc.kind.value.upper(), utc(inc.start), describe(inc))
            elif isinstance(event, detect.Updated):
                log.warning("%s cause now %s: %s", inc.kind.value, inc.cause.value, inc.detail)
            else:
                log.warning(
                    "%s ENDED at %s after %s: %s",
                    inc.kind.value.upper(),
                    utc(inc.end or rnd.at),
                    duration(inc.duration()),
                    describe(inc),
                )
                if self.notifier is not None and self.clock_ready.is_set():
                    self.notifier.closed(inc)
                elif self.notifier is not None:  # its times are provisional: notified once they are corrected
                    self._unnotified.append(inc)
                if self.pool is not None:
                    self.pool.closed(inc)
                if inc.kind is Kind.OUTAGE:
                    # The path may have changed (e.g. the ISP rerouted us or the modem was replaced).
                    self.targets.maybe_rediscover(privileged, force=True)
        if self._traces is not None:
            self._traces.observe(rnd, events)
        if self.metrics is not None:
            self._publish(rnd, events, writer)
        if self._live is not None:
            self._write_live(rnd)

    def _write_live(self, rnd: Round) -> None:
        """The line's state after ``rnd`` into the RAM file; a failure is logged once and the file given up."""
        assert self._live is not None
        state = Live(
            pid=os.getpid(),
            boot_id=self.clock.boot_id(),
            written=time.time(),
            mono=time.monotonic(),
            interval=self.config.probe.interval,
            session_start=self._session_start,
            last_round=rnd,
            open_incidents=self.line().open_incidents,
            failing=len(self.state.pending),
            trusted=self.clock_ready.is_set(),
            version=__version__,
        )
        try:
            self._live.write(state)
        except OSError as err:
            log.warning("cannot write the live state to %s (%s): readers use the store", self._live.path, err.strerror)
            self._live.remove()
            self._live = None

    def _shutdown(self, writer: Writer, exporter: Exporter | None) -> None:
        if self._live is not None:
            self._live.remove()  # first: a reader must not see "up" while the last rounds are flushed
        self.state, events = detect.close_all(self.state, rules=self.rules)
        for event in events:
            writer.submit(writer.store.save_incident, event.incident)
            log.info("closed %s at the last round seen, on shutdown", describe(event.incident))
        end = self.last_round.at if self.last_round else self.now()
        if self._speed is not None:
            for slow in self._speed.shutdown(end):
                writer.submit(writer.store.save_incident, slow)
                log.info("closed %s at the last round seen, on shutdown", describe(slow))
        ended = writer.submit(writer.store.end_session, end)
        flushes = [ended]
        if exporter is not None:
            # The replica gets what the final commit added (the last rounds, the incidents closed just above)
            # now: the next start may be days away, or never come. The cursor it moves is committed after it.
            self.service.wait(ended, "flushing the store")
            concurrent.futures.wait([ended])
            exporter.finish(FINAL_EXPORT_S)
            flushes.append(writer.submit(writer.store.commit))
        writer.submit(writer.store.close)
        self.service.wait(flushes[-1], "flushing the store")
        writer.close()
        try:
            for done in flushes:
                done.result()
        except StoreError as err:
            log.error("final flush failed: %s", err)
            raise
        log.info("netwatch stopped after %d rounds (%d skipped slots)", self.rounds, self.overruns)


async def probe_once(config: Config) -> Round:
    """One round over the configured targets (gateway and ISP hop discovered as the daemon would), not stored."""
    daemon = Daemon(config, asyncio.Event())
    daemon.targets.recall(_remembered_isp_hop(config, daemon.targets))
    privileged = choose_mode(config.probe.mode)
    daemon.targets.resolve_gateway()
    await daemon.targets.discover_isp(privileged)
    icmp = IcmpProber(privileged, config.probe.timeout)
    dns = DnsProber(config.dns.names, config.dns.servers, config.dns.timeout)
    try:
        found = await daemon._probe_round(icmp, dns)
    finally:
        icmp.close()
    if isinstance(found, Unprobed):
        raise OwnFault(found.reason)
    return found


def _remembered_isp_hop(config: Config, targets: Targets) -> str | None:
    """The ISP hop the daemon last found, read from its store without writing (none when there is no store yet, or
    one this netwatch cannot read), else from an older netwatch's ``isp-hop`` file."""
    if config.store.path.exists():
        try:
            with Store.open(config.store.path, readonly=True) as store:
                found = store.isp_hop()
        except StoreError as err:
            log.debug("ISP hop not read from the store: %s", err)
        else:
            if found is not None:
                return found
    return targets.legacy_isp_hop()
