"""Notifications tried by hand: a test through every channel now, and the outbox as the store holds it.

Owns `netwatch notify test` (each channel tried directly, not through the outbox, with how long it took or why it
failed) and reading the outbox. Must not queue anything: the daemon's notification task does.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

from netwatch.adapters.notify import NotifyError, check
from netwatch.app import stores
from netwatch.config import Config
from netwatch.core.model import OutboxEntry
from netwatch.errors import ConfigError, Problem
from netwatch.report.message import message_for_test


def require_channels(cfg: Config) -> None:
    """Raise ConfigError when ``[notify]`` has no channel."""
    if not cfg.notify.enabled:
        fix = 'list apprise URLs, e.g. urls = ["ntfy://ntfy.sh/your-topic"], or set urls_file or command'
        raise ConfigError([Problem("notify", "has no channel, so nothing is notified", fix)])


@dataclass(frozen=True)
class Tried:
    """One channel's test: its label, and the seconds it took or why it failed."""

    label: str
    seconds: float | None
    error: str = ""


def test(cfg: Config) -> tuple[Tried, ...]:
    """Send a test notification through every channel now and say how each went."""
    require_channels(cfg)
    channels = check(cfg.notify, cfg.source)
    message = message_for_test(
        at=time.time(),
        probe=cfg.probe.name or socket.gethostname(),
        prefix=cfg.notify.title_prefix,
        zone=cfg.business_hours.timezone,
    )
    out = []
    for channel in channels:
        started = time.monotonic()
        try:
            channel.send(message, threading.Event())
        except NotifyError as err:
            out.append(Tried(channel.label, None, str(err)))
            continue
        out.append(Tried(channel.label, time.monotonic() - started))
    return tuple(out)


def outbox(cfg: Config, recent: int) -> list[OutboxEntry]:
    """The ``recent`` latest entries of the outbox."""
    with stores.reading(cfg) as store:
        return store.notifications(recent)


def check_channels(cfg: Config) -> None:
    """Ask apprise about every URL and read the URLs file (`netwatch check-config`), when channels are set."""
    if cfg.notify.enabled:
        check(cfg.notify, cfg.source)
