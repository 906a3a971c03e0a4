"""Fault tickets against the measurements: which incidents each ticket covers and how long the line stayed down
after the provider was told.

Owns linking (a ticket covers every incident that overlaps the time from its report to its repair, or to the end
of the period while it is open) and the figures a report shows per ticket. Pure: the caller passes the tickets,
the incidents around them and the instant open things are measured to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netwatch.model import Incident, Kind, Ticket
from netwatch.schedule import BusinessHours

if TYPE_CHECKING:
    from netwatch.campaign.evaluate import Evaluation
    from netwatch.campaign.progress import Campaign
    from netwatch.claims.model import Claims

__all__ = ["NO_CLAIMS", "CampaignFigures", "ClaimFigures", "TicketFigures", "linked", "ticket_figures"]


@dataclass(frozen=True)
class TicketFigures:
    """One ticket with the incidents it covers. ``down_after_report`` counts outage time from the report to the
    repair (or to ``until`` while open): what the provider let run on after it knew."""

    ticket: Ticket
    incidents: tuple[Incident, ...]  # every kind, by start
    until: float  # where an open ticket or incident is measured to
    down_after_report: float
    business_after_report: float
    down_since: float | None  # start of the earliest outage covered (often before the report)
    restored: float | None  # end of the last outage covered; None while one is still open

    @property
    def outages(self) -> tuple[Incident, ...]:
        return tuple(i for i in self.incidents if i.kind is Kind.OUTAGE)

    @property
    def window_end(self) -> float:
        return self.ticket.fixed if self.ticket.fixed is not None else self.until


def linked(ticket: Ticket, incidents: Sequence[Incident], until: float) -> tuple[Incident, ...]:
    """The incidents overlapping [reported, fixed or until]: one open at the report counts, one ending before it
    does not (the provider was told of a fault that had already cleared)."""
    end = ticket.fixed if ticket.fixed is not None else until
    return tuple(
        sorted(
            (i for i in incidents if i.start <= end and (i.end if i.end is not None else until) > ticket.reported),
            key=lambda i: (i.start, i.kind.value),
        )
    )


def ticket_figures(
    tickets: Sequence[Ticket], incidents: Sequence[Incident], until: float, hours: BusinessHours
) -> tuple[TicketFigures, ...]:
    """Figures of every ticket as of ``until`` (the end of a report's period: nothing after it is counted), oldest
    report first."""
    out = []
    for ticket in sorted(tickets, key=lambda t: (t.reported, t.ref)):
        covered = linked(ticket, incidents, until)
        end = min(ticket.fixed, until) if ticket.fixed is not None else until
        down = business = 0.0
        for inc in covered:
            if inc.kind is not Kind.OUTAGE:
                continue
            lo, hi = max(inc.start, ticket.reported), min(inc.end if inc.end is not None else until, end)
            if hi > lo:
                down += hi - lo
                business += hours.seconds_ts(lo, hi)
        outages = [i for i in covered if i.kind is Kind.OUTAGE]
        still_down = any(i.end is None for i in outages)
        out.append(
            TicketFigures(
                ticket=ticket,
                incidents=covered,
                until=until,
                down_after_report=down,
                business_after_report=business,
                down_since=min((i.start for i in outages), default=None),
                restored=None if still_down or not outages else max(i.end or until for i in outages),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class CampaignFigures:
    """A speed campaign (`netwatch campaign`) planned or measured in the period, and its evaluation."""

    campaign: Campaign
    evaluation: Evaluation


@dataclass(frozen=True)
class ClaimFigures:
    """The claims part of a report: the tickets open at some time in the period, what the rule pack of
    ``[claims] rules`` gives for them (None with rules = "none"), and a speed campaign of the period."""

    tickets: tuple[TicketFigures, ...] = ()
    claims: Claims | None = None
    rules: str = "none"
    campaign: CampaignFigures | None = None


NO_CLAIMS = ClaimFigures()
