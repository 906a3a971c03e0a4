"""The configuration every face starts from, and the logging it asks for.

Owns loading the configuration the way every command and the web dashboard do (``--config``, else
``$NETWATCH_CONFIG``, else ``/etc/netwatch/netwatch.toml``, else the built-in defaults; the environment of this
process), setting up logging for a face, and a long-lived face's small memory footprint. Must not validate
anything itself: ``netwatch.config`` does.
"""

from __future__ import annotations

import os
from pathlib import Path

from netwatch import config
from netwatch.adapters import logs
from netwatch.adapters.store import migrations
from netwatch.config import Config

DEFAULT_PATH = config.DEFAULT_PATH


def load(path: Path | None, *, calendars: bool = True) -> Config:
    """The configuration from ``path`` (``--config``), or where netwatch looks by default; ``calendars`` False
    checks the holiday calendar's name for its form only (the daemon never reads a calendar). Raises ConfigError."""
    return config.load(path, os.environ, calendars=calendars)


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
