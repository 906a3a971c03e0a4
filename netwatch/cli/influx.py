"""`netwatch influx check|backfill`: replication to InfluxDB by hand."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from netwatch import config
from netwatch.adapters import logs
from netwatch.cli import ExitCode, _config_option, _debug, _errors, _fail, _load, main
from netwatch.errors import ConfigError, Problem, ReportError


@main.group()
def influx() -> None:
    """Replication to InfluxDB ([influxdb] in the configuration)."""


def _influx_config(config_path: Path | None) -> config.Config:
    cfg = _load(config_path)
    if not cfg.influxdb.enabled:
        fix = 'set it to your server, e.g. url = "http://influxdb.lan:8086", and the keys of its api'
        raise ConfigError([Problem("influxdb.url", "is not set, so nothing is exported to InfluxDB", fix)])
    logs.setup("warning")  # a secret file others can read is reported while the sink is built
    return cfg


@influx.command("check")
@_config_option
@click.pass_context
def influx_check(ctx: click.Context, config_path: Path | None) -> None:
    """Write a test point (measurement netwatch_check) to InfluxDB, or say exactly what failed."""
    from netwatch.adapters.influx.sinks import describe, open_sink
    from netwatch.app.daemon.export import probe_name
    from netwatch.app.influx import check

    with _errors(_debug(ctx)):
        cfg = _influx_config(config_path)
        probe = probe_name(cfg.probe)
        sink = open_sink(cfg.influxdb)
        try:
            seconds = check(sink, probe, time.time())
        finally:
            sink.close()
        click.echo(
            f"InfluxDB at {describe(cfg.influxdb)}: test point written as probe {probe} in {seconds * 1000:.0f} ms"
        )


@influx.command("backfill")
@_config_option
@click.option("--since", metavar="WHEN", required=True, help="Start: YYYY-MM-DD or an ISO date-time, local time.")
@click.option("--until", metavar="WHEN", help="End (a bare date includes that whole day); default now.")
@click.pass_context
def influx_backfill(ctx: click.Context, config_path: Path | None, since: str, until: str | None) -> None:
    """Export the stored history of a period to InfluxDB, whatever the daemon has exported (idempotent)."""
    from netwatch.adapters.influx.points import Points
    from netwatch.adapters.influx.sinks import describe, open_sink
    from netwatch.adapters.store.sqlite import Store
    from netwatch.app.daemon.export import probe_name
    from netwatch.app.influx import backfill
    from netwatch.core.text import local
    from netwatch.report import period as periods

    with _errors(_debug(ctx)):
        cfg = _influx_config(config_path)
        tz = cfg.business_hours.timezone
        try:
            chosen = periods.resolve(since, until, tz, now=time.time(), history_start=None)
        except ReportError as err:
            _fail(str(err), ExitCode.USAGE)
        points = Points(probe_name(cfg.probe), cfg.business_hours)
        with Store.open(cfg.store.path, readonly=True) as store:
            sink = open_sink(cfg.influxdb)
            try:
                if sys.stderr.isatty():
                    total = store.count_rounds(chosen.since, chosen.until)
                    with click.progressbar(length=total, label="Backfilling", file=sys.stderr) as bar:
                        done = backfill(
                            store,
                            sink,
                            points,
                            chosen.since,
                            chosen.until,
                            batch_size=cfg.influxdb.batch_size,
                            progress=bar.update,
                        )
                else:
                    done = backfill(store, sink, points, chosen.since, chosen.until, batch_size=cfg.influxdb.batch_size)
            finally:
                sink.close()
        click.echo(
            f"backfilled {done.rounds} rounds and {done.incidents} incidents ({done.points} points) from "
            f"{local(chosen.since, tz)} to {local(chosen.until, tz)} into {describe(cfg.influxdb)} "
            f"in {done.seconds:.1f} s ({done.points_per_second:.0f} points/s)"
        )
