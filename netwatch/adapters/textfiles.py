"""Reading the small text files the configuration points at: secrets, lists of notification URLs, certificates.

Owns the one safe read: a regular file only (never a device such as /dev/zero, a FIFO or a directory), at most a
given size, UTF-8; every failure is a ``ConfigError`` naming the key and the fix. Also warns (once per read) when
a secret can be read by other users. Must not interpret what it reads.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from netwatch.errors import ConfigError, Problem

log = logging.getLogger("netwatch")

SECRET_LIMIT = 16 * 1024  # bytes: a password or a token is far shorter


def _problem(key: str, message: str, fix: str) -> ConfigError:
    return ConfigError([Problem(key, message, fix)])


def read(path: Path, key: str, limit: int, what: str, *, secret: bool = False) -> str:
    """The text of ``path`` (``what`` it should hold, for the fix); refuses a missing or special file, one larger
    than ``limit`` bytes, or one that is not UTF-8."""
    elsewhere = f"point {key} at another file"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError as err:
        raise _problem(key, f"{path} does not exist", f"create it with {what}, or {elsewhere}") from err
    except OSError as err:
        fix = f"make {path} readable by the user netwatch runs as, or {elsewhere}"
        raise _problem(key, f"cannot read {path}: {err.strerror}", fix) from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device, a pipe or a socket)"
            raise _problem(key, f"{path} is {kind}", f"give a file holding {what}")
        if info.st_size > limit:
            raise _problem(key, f"{path} is larger than {limit // 1024} KiB", f"give a file holding only {what}")
        data = os.read(fd, limit + 1)
    except OSError as err:
        raise _problem(key, f"cannot read {path}: {err.strerror}", elsewhere) from err
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _problem(key, f"{path} is larger than {limit // 1024} KiB", f"give a file holding only {what}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _problem(key, f"{path} is not UTF-8 text", f"write {what} as plain text") from err
    if secret and info.st_mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("%s %s can be read by other users (mode %03o): chmod 600 it", key, path, stat.S_IMODE(info.st_mode))
    return text


def read_secret(path: Path, key: str) -> str:
    """The first line of a secret file (a password, a token): refused when missing, special, large or empty."""
    text = read(path, key, SECRET_LIMIT, "the secret on its first line", secret=True)
    first = text.splitlines()[0].strip() if text.strip() else ""
    if not first:
        raise _problem(key, f"{path} is empty", "write the secret on its first line")
    return first
