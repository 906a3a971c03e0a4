"""Log output: one line per event on stderr, readable in a terminal and in the systemd journal.

Owns the log format and the streams it goes to. Under systemd (stderr is the socket named by ``$JOURNAL_STREAM``)
each line carries a ``<N>`` syslog priority prefix, which journald turns into the entry's priority, and no timestamp
(the journal has its own); a command's fatal one-line error gets the error priority the same way
(``error_line``); the stack dump of a crash or of the watchdog's SIGABRT, which Python writes itself without
prefixes, goes to a journal stream of its own opened at the error priority (``fatal_stream``). In a terminal lines
start with a local timestamp and the level, coloured only when stderr is a TTY. Must not decide what is logged or
at which level: callers do.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
from collections.abc import Mapping
from typing import IO

ERR = 3  # syslog priority of errors: `journalctl -p warning` (4) and `-p err` show them
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}
_COLOUR = {logging.WARNING: "\033[33m", logging.ERROR: "\033[31m", logging.CRITICAL: "\033[31;1m"}


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # journald makes an entry of every line, each at the priority of its own prefix: a record of several lines
        # (a stack) keeps its priority on all of them, continuation lines indented.
        priority = f"<{_PRIORITY.get(record.levelno, 6)}>"
        return priority + super().format(record).replace("\n", f"\n{priority} ")


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


def to_journal(env: Mapping[str, str] | None = None) -> bool:
    """Whether stderr is the journal (netwatch runs under systemd)."""
    env = os.environ if env is None else env
    return _stderr_is_journal(env.get("JOURNAL_STREAM", ""))


def error_line(text: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` (a fatal error: one line, or a few) for stderr: every line at the error priority in the journal,
    unchanged in a terminal."""
    return "\n".join(f"<{ERR}>{line}" for line in text.split("\n")) if to_journal(env) else text


def _journal_stream(path: str, identifier: str, priority: int) -> socket.socket:
    """A new stream to journald's stdout socket at ``path`` whose every line is logged at ``priority``, as
    sd_journal_stream_fd(3) opens one: identifier, unit (empty: journald takes it from our cgroup), priority, no
    level prefixes, no forwarding to syslog, kmsg or the console."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        sock.sendall(f"{identifier}\n\n{priority}\n0\n0\n0\n0\n".encode())
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        sock.close()
        raise
    return sock


_fatal: list[IO[str]] = []  # the fatal stream stays open (and referenced) for the life of the process


def fatal_stream(env: Mapping[str, str] | None = None) -> IO[str]:
    """Where a crash's stack dump goes (``faulthandler``): under systemd a second journal stream at the error
    priority (journald's socket is the peer of stderr: no path is assumed), so that ``journalctl -p warning`` shows
    why netwatch died; else, or when that stream cannot be opened, stderr."""
    if _fatal:
        return _fatal[0]
    if to_journal(env):
        with contextlib.suppress(OSError, ValueError):
            with socket.socket(fileno=os.dup(sys.stderr.fileno())) as err:
                peer = err.getpeername()
            if isinstance(peer, str) and peer:
                with _journal_stream(peer, "netwatch", ERR) as sock:
                    _fatal.append(sock.makefile("w", encoding="utf-8"))  # holds the socket open until it is closed
                return _fatal[0]
    return sys.stderr


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
