"""`netwatch report`: the period, the format, the destination (stdout, --output, --output-dir) and writing the
file atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from netwatch import config
from netwatch.adapters import logs
from netwatch.cli import F, _config_option, _debug, _errors, _load, main
from netwatch.errors import ReportError

if TYPE_CHECKING:
    from netwatch.adapters.store.sqlite import Store
    from netwatch.report.compute import Period, Report


def write_atomically(path: Path, data: str | bytes, option: str = "--output") -> None:
    """Replace ``path`` with ``data`` so that readers see the old file or the new one, never half of it."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as err:
        raise ReportError(f"cannot write {path}: {err.strerror}; choose a writable {option}") from err
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a report is meant to be read and sent on
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise ReportError(f"cannot write {path}: {err.strerror}; choose a writable {option}") from err


FORMATS = ("html", "pdf", "md", "csv", "json")
EXTENSIONS = {".html": "html", ".htm": "html", ".pdf": "pdf", ".md": "md", ".csv": "csv", ".json": "json"}


def report_format(fmt: str | None, output: Path | None) -> str:
    """The format asked for, else the one the output file's extension names, else JSON (on stdout)."""
    if fmt is not None:
        return fmt
    if output is None:
        return "json"
    guessed = EXTENSIONS.get(output.suffix.lower())
    if guessed is None:
        raise ReportError(
            f'--output: cannot tell the format from "{output.name}"; pass --format ({", ".join(FORMATS)}) or use '
            f"one of the extensions {', '.join(EXTENSIONS)}"
        )
    return guessed


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


def named_period_of(named: str | None, since: str | None, until: str | None, tz: ZoneInfo, now: float) -> Period | None:
    """The period --period names (None without it); bad --since/--until words are refused here, before any store
    is opened. Raises ReportError."""
    from netwatch.report import period as periods

    if named and (since or until):
        raise ReportError("--period names the whole period: use it or --since/--until, not both")
    chosen = periods.named(named, tz, now=now) if named else None
    for option, word in (("--since", since), ("--until", until)):
        if word:
            periods.parse_when(option, word, tz, end_of_day=False)
    return chosen


def period_in(store: Store, since: str | None, until: str | None, tz: ZoneInfo, now: float) -> Period:
    """The period of --since/--until; without --since it starts with the store's first session."""
    from netwatch.report import period as periods

    history = store.sessions(float("-inf"), now)
    return periods.resolve(since, until, tz, now=now, history_start=history[0].start if history else None)


@main.command()
@_config_option
@period_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from --output's extension, else json.")
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
@click.pass_context
def report(
    ctx: click.Context,
    config_path: Path | None,
    named_period: str | None,
    since: str | None,
    until: str | None,
    fmt: str | None,
    output: Path | None,
    output_dir: Path | None,
    source: str,
    probe_tag: str | None,
) -> None:
    """Outage report for a period: html, pdf, md (complaint letter), csv or json."""
    from netwatch.adapters.store.sqlite import Store
    from netwatch.app.reports import figures as from_store

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        tz = cfg.business_hours.timezone
        now = time.time()
        if output is not None and output_dir is not None:
            raise ReportError("--output names the file and --output-dir the directory to name it in: use one, not both")
        kind = report_format(fmt, output)
        if kind == "pdf" and output is None and output_dir is None:
            raise ReportError("a PDF is binary: pass --output FILE.pdf or --output-dir DIR")
        destination = Destination(output, output_dir, named_period, tz)
        chosen = named_period_of(named_period, since, until, tz, now)
        if source == "influxdb":
            from netwatch.app.daemon.export import probe_name
            from netwatch.app.influx_report import figures as from_influx

            logs.setup("warning")  # a secret file others can read is reported while it is read
            probe = probe_tag or probe_name(cfg.probe)
            figures = witnessed(
                ticketed(from_influx(cfg, probe, chosen, since, until, now=now), cfg, probe), cfg, probe
            )
            _emit(kind, figures, cfg, now, destination)
            return
        if probe_tag is not None:
            raise ReportError("--probe picks a probe in InfluxDB: add --source influxdb (the local store holds one)")
        with Store.open(cfg.store.path, readonly=True) as store:
            figures = from_store(store, cfg, chosen or period_in(store, since, until, tz, now))
        _emit(kind, witnessed(figures, cfg), cfg, now, destination)


