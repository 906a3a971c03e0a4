"""`netwatch pool …`: the neighbourhood pool from the command line.

Owns the commands' options, what they print and their exit codes: `pool id`, `pool report` (the area report: html,
pdf or json), `pool letter` (the joint letter: md or pdf), `pool verify` (9 when the household's records in the pool
do not match its sealed store), `pool withdraw`, and `pool admin add-household` for the pool's operator. The
operations are ``netwatch.app.pool``'s; the words ``netwatch.report``'s. Must not read the store or the pool itself.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from netwatch.app import pool as pools
from netwatch.app import reports, settings
from netwatch.app.files import write_atomically
from netwatch.cli.command import ExitCode, configured
from netwatch.cli.reports import period_options
from netwatch.config import Config
from netwatch.errors import ReportError
from netwatch.report import areadoc, areajson, pooltext
from netwatch.report.area import AreaFigures

AreaCommand = Callable[[Config, AreaFigures, str, Path | None], None]


@click.group()
def pool() -> None:
    """The neighbourhood pool ([pool] in the configuration): outages pooled with your neighbours on one provider."""


@pool.command("id")
@configured
def pool_id(cfg: Config) -> None:
    """Print this household's pool id (made once, kept in the store): the pool's operator needs it."""
    household, withdrawn = pools.household_id(cfg, time.time())
    click.echo(pooltext.id_line(household, withdrawn, f"{cfg.pool.prefix}{household}"))


def _area(
    cfg: Config, named: str | None, since: str | None, until: str | None, isp: str | None, area: str | None
) -> AreaFigures:
    settings.log_to_stderr("warning")
    return reports.area_of(cfg, named, since, until, time.time(), isp=isp, area=area)


def _out(data: str | bytes, output: Path | None, what: str) -> None:
    if output is None:
        if isinstance(data, bytes):
            raise ReportError("a PDF is binary: pass --output FILE.pdf")
        click.echo(data, nl=False)
        return
    write_atomically(output, data, "--output")
    click.echo(f"{what} written to {output}", err=True)


def _area_command(name: str, formats: tuple[str, ...], default: str) -> Callable[[AreaCommand], Any]:
    """A command about the area of a period: --config, the period, --area, --isp, --format and --output; the
    function gets the configuration, the area figures, the format and the output."""

    def decorate(fn: AreaCommand) -> Any:
        @functools.wraps(fn)
        def command(
            cfg: Config,
            named_period: str | None,
            since: str | None,
            until: str | None,
            area: str | None,
            isp: str | None,
            fmt: str,
            output: Path | None,
        ) -> None:
            fn(cfg, _area(cfg, named_period, since, until, isp, area), fmt, output)

        options = [
            click.option("--area", "area", metavar="KEY", help="The area to compare with (default: [pool] area)."),
            click.option("--isp", "isp", metavar="NAME", help="The provider to compare with (default: [pool] isp)."),
            click.option("--format", "fmt", type=click.Choice(formats), default=default, show_default=True),
            click.option(
                "--output", type=click.Path(path_type=Path, dir_okay=False), help="File to write (default stdout)."
            ),
        ]
        for option in reversed(options):
            command = option(command)
        return pool.command(name)(configured(period_options(command)))

    return decorate


@_area_command("report", areadoc.FORMATS, "html")
def pool_report(cfg: Config, figures: AreaFigures, fmt: str, output: Path | None) -> None:
    """For each of your outages, how many households of your provider and area were monitoring and how many were
    down, with the other providers in the area as a control; the area timeline."""
    now = time.time()
    if fmt == "json":
        _out(json.dumps(areajson.to_json(figures), indent=2) + "\n", output, "area report")
    elif fmt == "pdf":
        _out(areadoc.area_pdf(figures, now, cfg.report.templates), output, "area report")
    else:
        _out(areadoc.html(figures, now, cfg.report.templates), output, "area report")


@_area_command("letter", areadoc.LETTER_FORMATS, "md")
def pool_letter(cfg: Config, figures: AreaFigures, fmt: str, output: Path | None) -> None:
    """One complaint letter from the households of your provider and area: every household's outages with the
    digests of their sealed records, signed by those that chose to be named ([pool] sign_as)."""
    text = areadoc.letter(figures, cfg.owner, time.time(), cfg.report.templates)
    _out(areadoc.letter_pdf(text) if fmt == "pdf" else text, output, "joint letter")


@pool.command("verify")
@configured
def pool_verify(cfg: Config) -> None:
    """Check that this household's records in the pool are exactly what its sealed store says it published.
    Exits 0 when they match, 9 when anything differs, is missing or was added (each place is listed)."""
    settings.log_to_stderr("warning")
    result = pools.verify(cfg)
    for line in pooltext.check_lines(result, cfg.store.path, cfg.business_hours.timezone):
        click.echo(line)
    if not result.ok:
        sys.exit(ExitCode.VERIFY)


@pool.command("withdraw")
@configured
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def pool_withdraw(cfg: Config, yes: bool) -> None:
    """Withdraw from the pool: delete this household's records there and publish nothing again."""
    if not yes:
        click.confirm("Delete this household's records from the pool and stop publishing for good?", abort=True)
    settings.log_to_stderr("warning")
    click.echo(pooltext.withdrawn_line(pools.withdraw(cfg, time.time())))


@pool.group("admin")
def admin() -> None:
    """For the pool's operator (a [pool] table with an InfluxDB 1.x admin user)."""


@admin.command("add-household")
@configured
@click.argument("household")
@click.option(
    "--retention",
    metavar="DURATION",
    default="",
    help='How long the pool keeps the household\'s records, as InfluxQL writes it ("400d"); default forever.',
)
def add_household(cfg: Config, household: str, retention: str) -> None:
    """Give HOUSEHOLD (the id `netwatch pool id` printed there) its database and user: it may write only its own
    records and read everyone's."""
    settings.log_to_stderr("warning")
    db, password = pools.add_household(cfg, household, retention)
    for line in pooltext.added_lines(household, db, password):
        click.echo(line)
