"""A small client of systemd's service notification protocol (sd_notify), written here: no new dependency.

Owns the wire side only: reading ``$NOTIFY_SOCKET`` (a path, or an abstract socket written with a leading "@"),
``$WATCHDOG_USEC`` and ``$WATCHDOG_PID`` once, and sending newline-separated ``KEY=VALUE`` datagrams over an AF_UNIX
SOCK_DGRAM socket: READY=1, STATUS=…, WATCHDOG=1, STOPPING=1, EXTEND_TIMEOUT_USEC=…, WATCHDOG_USEC=….

Must not decide *when* to send (that is the daemon's, see ``netwatch.app.daemon.service``) and never raises into its
caller: a failed send is logged once (and once again when sending works again), then counted. Sends never block the
event loop: a full receive queue on systemd's side drops the message (MSG_DONTWAIT) instead of stalling a probe
round. Without ``$NOTIFY_SOCKET`` (not under systemd, or ``Type=`` other than notify) every method is a no-op and no
socket is created.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

log = logging.getLogger("netwatch")

# What systemd hands a service: our own copy of them is read once, then they are removed from os.environ (see
# from_environ) so that child processes (speed-test tools, a notification command) cannot talk for us.
VARIABLES = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")


@dataclass(frozen=True)
class Settings:
    """What the environment says: where to notify, and the watchdog timeout in seconds (None when this process
    is not expected to send WATCHDOG=1: unset, zero or malformed WATCHDOG_USEC, or WATCHDOG_PID of another
    process)."""

    address: str | None = None  # as the socket API wants it: a path, or "\0name" for an abstract socket
    watchdog: float | None = None


def settings(env: Mapping[str, str], pid: int) -> Settings:
    """Parse the service manager's variables as sd_notify(3) and sd_watchdog_enabled(3) do. Pure."""
    raw = env.get("NOTIFY_SOCKET", "")
    address: str | None = None
    if raw.startswith("@") and len(raw) > 1:
        address = "\0" + raw[1:]
    elif raw.startswith("/"):
        address = raw
    elif raw:
        # systemd only ever passes one of the two forms here; anything else (e.g. a vsock: address for a VM)
        # is something this small client does not speak.
        log.warning("NOTIFY_SOCKET=%s is neither a path nor an @abstract socket: systemd is not notified", raw)
    watchdog: float | None = None
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
        owner = int(env.get("WATCHDOG_PID", str(pid)))
    except ValueError:
        usec, owner = 0, pid
    if usec > 0 and owner == pid and address is not None:
        watchdog = usec / 1e6
    return Settings(address, watchdog)


class Notifier:
    """Sends notifications to the service manager; a no-op object when ``address`` is None."""

    def __init__(self, address: str | None = None, watchdog: float | None = None) -> None:
        self.address = address
        self.watchdog = watchdog  # seconds, or None when no WATCHDOG=1 is expected from us
        self.sent = 0
        self.failures = 0
        self._sock: socket.socket | None = None
        self._failing = False

    @classmethod
    def from_env(cls, env: Mapping[str, str], pid: int | None = None) -> Notifier:
        found = settings(env, os.getpid() if pid is None else pid)
        return cls(found.address, found.watchdog)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def ready(self, status: str = "") -> bool:
        """READY=1: start-up is finished (systemd now runs the unit's watchdog and starts units ordered after)."""
        return self.send("READY=1", *((f"STATUS={status}",) if status else ()))

    def status(self, text: str) -> bool:
        """STATUS=…: one line shown by `systemctl status`."""
        return self.send(f"STATUS={_one_line(text)}")

    def ping(self) -> bool:
        """WATCHDOG=1: the keep-alive; sent only when the watchdog is expected from this process."""
        return self.watchdog is not None and self.send("WATCHDOG=1")

    def stopping(self, status: str = "") -> bool:
        """STOPPING=1: shutdown has begun."""
        return self.send("STOPPING=1", *((f"STATUS={status}",) if status else ()))

    def extend_timeout(self, seconds: float) -> bool:
        """EXTEND_TIMEOUT_USEC=…: the current start-up or stop may take ``seconds`` more than its timeout."""
        return self.send(f"EXTEND_TIMEOUT_USEC={_usec(seconds)}")

    def set_watchdog(self, seconds: float) -> bool:
        """WATCHDOG_USEC=…: change the unit's watchdog timeout for this run (and ping at the new rate)."""
        if self.watchdog is None:
            return False
        self.watchdog = seconds
        return self.send(f"WATCHDOG_USEC={_usec(seconds)}")

    def send(self, *lines: str) -> bool:
        """One datagram of ``lines``; True when it was handed to the kernel. Never raises."""
        if self.address is None:
            return False
        message = "\n".join(lines).encode("utf-8")
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(message, socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL, self.address)
        except OSError as err:
            self.failures += 1
            if not self._failing:
                self._failing = True
                log.warning(
                    "cannot notify systemd at %s: %s (the service may be restarted if its watchdog misses pings)",
                    self._shown_address(),
                    err.strerror or err,
                )
            return False
        if self._failing:
            self._failing = False
            log.info("systemd notification socket %s works again", self._shown_address())
        self.sent += 1
        return True

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _shown_address(self) -> str:
        return "@" + self.address[1:] if self.address and self.address.startswith("\0") else str(self.address)


def from_environ(env: MutableMapping[str, str] | None = None) -> Notifier:
    """The notifier for this process, from ``os.environ``, which then loses the three variables: nothing netwatch
    starts (speedtest-cli, iperf3, the Ookla CLI, a notification command) has any business notifying systemd
    about our service. With NotifyAccess=main systemd would drop such messages anyway, but it logs a warning for
    each; and a child reading WATCHDOG_USEC without checking WATCHDOG_PID could think it owns our watchdog."""
    env = os.environ if env is None else env
    notifier = Notifier.from_env(env)
    for name in VARIABLES:
        env.pop(name, None)
    return notifier


def _usec(seconds: float) -> int:
    return max(1, round(seconds * 1e6))


def _one_line(text: str) -> str:
    return " ".join(text.split())
