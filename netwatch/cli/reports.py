"""`netwatch report`: a report of a period, in a format, to stdout, a file or a directory.

Owns the command's options (``period_options`` is shared with `netwatch evidence`) and where its output and warnings
go; assembling the figures is ``netwatch.app.reports``', rendering and writing ``netwatch.app.documents``'. Must
not read the store, InfluxDB or a witness itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from netwatch.app import formats, settings
from netwatch.cli.command import configured
from netwatch.config import Config
from netwatch.errors import InputError

F = TypeVar("F", bound=Callable[..., Any])


def period_options(fn: F) -> F:
    """--period, --since and --until, as `report` and `evidence` take them."""
    fn = click.option("--until", metavar="WHEN", help="End (a bare date includes that whole day); default now.")(fn)
    fn = click.option(
        "--since", metavar="WHEN", help="Start: YYYY-MM-DD or an ISO date-time, in the configured timezone."
    )(fn)
    return click.option(
        "--period",
        "named_period",
        metavar="NAME",
        help="today, yesterday, this-week, last-week, this-month or last-month (in the configured timezone).",
    )(fn)


def warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        click.echo(f"netwatch: warning: {warning}", err=True)


@click.command()
@configured
@period_options
@click.option(
    "--format", "fmt", type=click.Choice(formats.FORMATS), help="Default: from --output's extension, else json."
)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="File to write (default stdout).")
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory to write the report into, named from the period (netwatch-2026-11.html); created if missing.",
)
@click.option(
    "--source",
    type=click.Choice(("sqlite", "influxdb")),
    default="sqlite",
    show_default=True,
    help="Where the measurements come from: the local store, or the [influxdb] replica.",
)
@click.option(
    "--probe",
    "probe_tag",
    metavar="NAME",
    help="With --source influxdb: whose measurements (default: [probe] name, else this host's name).",
)
@click.option(
    "--skip-empty",
    is_flag=True,
    help="Write nothing, and exit 0, when netwatch measured nothing in the period (for the monthly timer).",
)
def report(
    cfg: Config,
    named_period: str | None,
    since: str | None,
    until: str | None,
    fmt: str | None,
    output: Path | None,
    output_dir: Path | None,
    source: str,
    probe_tag: str | None,
    skip_empty: bool,
) -> None:
    """Outage report for a period: html, pdf, md (complaint letter), txt (the letter as plain text, for an e-mail),
    csv or json."""
    now = time.time()
    if output is not None and output_dir is not None:
        raise InputError("--output names the file and --output-dir the directory to name it in: use one, not both")
    kind = formats.report_format(fmt, output)
    if kind == "pdf" and output is None and output_dir is None:
        raise InputError("a PDF is binary: pass --output FILE.pdf or --output-dir DIR")
    formats.prepare(kind)  # before the imports below: a PDF's process imports WeasyPrint meanwhile
    from netwatch.app import documents, reports
    from netwatch.report.complaint import measured_nothing, not_running_said

    destination = documents.Destination(output, output_dir, named_period, cfg.business_hours.timezone)
    if source == "influxdb" or cfg.report.witness:
        settings.log_to_stderr("warning")  # a secret file others can read is reported while it is read
    built = reports.build(cfg, named=named_period, since=since, until=until, source=source, probe=probe_tag, now=now)
    if skip_empty and measured_nothing(built.report):
        click.echo(f"netwatch: no {kind} report written: {not_running_said(built.report)}", err=True)
        return
    rendered = documents.render(kind, built.report, cfg, now)  # before any warning: a refused letter is one line
    warn(documents.beside(kind, built.report, built.warnings))
    warn(rendered.warnings)
    written = documents.write(kind, rendered, destination, built.report.period)
    if written is None:
        click.echo(rendered.data, nl=False)
    else:
        click.echo(f"{kind} report written to {written}", err=True)
