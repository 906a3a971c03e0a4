"""netwatch's own failures, told apart from the network's: what a probe says when it could not probe at all.

Owns the errors that are this machine's and not the line's: its file descriptors, memory or socket buffers ran
out (EMFILE, ENFILE, ENOMEM, ENOBUFS), or it refused to send (EPERM, EACCES: a firewall rule, the service's
sandbox). Such an error ends the probe with ``OwnFault`` naming the real reason (not the "Broadcast is not
allowed" icmplib says of any refused send), so that the daemon records the time as unmonitored, never as an
outage blamed on the provider. Must not decide what the daemon does about it.
"""

from __future__ import annotations

import errno

from netwatch.errors import OwnFault

REASONS = {
    errno.EMFILE: "too many open files (EMFILE)",
    errno.ENFILE: "the system is out of open files (ENFILE)",
    errno.ENOMEM: "out of memory (ENOMEM)",
    errno.ENOBUFS: "no buffer space (ENOBUFS)",
    errno.EPERM: "sending refused by this machine (EPERM: a firewall rule or the service's sandbox drops it)",
    errno.EACCES: "sending refused by this machine (EACCES: a broadcast address, or a rule of this machine)",
}


def own_fault(err: BaseException, doing: str) -> OwnFault | None:
    """The ``OwnFault`` behind ``err`` (itself, or what it was raised from or during), or None when it is the
    network's. ``doing`` says what failed, e.g. "sending an ICMP echo"."""
    seen: BaseException | None = err
    for _ in range(8):  # a chain of causes is short; never loop on a cycle
        if seen is None:
            return None
        if isinstance(seen, OSError) and seen.errno in REASONS:
            return OwnFault(f"netwatch itself could not probe ({doing}): {REASONS[seen.errno]}")
        seen = seen.__cause__ or seen.__context__
    return None
