"""`netwatch notify test|list`: the notification channels tried by hand, and the outbox.

Owns the commands' options, output and exit codes (10 when a channel failed); sending and reading are
``netwatch.app.notify``'s. Must not build a channel itself.
"""

from __future__ import annotations

import click

from netwatch.app import notify as notifications
from netwatch.app import settings
from netwatch.cli.command import ExitCode, configured, fail
from netwatch.config import Config
from netwatch.core.outbox import entry_state


@click.group()
def notify() -> None:
    """Notifications after recovery ([notify] in the configuration)."""


@notify.command("test")
@configured
def notify_test(cfg: Config) -> None:
    """Send a test notification through every channel now (not through the outbox) and say how each went.

    Exits 0 when every channel delivered, 10 when one failed.
    """
    notifications.require_channels(cfg)
    settings.log_to_stderr("warning")  # a URLs file others can read is reported while the channels are built
    tried = notifications.test(cfg)
    for t in tried:
        click.echo(f"FAILED  {t.error}" if t.seconds is None else f"OK      {t.label} ({t.seconds * 1000:.0f} ms)")
    failed = sum(t.seconds is None for t in tried)
    if failed:
        fail(f"{failed} of {len(tried)} channel(s) failed", ExitCode.NOTIFY)


@notify.command("list")
@configured
@click.option("--recent", default=20, show_default=True, type=click.IntRange(0, 10000), help="Entries to list.")
def notify_list(cfg: Config, recent: int) -> None:
    """The outbox: the latest notifications, per channel, sent, pending or given up, with the last error."""
    zone = cfg.business_hours.timezone
    entries = notifications.outbox(cfg, recent)
    if not entries:
        click.echo("The outbox is empty: nothing was notified yet.")
    for entry in entries:
        click.echo(f"{entry.message.title}\n  via {entry.label}: {entry_state(entry, zone)}")
        if entry.error:
            click.echo(f"  last error: {entry.error}")
