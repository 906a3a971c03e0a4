"""`netwatch ticket open|close|missed|list`: the faults you reported to your provider.

Owns turning the owner's words (a reference, when the provider was told, how, when it was repaired) into chained
``Ticket`` records, and listing them against the measurements. Writes go through the store like the daemon's, so
they are sealed in the evidence chain, also while the daemon runs.
"""

from __future__ import annotations

import json
import re
import shlex
import time
import unicodedata
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from netwatch.cli import _config_option, _debug, _errors, _load, main
from netwatch.core import text as timefmt
from netwatch.core.model import Channel, Ticket
from netwatch.errors import InputError

if TYPE_CHECKING:
    from netwatch.adapters.store.sqlite import Store
    from netwatch.config import Config
    from netwatch.report.tickets import TicketFigures

MAX_REF = 64
_CLOCK = re.compile(r"\d:\d\d")  # a time of day: "09:15", "9:15", "T091500" is not accepted
_WHEN_FORMS = 'write "now" or a date and time such as "2026-11-30 09:15" (in {tz}, or with an offset)'


def parse_instant(option: str, text: str, tz: ZoneInfo, now: float) -> float:
    """Unix seconds of an instant the owner gives: "now", or an ISO date-time (local in ``tz`` without offset).
    Refused: no time of day (the rules count from the hour the provider was told), a local time the clocks skipped
    or passed twice (give the offset), the future."""
    word = text.strip()
    if word.lower() == "now":
        return now
    try:
        moment = datetime.fromisoformat(word)
    except ValueError:
        raise InputError(f'{option}: "{text}" is not a date and time; {_WHEN_FORMS.format(tz=tz.key)}') from None
    if not _CLOCK.search(word):
        raise InputError(
            f'{option}: "{text}" has no time of day, and the compensation clock starts at the hour the provider was '
            f"told; {_WHEN_FORMS.format(tz=tz.key)}"
        )
    if moment.tzinfo is None:
        first, second = moment.replace(tzinfo=tz, fold=0), moment.replace(tzinfo=tz, fold=1)
        if datetime.fromtimestamp(first.timestamp(), tz).replace(tzinfo=None) != moment:
            raise InputError(
                f'{option}: "{text}" does not exist in {tz.key} (the clocks went forward then); give the time with '
                f"its offset, e.g. {moment.isoformat(sep=' ', timespec='minutes')}{_offset(first)}"
            )
        if first.utcoffset() != second.utcoffset():
            raise InputError(
                f'{option}: "{text}" happened twice in {tz.key} (the clocks went back then); add the offset: '
                f"{_offset(first)} for the first, {_offset(second)} for the second"
            )
        moment = first
    at = moment.timestamp()
    if at > now + 60:  # a minute of slack for a clock read on another device
        raise InputError(f"{option}: {timefmt.local(at, tz)} is in the future; give the time it happened")
    return at


