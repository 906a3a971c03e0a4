"""`netwatch ticket open|close|missed|declined|notice|credited|list`: the faults you reported to your provider.

Owns the commands' options and what they print; the rules of a ticket's life (references, times, amounts, the
checks against the store) are ``netwatch.app.tickets``'; a deadline's words are ``netwatch.report.now``'s. Must not
write or read the store itself.
"""

from __future__ import annotations

import json
import shlex
import time

import click

from netwatch.app import reports, tickets
from netwatch.cli.command import configured
from netwatch.config import Config
from netwatch.core.claims import load
from netwatch.core.model import Ticket, TicketKind
from netwatch.core.text import duration, local, money, visible
from netwatch.report.jsonout import deadline_json, ticket_json
from netwatch.report.now import deadline_text
from netwatch.report.tickets import back_before_compensation, restored_text


@click.group()
def ticket() -> None:
    """Fault tickets: when you told your provider, and when it repaired the fault (for the claims in reports)."""


def _by(t: Ticket) -> str:
    return f" by {t.channel.value}" if t.channel else ""


KIND_WORDS = {
    TicketKind.FAULT: "reported",
    TicketKind.SPEED: "slow speed reported",
    TicketKind.SWITCH: "provider switch agreed for",
    TicketKind.MOVE: "move agreed for",
    TicketKind.PORT: "number port agreed for",
}


def _what(t: Ticket) -> str:
    """ "fault reported", "planned work announced", "provider switch agreed for"."""
    return "planned work announced" if t.planned else KIND_WORDS[t.kind]


def _currency(cfg: Config) -> str:
    """The currency credits are in: the rule pack's, else [cost] currency."""
    return load(cfg.claims.rules).currency if cfg.claims.rules != "none" else cfg.cost.currency


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
@click.option(
    "--note",
    default="",
    help="Anything worth keeping: who you spoke to, what they promised. Private: kept out of the documents for the"
    " provider unless [report] ticket_notes = true.",
)
@click.option(
    "--kind",
    type=click.Choice(tickets.KINDS),
    default=TicketKind.FAULT.value,
    show_default=True,
    help="What you reported: a fault, slow speed, or a provider switch, move or number port (then --reported is "
    "the day and time it was agreed for).",
)
@click.option("--planned", is_flag=True, help="A fault the provider announced in advance as planned work.")
def ticket_open(
    cfg: Config, reported_word: str, ref_word: str, channel: str | None, note: str, kind: str, planned: bool
) -> None:
    """Record a fault you reported to the provider (sealed in the evidence chain)."""
    made = tickets.open_ticket(cfg, ref_word, reported_word, channel, note, time.time(), kind=kind, planned=planned)
    click.echo(
        f"ticket {made.ref} opened: {_what(made)} {local(made.reported, cfg.business_hours.timezone)}{_by(made)}"
    )


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
    help="The booked time of the engineer appointment (missed, or cancelled at short notice).",
)
@click.option(
    "--withdraw",
    is_flag=True,
    help="Withdraw the appointment at WHEN, recorded by mistake (both versions stay in the evidence chain).",
)
def ticket_missed(cfg: Config, ref: str, at_word: str, withdraw: bool) -> None:
    """Record an engineer appointment of ticket REF that the provider missed (some rules pay for it)."""
    if withdraw:
        done = tickets.withdraw_missed(cfg, ref, at_word, time.time())
    else:
        done = tickets.missed_appointment(cfg, ref, at_word, time.time())
    at = local(done.at, cfg.business_hours.timezone)
    n = len(done.ticket.missed_appointments)
    if withdraw:
        click.echo(
            f"ticket {done.ticket.ref}: missed appointment {at} withdrawn ({n} left; the chain keeps the record)"
        )
    elif done.already:
        click.echo(f"ticket {done.ticket.ref}: the appointment of {at} is already recorded")
    else:
        click.echo(f"ticket {done.ticket.ref}: missed appointment {at} recorded ({n} in all)")


@ticket.command("declined")
@configured
@click.argument("ref")
@click.option(
    "--at",
    "at_word",
    required=True,
    metavar="WHEN",
    help="The earliest engineer appointment the provider offered that you declined or missed.",
)
@click.option("--next", "next_word", metavar="WHEN", help="The appointment that took its place, if there is one.")
def ticket_declined(cfg: Config, ref: str, at_word: str, next_word: str | None) -> None:
    """Record an appointment of ticket REF you declined or missed (some rules pay nothing until the next one)."""
    done = tickets.declined_appointment(cfg, ref, at_word, next_word, time.time())
    tz = cfg.business_hours.timezone
    at = local(done.pause.at, tz)
    until = f"the next is {local(done.pause.until, tz)}" if done.pause.until is not None else "no next one yet"
    if done.already:
        click.echo(f"ticket {done.ticket.ref}: the declined appointment of {at} is already recorded ({until})")
    else:
        click.echo(f"ticket {done.ticket.ref}: declined appointment {at} recorded; {until}")


