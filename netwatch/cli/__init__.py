"""The `netwatch` command line: click over the application layer.

Owns the ``main`` group and which commands it has (each module of this package holds a few, registered here with
``add_command``). A command parses its options, makes one call into ``netwatch.app`` and prints the result
through ``netwatch.report``'s wording; ``command.py`` holds what they share (exit codes, errors, ``--config``).
Must not hold domain rules or touch the store, the network or InfluxDB itself.
"""

from __future__ import annotations

import click

from netwatch import __version__
from netwatch.cli import campaign, claims, doctor, evidence, influx, monitor, notify, pool, reports, tickets
from netwatch.cli.command import ExitCode


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Debug logging, and tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="netwatch")
def main(debug: bool) -> None:
    """netwatch: monitors your internet line and collects evidence of every outage."""


for command in (
    monitor.run,
    monitor.check_config,
    monitor.status,
    monitor.probe,
    monitor.traceroute,
    monitor.speedtest,
    doctor.doctor,
    reports.report,
    evidence.verify,
    evidence.evidence,
    evidence.timestamp,
    influx.influx,
    notify.notify,
    tickets.ticket,
    claims.claims,
    campaign.campaign,
    pool.pool,
):
    main.add_command(command)

__all__ = ["ExitCode", "main"]
