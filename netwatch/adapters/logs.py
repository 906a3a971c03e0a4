"""Log output: one line per event on stderr, readable in a terminal and in the systemd journal.

Owns the log format only. Under systemd (stderr is the socket named by ``$JOURNAL_STREAM``) each line carries a
``<N>`` syslog priority prefix, which journald turns into the entry's priority, and no timestamp (the journal has
its own). In a terminal lines start with a local timestamp and the level, coloured only when stderr is a TTY. Must
not decide what is logged or at which level: callers do.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}
_COLOUR = {logging.WARNING: "\033[33m", logging.ERROR: "\033[31m", logging.CRITICAL: "\033[31;1m"}


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record).replace("\n", "\n ")
        return f"<{_PRIORITY.get(record.levelno, 6)}>{text}"


class TerminalFormatter(logging.Formatter):
    def __init__(self, colour: bool) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(message)s", "%Y-%m-%d %H:%M:%S")
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        start = _COLOUR.get(record.levelno, "") if self.colour else ""
        return f"{start}{text}\033[0m" if start else text


def _stderr_is_journal(stream: str) -> bool:
    """systemd sets $JOURNAL_STREAM to "DEV:INODE" of the journal socket; a terminal started from a desktop session
    can inherit the variable, so it counts only when stderr really is that socket."""
    try:
        dev, ino = (int(x) for x in stream.split(":"))
        st = os.fstat(sys.stderr.fileno())
    except (ValueError, OSError):
        return False
    return (st.st_dev, st.st_ino) == (dev, ino)


def setup(level: str, env: Mapping[str, str] | None = None) -> None:
    """Send netwatch's log records to stderr at ``level`` (debug, info, warning, error)."""
    env = os.environ if env is None else env
    handler = logging.StreamHandler(sys.stderr)
    if _stderr_is_journal(env.get("JOURNAL_STREAM", "")):
        handler.setFormatter(JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(TerminalFormatter(colour=sys.stderr.isatty() and not env.get("NO_COLOR")))
    root = logging.getLogger("netwatch")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
