"""`netwatch ticket open|close|missed|list`: the faults you reported to your provider.

Owns the commands' options and what they print; the rules of a ticket's life (references, times, the checks
against the store) are ``netwatch.app.tickets``'. Must not write or read the store itself.
"""

from __future__ import annotations

import json
import time

import click

from netwatch.app import tickets
from netwatch.cli.command import configured
from netwatch.config import Config
from netwatch.core.model import Ticket
from netwatch.core.text import duration, local, visible
from netwatch.report.jsonout import ticket_json

RESTORED = {
    "measured": "restored {end}",
    "open": "still down",
    "unmonitored": "still down when monitoring stopped {end}",
    "ticket": "repaired per the ticket while netwatch was not running",
    "none": "no loss of service measured after the report",
}


@click.group()
def ticket() -> None:
    """Fault tickets: when you told your provider, and when it repaired the fault (for the claims in reports)."""


def _by(t: Ticket) -> str:
    return f" by {t.channel.value}" if t.channel else ""


@ticket.command("open")
@configured
@click.option(
    "--reported",
    "reported_word",
    required=True,
    metavar="WHEN",
    help='When you reported the fault: "now" or "YYYY-MM-DD HH:MM" in the configured timezone.',
)
@click.option("--ref", "ref_word", required=True, metavar="REF", help="The provider's fault reference.")
@click.option("--channel", type=click.Choice(tickets.CHANNELS), help="How you reported it.")
@click.option("--note", default="", help="Anything worth keeping: who you spoke to, what they promised.")
def ticket_open(cfg: Config, reported_word: str, ref_word: str, channel: str | None, note: str) -> None:
    """Record a fault you reported to the provider (sealed in the evidence chain)."""
    made = tickets.open_ticket(cfg, ref_word, reported_word, channel, note, time.time())
    click.echo(f"ticket {made.ref} opened: reported {local(made.reported, cfg.business_hours.timezone)}{_by(made)}")


@ticket.command("close")
@configured
@click.argument("ref")
@click.option(
    "--fixed",
    "fixed_word",
    required=True,
    metavar="WHEN",
    help='When the provider repaired the fault: "now" or "YYYY-MM-DD HH:MM".',
)
@click.option(
    "--correct",
    is_flag=True,
    help="Replace the repair time of a ticket already closed (both versions stay in the evidence chain).",
)
def ticket_close(cfg: Config, ref: str, fixed_word: str, correct: bool) -> None:
    """Record when the provider repaired the fault of ticket REF."""
    done = tickets.close_ticket(cfg, ref, fixed_word, time.time(), correct=correct)
    fixed = done.fixed if done.fixed is not None else done.reported
    click.echo(
        f"ticket {done.ref} closed: fixed {local(fixed, cfg.business_hours.timezone)}, "
        f"{duration(fixed - done.reported)} after it was reported"
    )


@ticket.command("missed")
@configured
@click.argument("ref")
@click.option(
    "--at",
    "at_word",
    required=True,
    metavar="WHEN",
    help="When the engineer appointment was (missed, or cancelled at short notice).",
)
def ticket_missed(cfg: Config, ref: str, at_word: str) -> None:
    """Record an engineer appointment of ticket REF that the provider missed (some rules pay for it)."""
    done = tickets.missed_appointment(cfg, ref, at_word, time.time())
    at = local(done.at, cfg.business_hours.timezone)
    if done.already:
        click.echo(f"ticket {done.ticket.ref}: the appointment of {at} is already recorded")
    else:
        n = len(done.ticket.missed_appointments)
        click.echo(f"ticket {done.ticket.ref}: missed appointment {at} recorded ({n} in all)")


@ticket.command("list")
@configured
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def ticket_list(cfg: Config, as_json: bool) -> None:
    """Every ticket, with the outages it covers and how long the line stayed down after the report."""
    tz = cfg.business_hours.timezone
    found = tickets.list_tickets(cfg, time.time())
    if as_json:
        click.echo(json.dumps({"tickets": [ticket_json(f) for f in found]}, indent=2))
        return
    if not found:
        click.echo("no tickets: record one with `netwatch ticket open --reported WHEN --ref REF`")
        return
    for f in found:
        t = f.ticket
        state = f"fixed {local(t.fixed, tz)}" if t.fixed is not None else "open"
        click.echo(f"{t.ref}  reported {local(t.reported, tz)}{_by(t)}  {state}")
        restored = RESTORED[f.episode.basis.value].format(end=local(f.episode.end, tz))
        click.echo(
            f"    {len(f.outages)} outage(s), down {duration(f.down_after_report)} after the report "
            f"({duration(f.business_after_report)} in business hours); {restored}"
        )
        if t.missed_appointments:
            click.echo(f"    missed appointments: {', '.join(local(at, tz) for at in t.missed_appointments)}")
        if t.note:
            click.echo(f"    note: {visible(t.note)}")
