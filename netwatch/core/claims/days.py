"""What the rule packs share.

Owns the days of an episode a rule pays (measured down, not paid to an earlier ticket), runs of consecutive days,
and how one loop walks the tickets' episodes. Must not decide how a ticket meets the measurements (the one rule
of ``netwatch.core.claims.episode``) or read a clock: every instant comes from the caller.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from netwatch.core.calendar import local_date
from netwatch.core.claims.episode import Basis, DayState, Episode, Measured, episode_in
from netwatch.core.model import Cause, Coverage, Incident, Kind, Ticket
from netwatch.core.text import weekday_date, when

TIMES = "\u00d7"  # the multiplication sign: "3 calendar days TIMES £9.76"


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
) -> Iterator[Episode]:
    """The episodes of the tickets reported before ``until``, oldest report first, measured once for all of them
    (``causes``: those the rule pays for); each episode's note goes to ``notes``."""
    first_report = min((t.reported for t in tickets), default=until)
    measured = Measured.of(incidents, coverage, until, first_report, causes)
    for ticket in sorted(tickets, key=lambda t: t.reported):
        if ticket.reported >= until:
            continue
        found = episode_in(measured, ticket, zone)
        if found.note:
            notes.append(found.note)
        yield found


def payable_days(
    found: Episode, first: date, zone: ZoneInfo, *, since: float, until: float, paid: dict[date, str], notes: list[str]
) -> list[date]:
    """The days from ``first`` (the first day a rule pays) on which the episode's line was measured down, inside
    [since, until) and not already ``paid`` to an earlier ticket (recorded there now). Says in ``notes`` when the
    episode has nothing to claim, which days only unmonitored time kept open, and which another ticket has."""
    ref = found.ticket.ref
    if found.basis is Basis.NONE:
        if first <= local_date(until, zone):
            notes.append(
                f"Ticket {ref}: no loss of service was measured after the report "
                f"({when(found.ticket.reported, zone)}): nothing is due for it."
            )
        return []
    days = found.days(first, zone, since, until)
    uncounted = [day for day, state in days if state is DayState.UNCOUNTED]
    if uncounted:
        notes.append(
            f"Ticket {ref}: on {_list(uncounted)} the line was down only from a name-service (dns) failure, "
            "which this rule does not count as a loss of service."
        )
    unknown = [day for day, state in days if state is DayState.UNKNOWN]
    if unknown:
        them = "it is" if len(unknown) == 1 else "they are"
        notes.append(
            f"Ticket {ref}: netwatch was not running on {_list(unknown)}, so {them} not counted; the "
            "provider's own records can show whether the fault lasted through them."
        )
    counted, taken = [], []
    for day, state in days:
        if state is not DayState.DOWN:
            continue
        if day in paid:
            taken.append(day)
        else:
            paid[day] = ref
            counted.append(day)
    if taken:
        notes.append(
            f"Ticket {ref}: {_list(taken)} {'is' if len(taken) == 1 else 'are'} already counted under ticket "
            f"{paid[taken[0]]} (the same fault): not counted twice."
        )
    return counted


def _list(days: Sequence[date]) -> str:
    runs_of = runs([(day, None) for day in days])
    return ", ".join(
        weekday_date(r[0]) if len(r) == 1 else f"{weekday_date(r[0])} to {weekday_date(r[-1])}" for r in runs_of
    )


def losses(incidents: Sequence[Incident], causes: frozenset[Cause]) -> list[Incident]:
    """The incidents that count as loss of service: outages whose cause the pack lists."""
    return sorted((i for i in incidents if i.kind is Kind.OUTAGE and i.cause in causes), key=lambda i: i.start)
