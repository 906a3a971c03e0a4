"""What every command of the `netwatch` command line shares: exit codes, turning errors into one line, loading
the configuration, and a progress bar.

Owns ``ExitCode`` (named, part of the CLI's contract: they change only additively), ``errors`` (netwatch's errors
become one message and their exit code, anything else one line asking for a bug report; tracebacks only with
``--debug``; a reader that stops reading ends the command quietly), ``configured`` (the one decorator that gives
a command ``--config`` and its loaded ``Config`` inside ``errors``), ``fail`` and ``bar``. It is the only code
that exits the process. Must not hold domain rules: the commands call ``netwatch.app``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from netwatch.app import settings
from netwatch.cli import inputs
from netwatch.errors import (
    CampaignError,
    ConfigError,
    ExportError,
    InputError,
    NetwatchError,
    ProbeError,
    ReportError,
    StoreError,
    TimestampError,
    WebError,
)

F = TypeVar("F", bound=Callable[..., Any])


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
    WEB = 12  # `netwatch web`: the dashboard cannot start as configured (no password for a network address, ...)
    TIMESTAMP = 13  # `netwatch timestamp`: the time-stamping authority could not be reached, or its reply does not hold
    DOCTOR_WARNING = 14  # `netwatch doctor`: the worst finding is a warning
    DOCTOR_PROBLEM = 15  # `netwatch doctor`: at least one finding is a problem
    PIPE = 141  # the reader of the output went away (`netwatch status | head`): as a program stopped by SIGPIPE


_CODES: tuple[tuple[type[NetwatchError], ExitCode], ...] = (
    (ConfigError, ExitCode.CONFIG),
    (InputError, ExitCode.USAGE),
    (StoreError, ExitCode.STORE),
    (ProbeError, ExitCode.PROBE),
    (ReportError, ExitCode.REPORT),
    (ExportError, ExitCode.EXPORT),
    (CampaignError, ExitCode.CAMPAIGN),
    (WebError, ExitCode.WEB),
    (TimestampError, ExitCode.TIMESTAMP),
)


def fail(message: str, code: ExitCode) -> NoReturn:
    click.echo(settings.error_line(f"netwatch: {message}"), err=True)
    sys.exit(code)


def debugging() -> bool:
    """Whether ``--debug`` was given to ``netwatch``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().params.get("debug"))


@contextmanager
def errors() -> Iterator[None]:
    """Our errors become one message and a named exit code; anything else is a bug, shown as one line too."""
    debug = debugging()
    try:
        yield
    except NetwatchError as err:
        if debug:
            raise
        code = next((c for kind, c in _CODES if isinstance(err, kind)), ExitCode.FAILURE)
        fail(inputs.said(err) if isinstance(err, InputError) else str(err), code)
    except KeyboardInterrupt:
        fail("interrupted", ExitCode.FAILURE)
    except BrokenPipeError:
        reader_gone()
    except Exception as err:
        if debug:
            raise
        fail(f"internal error: {err!r} (run `netwatch --debug ...` for the traceback and report it)", ExitCode.FAILURE)


def reader_gone() -> NoReturn:
    """Stop quietly: whoever read the output stopped reading (``| head``). Nothing more is written to stdout,
    not even what Python would flush at exit."""
    # Not a real file (a test's runner): then nothing is flushed to a pipe at exit either.
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(ExitCode.PIPE)


def configured(fn: F) -> F:
    """Give the command ``--config`` and call it with the loaded configuration first, inside ``errors``. Put it
    right under the ``@….command()`` line, so that ``--config`` leads the command's options in ``--help``."""
    return _configured(fn, calendars=True)


def configured_to_monitor(fn: F) -> F:
    """``configured`` for `netwatch run`: the holiday calendar's name is checked for its form only. The daemon
    never reads a calendar, and the library that checks one loads every country's, more memory than monitoring
    takes; `check-config`, `doctor`, the reports and the dashboard check it in full."""
    return _configured(fn, calendars=False)


def _configured(fn: F, *, calendars: bool) -> F:
    @functools.wraps(fn)
    def command(*args: Any, config_path: Path | None, **kwargs: Any) -> Any:
        with errors():
            return fn(settings.load(config_path, calendars=calendars), *args, **kwargs)

    option = click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=True),
        default=None,
        help=f"Configuration file (default: $NETWATCH_CONFIG, else {settings.DEFAULT_PATH} if it exists, "
        "else built-in defaults).",
    )
    return option(command)  # type: ignore[return-value]


@contextmanager
def bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr; yields what advances it."""
    with click.progressbar(length=total, label=label, file=sys.stderr) as progress:
        yield progress.update


def progress_bar() -> Callable[[str, int], Any] | None:
    """``bar`` when stderr is a terminal (a person is waiting), else None."""
    return bar if sys.stderr.isatty() else None