@ticket.command("notice")
@configured
@click.argument("ref")
@click.option(
    "--at",
    "at_word",
    required=True,
    metavar="WHEN",
    help="When the provider told you its compensation payments will stop.",
)
@click.option("--correct", is_flag=True, help="Replace a notice already recorded.")
def ticket_notice(cfg: Config, ref: str, at_word: str, correct: bool) -> None:
    """Record the provider's notice that its compensation for ticket REF stops (Ofcom's code allows one)."""
    done = tickets.notice_given(cfg, ref, at_word, time.time(), correct=correct)
    at = local(done.notice if done.notice is not None else done.reported, cfg.business_hours.timezone)
    click.echo(f"ticket {done.ref}: the provider's notice of {at} recorded")


@ticket.command("credited")
@configured
@click.argument("ref")
@click.option("--amount", required=True, type=float, help="What the provider credited or paid, e.g. 9.98.")
@click.option("--on", "on_word", metavar="DATE", help="The day of the credit, YYYY-MM-DD (default today).")
def ticket_credited(cfg: Config, ref: str, amount: float, on_word: str | None) -> None:
    """Record what the provider actually credited for ticket REF (reports show it beside what was claimed)."""
    done = tickets.credited(cfg, ref, amount, on_word, time.time())
    currency = _currency(cfg)
    shown = f"{money(done.credit.amount, currency)} on {done.credit.on.isoformat()}"
    total = money(done.ticket.credited, currency)
    if done.already:
        click.echo(f"ticket {done.ticket.ref}: the credit of {shown} is already recorded ({total} in all)")
    else:
        click.echo(f"ticket {done.ticket.ref}: credit of {shown} recorded ({total} in all)")


@ticket.command("list")
@configured
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def ticket_list(cfg: Config, as_json: bool) -> None:
    """Every ticket, with the outages it covers and how long the line stayed down after the report."""
    tz = cfg.business_hours.timezone
    found = tickets.list_tickets(cfg, time.time())
    if as_json:
        listed = [
            {**ticket_json(f), "deadlines": [deadline_json(d) for d in reports.deadlines_of(cfg, f.ticket)]}
            for f in found
        ]
        click.echo(json.dumps({"tickets": listed}, indent=2))
        return
    if not found:
        click.echo("no tickets: record one with `netwatch ticket open --reported WHEN --ref REF`")
        return
    now = time.time()
    currency = _currency(cfg)
    for f in found:
        t = f.ticket
        state = f"fixed {local(t.fixed, tz)}" if t.fixed is not None else "open"
        click.echo(f"{t.ref}  {_what(t)} {local(t.reported, tz)}{_by(t)}  {state}")
        restored = restored_text(f, tz)
        click.echo(
            f"    {len(f.outages)} outage{'' if len(f.outages) == 1 else 's'}, "
            f"down {duration(f.down_after_report)} after the report "
            f"({duration(f.business_after_report)} in business hours); {restored}"
        )
        if t.missed_appointments:
            click.echo(f"    missed appointments: {', '.join(local(at, tz) for at in t.missed_appointments)}")
        for pause in t.declined:
            until = f", next {local(pause.until, tz)}" if pause.until is not None else ""
            click.echo(f"    declined appointment: {local(pause.at, tz)}{until}")
        if t.notice is not None:
            click.echo(f"    provider's notice that compensation stops: {local(t.notice, tz)}")
        if t.credits:
            credits = ", ".join(f"{money(c.amount, currency)} on {c.on.isoformat()}" for c in t.credits)
            click.echo(f"    credited: {credits} ({money(t.credited, currency)} in all)")
        found_deadlines = reports.deadlines_of(cfg, t)
        if back := back_before_compensation(f, found_deadlines, tz):
            click.echo(f"    {back}: close it with `netwatch ticket close {shlex.quote(t.ref)} --fixed WHEN`")
        else:
            for deadline in found_deadlines:
                click.echo(f"    {deadline_text(deadline, now)}")
        if t.note:
            click.echo(f"    note: {visible(t.note)}")
