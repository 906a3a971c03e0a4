"""The `netwatch` command line: a thin click adapter over the library.

Owns argument parsing, turning netwatch's errors into one-line messages and named exit codes (tracebacks only
with ``--debug``), signal handling for `netwatch run`, and writing output files atomically. It is the only module
that exits the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import click

from netwatch import __version__, config, logs
from netwatch.errors import ConfigError, ExportError, NetwatchError, ProbeError, Problem, ReportError, StoreError
from netwatch.model import ExportState, Status

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("netwatch")


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # unexpected: a bug, with a hint to re-run with --debug
    USAGE = 2  # click's own code for bad options
    CONFIG = 3
    STORE = 4
    PROBE = 5
    REPORT = 6
    EXPORT = 7  # InfluxDB refused or could not be reached
    SPEED = 8  # `netwatch speedtest`: every backend tried failed
    VERIFY = 9  # `netwatch verify`, `netwatch evidence`: the evidence chain is broken (or an expected seal is missing)
    NOTIFY = 10  # `netwatch notify test`: a channel could not deliver


_CODES: tuple[tuple[type[NetwatchError], ExitCode], ...] = (
    (ConfigError, ExitCode.CONFIG),
    (StoreError, ExitCode.STORE),
    (ProbeError, ExitCode.PROBE),
    (ReportError, ExitCode.REPORT),
    (ExportError, ExitCode.EXPORT),
)


def _fail(message: str, code: ExitCode) -> NoReturn:
    click.echo(f"netwatch: {message}", err=True)
    sys.exit(code)


@contextmanager
def _errors(debug: bool) -> Iterator[None]:
    """Our errors become one message and a named exit code; anything else is a bug, shown as one line too."""
    try:
        yield
    except NetwatchError as err:
        if debug:
            raise
        code = next((c for kind, c in _CODES if isinstance(err, kind)), ExitCode.FAILURE)
        _fail(str(err), code)
    except KeyboardInterrupt:
        _fail("interrupted", ExitCode.FAILURE)
    except Exception as err:
        if debug:
            raise
        _fail(f"internal error: {err!r} (run `netwatch --debug ...` for the traceback and report it)", ExitCode.FAILURE)


def _config_option(fn: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=True),
        default=None,
        help=f"Configuration file (default: $NETWATCH_CONFIG, else {config.DEFAULT_PATH} if it exists, "
        "else built-in defaults).",
    )(fn)


def _load(config_path: Path | None) -> config.Config:
    return config.load(config_path, os.environ)


def _debug(ctx: click.Context) -> bool:
    return bool(ctx.find_root().params.get("debug"))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Debug logging, and tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="netwatch")
def main(debug: bool) -> None:
    """netwatch: monitors your internet line and collects evidence of every outage."""


@main.command()
@_config_option
@click.pass_context
def run(ctx: click.Context, config_path: Path | None) -> None:
    """Run the monitor in the foreground until SIGTERM or Ctrl-C."""
    import faulthandler

    from netwatch import sdnotify
    from netwatch.daemon import Daemon

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
            from netwatch.notify.channels import check

            logs.setup("warning")  # a URLs file others can read is reported
            check(cfg.notify, cfg.source)
        click.echo(config.render(cfg), nl=False)


@main.command()
@_config_option
@click.option("--recent", default=5, show_default=True, type=click.IntRange(0, 1000), help="Incidents to list.")
@click.pass_context
def status(ctx: click.Context, config_path: Path | None, recent: int) -> None:
    """Current state of the line, age of the last round, open and recent incidents."""
    from netwatch.status import Freshness, status_lines
    from netwatch.store.sqlite import Store

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        now = time.time()
        with Store.open(cfg.store.path, readonly=True) as store:
            sessions = store.sessions(now - 366 * 86400, now)
            current = (sessions[-1],) if sessions else ()
            exports: tuple[tuple[str, ExportState | None], ...] = ()
            if cfg.influxdb.enabled:
                from netwatch.export.sinks import sink_key

                exports = (("InfluxDB", store.export_state(sink_key(cfg.influxdb))),)
            snapshot = Status(
                last_round=store.last_round(),
                open_incidents=tuple(store.open_incidents()),
                recent_incidents=tuple(store.recent_incidents(recent)),
                sessions=current,
                exports=exports,
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
    from netwatch.daemon import probe_once
    from netwatch.status import probe_table

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
@click.option("--timeout", default=2.0, show_default=True, type=click.FloatRange(0.1, 30.0),
              help="Seconds to wait for the answers (all hops are probed at once).")  # fmt: skip
@click.argument("destination", required=False, callback=_ip_address)
@click.pass_context
def traceroute(
    ctx: click.Context, config_path: Path | None, max_hops: int, timeout: float, destination: str | None
) -> None:
    """Show where the path to DESTINATION ends (default: the first IPv4 anchor); nothing is stored.

    Exits 0 whatever the path, 5 when no request could be sent (no route from this machine, no ICMP permission).
    """
    from netwatch.probes.icmp import choose_mode
    from netwatch.probes.traceroute import summary, trace
    from netwatch.status import trace_table

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
@click.option("--backend", metavar="NAME", help="Run only this backend (speedtest, ookla, http, iperf3, cloudflare), "
              "with its [speedtest.NAME] options; default: [speedtest] backend, then its fallbacks.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (without the raw tool output).")
@click.pass_context
def speedtest(ctx: click.Context, config_path: Path | None, backend: str | None, as_json: bool) -> None:
    """Run one speed test now and print the result (nothing is stored: the daemon owns the store).

    Exits 0 when a test succeeded, 8 when every backend tried failed (the reasons are printed).
    """
    import threading

    from netwatch.probes.speed import make_backend, run_with_fallback
    from netwatch.speedtask import summary

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


@main.command()
@_config_option
@click.option("--period", "named_period", metavar="NAME", help="today, yesterday, this-week, last-week, "
              "this-month or last-month (in the configured timezone).")  # fmt: skip
@click.option("--since", metavar="WHEN", help="Start: YYYY-MM-DD or an ISO date-time, in the configured timezone.")
@click.option("--until", metavar="WHEN", help="End (a bare date includes that whole day); default now.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from --output's extension, else json.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="File to write (default stdout).")
@click.option("--output-dir", type=click.Path(path_type=Path, file_okay=False), help="Directory to write the "
              "report into, named from the period (netwatch-2026-11.html); created if missing.")  # fmt: skip
@click.option("--source", type=click.Choice(("sqlite", "influxdb")), default="sqlite", show_default=True,
              help="Where the measurements come from: the local store, or the [influxdb] replica.")  # fmt: skip
@click.option("--probe", "probe_tag", metavar="NAME", help="With --source influxdb: whose measurements "
              "(default: [probe] name, else this host's name).")  # fmt: skip
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
    from netwatch.report import period as periods
    from netwatch.report.store_source import figures as from_store
    from netwatch.store.sqlite import Store

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
        if named_period and (since or until):
            raise ReportError("--period names the whole period: use it or --since/--until, not both")
        chosen = periods.named(named_period, tz, now=now) if named_period else None
        # Bad dates are reported as such even when there is no store yet.
        for option, word in (("--since", since), ("--until", until)):
            if word:
                periods.parse_when(option, word, tz, end_of_day=False)
        if source == "influxdb":
            from netwatch.export.exporter import probe_name
            from netwatch.report.influx_source import figures as from_influx

            logs.setup("warning")  # a secret file others can read is reported while it is read
            probe = probe_tag or probe_name(cfg.probe)
            _emit(kind, from_influx(cfg, probe, chosen, since, until, now=now), cfg, now, destination)
            return
        if probe_tag is not None:
            raise ReportError("--probe picks a probe in InfluxDB: add --source influxdb (the local store holds one)")
        with Store.open(cfg.store.path, readonly=True) as store:
            if chosen is None:
                history = store.sessions(float("-inf"), now)
                chosen = periods.resolve(since, until, tz, now=now, history_start=history[0].start if history else None)
            figures = from_store(store, cfg, chosen)
        _emit(kind, figures, cfg, now, destination)


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
        from netwatch.report.compute import to_json

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
        click.echo(f"netwatch: note: the letter shows {n} placeholder{'s' if n != 1 else ''} for details not in the "
                   "configuration (`netwatch report --format md` lists them)", err=True)  # fmt: skip
    if kind == "pdf":
        from netwatch.report.pdf import to_pdf

        return to_pdf(rendered.text)
    return rendered.text


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
    from netwatch.export.backfill import check
    from netwatch.export.exporter import probe_name
    from netwatch.export.sinks import describe, open_sink

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
    from netwatch.export.backfill import backfill
    from netwatch.export.exporter import probe_name
    from netwatch.export.points import Points
    from netwatch.export.sinks import describe, open_sink
    from netwatch.report import period as periods
    from netwatch.store.sqlite import Store
    from netwatch.timefmt import local

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
                        done = backfill(store, sink, points, chosen.since, chosen.until,
                                        batch_size=cfg.influxdb.batch_size, progress=bar.update)  # fmt: skip
                else:
                    done = backfill(store, sink, points, chosen.since, chosen.until, batch_size=cfg.influxdb.batch_size)
            finally:
                sink.close()
        click.echo(
            f"backfilled {done.rounds} rounds and {done.incidents} incidents ({done.points} points) from "
            f"{local(chosen.since, tz)} to {local(chosen.until, tz)} into {describe(cfg.influxdb)} "
            f"in {done.seconds:.1f} s ({done.points_per_second:.0f} points/s)"
        )


@main.command()
@_config_option
@click.option("--expect", metavar="DIGEST", help="A seal digest published earlier (e.g. printed in a report or an "
              "evidence bundle): fail unless it is in the chain.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def verify(ctx: click.Context, config_path: Path | None, expect: str | None, as_json: bool) -> None:
    """Check that the store holds exactly what was recorded: every round, incident and record against its
    SHA-256 seal. Exits 0 when intact, 9 when anything was edited, inserted or deleted (each place is listed)."""
    from netwatch.evidence import verification_json, verification_lines
    from netwatch.store.sqlite import Store

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        with Store.open(cfg.store.path, readonly=True) as store:
            if sys.stderr.isatty() and not as_json:
                total = store.count_rounds(float("-inf"), float("inf"))
                with click.progressbar(length=total, label="Verifying", file=sys.stderr) as bar:
                    result = store.verify(expect, progress=bar.update)
            else:
                result = store.verify(expect)
        tz = cfg.business_hours.timezone
        if as_json:
            click.echo(json.dumps(verification_json(result, cfg.store.path), indent=2))
        else:
            for line in verification_lines(result, cfg.store.path, tz):
                click.echo(line)
        if not result.ok:
            sys.exit(ExitCode.VERIFY)


@main.command()
@_config_option
@click.option("--period", "named_period", metavar="NAME", help="today, yesterday, this-week, last-week, "
              "this-month or last-month (in the configured timezone).")  # fmt: skip
@click.option("--since", metavar="WHEN", help="Start: YYYY-MM-DD or an ISO date-time, in the configured timezone.")
@click.option("--until", metavar="WHEN", help="End (a bare date includes that whole day); default now.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
              help="The zip to write (default: netwatch-evidence-SINCE--UNTIL.zip here).")  # fmt: skip
@click.pass_context
def evidence(
    ctx: click.Context,
    config_path: Path | None,
    named_period: str | None,
    since: str | None,
    until: str | None,
    output: Path | None,
) -> None:
    """Write one zip of evidence for a period: the report (HTML, PDF when available, JSON, letter), the raw
    rounds as CSV, the incidents as JSON, the configuration without secrets, the verification of the evidence
    chain, and a manifest with every file's SHA-256."""
    from netwatch.evidence import write_bundle
    from netwatch.report import period as periods
    from netwatch.report.pdf import MISSING
    from netwatch.report.store_source import figures as from_store
    from netwatch.store.sqlite import Store

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        tz = cfg.business_hours.timezone
        now = time.time()
        if named_period and (since or until):
            raise ReportError("--period names the whole period: use it or --since/--until, not both")
        chosen = periods.named(named_period, tz, now=now) if named_period else None
        for option, word in (("--since", since), ("--until", until)):
            if word:
                periods.parse_when(option, word, tz, end_of_day=False)
        if output is not None and output.suffix.lower() != ".zip":
            raise ReportError(f'--output: the evidence bundle is a zip file; name it "{output.stem}.zip"')
        with Store.open(cfg.store.path, readonly=True) as store:
            if chosen is None:
                history = store.sessions(float("-inf"), now)
                chosen = periods.resolve(since, until, tz, now=now, history_start=history[0].start if history else None)
            figures = from_store(store, cfg, chosen)

            def render(fmt: str) -> str | bytes | None:
                try:
                    return _render(fmt, figures, cfg, now, warn=fmt != "md")
                except ReportError as err:
                    if fmt == "pdf" and str(err) == MISSING:
                        return None
                    raise

            if output is None:
                last_day = _day(max(chosen.since, chosen.until - 0.001), tz)  # the period's end is excluded
                output = Path(f"netwatch-evidence-{_day(chosen.since, tz)}--{last_day}.zip")
            if sys.stderr.isatty():
                total = store.count_rounds(float("-inf"), float("inf"))
                with click.progressbar(length=total, label="Verifying", file=sys.stderr) as bar:
                    verification = store.verify(progress=bar.update)
                rows = store.count_rounds(chosen.since, chosen.until)
                with click.progressbar(length=rows, label="Writing rounds", file=sys.stderr) as bar:
                    bundle = write_bundle(store, cfg, chosen, output, verification=verification, generated_at=now,
                                          render=render, rounds_progress=bar.update)  # fmt: skip
            else:
                verification = store.verify()
                bundle = write_bundle(store, cfg, chosen, output, verification=verification, generated_at=now,
                                      render=render)  # fmt: skip
        for warning in bundle.warnings:
            click.echo(f"netwatch: warning: {warning}", err=True)
        verdict = "chain intact" if bundle.verification.ok else "CHAIN BROKEN (see verification.txt)"
        click.echo(
            f"evidence written to {bundle.path}: {len(bundle.files)} files, {bundle.rounds} rounds, {verdict}, "
            f"seal {bundle.verification.head_seal} sha256:{bundle.verification.head_digest[:16]}"
        )
        if not bundle.verification.ok:
            sys.exit(ExitCode.VERIFY)


