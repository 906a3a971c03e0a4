"""The configuration every face starts from, the state directory it shares with the daemon, and the logging it
asks for.

Owns loading the configuration the way every command, the daemon and the web dashboard do (``--config``, else
``$NETWATCH_CONFIG``, else ``/etc/netwatch/netwatch.toml``, else the built-in defaults; the environment of this
process), reading the state directory ``./bootstrap`` recorded for this installation (``RECORD``: the checkout's
./state, or /var/lib/netwatch for the service), so that every command finds the store the daemon records into
without an environment variable to remember; the places a store is looked for when it is missing; setting up
logging for a face, and a long-lived face's small memory footprint. Must not validate anything itself:
``netwatch.config`` does.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from netwatch import config
from netwatch.adapters import localzone, logs
from netwatch.adapters.store import migrations
from netwatch.config import Config, StateDirectory
from netwatch.config.loading import user_state_place
from netwatch.errors import ConfigError, Problem

DEFAULT_PATH = config.DEFAULT_PATH
# Written by `./bootstrap` (run, test: the checkout's ./state; install: /var/lib/netwatch) into the environment
# netwatch is installed in: one absolute path, on one line.
RECORD = Path(sys.prefix) / "share" / "netwatch" / "state-directory"
# Where `./bootstrap install` puts the service's state (systemd's StateDirectory=netwatch).
SERVICE_STATE = Path("/var/lib/netwatch")


def load(path: Path | None, *, calendars: bool = True) -> Config:
    """The configuration from ``path`` (``--config``), or where netwatch looks by default, with business hours in
    the system's time zone unless it names one; ``calendars`` False checks the holiday calendar's name for its form
    only (the daemon never reads a calendar). Raises ConfigError."""
    return config.load(path, os.environ, recorded(), localzone.system_zone() or "UTC", calendars=calendars)


def recorded() -> StateDirectory | None:
    """The state directory ``./bootstrap`` recorded in ``RECORD``, or None. Raises ConfigError when the record
    cannot be read or holds no absolute path."""
    try:
        text = RECORD.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "it is not UTF-8 text"
        raise ConfigError([Problem(str(RECORD), f"cannot be read: {reason}", _REWRITE)]) from err
    if not Path(text).is_absolute():
        raise ConfigError([Problem(str(RECORD), f"must hold an absolute path, got {text!r}", _REWRITE)])
    return StateDirectory(Path(text), f"./bootstrap's record in {RECORD}")


_REWRITE = "run ./bootstrap again (it records the state directory), or set NETWATCH_STATE_DIR"


def installed_by() -> str:
    """How this netwatch was installed, as the state directory ``./bootstrap`` recorded tells: "service"
    (``./bootstrap install`` recorded the service's), "checkout" (``./bootstrap run`` recorded another) or "" (no
    record: installed some other way)."""
    try:
        mark = recorded()
    except ConfigError:
        return ""
    if mark is None:
        return ""
    return "service" if mark.path == SERVICE_STATE else "checkout"


def start_command() -> str:
    """How the owner starts the daemon of this installation, e.g. "sudo systemctl start netwatch"."""
    how = installed_by()
    if how == "checkout":
        return f"./bootstrap run in {RECORD.parents[3]}"
    if how == "service":
        return "sudo systemctl start netwatch"
    return "sudo systemctl start netwatch, or ./bootstrap run in a checkout"


def restart_web_command() -> str:
    """How the owner restarts the dashboard of this installation, so that it reads a changed configuration."""
    how = installed_by()
    if how == "checkout":
        return "stop ./bootstrap run with Ctrl-C and run it again"
    if how == "service":
        return "sudo systemctl restart netwatch-web"
    return "sudo systemctl restart netwatch-web, or stop ./bootstrap run with Ctrl-C and run it again"


def store_places(cfg: Config) -> tuple[tuple[Path, str], ...]:
    """Where a store could be for this user and installation, each with what points there: the configured one
    first, then the store of the same name in the other state directories netwatch knows (the one ``./bootstrap``
    recorded, the service's, this user's own, the current directory's ./state), without repeats."""
    name = cfg.store.path.name
    places: list[tuple[Path, str]] = [(cfg.store.path, _origin(cfg))]
    others: list[tuple[Path, str]] = []
    try:
        if (mark := recorded()) is not None:
            others.append((mark.path / name, f"the state directory from {mark.origin}"))
    except ConfigError:
        pass  # a broken record is reported by load, not while looking around
    others.append((SERVICE_STATE / name, "the installed service's"))
    try:
        mine = user_state_place(os.environ)
        others.append((mine.path / name, f"the state directory from {mine.origin}"))
    except ConfigError:
        pass
    with contextlib.suppress(OSError):  # the working directory was removed: nothing to look at there
        others.append((Path.cwd() / "state" / name, "./state here"))
    for path, origin in others:
        if all(path != seen for seen, _ in places):
            places.append((path, origin))
    return tuple(places)


def _origin(cfg: Config) -> str:
    if cfg.state_origin and cfg.store.path.is_relative_to(cfg.state_dir):
        return f"store.path in the state directory from {cfg.state_origin}"
    return "store.path"


def error_line(text: str) -> str:
    """A fatal error's text for stderr: every line at the error priority when stderr is the journal."""
    return logs.error_line(text)


READ_CACHE_KIB = 256  # a page's reads are ranges of an index: a small cache serves them as fast


def small_footprint() -> None:
    """For a long-lived face on a Pi (the web dashboard): the store's read-only connections keep a small page
    cache, so that one opened per request does not leave megabytes behind in the allocator."""
    migrations.limit_read_cache(READ_CACHE_KIB)


def log_to_stderr(level: str) -> None:
    """Log at ``level`` and above to stderr (or the journal under systemd)."""
    logs.setup(level)
