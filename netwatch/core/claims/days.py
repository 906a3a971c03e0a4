"""What the rule packs that pay by the day share.

Owns the days of an episode a rule pays (measured down, not paid to an earlier ticket, not in planned work), how
they split into the days the rule's own test covers and the contestable ones (a partial loss, listed with what was
measured), runs of consecutive days, the contestable days' money lines, and how one loop walks the tickets'
episodes. How a ticket meets the measurements is ``netwatch.core.claims.episode``; the limits some rules put on the
days (an appointment the customer declined, the provider's notice) are ``netwatch.core.claims.limits``. Must not
read a clock: every instant comes from the caller.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from netwatch.core.calendar import day_start, local_date
from netwatch.core.claims.episode import Basis, Day, DayState, Episode, Measured, episode_in
from netwatch.core.claims.model import ClaimItem, DayTest, Source
from netwatch.core.model import Cause, Coverage, Incident, Kind, Ticket, TicketKind
from netwatch.core.money import times
from netwatch.core.text import duration, money, weekday_date, when

TIMES = "\u00d7"  # the multiplication sign: "3 calendar days TIMES £9.76"


@dataclass(frozen=True)
class Taken:
    """Who a day was already counted for: the ticket, and whether that ticket is planned work."""

    ref: str
    planned: bool = False


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


def episodes(
    tickets: Sequence[Ticket],
    incidents: Sequence[Incident],
    coverage: Sequence[Coverage] | None,
    until: float,
    causes: Collection[Cause],
    zone: ZoneInfo,
    notes: list[str],
    kinds: Collection[TicketKind] = (TicketKind.FAULT,),
) -> Iterator[Episode]:
    """The episodes of the tickets of ``kinds`` reported before ``until``, oldest report first, measured once for
    all of them (``causes``: those the rule pays for); each episode's note goes to ``notes``."""
    chosen = [t for t in tickets if t.kind in kinds and t.reported < until]
    first_report = min((t.reported for t in chosen), default=until)
    measured = Measured.of(incidents, coverage, until, first_report, causes)
    for ticket in sorted(chosen, key=lambda t: t.reported):
        found = episode_in(measured, ticket, zone)
        if found.note:
            notes.append(found.note)
        yield found


def payable_days(
    found: Episode,
    first: date,
    zone: ZoneInfo,
    *,
    since: float,
    until: float,
    paid: dict[date, Taken],
    notes: list[str],
) -> list[Day]:
    """The days from ``first`` (the first day a rule pays) on which the episode's line was measured down, inside
    [since, until) and not already ``paid`` to an earlier ticket (recorded there now, as the ticket's). Says in
    ``notes`` when the episode has nothing to claim, which days only unmonitored time kept open, and which another
    ticket has."""
    ref = found.ticket.ref
    if found.basis is Basis.NONE:
        if first <= local_date(until, zone):
            notes.append(
                f"Ticket {ref}: no loss of service was measured after the report "
                f"({when(found.ticket.reported, zone)}): nothing is due for it."
            )
        return []
    days = found.days(first, zone, since, until)
    uncounted = [d.day for d in days if d.state is DayState.UNCOUNTED]
    if uncounted:
        notes.append(
            f"Ticket {ref}: on {listed(uncounted)} the line was down only from a name-service (dns) failure, "
            "which this rule does not count as a loss of service."
        )
    unknown = [d.day for d in days if d.state is DayState.UNKNOWN]
    if unknown:
        them = "it is" if len(unknown) == 1 else "they are"
        notes.append(
            f"Ticket {ref}: netwatch was not running on {listed(unknown)}, so {them} not counted; the "
            "provider's own records can show whether the fault lasted through them."
        )
    counted: list[Day] = []
    taken: dict[Taken, list[date]] = {}
    for day in days:
        if day.state is not DayState.DOWN:
            continue
        if day.day in paid:
            taken.setdefault(paid[day.day], []).append(day.day)
        else:
            paid[day.day] = Taken(ref, found.ticket.planned)
            counted.append(day)
    for owner, those in taken.items():
        verb = "is" if len(those) == 1 else "are"
        if owner.planned:
            notes.append(
                f"Ticket {ref}: {listed(those)} {verb} planned work notified in advance (ticket {owner.ref}): "
                "not counted."
            )
        else:
            notes.append(
                f"Ticket {ref}: {listed(those)} {verb} already counted under ticket {owner.ref} (the same fault): "
                "not counted twice."
            )
    return counted


def split(days: Sequence[Day], test: DayTest) -> tuple[list[Day], list[Day]]:
    """The days ``test`` covers, and the contestable rest (a partial loss)."""
    return [d for d in days if test.meets(d.counted, d.other)], [d for d in days if not test.meets(d.counted, d.other)]


def contestable_item(
    day: Day,
    *,
    ticket: Ticket,
    rule: str,
    item: str,
    pack: str,
    source: Source,
    rate: float,
    currency: str,
    zone: ZoneInfo,
    test: DayTest,
    overridden: bool = False,
) -> ClaimItem:
    """The money line of a contestable day: what it would pay, and why it is not claimed."""
    measured = day.counted + day.other
    text = (
        f"Contestable (partial loss), ticket {ticket.ref}: {weekday_date(day.day)}, down {duration(day.counted)} of "
        f"the {duration(measured)} measured while the fault lasted; the rule pays for {test.words()}. It would pay "
        f"{money(rate, currency)}."
    )
    start = day_start(day.day, zone)
    return ClaimItem(
        rule,
        item,
        pack,
        source,
        ticket.ref,
        start,
        day_start(day.day + timedelta(days=1), zone),
        1,
        rate,
        times(1, rate),
        currency,
        text,
        overridden,
        day.counted,
    )


def listed(days: Sequence[date]) -> str:
    """ "Mon 4 Mar 2024 to Wed 6 Mar 2024, Fri 8 Mar 2024": days in runs."""
    runs_of = runs([(day, None) for day in days])
    return ", ".join(
        weekday_date(r[0]) if len(r) == 1 else f"{weekday_date(r[0])} to {weekday_date(r[-1])}" for r in runs_of
    )


def losses(incidents: Sequence[Incident], causes: frozenset[Cause]) -> list[Incident]:
    """The incidents that count as loss of service: outages whose cause the pack lists."""
    return sorted((i for i in incidents if i.kind is Kind.OUTAGE and i.cause in causes), key=lambda i: i.start)
