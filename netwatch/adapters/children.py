"""What the child processes netwatch starts inherit: speed-test tools and notification commands.

Owns dropping the ambient capabilities of the thread about to start a child. The service grants the daemon
CAP_NET_RAW as an *ambient* capability (raw ICMP sockets, traceroutes), and ambient capabilities pass to every
program it runs: a speed-test tool or a notification script would get raw sockets too. Capabilities are per
thread, so this is done in the thread that starts the child, right before; the daemon keeps its own. Must not
start anything itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("netwatch")

PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def drop_ambient() -> None:
    """Clear this thread's ambient capabilities, so that the next program it starts gets none (a no-op when there
    are none, or on a kernel without ambient capabilities)."""
    if _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0:
        log.debug("cannot clear ambient capabilities: errno %d", ctypes.get_errno())
