"""The monitoring commands: `netwatch run` (with its signal handling), `check-config`, `status`, `probe`,
`traceroute` and `speedtest`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from pathlib import Path
from typing import Any

import click

from netwatch import config
from netwatch.adapters import logs
from netwatch.cli import ExitCode, _config_option, _debug, _errors, _fail, _load, main
from netwatch.core.model import ExportState, Status


@main.command()
@_config_option
@click.pass_context
def run(ctx: click.Context, config_path: Path | None) -> None:
    """Run the monitor in the foreground until SIGTERM or Ctrl-C."""
    import faulthandler

    from netwatch.adapters import sdnotify
    from netwatch.app.daemon.loop import Daemon

    debug = _debug(ctx)
    # systemd's watchdog kills a hung daemon with SIGABRT: the journal then gets every thread's stack.
    if not faulthandler.is_enabled():
        with contextlib.suppress(ValueError, OSError):  # a stderr without a file descriptor
            faulthandler.enable(all_threads=True)
    notifier = sdnotify.from_environ()  # also hides $NOTIFY_SOCKET from the child processes of speed tests
    with _errors(debug):
        cfg = _load(config_path)
        logs.setup("debug" if debug else cfg.log.level)

        async def monitor() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await Daemon(cfg, stop, notifier=notifier).run()

        asyncio.run(monitor())


@main.command("check-config")
@_config_option
@click.pass_context
def check_config(ctx: click.Context, config_path: Path | None) -> None:
    """Validate the configuration; print every problem, or the effective configuration."""
    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        if cfg.notify.enabled:  # apprise is asked whether it understands every URL; the urls_file is read
            from netwatch.adapters.notify import check

            logs.setup("warning")  # a URLs file others can read is reported
            check(cfg.notify, cfg.source)
        click.echo(config.render(cfg), nl=False)


@main.command()
@_config_option
@click.option("--recent", default=5, show_default=True, type=click.IntRange(0, 1000), help="Incidents to list.")
@click.pass_context
def status(ctx: click.Context, config_path: Path | None, recent: int) -> None:
    """Current state of the line, age of the last round, open and recent incidents."""
    from netwatch.adapters.store.sqlite import Store
    from netwatch.report.status import Freshness, status_lines

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        now = time.time()
        with Store.open(cfg.store.path, readonly=True) as store:
            sessions = store.sessions(now - 366 * 86400, now)
            current = (sessions[-1],) if sessions else ()
            exports: tuple[tuple[str, ExportState | None], ...] = ()
            if cfg.influxdb.enabled:
                from netwatch.adapters.influx.sinks import sink_key

                exports = (("InfluxDB", store.export_state(sink_key(cfg.influxdb))),)
            open_spans = [s for s in store.clock_spans(float("-inf"), float("inf")) if s.open]
            head = store.head()
            unsynced = None
            if open_spans:
                span = open_spans[-1]
                unsynced = (span.start_ms / 1000.0, max(0, (span.last_round or 0) - span.first_round + 1))
            snapshot = Status(
                last_round=store.last_round(),
                open_incidents=tuple(store.open_incidents()),
                recent_incidents=tuple(store.recent_incidents(recent)),
                sessions=current,
                exports=exports,
                unsynced=unsynced,
                seal=(head.seal_id, head.digest.hex()) if head.seal_id else None,
                open_tickets=tuple(t for t in store.tickets(now, now) if t.is_open),
            )
        fresh = Freshness(cfg.probe.interval, cfg.store.commit_interval)
        click.echo(f"Store:     {cfg.store.path}")
        for line in status_lines(snapshot, now, cfg.business_hours.timezone, fresh):
            click.echo(line)


@main.command()
@_config_option
@click.pass_context
def probe(ctx: click.Context, config_path: Path | None) -> None:
    """Probe every target once and print the round as a table (nothing is stored)."""
    from netwatch.app.daemon.loop import probe_once
    from netwatch.report.status import probe_table

    debug = _debug(ctx)
    with _errors(debug):
        cfg = _load(config_path)
        logs.setup("debug" if debug else "warning")
        rnd = asyncio.run(probe_once(cfg))
        for line in probe_table(rnd):
            click.echo(line)


def _ip_address(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    import ipaddress

    if value is not None:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise click.BadParameter(
                f"{value!r} is not an IP address (names are not resolved: DNS may be what is down)"
            ) from None
    return value


@main.command()
@_config_option
@click.option("--max-hops", default=30, show_default=True, type=click.IntRange(1, 64), help="Farthest TTL tried.")
@click.option(
    "--timeout",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 30.0),
    help="Seconds to wait for the answers (all hops are probed at once).",
)
@click.argument("destination", required=False, callback=_ip_address)
@click.pass_context
def traceroute(
    ctx: click.Context, config_path: Path | None, max_hops: int, timeout: float, destination: str | None
) -> None:
    """Show where the path to DESTINATION ends (default: the first IPv4 anchor); nothing is stored.

    Exits 0 whatever the path, 5 when no request could be sent (no route from this machine, no ICMP permission).
    """
    from netwatch.adapters.probes.icmp import choose_mode
    from netwatch.adapters.probes.traceroute import trace
    from netwatch.report.traces import summary, trace_table

    debug = _debug(ctx)
    with _errors(debug):
        cfg = _load(config_path)
        logs.setup("debug" if debug else "warning")
        anchors = cfg.targets.anchors
        target = destination or next((a for a in anchors if ":" not in a), anchors[0])
        privileged = choose_mode(cfg.probe.mode)
        result = trace(target, privileged=privileged, max_hops=max_hops, timeout=timeout, started_at=time.time())
        if result.error:
            _fail(summary(result), ExitCode.PROBE)
        for line in trace_table(result):
            click.echo(line)


@main.command()
@_config_option
@click.option(
    "--backend",
    metavar="NAME",
    help="Run only this backend (speedtest, ookla, http, iperf3, cloudflare), "
    "with its [speedtest.NAME] options; default: [speedtest] backend, then its fallbacks.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (without the raw tool output).")
@click.pass_context
def speedtest(ctx: click.Context, config_path: Path | None, backend: str | None, as_json: bool) -> None:
    """Run one speed test now and print the result (nothing is stored: the daemon owns the store).

    Exits 0 when a test succeeded, 8 when every backend tried failed (the reasons are printed).
    """
    import threading

    from netwatch.adapters.probes.speed import make_backend, run_with_fallback
    from netwatch.app.daemon.speed import summary

    debug = _debug(ctx)
    with _errors(debug):
        cfg = _load(config_path)
        logs.setup("debug" if debug else "warning")
        names = (backend,) if backend else cfg.speedtest.chain
        chain = [make_backend(name, cfg.speedtest.options_for(name)) for name in names]
        attempts = run_with_fallback(chain, threading.Event())
        if as_json:
            docs = [{k: v for k, v in a.to_dict().items() if k != "raw"} for a in attempts]
            click.echo(json.dumps({**(docs[-1] if docs else {}), "attempts": docs}, indent=2))
        else:
            for attempt in attempts:
                click.echo(summary(attempt))
            if attempts and attempts[-1].ok:
                for line in _speed_details(attempts[-1]):
                    click.echo(line)
        if not attempts or not attempts[-1].ok:
            reason = attempts[-1].error if attempts else "no backend ran"
            _fail(f"speed test failed: {reason}", ExitCode.SPEED)


def _speed_details(r: Any) -> list[str]:
    def num(value: float | None, unit: str) -> str:
        return "-" if value is None else f"{value:.1f} {unit}"

    rows = [
        ("Tool", f"{r.tool} {r.tool_version}".strip()),
        ("Server", f"{r.server} (id {r.server_id})" if r.server_id else r.server or "-"),
        ("Download", num(r.download_mbps, "Mbit/s")),
        ("Upload", num(r.upload_mbps, "Mbit/s")),
        ("Latency", f"{num(r.latency_ms, 'ms')} idle, {num(r.loaded_latency_ms, 'ms')} loaded"),
        ("Jitter", num(r.jitter_ms, "ms")),
        ("Data used", f"{r.bytes_used / 1e6:.1f} MB in {r.duration_s:.1f} s"),
        ("External IP", r.external_ip or "-"),
        ("Result", r.result_url or "-"),
    ]
    return [f"  {name + ':':<12} {value}" for name, value in rows]
