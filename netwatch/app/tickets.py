"""Fault tickets: the faults the owner reported to the provider, opened, closed and listed the same way from
every face.

Owns the rules of a ticket's life: a reference is the provider's (unique, one line, at most ``MAX_REF``
characters), a ticket is opened once (a fault, slow speed, a switch, a move or a port; planned work is a fault the
provider announced), closed after it was reported (``correct`` to replace a repair time), a missed appointment, a
declined one, the provider's notice and a credit come after the report and are recorded once (an appointment is a
booked time, never "now", and once per minute; a missed one recorded by mistake can be withdrawn: a new version
without it, the old one kept in the chain); every change is
checked and written in one store transaction, so it is sealed in the evidence chain also while the daemon runs.
Listing measures each ticket with the same episodes as the reports; an open ticket's deadlines are
``netwatch.app.reports.deadlines_of``', and ``standing`` gives them as every face shows them (none once the line
was measured back up before compensation would start). Must not word the results or name a face's inputs (its
errors name the field, and faces word them) or read the clock: "now" is passed in.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from zoneinfo import ZoneInfo

from netwatch.adapters.store.sqlite import Store
from netwatch.app import stores
from netwatch.app.now import fresh_live
from netwatch.app.reports import deadlines_of, measured_until, with_live, with_open
from netwatch.config import Config
from netwatch.core.calendar import local_date
from netwatch.core.model import Channel, Credit, Live, Pause, Period, Ticket, TicketKind
from netwatch.core.text import local, quoted, visible
from netwatch.core.when import instant
from netwatch.errors import InputError, TicketClosed, TicketExists, TicketUnknown
from netwatch.report.tickets import Standing, TicketFigures, standing_of, ticket_figures

MAX_REF = 64
MAX_NOTE = 2000  # characters: a note says what the provider was told, not the whole correspondence
MAX_CREDIT = 100_000.0  # in the pack's currency: more is a typing error, not a credit
CHANNELS = tuple(c.value for c in Channel)
KINDS = tuple(k.value for k in TicketKind)


def check_ref(ref: str) -> str:
    """The provider's reference, trimmed; refused when empty, too long or holding tabs or line breaks."""
    ref = ref.strip()
    if not ref:
        raise InputError("the provider's reference is empty; copy it from their e-mail or the call", "ref")
    if len(ref) > MAX_REF or any(unicodedata.category(ch).startswith(("C", "Z")) and ch != " " for ch in ref):
        raise InputError(
            f"{quoted(ref)} is not a reference (at most {MAX_REF} characters, no tabs or line breaks)", "ref"
        )
    return ref


def check_note(note: str) -> str:
    """The owner's note, trimmed and without control or bidirectional characters (they would ring a terminal or
    reverse text in the letter); refused beyond ``MAX_NOTE`` characters."""
    note = visible(note).strip()
    if len(note) > MAX_NOTE:
        raise InputError(
            f"{len(note)} characters is longer than a note can be ({MAX_NOTE}); write the gist (what was"
            " reported, to whom) and keep the correspondence with your records",
            "note",
        )
    return note


def _known(found: Ticket | None, ref: str, store: Store) -> Ticket:
    """``found``, or the error naming the tickets there are."""
    if found is None:
        refs = [t.ref for t in store.tickets()]
        known = f"the tickets are {', '.join(refs)}" if refs else "there are no tickets yet"
        raise TicketUnknown(f'no ticket "{ref}": {known}')
    return found


def _after_report(field: str, at: float, found: Ticket, tz: ZoneInfo, fix: str) -> None:
    if at < found.reported:
        raise InputError(
            f"{local(at, tz)} is before the fault was reported ({local(found.reported, tz)}); {fix}", field
        )


def open_ticket(
    cfg: Config,
    ref: str,
    reported: str,
    channel: str | None,
    note: str,
    now: float,
    *,
    kind: str = TicketKind.FAULT.value,
    planned: bool = False,
) -> Ticket:
    """Record a fault reported to the provider (``reported`` is WHEN: "now" or a local date and time), or slow speed
    reported, or a switch, a move or a port agreed for ``reported`` (then it may lie ahead); ``planned``: a fault the
    provider announced as planned work."""
    tz = cfg.business_hours.timezone
    ref = check_ref(ref)
    note = check_note(note)
    which = TicketKind(kind)
    if planned and which is not TicketKind.FAULT:
        raise InputError(f"planned work is a fault ticket's, not a {which.value} ticket's; leave out --kind", "planned")
    agreed = which in (TicketKind.SWITCH, TicketKind.MOVE, TicketKind.PORT)
    at = instant("reported", reported, tz, now, ahead=agreed)
    made = Ticket(ref, at, Channel(channel) if channel else None, note, kind=which, planned=planned)

    def create(found: Ticket | None) -> Ticket:
        if found is not None:
            raise TicketExists(f'ticket "{ref}" already exists (reported {local(found.reported, tz)})', ref)
        return made

    with stores.adding(cfg, f'ticket "{ref}"') as store:
        store.change_ticket(ref, create, now)
    return made