def _offset(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")[-6:]


def check_ref(ref: str) -> str:
    ref = ref.strip()
    if not ref:
        raise InputError("--ref: the provider's reference is empty; copy it from their e-mail or the call")
    if len(ref) > MAX_REF or any(unicodedata.category(ch).startswith(("C", "Z")) and ch != " " for ch in ref):
        raise InputError(
            f"--ref: {json.dumps(ref)} is not a reference (at most {MAX_REF} characters, no tabs or line breaks)"
        )
    return ref


def _known(found: Ticket | None, ref: str, store: Store) -> Ticket:
    """``found``, or the error naming the tickets there are."""
    if found is None:
        refs = [t.ref for t in store.tickets()]
        known = f"the tickets are {', '.join(refs)}" if refs else "there are no tickets yet"
        raise InputError(f'no ticket "{ref}": {known} (`netwatch ticket list`); open one with `netwatch ticket open`')
    return found


def _after_report(option: str, at: float, found: Ticket, tz: ZoneInfo, fix: str) -> None:
    if at < found.reported:
        raise InputError(
            f"{option}: {timefmt.local(at, tz)} is before the fault was reported "
            f"({timefmt.local(found.reported, tz)}); {fix}"
        )


@main.group()
def ticket() -> None:
    """Fault tickets: when you told your provider, and when it repaired the fault (for the claims in reports)."""


@ticket.command("open")
@_config_option
@click.option(
    "--reported",
    "reported_word",
    required=True,
    metavar="WHEN",
    help='When you reported the fault: "now" or "YYYY-MM-DD HH:MM" in the configured timezone.',
)
@click.option("--ref", "ref_word", required=True, metavar="REF", help="The provider's fault reference.")
@click.option("--channel", type=click.Choice([c.value for c in Channel]), help="How you reported it.")
@click.option("--note", default="", help="Anything worth keeping: who you spoke to, what they promised.")
@click.pass_context
def ticket_open(
    ctx: click.Context, config_path: Path | None, reported_word: str, ref_word: str, channel: str | None, note: str
) -> None:
    """Record a fault you reported to the provider (sealed in the evidence chain)."""
    from netwatch.adapters.store.sqlite import Store

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        tz, now = cfg.business_hours.timezone, time.time()
        ref = check_ref(ref_word)
        reported = parse_instant("--reported", reported_word, tz, now)
        made = Ticket(ref, reported, Channel(channel) if channel else None, note.strip())

        def create(found: Ticket | None) -> Ticket:
            if found is not None:
                raise InputError(
                    f'ticket "{ref}" already exists (reported {timefmt.local(found.reported, tz)}): close it with '
                    f"`netwatch ticket close {shlex.quote(ref)} --fixed WHEN`, or give the new fault its own --ref"
                )
            return made

        with Store.open(cfg.store.path) as store:
            store.change_ticket(ref, create, now)
        click.echo(f"ticket {ref} opened: reported {timefmt.local(reported, tz)}{_by(made)}")


def _by(t: Ticket) -> str:
    return f" by {t.channel.value}" if t.channel else ""


@ticket.command("close")
@_config_option
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
@click.pass_context
def ticket_close(ctx: click.Context, config_path: Path | None, ref: str, fixed_word: str, correct: bool) -> None:
    """Record when the provider repaired the fault of ticket REF."""
    from netwatch.adapters.store.sqlite import Store

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        tz, now = cfg.business_hours.timezone, time.time()
        fixed = parse_instant("--fixed", fixed_word, tz, now)

        def close(found: Ticket | None) -> Ticket:
            found = _known(found, ref.strip(), store)
            _after_report("--fixed", fixed, found, tz, "give the time of the repair")
            if found.fixed is not None and not correct:
                raise InputError(
                    f'ticket "{found.ref}" is already closed (fixed {timefmt.local(found.fixed, tz)}): add --correct '
                    "to replace that time"
                )
            return replace(found, fixed=fixed)

        with Store.open(cfg.store.path) as store:
            done = store.change_ticket(ref.strip(), close, now)
        click.echo(
            f"ticket {done.ref} closed: fixed {timefmt.local(fixed, tz)}, "
            f"{timefmt.duration(fixed - done.reported)} after it was reported"
        )


@ticket.command("missed")
@_config_option
@click.argument("ref")
@click.option(
    "--at",
    "at_word",
    required=True,
    metavar="WHEN",
    help="When the engineer appointment was (missed, or cancelled at short notice).",
)
@click.pass_context
def ticket_missed(ctx: click.Context, config_path: Path | None, ref: str, at_word: str) -> None:
    """Record an engineer appointment of ticket REF that the provider missed (some rules pay for it)."""
    from netwatch.adapters.store.sqlite import Store

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        tz, now = cfg.business_hours.timezone, time.time()
        at = parse_instant("--at", at_word, tz, now)
        already: list[bool] = []

        def miss(found: Ticket | None) -> Ticket:
            found = _known(found, ref.strip(), store)
            _after_report("--at", at, found, tz, "an appointment for it comes after the report")
            already.append(at in found.missed_appointments)
            return found if already[0] else replace(found, missed_appointments=(*found.missed_appointments, at))

        with Store.open(cfg.store.path) as store:
            done = store.change_ticket(ref.strip(), miss, now)
        if already[0]:
            click.echo(f"ticket {done.ref}: the appointment of {timefmt.local(at, tz)} is already recorded")
        else:
            n = len(done.missed_appointments)
            click.echo(f"ticket {done.ref}: missed appointment {timefmt.local(at, tz)} recorded ({n} in all)")


def figures_of(store: Store, cfg: Config, tickets: list[Ticket], now: float) -> tuple[TicketFigures, ...]:
    """Every ticket with the incidents it covers, read from the store."""
    from netwatch.report.tickets import ticket_figures

    if not tickets:
        return ()
    from netwatch.app.reports import measured_until
    from netwatch.report.compute import Period

    first = min(t.reported for t in tickets)
    incidents = store.incidents(first, now)  # overlapping: those open at a report too
    coverage = store.sessions(first, now)
    until = max(first, measured_until(Period(first, now), coverage))
    return ticket_figures(tickets, incidents, coverage, until, cfg.business_hours)


@ticket.command("list")
@_config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def ticket_list(ctx: click.Context, config_path: Path | None, as_json: bool) -> None:
    """Every ticket, with the outages it covers and how long the line stayed down after the report."""
    from netwatch.adapters.store.sqlite import Store
    from netwatch.report.jsonout import ticket_json

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        tz, now = cfg.business_hours.timezone, time.time()
        if not cfg.store.path.exists():
            found: tuple[TicketFigures, ...] = ()
        else:
            with Store.open(cfg.store.path, readonly=True) as store, store.snapshot():
                found = figures_of(store, cfg, store.tickets(), now)
        if as_json:
            click.echo(json.dumps({"tickets": [ticket_json(f) for f in found]}, indent=2))
            return
        if not found:
            click.echo("no tickets: record one with `netwatch ticket open --reported WHEN --ref REF`")
            return
        for f in found:
            t = f.ticket
            state = f"fixed {timefmt.local(t.fixed, tz)}" if t.fixed is not None else "open"
            click.echo(f"{t.ref}  reported {timefmt.local(t.reported, tz)}{_by(t)}  {state}")
            outages = len(f.outages)
            restored = {
                "measured": f"restored {timefmt.local(f.episode.end, tz)}",
                "open": "still down",
                "unmonitored": f"still down when monitoring stopped {timefmt.local(f.episode.end, tz)}",
                "ticket": "repaired per the ticket while netwatch was not running",
                "none": "no loss of service measured after the report",
            }[f.episode.basis.value]
            click.echo(
                f"    {outages} outage(s), down {timefmt.duration(f.down_after_report)} after the report "
                f"({timefmt.duration(f.business_after_report)} in business hours); {restored}"
            )
            if t.missed_appointments:
                missed = ", ".join(timefmt.local(at, tz) for at in t.missed_appointments)
                click.echo(f"    missed appointments: {missed}")
            if t.note:
                click.echo(f"    note: {t.note}")
