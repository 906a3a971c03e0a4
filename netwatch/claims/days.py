"""Calendar and evidence helpers shared by the rule packs: local days, linking a ticket to the outages it is
about, the repair instant, and money arithmetic.

Owns how a ticket meets the measurements (which outages it covers, when the service came back, and what to say
when the owner's ``fixed`` and the measurement disagree). Pure: every instant comes from the caller.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from netwatch.model import Cause, Incident, Kind, Ticket

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
TIMES = "\u00d7"  # the multiplication sign: "3 calendar days TIMES £9.76"
_TOLERANCE = 15 * 60.0  # seconds the owner's ``fixed`` may differ from the measured end before we say so


def day_start(day: date, zone: ZoneInfo) -> float:
    """The Unix instant local ``day`` begins (its first existing instant when midnight is in a DST gap)."""
    return datetime.combine(day, time(), tzinfo=zone).timestamp()


def local_date(at: float, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(at, zone).date()


def days_between(first: date, last: date) -> Iterator[date]:
    """``first`` to ``last`` inclusive."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def counted_days(from_day: date, stop: float, zone: ZoneInfo, *, since: float, until: float) -> list[date]:
    """The local days on or after ``from_day`` that begin before ``stop`` (the repair) and within [since, until):
    a day counts once it has begun without service; days of an earlier or later period are that period's."""
    end = min(stop, until)
    days: list[date] = []
    day = from_day
    while (begin := day_start(day, zone)) < end:
        if begin >= since:
            days.append(day)
        day += timedelta(days=1)
    return days


def runs(entries: Sequence[tuple[date, object]]) -> list[list[date]]:
    """Consecutive days with equal keys, in order: [(day, key), ...] → [[day, ...], ...]."""
    groups: list[list[date]] = []
    previous: object = None
    for i, (day, key) in enumerate(entries):
        if i and key == previous and day - groups[-1][-1] == timedelta(days=1):
            groups[-1].append(day)
        else:
            groups.append([day])
        previous = key
    return groups


def money(amount: float, currency: str) -> str:
    symbol = SYMBOLS.get(currency)
    text = f"{amount:,.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def cents(value: float | Decimal) -> float:
    """Rounded half up to the cent, as a bill is."""
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def times(quantity: int, rate: float) -> float:
    return cents(Decimal(quantity) * Decimal(str(rate)))


def when(at: float, zone: ZoneInfo) -> str:
    """An instant as the owner reads it: "Mon 1 Apr 2024 10:00"."""
    local = datetime.fromtimestamp(at, zone)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def on(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


@dataclass(frozen=True)
class Repair:
    """When the service of a ticket came back, and how we know. ``basis``: "measured" (end of the last linked
    outage), "ticket" (the owner's ``fixed``: no outage was measured) or "open" (still down at ``until``: the
    claim is still accruing). ``note`` is set when the ticket's ``fixed`` and the measurement disagree."""

    ticket: Ticket
    outages: tuple[Incident, ...]
    at: float
    basis: str
    note: str = ""

    def phrase(self, zone: ZoneInfo) -> str:
        if self.basis == "measured":
            return f"service back {when(self.at, zone)} (measured: end of the last of {len(self.outages)} outage(s))"
        if self.basis == "ticket":
            return f"repaired {when(self.at, zone)} according to the ticket (no outage measured)"
        return f"still down at {when(self.at, zone)}: the claim is still accruing"


def losses(incidents: Sequence[Incident], causes: frozenset[Cause]) -> list[Incident]:
    """The incidents that count as loss of service: outages whose cause the pack lists."""
    return sorted((i for i in incidents if i.kind is Kind.OUTAGE and i.cause in causes), key=lambda i: i.start)


def repair_of(ticket: Ticket, outages: Sequence[Incident], until: float, zone: ZoneInfo) -> Repair:
    """Link ``ticket`` to the ``outages`` overlapping [reported, fixed or until] and find its repair instant."""
    window_end = ticket.fixed if ticket.fixed is not None else until
    linked = tuple(o for o in outages if o.start <= window_end and (o.end if o.end is not None else until)
                   >= ticket.reported)  # fmt: skip
    if not linked:
        if ticket.fixed is not None and ticket.fixed <= until:
            return Repair(ticket, linked, ticket.fixed, "ticket")
        return Repair(ticket, linked, until, "open")
    last = max(linked, key=lambda o: o.end if o.end is not None else until)
    if last.end is None or last.end > until:
        repair = Repair(ticket, linked, until, "open")
    else:
        repair = Repair(ticket, linked, last.end, "measured")
    if ticket.fixed is not None and abs(ticket.fixed - repair.at) > _TOLERANCE and repair.basis != "open":
        note = (f"Ticket {ticket.ref}: the ticket says fixed {when(ticket.fixed, zone)}, but the measured outage "
                f"ended {when(repair.at, zone)}; the measurement is used.")  # fmt: skip
        return Repair(ticket, linked, repair.at, repair.basis, note)
    if ticket.fixed is not None and repair.basis == "open" and ticket.fixed <= until:
        note = (f"Ticket {ticket.ref}: the ticket says fixed {when(ticket.fixed, zone)}, but the line was still "
                f"measured down at {when(until, zone)}; the measurement is used.")  # fmt: skip
        return Repair(ticket, linked, repair.at, repair.basis, note)
    return repair
