"""Where the configuration comes from: the file, the state directory, and TOML text → a validated ``Config``.

Owns the file's precedence (--config, $NETWATCH_CONFIG, ``DEFAULT_PATH``, the built-in defaults), reading it
(missing, unreadable, not UTF-8), TOML syntax errors worded for the user, where the state directory is and what
said so, and ``parse`` (the schema's validation, every problem at once, in schema order). ``load`` is the one
function that reads a file. Must not create directories (the store does) nor read ``os.environ`` or the
installation's record of its state directory: the environment is the ``env`` mapping passed in, the record the
``recorded`` state directory the caller read (``netwatch.app.settings``).
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path

from netwatch.config import schema
from netwatch.config.checks import show
from netwatch.config.records import Config, StateDirectory
from netwatch.errors import ConfigError, Problem

DEFAULT_PATH = Path("/etc/netwatch/netwatch.toml")
# The installed service's file is readable by root and the group netwatch only (`./bootstrap install`): a user
# who may not read it is not meant to get the built-in defaults (and another store) instead.
DENIED_FIX = (
    "run the command with sudo, or join the group netwatch (`sudo usermod -aG netwatch $USER`, then log in again)"
)
MAX_BYTES = 1024 * 1024  # a configuration is a few kilobytes


def state_place(env: Mapping[str, str], recorded: StateDirectory | None = None) -> StateDirectory:
    """Where netwatch keeps its state, and what said so: $NETWATCH_STATE_DIR, else the first of systemd's
    $STATE_DIRECTORY (the service), else ``recorded`` (the directory ``./bootstrap`` wrote down for this
    installation: the checkout's ./state, or /var/lib/netwatch), else $XDG_STATE_HOME/netwatch (if absolute),
    else $HOME/.local/state/netwatch. Empty variables count as unset. Raises ConfigError when none is set."""
    if env.get("NETWATCH_STATE_DIR"):
        return StateDirectory(_absolute("NETWATCH_STATE_DIR", env["NETWATCH_STATE_DIR"]), "$NETWATCH_STATE_DIR")
    if env.get("STATE_DIRECTORY", "").split(":")[0]:
        path = _absolute("STATE_DIRECTORY", env["STATE_DIRECTORY"].split(":")[0])
        return StateDirectory(path, "systemd's $STATE_DIRECTORY")
    if recorded is not None:
        return recorded
    return user_state_place(env)


def user_state_place(env: Mapping[str, str]) -> StateDirectory:
    """The user's own state directory: $XDG_STATE_HOME/netwatch (if absolute), else $HOME/.local/state/netwatch.
    Raises ConfigError when neither is set."""
    if env.get("XDG_STATE_HOME") and Path(env["XDG_STATE_HOME"]).is_absolute():
        return StateDirectory(Path(env["XDG_STATE_HOME"]) / "netwatch", "$XDG_STATE_HOME")
    if env.get("HOME"):
        return StateDirectory(_absolute("HOME", env["HOME"]) / ".local/state/netwatch", "$HOME")
    raise ConfigError(
        [Problem("HOME", "is not set, so there is no state directory", "set NETWATCH_STATE_DIR to a directory")]
    )


def state_directory(env: Mapping[str, str], recorded: StateDirectory | None = None) -> Path:
    """The path of ``state_place``."""
    return state_place(env, recorded).path


def _absolute(variable: str, text: str) -> Path:
    # A relative state directory would depend on the working directory (and store.path would not survive a
    # render/parse round trip), so it is refused rather than guessed.
    if not Path(text).is_absolute():
        fix = "set NETWATCH_STATE_DIR to an absolute path such as /var/lib/netwatch"
        raise ConfigError([Problem(variable, f"must be an absolute path, got {show(text)}", fix)])
    return Path(text)


def _syntax_problem(err: tomllib.TOMLDecodeError) -> Problem:
    # tomllib names tables as Python tuples, e.g. "Cannot declare ('probe',) twice": show them as TOML does.
    text = re.sub(r"\(((?:'[^']*',? ?)+)\)", lambda m: "[" + ".".join(re.findall(r"'([^']*)'", m[1])) + "]", str(err))
    if text.endswith(" (at end of document)"):
        what = text.removesuffix(" (at end of document)")
        return Problem("end of file", f"invalid TOML: {what}", "complete the last line (is a bracket or quote open?)")
    where = re.search(r" \(at line (\d+), column (\d+)\)$", text)
    if where is None:
        return Problem("(file)", f"invalid TOML: {text}", "fix the syntax of the file")
    what = text[: where.start()]
    if what.startswith("Cannot overwrite a value"):
        fix = "a key can be set only once in a table: remove the repeated one"
    elif twice := re.fullmatch(r"Cannot declare (\[.*\]) twice", what):
        fix = f"a table can be declared only once: merge the two {twice[1]} sections"
    else:
        fix = "fix the syntax at that position"
    return Problem(f"line {where[1]}, column {where[2]}", f"invalid TOML: {what}", fix)


def parse(
    text: str,
    *,
    source: str | None,
    env: Mapping[str, str],
    recorded: StateDirectory | None = None,
    zone: str = "UTC",
    calendars: bool = True,
) -> Config:
    """Validate TOML text into a Config; ``source`` names the file in errors and in ``Config.source``; the state
    directory is ``state_place(env, recorded)``; business hours are in ``zone`` (the system's) unless the text
    names a ``[business_hours] timezone``; ``calendars`` False checks the holiday calendar's name for its form only
    (see ``schema.validate``).

    Raises ConfigError carrying every problem found, in schema order.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([_syntax_problem(err)], source) from err
    except RecursionError as err:  # tomllib parses nested arrays and inline tables recursively
        problem = Problem("(file)", "nests lists or inline tables too deeply to be read", "write a flat configuration")
        raise ConfigError([problem], source) from err
    hours = doc.get("business_hours", {})
    if isinstance(hours, dict) and "timezone" not in hours:
        doc["business_hours"] = {"timezone": zone, **hours}
    values, delegated, problems = schema.validate(doc, calendars=calendars)
    state = StateDirectory(Path("/"), "")
    try:
        state = state_place(env, recorded)
    except ConfigError as err:
        problems += err.problems
    if problems:
        raise ConfigError(sorted(problems, key=schema.order), source)
    return schema.build(values, delegated, source, state)


def load(
    path: Path | None,
    env: Mapping[str, str],
    recorded: StateDirectory | None = None,
    zone: str = "UTC",
    *,
    calendars: bool = True,
) -> Config:
    """The configuration from ``path`` (--config), else $NETWATCH_CONFIG, else DEFAULT_PATH if it exists, else
    the built-in defaults; the state directory as ``state_place(env, recorded)``; business hours in ``zone``
    unless the file names a time zone. A file named by --config or $NETWATCH_CONFIG must exist. ``calendars``: see
    ``parse``. Raises ConfigError."""
    where = (env, recorded, zone)
    if path is not None:
        return _load_file(path, *where, "--config", "pass the path of an existing file to --config", calendars)
    if env.get("NETWATCH_CONFIG"):
        fix = "point NETWATCH_CONFIG at an existing file"
        return _load_file(Path(env["NETWATCH_CONFIG"]), *where, "NETWATCH_CONFIG", fix, calendars)
    if DEFAULT_PATH.exists():
        fix = "make the file readable, or remove it to use the defaults"
        return _load_file(DEFAULT_PATH, *where, "(file)", fix, calendars, denied=DENIED_FIX)
    return parse("", source=None, env=env, recorded=recorded, zone=zone, calendars=calendars)


def _read(path: Path, origin: str, fix: str, denied: str = "") -> bytes:
    """The file's bytes: a regular file (not a device such as /dev/zero, nor a pipe) of at most MAX_BYTES;
    ``denied`` is the fix when this user may not read it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise ConfigError([Problem(origin, f"{path} does not exist", fix)]) from None
    except OSError as err:
        fix = denied if isinstance(err, PermissionError) and denied else fix
        raise ConfigError([Problem(origin, f"cannot read {path}: {err.strerror}", fix)]) from err
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError([Problem(origin, f"{path} is a directory, not a file", fix)])
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError([Problem(origin, f"{path} is not a regular file (a device, a pipe or a socket)", fix)])
        data = os.read(fd, MAX_BYTES + 1)
    except OSError as err:
        raise ConfigError([Problem(origin, f"cannot read {path}: {err.strerror}", fix)]) from err
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise ConfigError([Problem(origin, f"{path} is larger than {MAX_BYTES // 1024} KiB: not a configuration", fix)])
    return data


def _load_file(
    path: Path,
    env: Mapping[str, str],
    recorded: StateDirectory | None,
    zone: str,
    origin: str,
    fix: str,
    calendars: bool,
    denied: str = "",
) -> Config:
    data = _read(path, origin, fix, denied)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        before = err.object[: err.start].decode("utf-8")  # valid up to the bad byte (the BOM already dropped)
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        problem = Problem(
            f"line {line}, column {column}",
            f"the file is not UTF-8 text (byte 0x{err.object[err.start]:02x}: {err.reason})",
            "save the file as UTF-8",
        )
        raise ConfigError([problem], str(path)) from err
    return parse(text, source=str(path), env=env, recorded=recorded, zone=zone, calendars=calendars)