def close_ticket(cfg: Config, ref: str, fixed: str, now: float, *, correct: bool = False) -> Ticket:
    """Record when the provider repaired the fault of ticket ``ref`` (``correct``: replace an earlier time)."""
    tz = cfg.business_hours.timezone
    at = instant("fixed", fixed, tz, now)

    def close(found: Ticket | None) -> Ticket:
        found = _known(found, ref.strip(), store)
        _after_report("fixed", at, found, tz, "give the time of the repair")
        if found.fixed is not None and not correct:
            raise TicketClosed(f'ticket "{found.ref}" is already closed (fixed {local(found.fixed, tz)})')
        return replace(found, fixed=at)

    with stores.adding(cfg, f'the repair of ticket "{ref.strip()}"') as store:
        return store.change_ticket(ref.strip(), close, now)


@dataclass(frozen=True)
class Missed:
    """A missed appointment recorded (or withdrawn): the ticket after it, the appointment's instant (as recorded),
    and whether it was recorded already (withdrawn: always False)."""

    ticket: Ticket
    at: float
    already: bool


def _minute(at: float) -> int:
    """The minute ``at`` falls in: an appointment is booked to the minute, so two instants in one are one."""
    return math.floor(at / 60.0)


def booked(field: str, when: str, tz: ZoneInfo, now: float, *, ahead: bool = False) -> float:
    """The instant of an appointment (WHEN): a booked time, so "now" is refused with what to give instead."""
    return instant(field, when, tz, now, ahead=ahead, booked=True)


def missed_appointment(cfg: Config, ref: str, when: str, now: float) -> Missed:
    """Record an engineer appointment of ticket ``ref`` that the provider missed, once per minute (the same
    appointment typed again, to the second or not, is recorded once); ``when`` is the booked time, never "now"."""
    tz = cfg.business_hours.timezone
    at = booked("at", when, tz, now)
    already: list[float] = []  # the appointment recorded in the same minute, if any

    def miss(found: Ticket | None) -> Ticket:
        found = _known(found, ref.strip(), store)
        _after_report("at", at, found, tz, "an appointment for it comes after the report")
        already.extend(x for x in found.missed_appointments if _minute(x) == _minute(at))
        return found if already else replace(found, missed_appointments=(*found.missed_appointments, at))

    with stores.adding(cfg, f'the missed appointment of ticket "{ref.strip()}"') as store:
        done = store.change_ticket(ref.strip(), miss, now)
    return Missed(done, already[0] if already else at, bool(already))


def withdraw_missed(cfg: Config, ref: str, when: str, now: float) -> Missed:
    """Withdraw a missed appointment of ticket ``ref`` recorded by mistake (the one in the minute of ``when``): the
    ticket's new version is sealed without it, and the version that had it stays in the evidence chain."""
    tz = cfg.business_hours.timezone
    at = booked("at", when, tz, now, ahead=True)
    gone: list[float] = []

    def withdraw(found: Ticket | None) -> Ticket:
        found = _known(found, ref.strip(), store)
        gone.extend(x for x in found.missed_appointments if _minute(x) == _minute(at))
        if not gone:
            recorded = ", ".join(local(x, tz) for x in found.missed_appointments) or "none"
            raise InputError(
                f'ticket "{found.ref}" has no missed appointment at {local(at, tz)} (recorded: {recorded});'
                " give one of those times",
                "at",
            )
        kept = tuple(x for x in found.missed_appointments if _minute(x) != _minute(at))
        return replace(found, missed_appointments=kept)

    with stores.adding(cfg, f'the withdrawal of a missed appointment of ticket "{ref.strip()}"') as store:
        done = store.change_ticket(ref.strip(), withdraw, now)
    return Missed(done, gone[0], False)


@dataclass(frozen=True)
class Declined:
    """An appointment the owner declined or missed, recorded: the ticket after it, and whether it was already."""

    ticket: Ticket
    pause: Pause
    already: bool


def declined_appointment(cfg: Config, ref: str, at_word: str, next_word: str | None, now: float) -> Declined:
    """Record that the owner declined or missed the earliest appointment offered for ticket ``ref`` (``at_word``),
    and the one that took its place (``next_word``, None: not known yet); both may lie ahead."""
    tz = cfg.business_hours.timezone
    at = booked("at", at_word, tz, now, ahead=True)
    until = None if next_word is None else booked("next", next_word, tz, now, ahead=True)
    if until is not None and until <= at:
        raise InputError(
            f"{local(until, tz)} is not after the declined appointment ({local(at, tz)}); give the appointment "
            "that took its place",
            "next",
        )
    pause = Pause(at, until)
    already: list[bool] = []

    def decline(found: Ticket | None) -> Ticket:
        found = _known(found, ref.strip(), store)
        _after_report("at", at, found, tz, "an appointment for it comes after the report")
        same = [p for p in found.declined if p.at == at]
        already.append(bool(same) and same[0] == pause)
        kept = tuple(p for p in found.declined if p.at != at)
        return replace(found, declined=tuple(sorted((*kept, pause), key=lambda p: p.at)))

    with stores.adding(cfg, f'the declined appointment of ticket "{ref.strip()}"') as store:
        done = store.change_ticket(ref.strip(), decline, now)
    return Declined(done, pause, already[0])


