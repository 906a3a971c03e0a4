"""The limits some rules put on the days they pay for a fault, from what the ticket records.

Owns three: an engineer appointment the customer declined or missed pauses the days from that appointment's day
to the day of the next one (Ofcom's scheme; under § 58 TKG the customer then answers for the fault's continuation),
the provider's notice that its payments stop (Ofcom's code: 30 days after a notice served no earlier than 30 days
after compensation starts), and planned work notified in advance (some rules pay nothing for it). Each says in a
note which days it took out and why. Must not decide which days were down (``episode``, ``days``). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from netwatch.core.calendar import local_date
from netwatch.core.claims.days import listed
from netwatch.core.claims.episode import Day
from netwatch.core.model import Ticket
from netwatch.core.text import weekday_date, when


def paused(days: Sequence[Day], ticket: Ticket, zone: ZoneInfo, notes: list[str]) -> list[Day]:
    """``days`` without those an appointment the customer declined or missed pauses: from the day of the earliest
    appointment offered to the day before the next one (to the end without one)."""
    out = list(days)
    for pause in ticket.declined:
        first = local_date(pause.at, zone)
        stop = local_date(pause.until, zone) if pause.until is not None else date.max
        gone = [d.day for d in out if first <= d.day < stop]
        out = [d for d in out if not first <= d.day < stop]
        if gone:
            until = (
                f"the next one was {when(pause.until, zone)}"
                if pause.until is not None
                else "no later appointment is recorded"
            )
            notes.append(
                f"Ticket {ticket.ref}: {listed(gone)} {'is' if len(gone) == 1 else 'are'} not counted: the customer "
                f"declined or missed the earliest appointment offered, {when(pause.at, zone)}, and {until}."
            )
    return out


def notice_stop(
    days: Sequence[Day], ticket: Ticket, first: date, section: Mapping[str, Any], zone: ZoneInfo, notes: list[str]
) -> list[Day]:
    """``days`` up to the last one the provider's notice leaves it to pay (``first``: the first day compensation
    accrues), with a note; without a notice, all of them, with a note once they pass the earliest stop a notice
    could make."""
    after, stop = section.get("notice_after_days"), section.get("notice_stop_days")
    if after is None or stop is None or not days:
        return list(days)
    earliest = first + timedelta(days=after)
    if ticket.notice is None:
        if days[-1].day > earliest + timedelta(days=stop):
            notes.append(
                f"Ticket {ticket.ref}: the provider may stop paying {stop} days after it gives notice that it will, "
                f"and cannot give that notice before {weekday_date(earliest)} ({after} days after compensation "
                "started); no notice is recorded, so every day is counted (if one came, record it with "
                f"`netwatch ticket notice {ticket.ref} --at WHEN`)."
            )
        return list(days)
    served = local_date(ticket.notice, zone)
    last = max(served, earliest) + timedelta(days=stop)
    kept = [d for d in days if d.day <= last]
    if len(kept) < len(days):
        early = f", counted from {weekday_date(earliest)}, the earliest it could be given" if served < earliest else ""
        notes.append(
            f"Ticket {ticket.ref}: the provider gave notice on {weekday_date(served)} that its payments stop{early}; "
            f"they stop {stop} days later, so nothing after {weekday_date(last)} is counted."
        )
    return kept
