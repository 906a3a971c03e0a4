"""Monitoring from a face: the daemon run in the foreground, one round now, a traceroute now, a speed test now.

Owns starting the daemon the way `netwatch run` and systemd do (the stack dump a fatal signal leaves, the
notification socket taken from the environment before anything is started, SIGTERM and SIGINT as a clean stop) and
the one-off probes a person asks for (a speed test now is ``netwatch.app.speedtest``'s); nothing of those is
stored (the daemon owns the store). Must not word
results: faces do, through ``netwatch.report``.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import signal
import time

from netwatch.adapters import logs, sdnotify
from netwatch.adapters.probes.icmp import choose_mode
from netwatch.adapters.probes.traceroute import trace
from netwatch.app.daemon.loop import Daemon, probe_once
from netwatch.app.settings import log_to_stderr
from netwatch.config import Config
from netwatch.core.model import Round, Trace


def prepare_run() -> sdnotify.Notifier:
    """Before the configuration is read: a daemon that dies of a signal (a crash, or the SIGABRT of systemd's
    watchdog) leaves the stack of the thread the signal hit in the journal, at the error priority, and the
    notification socket is taken out of the environment (nothing netwatch starts may talk to systemd about this
    service)."""
    if not faulthandler.is_enabled():
        # Not all_threads: faulthandler reads the other threads' frames while they run, and that dump can crash
        # half-way (CPython documents it). A hung loop's stack is logged before the watchdog fires, safely, by
        # netwatch.app.daemon.stall.
        with contextlib.suppress(ValueError, OSError):  # a stderr without a file descriptor
            faulthandler.enable(file=logs.fatal_stream(), all_threads=False)
    return sdnotify.from_environ()


def run(cfg: Config, notifier: sdnotify.Notifier, *, debug: bool = False) -> None:
    """Monitor until SIGTERM or SIGINT, then flush everything."""
    log_to_stderr("debug" if debug else cfg.log.level)

    async def monitor() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await Daemon(cfg, stop, notifier=notifier).run()

    asyncio.run(monitor())


def probe(cfg: Config) -> Round:
    """One round over the configured targets, the gateway and ISP hop found as the daemon finds them."""
    return asyncio.run(probe_once(cfg))


def traceroute(cfg: Config, destination: str | None, *, max_hops: int, timeout: float) -> Trace:
    """Where the path to ``destination`` (default: the first IPv4 anchor) ends, now."""
    anchors = cfg.targets.anchors
    target = destination or next((a for a in anchors if ":" not in a), anchors[0])
    privileged = choose_mode(cfg.probe.mode)
    return trace(target, privileged=privileged, max_hops=max_hops, timeout=timeout, started_at=time.time())
