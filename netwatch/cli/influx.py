"""`netwatch influx check|backfill`: replication to InfluxDB by hand.

Owns the commands' options and what they print; the writes are ``netwatch.app.influx``'s. Must not build a sink
or read the store itself.
"""

from __future__ import annotations

import time

import click

from netwatch.app import influx as exports
from netwatch.app import settings
from netwatch.cli.command import configured, progress_bar
from netwatch.config import Config
from netwatch.core.text import local


@click.group()
def influx() -> None:
    """Replication to InfluxDB ([influxdb] in the configuration)."""


@influx.command("check")
@configured
def influx_check(cfg: Config) -> None:
    """Write a test point (measurement netwatch_check) to InfluxDB, or say exactly what failed."""
    exports.require_influx(cfg)
    settings.log_to_stderr("warning")  # a secret file others can read is reported while the sink is built
    done = exports.check_sink(cfg, time.time())
    click.echo(f"InfluxDB at {done.where}: test point written as probe {done.probe} in {done.seconds * 1000:.0f} ms")


@influx.command("backfill")
@configured
@click.option("--since", metavar="WHEN", required=True, help="Start: YYYY-MM-DD or an ISO date-time, local time.")
@click.option("--until", metavar="WHEN", help="End (a bare date includes that whole day); default now.")
def influx_backfill(cfg: Config, since: str, until: str | None) -> None:
    """Export the stored history of a period to InfluxDB, whatever the daemon has exported (idempotent)."""
    exports.require_influx(cfg)
    settings.log_to_stderr("warning")
    done, chosen = exports.backfill_period(cfg, since, until, time.time(), progress_bar())
    tz = cfg.business_hours.timezone
    click.echo(
        f"backfilled {done.rounds} rounds, {done.incidents} incidents and {done.speed_tests} speed tests"
        f" ({done.points} points) from "
        f"{local(chosen.since, tz)} to {local(chosen.until, tz)} into {exports.location(cfg)} "
        f"in {done.seconds:.1f} s ({done.points_per_second:.0f} points/s)"
    )