def notice_given(cfg: Config, ref: str, at_word: str, now: float, *, correct: bool = False) -> Ticket:
    """Record when the provider gave notice that its compensation payments for ticket ``ref`` stop."""
    tz = cfg.business_hours.timezone
    at = instant("at", at_word, tz, now)

    def give(found: Ticket | None) -> Ticket:
        found = _known(found, ref.strip(), store)
        _after_report("at", at, found, tz, "the notice comes after the report")
        if found.notice is not None and found.notice != at and not correct:
            raise InputError(
                f'ticket "{found.ref}" already has a notice ({local(found.notice, tz)}): add --correct to replace it'
            )
        return replace(found, notice=at)

    with stores.adding(cfg, f'the notice of ticket "{ref.strip()}"') as store:
        return store.change_ticket(ref.strip(), give, now)


@dataclass(frozen=True)
class Credited:
    """A credit recorded: the ticket after it, the credit, and whether it was recorded already."""

    ticket: Ticket
    credit: Credit
    already: bool


def credited(cfg: Config, ref: str, amount: float, on: str | None, now: float) -> Credited:
    """Record what the provider credited or paid for ticket ``ref`` (``amount`` in the rule pack's currency) on
    ``on`` (YYYY-MM-DD, default today)."""
    tz = cfg.business_hours.timezone
    today = local_date(now, tz)
    try:
        day = date.fromisoformat(on.strip()) if on else today
    except ValueError:
        raise InputError(f'"{on}" is not a date; write it as YYYY-MM-DD, e.g. {today.isoformat()}', "on") from None
    if day > today:
        raise InputError(f"{day.isoformat()} is in the future; give the day the credit was made", "on")
    if not math.isfinite(amount) or amount <= 0 or amount > MAX_CREDIT or round(amount, 2) != amount:
        raise InputError(
            f"{amount:g} is not an amount credited; give it in the currency of your bill, more than 0 and "
            "at most two decimals, e.g. --amount 9.98",
            "amount",
        )
    credit = Credit(amount, day)
    already: list[bool] = []

    def credit_it(found: Ticket | None) -> Ticket:
        found = _known(found, ref.strip(), store)
        if day < local_date(found.reported, tz):
            raise InputError(
                f"{day.isoformat()} is before the fault was reported ({local(found.reported, tz)}); give the day "
                "the credit was made",
                "on",
            )
        already.append(credit in found.credits)
        return found if already[0] else replace(found, credits=(*found.credits, credit))

    with stores.adding(cfg, f'the credit of ticket "{ref.strip()}"') as store:
        done = store.change_ticket(ref.strip(), credit_it, now)
    return Credited(done, credit, already[0])


def figures_of(
    store: Store, cfg: Config, tickets: list[Ticket], now: float, current: Live | None = None
) -> tuple[TicketFigures, ...]:
    """Every ticket with the incidents it covers, read from the store and the running daemon's fresh live file
    (``current``: the seconds and the outage since its last commit count, as in a report)."""
    if not tickets:
        return ()
    first = min(t.reported for t in tickets)
    incidents = with_open(store.incidents(first, now), current)  # overlapping: those open at a report too
    # The running session, though its last commit may be older than every report.
    coverage = with_live(store.sessions(min(first, current.session_start) if current else first, now), current)
    until = max(first, measured_until(Period(first, now), coverage, cfg.store.seal_every))
    return ticket_figures(tickets, incidents, coverage, until, cfg.business_hours)


def list_tickets(cfg: Config, now: float) -> tuple[TicketFigures, ...]:
    """Every ticket, measured against the store and the running daemon's live file up to ``now``."""
    current = fresh_live(cfg, now)
    with stores.reading(cfg) as store, store.snapshot():
        return figures_of(store, cfg, store.tickets(), now, current)


def standing(cfg: Config, open_tickets: Sequence[Ticket], now: float) -> tuple[Standing, ...]:
    """The open tickets' deadlines as they stand at ``now`` (oldest report first), measured against the store and
    the running daemon's live file: none for a ticket whose line was measured back up before compensation would
    start (``Standing.back`` says so instead)."""
    if not open_tickets:
        return ()
    current = fresh_live(cfg, now)
    with stores.reading(cfg) as store, store.snapshot():
        figures = figures_of(store, cfg, list(open_tickets), now, current)
    zone = cfg.business_hours.timezone
    return tuple(standing_of(f, deadlines_of(cfg, f.ticket), zone) for f in figures)
