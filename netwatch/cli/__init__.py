"""The `netwatch` command line: a thin click adapter over the library.

Owns the ``main`` group, turning netwatch's errors into one-line messages and named exit codes (tracebacks only
with ``--debug``), and the options every command shares; the commands live in the modules of this package
(monitor: run, check-config, status, probe, traceroute, speedtest; reports: report and atomic output files;
influx; evidence: verify and evidence; notify; tickets; claims; campaign: the speed campaign). It is the only
package that exits the process.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from netwatch import __version__, config
from netwatch.errors import (
    CampaignError,
    ConfigError,
    ExportError,
    InputError,
    NetwatchError,
    ProbeError,
    ReportError,
    StoreError,
)

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
    CAMPAIGN = 11  # `netwatch campaign`: none planned, a bad --window/--start, or the procedure can no longer be met


_CODES: tuple[tuple[type[NetwatchError], ExitCode], ...] = (
    (ConfigError, ExitCode.CONFIG),
    (InputError, ExitCode.USAGE),
    (StoreError, ExitCode.STORE),
    (ProbeError, ExitCode.PROBE),
    (ReportError, ExitCode.REPORT),
    (ExportError, ExitCode.EXPORT),
    (CampaignError, ExitCode.CAMPAIGN),
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


# The commands register themselves on ``main`` when their modules are imported.
from netwatch.cli import campaign, claims, evidence, influx, monitor, notify, reports, tickets  # noqa: E402

__all__ = ["ExitCode", "campaign", "claims", "evidence", "influx", "main", "monitor", "notify", "reports", "tickets"]