def _day(at: float, tz: Any) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d")


@main.group()
def notify() -> None:
    """Notifications after recovery ([notify] in the configuration)."""


def _notify_config(config_path: Path | None) -> config.Config:
    cfg = _load(config_path)
    if not cfg.notify.enabled:
        fix = 'list apprise URLs, e.g. urls = ["ntfy://ntfy.sh/your-topic"], or set urls_file or command'
        raise ConfigError([Problem("notify", "has no channel, so nothing is notified", fix)])
    logs.setup("warning")  # a URLs file others can read is reported while the channels are built
    return cfg


@notify.command("test")
@_config_option
@click.pass_context
def notify_test(ctx: click.Context, config_path: Path | None) -> None:
    """Send a test notification through every channel now (not through the outbox) and say how each went.

    Exits 0 when every channel delivered, 10 when one failed.
    """
    import socket
    import threading

    from netwatch.notify.channels import NotifyError, check
    from netwatch.notify.message import message_for_test

    with _errors(_debug(ctx)):
        cfg = _notify_config(config_path)
        channels = check(cfg.notify, cfg.source)
        message = message_for_test(at=time.time(), probe=cfg.probe.name or socket.gethostname(),
                               prefix=cfg.notify.title_prefix, zone=cfg.business_hours.timezone)  # fmt: skip
        failed = 0
        for channel in channels:
            started = time.monotonic()
            try:
                channel.send(message, threading.Event())
            except NotifyError as err:
                failed += 1
                click.echo(f"FAILED  {err}")
                continue
            click.echo(f"OK      {channel.label} ({(time.monotonic() - started) * 1000:.0f} ms)")
        if failed:
            _fail(f"{failed} of {len(channels)} channel(s) failed", ExitCode.NOTIFY)


@notify.command("list")
@_config_option
@click.option("--recent", default=20, show_default=True, type=click.IntRange(0, 10000), help="Entries to list.")
@click.pass_context
def notify_list(ctx: click.Context, config_path: Path | None, recent: int) -> None:
    """The outbox: the latest notifications, per channel, sent, pending or given up, with the last error."""
    from netwatch.store.sqlite import Store

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        zone = cfg.business_hours.timezone
        with Store.open(cfg.store.path, readonly=True) as store:
            entries = store.notifications(recent)
        if not entries:
            click.echo("The outbox is empty: nothing was notified yet.")
        for entry in entries:
            click.echo(f"{entry.message.title}\n  via {entry.label}: {entry.state(zone)}")
            if entry.error:
                click.echo(f"  last error: {entry.error}")
