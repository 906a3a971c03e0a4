"""Fault tickets: the faults the owner reported to the provider, opened, closed and listed the same way from
every face.

Owns the rules of a ticket's life: a reference is the provider's (unique, one line, at most ``MAX_REF``
characters), a ticket is opened once, closed after it was reported (``correct`` to replace a repair time), a
missed appointment comes after the report and is recorded once; every change is checked and written in one store
transaction, so it is sealed in the evidence chain also while the daemon runs. Listing measures each ticket with
the same episodes as the reports; an open ticket's deadlines come from the configured rule pack. Must not word
the results (faces do) or read the clock: "now" is passed in.
"""

from __future__ import annotations

import json
import shlex
import unicodedata
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from netwatch.adapters.store.sqlite import Store
from netwatch.app.reports import measured_until, uk_nation
from netwatch.config import Config
from netwatch.core.claims import Deadline, deadlines
from netwatch.core.model import Channel, Period, Ticket
from netwatch.core.text import local
from netwatch.core.when import instant
from netwatch.errors import InputError
from netwatch.report.tickets import TicketFigures, ticket_figures

MAX_REF = 64
CHANNELS = tuple(c.value for c in Channel)


def check_ref(ref: str) -> str:
    """The provider's reference, trimmed; refused when empty, too long or holding tabs or line breaks."""
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
            f"{option}: {local(at, tz)} is before the fault was reported ({local(found.reported, tz)}); {fix}"
        )


def open_ticket(cfg: Config, ref: str, reported: str, channel: str | None, note: str, now: float) -> Ticket:
    """Record a fault reported to the provider (``reported`` is WHEN: "now" or a local date and time)."""
    tz = cfg.business_hours.timezone
    ref = check_ref(ref)
    at = instant("--reported", reported, tz, now)
    made = Ticket(ref, at, Channel(channel) if channel else None, note.strip())

    def create(found: Ticket | None) -> Ticket:
        if found is not None:
            raise InputError(
                f'ticket "{ref}" already exists (reported {local(found.reported, tz)}): close it with '
                f"`netwatch ticket close {shlex.quote(ref)} --fixed WHEN`, or give the new fault its own --ref"
            )
        return made

    with Store.open(cfg.store.path) as store:
        store.change_ticket(ref, create, now)
    return made


def close_ticket(cfg: Config, ref: str, fixed: str, now: float, *, correct: bool = False) -> Ticket:
    """Record when the provider repaired the fault of ticket ``ref`` (``correct``: replace an earlier time)."""
    tz = cfg.business_hours.timezone
    at = instant("--fixed", fixed, tz, now)

    def close(found: Ticket | None) -> Ticket:
        found = _known(found, ref.strip(), store)
        _after_report("--fixed", at, found, tz, "give the time of the repair")
        if found.fixed is not None and not correct:
            raise InputError(
                f'ticket "{found.ref}" is already closed (fixed {local(found.fixed, tz)}): add --correct '
                "to replace that time"
            )
        return replace(found, fixed=at)

    with Store.open(cfg.store.path) as store:
        return store.change_ticket(ref.strip(), close, now)


@dataclass(frozen=True)
class Missed:
    """A missed appointment recorded: the ticket after it, and whether it was recorded already."""

    ticket: Ticket
    at: float
    already: bool


def missed_appointment(cfg: Config, ref: str, when: str, now: float) -> Missed:
    """Record an engineer appointment of ticket ``ref`` that the provider missed (once)."""
    tz = cfg.business_hours.timezone
    at = instant("--at", when, tz, now)
    already: list[bool] = []

    def miss(found: Ticket | None) -> Ticket:
        found = _known(found, ref.strip(), store)
        _after_report("--at", at, found, tz, "an appointment for it comes after the report")
        already.append(at in found.missed_appointments)
        return found if already[0] else replace(found, missed_appointments=(*found.missed_appointments, at))

    with Store.open(cfg.store.path) as store:
        done = store.change_ticket(ref.strip(), miss, now)
    return Missed(done, at, already[0])


def figures_of(store: Store, cfg: Config, tickets: list[Ticket], now: float) -> tuple[TicketFigures, ...]:
    """Every ticket with the incidents it covers, read from the store."""
    if not tickets:
        return ()
    first = min(t.reported for t in tickets)
    incidents = store.incidents(first, now)  # overlapping: those open at a report too
    coverage = store.sessions(first, now)
    until = max(first, measured_until(Period(first, now), coverage, cfg.store.seal_every))
    return ticket_figures(tickets, incidents, coverage, until, cfg.business_hours)


def list_tickets(cfg: Config, now: float) -> tuple[TicketFigures, ...]:
    """Every ticket, measured against the store up to ``now`` (none when there is no store yet)."""
    if not cfg.store.path.exists():
        return ()
    with Store.open(cfg.store.path, readonly=True) as store, store.snapshot():
        return figures_of(store, cfg, store.tickets(), now)


def deadlines_of(cfg: Config, ticket: Ticket) -> tuple[Deadline, ...]:
    """When ``[claims] rules``' clocks run out for ``ticket`` (none for a closed ticket or rules without any)."""
    if not ticket.is_open:
        return ()
    return deadlines(cfg.claims.rules, ticket, timezone=cfg.business_hours.timezone.key, region=uk_nation(cfg))