def ticketed(figures: Report, cfg: config.Config, probe: str) -> Report:
    """A report from InfluxDB of this probe with the fault tickets, speed tests (for the claims) and speed campaign
    of the local store: InfluxDB holds none of them. Another probe's report, or no local store, has none; a store
    that cannot be read costs one warning line, never the report."""
    from dataclasses import replace

    from netwatch.adapters.store.sqlite import Store
    from netwatch.app.daemon.export import probe_name
    from netwatch.app.reports import claims_from_store
    from netwatch.errors import StoreError

    if probe != probe_name(cfg.probe) or not cfg.store.path.exists():
        return figures
    try:
        with Store.open(cfg.store.path, readonly=True) as store, store.snapshot():
            claims = claims_from_store(store, cfg, figures.period, [f.incident for f in figures.incidents])
    except StoreError as err:
        click.echo(f"netwatch: warning: no fault tickets in this report: {err}", err=True)
        return figures
    return replace(figures, claims=claims)


def witnessed(figures: Report, cfg: config.Config, probe: str | None = None) -> Report:
    """``figures`` with the verdicts of ``[report] witness`` on its outages (``probe``: whose report it is, by
    default this probe); when the witness cannot be asked, the report says why and so does one warning line."""
    if not cfg.report.witness:
        return figures
    from netwatch.app.daemon.export import probe_name
    from netwatch.app.witness import ask

    logs.setup("warning")  # a secret file others can read is reported while it is read
    figures, warning = ask(figures, cfg, probe or probe_name(cfg.probe))
    if warning:
        click.echo(f"netwatch: warning: {warning}", err=True)
    return figures


@dataclass(frozen=True)
class Destination:
    """Where a report goes: ``--output FILE``, ``--output-dir DIR`` (named from the period), else stdout."""

    file: Path | None
    directory: Path | None
    period_name: str | None
    tz: ZoneInfo

    def path(self, kind: str, period: Any) -> Path | None:
        if self.directory is None:
            return self.file
        from netwatch.report.period import file_stem

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ReportError(
                f"cannot create --output-dir {self.directory}: {err.strerror}; choose a writable directory"
            ) from err
        return self.directory / f"{file_stem(self.period_name, period, self.tz)}.{kind}"


def _emit(kind: str, figures: Any, cfg: config.Config, now: float, destination: Destination) -> None:
    output = destination.path(kind, figures.period)
    data = _render(kind, figures, cfg, now)
    if output is None:
        click.echo(data, nl=False)
    else:
        write_atomically(output, data, "--output" if destination.directory is None else "--output-dir")
        click.echo(f"{kind} report written to {output}", err=True)


def _render(kind: str, figures: Any, cfg: config.Config, now: float, warn: bool = True) -> str | bytes:
    if kind == "json":
        from netwatch.report.jsonout import to_json

        return json.dumps(to_json(figures), indent=2) + "\n"
    if kind == "csv":
        from netwatch.report.csvout import to_csv

        return to_csv(figures)
    from netwatch.report.render import render

    rendered = render(
        figures,
        "md" if kind == "md" else "html",
        business=cfg.business_hours,
        owner=cfg.owner,
        plan=cfg.plan,
        title=cfg.report.title,
        templates=cfg.report.templates,
        generated_at=now,
    )
    if warn:
        for warning in rendered.warnings:
            click.echo(f"netwatch: warning: {warning}", err=True)
    elif rendered.warnings:
        n = len(rendered.warnings)
        click.echo(
            f"netwatch: note: the letter shows {n} placeholder{'s' if n != 1 else ''} for details not in the "
            "configuration (`netwatch report --format md` lists them)",
            err=True,
        )
    if kind == "pdf":
        from netwatch.report.pdf import to_pdf

        return to_pdf(rendered.text)
    return rendered.text
