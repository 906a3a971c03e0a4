"""The monitoring commands: `netwatch run`, `check-config`, `status`, `probe`, `traceroute` and `speedtest`.

Owns their options, what they print and their exit codes; the work is ``netwatch.app.monitor``'s,
``netwatch.app.status``', ``netwatch.app.now``'s and ``netwatch.app.speedtest``'s, the wording
``netwatch.report``'s. What only the other commands need is imported inside them: `netwatch run` is the daemon,
which keeps every module it loads in memory for months. Must not probe, read the store or start the daemon itself.
"""

from __future__ import annotations

import ipaddress
import json
import time

import click

from netwatch import config
from netwatch.app import monitor, settings
from netwatch.cli.command import ExitCode, configured, configured_to_monitor, debugging, fail
from netwatch.config import Config


@click.command()
@configured_to_monitor
def run(cfg: Config) -> None:
    """Run the monitor in the foreground until SIGTERM or Ctrl-C."""
    monitor.run(cfg, monitor.prepare_run(), debug=debugging())


@click.command("check-config")
@configured
def check_config(cfg: Config) -> None:
    """Validate the configuration and the files it names; print every problem, or the effective configuration and
    the store it uses."""
    from netwatch.app import notify as notifications
    from netwatch.app import readiness, stores

    readiness.check(cfg)
    if cfg.notify.enabled:  # apprise is asked whether it understands every URL; the urls_file is read
        settings.log_to_stderr("warning")  # a URLs file others can read is reported
        notifications.check_channels(cfg)
    click.echo(config.render(cfg, (stores.used(cfg),)), nl=False)


@click.command()
@configured
@click.option("--recent", default=5, show_default=True, type=click.IntRange(0, 1000), help="Incidents to list.")
def status(cfg: Config, recent: int) -> None:
    """Current state of the line, age of the last round, open and recent incidents."""
    from netwatch.app import now as state_now
    from netwatch.app import status as snapshot
    from netwatch.app import tickets
    from netwatch.report.status import Freshness, status_lines

    now = time.time()
    found = snapshot.snapshot(cfg, now, recent)
    line_now = state_now.line_now(cfg, now)
    click.echo(f"Store:     {cfg.store.path}")
    fresh = Freshness(cfg.probe.interval, cfg.store.seal_every)
    standing = tickets.standing(cfg, found.open_tickets, now)
    for line in status_lines(found, line_now, cfg.business_hours.timezone, fresh, standing):
        click.echo(line)


@click.command()
@configured
def probe(cfg: Config) -> None:
    """Probe every target once and print the round as a table (nothing is stored)."""
    from netwatch.report.status import probe_table

    settings.log_to_stderr("debug" if debugging() else "warning")
    for line in probe_table(monitor.probe(cfg)):
        click.echo(line)


def _ip_address(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise click.BadParameter(
                f"{value!r} is not an IP address (names are not resolved: DNS may be what is down)"
            ) from None
    return value


@click.command()
@configured
@click.option("--max-hops", default=30, show_default=True, type=click.IntRange(1, 64), help="Farthest TTL tried.")
@click.option(
    "--timeout",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 30.0),
    help="Seconds to wait for the answers (all hops are probed at once).",
)
@click.argument("destination", required=False, callback=_ip_address)
def traceroute(cfg: Config, max_hops: int, timeout: float, destination: str | None) -> None:
    """Show where the path to DESTINATION ends (default: the first IPv4 anchor); nothing is stored.

    Exits 0 whatever the path, 5 when no request could be sent (no route from this machine, no ICMP permission).
    """
    from netwatch.report.traces import summary, trace_table

    settings.log_to_stderr("debug" if debugging() else "warning")
    result = monitor.traceroute(cfg, destination, max_hops=max_hops, timeout=timeout)
    if result.error:
        fail(summary(result), ExitCode.PROBE)
    for line in trace_table(result):
        click.echo(line)


@click.command()
@configured
@click.option(
    "--backend",
    metavar="NAME",
    help="Run only this backend (speedtest, ookla, http, iperf3, cloudflare), "
    "with its [speedtest.NAME] options; default: [speedtest] backend, then its fallbacks.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (without the raw tool output).")
def speedtest(cfg: Config, backend: str | None, as_json: bool) -> None:
    """Run one speed test now and print the result (nothing is stored: the daemon owns the store).

    Exits 0 when a test succeeded, 8 when every backend tried failed (the reasons are printed), 5 when another
    speed test (the daemon's, a campaign's) is running on the line.
    """
    from netwatch.app import speedtest as speed_now
    from netwatch.report.status import speed_details, speed_summary

    settings.log_to_stderr("debug" if debugging() else "warning")
    attempts = speed_now.run(cfg, backend)
    if as_json:
        docs = [{k: v for k, v in a.to_dict().items() if k != "raw"} for a in attempts]
        click.echo(json.dumps({**(docs[-1] if docs else {}), "attempts": docs}, indent=2))
    else:
        for attempt in attempts:
            click.echo(speed_summary(attempt))
        if attempts and attempts[-1].ok:
            for line in speed_details(attempts[-1]):
                click.echo(line)
    if not attempts or not attempts[-1].ok:
        reason = attempts[-1].error if attempts else "no backend ran"
        fail(f"speed test failed: {reason}", ExitCode.SPEED)
