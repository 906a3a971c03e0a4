"""`netwatch notify test|list`: the notification channels tried by hand, and the outbox."""

from __future__ import annotations

import time
from pathlib import Path

import click

from netwatch import config
from netwatch.adapters import logs
from netwatch.cli import ExitCode, _config_option, _debug, _errors, _fail, _load, main
from netwatch.core.outbox import entry_state
from netwatch.errors import ConfigError, Problem


@main.group()
def notify() -> None:
    """Notifications after recovery ([notify] in the configuration)."""


def _notify_config(config_path: Path | None) -> config.Config:
    cfg = _load(config_path)
    if not cfg.notify.enabled:
        fix = 'list apprise URLs, e.g. urls = ["ntfy://ntfy.sh/your-topic"], or set urls_file or command'
        raise ConfigError([Problem("notify", "has no channel, so nothing is notified", fix)])
    logs.setup("warning")  # a URLs file others can read is reported while the channels are built
    return cfg


@notify.command("test")
@_config_option
@click.pass_context
def notify_test(ctx: click.Context, config_path: Path | None) -> None:
    """Send a test notification through every channel now (not through the outbox) and say how each went.

    Exits 0 when every channel delivered, 10 when one failed.
    """
    import socket
    import threading

    from netwatch.adapters.notify import NotifyError, check
    from netwatch.report.message import message_for_test

    with _errors(_debug(ctx)):
        cfg = _notify_config(config_path)
        channels = check(cfg.notify, cfg.source)
        message = message_for_test(
            at=time.time(),
            probe=cfg.probe.name or socket.gethostname(),
            prefix=cfg.notify.title_prefix,
            zone=cfg.business_hours.timezone,
        )
        failed = 0
        for channel in channels:
            started = time.monotonic()
            try:
                channel.send(message, threading.Event())
            except NotifyError as err:
                failed += 1
                click.echo(f"FAILED  {err}")
                continue
            click.echo(f"OK      {channel.label} ({(time.monotonic() - started) * 1000:.0f} ms)")
        if failed:
            _fail(f"{failed} of {len(channels)} channel(s) failed", ExitCode.NOTIFY)


@notify.command("list")
@_config_option
@click.option("--recent", default=20, show_default=True, type=click.IntRange(0, 10000), help="Entries to list.")
@click.pass_context
def notify_list(ctx: click.Context, config_path: Path | None, recent: int) -> None:
    """The outbox: the latest notifications, per channel, sent, pending or given up, with the last error."""
    from netwatch.adapters.store.sqlite import Store

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        zone = cfg.business_hours.timezone
        with Store.open(cfg.store.path, readonly=True) as store:
            entries = store.notifications(recent)
        if not entries:
            click.echo("The outbox is empty: nothing was notified yet.")
        for entry in entries:
            click.echo(f"{entry.message.title}\n  via {entry.label}: {entry_state(entry, zone)}")
            if entry.error:
                click.echo(f"  last error: {entry.error}")
