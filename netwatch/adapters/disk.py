"""The disk under the state directory (on a Pi, its SD card): the free space, and the bytes a process wrote to it.

Owns reading ``statvfs`` (``space``) and a process's I/O account in /proc (``written``: the bytes it caused to be
written to storage, ``write_bytes`` less ``cancelled_write_bytes`` of /proc/PID/io, and how long it has run, from
/proc/PID/stat and /proc/uptime).
Must not judge the figures (``netwatch.report.doctor`` does) nor find the process (the caller gives its id).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PROC = Path("/proc")


def space(path: Path) -> tuple[int, int]:
    """(free, total) bytes of the file system holding ``path``, or of its nearest parent this user may look at;
    free counts only what an unprivileged process may use. Raises OSError."""
    for place in (path, *path.parents):
        try:
            usage = shutil.disk_usage(place)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        return usage.free, usage.total
    raise FileNotFoundError(str(path))


def written(pid: int, proc: Path = PROC) -> tuple[int, float] | None:
    """(bytes written to storage, seconds running) of process ``pid``, or None when its account cannot be read
    (it ended, or belongs to another user and this one is not root). Bytes it wrote to a file and truncated away
    before they reached the disk (an emptied WAL) are not counted."""
    try:
        io = dict(line.split(": ", 1) for line in (proc / str(pid) / "io").read_text().splitlines() if ": " in line)
        # The process's start, in clock ticks after boot, is the 22nd field; its name (2nd) may hold spaces.
        fields = (proc / str(pid) / "stat").read_text().rpartition(")")[2].split()
        uptime = float((proc / "uptime").read_text().split()[0])
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        written = max(0, int(io["write_bytes"]) - int(io.get("cancelled_write_bytes", "0")))
        return written, max(0.0, uptime - started)
    except (OSError, KeyError, IndexError, ValueError):
        return None
