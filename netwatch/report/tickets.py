"""Fault tickets against the measurements: the provider's outages each ticket covers and how long the line
stayed down after the provider was told, as a report shows them.

Owns the figures per ticket and the claims part of a report (``ClaimFigures``: the tickets, what the rules give,
each open ticket's deadlines, what was claimed against what the provider credited), and the words for how a ticket's
fault ended (``restored_text``, which every face prints). Which outages a ticket covers and when its fault was
repaired is ``netwatch.core.claims.episode`` (the one rule the claims use too), with the causes the provider answers
for (isp, upstream, isp_or_upstream, dns). Must not decide that itself, or read the store or a clock: the
caller passes the tickets, the incidents around them, the coverage and the instant open things are measured to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netwatch.core.calendar import local_date
from netwatch.core.claims.episode import Basis, Episode, Measured, episode_in
from netwatch.core.model import Coverage, Incident, Ticket
from netwatch.core.schedule import BusinessHours
from netwatch.core.text import clock_time, local, weekday_date

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from netwatch.core.campaign.evaluate import Evaluation
    from netwatch.core.claims.model import Claims, Deadline
    from netwatch.core.model import Campaign, Credit

__all__ = [
    "NO_CLAIMS",
    "CampaignFigures",
    "ClaimFigures",
    "Settled",
    "Standing",
    "TicketFigures",
    "relevant",
    "restored_text",
    "standing_of",
    "ticket_figures",
]

RESTORED = {
    Basis.MEASURED: "restored {end}",
    Basis.OPEN: "still down",
    Basis.UNMONITORED: "still down when monitoring stopped {end}",
    Basis.TICKET: "repaired per the ticket while netwatch was not running",
    Basis.NONE: "no loss of service measured after the report",
}


@dataclass(frozen=True)
class TicketFigures:
    """One ticket against the measurements (``netwatch.core.claims.episode``): the provider's outages from the report
    to the repair, the outage time after the report (what the provider let run on after it knew), when the line
    was measured back (None while still down, or when netwatch was not running to see it)."""

    ticket: Ticket
    episode: Episode
    until: float  # where open tickets and outages are measured to

    @property
    def down_after_report(self) -> float:
        return self.episode.down_seconds

    @property
    def business_after_report(self) -> float:
        return self.episode.business_seconds

    @property
    def outages(self) -> tuple[Incident, ...]:
        return self.episode.outages

    @property
    def down_since(self) -> float | None:
        """Start of the earliest outage of the fault (often before the report)."""
        return min((i.start for i in self.outages), default=None)

    @property
    def restored(self) -> float | None:
        return self.episode.restored


def ticket_figures(
    tickets: Sequence[Ticket],
    incidents: Sequence[Incident],
    coverage: Sequence[Coverage] | None,
    until: float,
    hours: BusinessHours,
) -> tuple[TicketFigures, ...]:
    """Figures of every ticket as of ``until`` (the end of the monitored time of a report's period: nothing after
    it is counted), oldest report first. ``coverage``: when netwatch was running (None: throughout)."""
    out = []
    measured = Measured.of(incidents, coverage, until, min((t.reported for t in tickets), default=until), hours=hours)
    for ticket in sorted(tickets, key=lambda t: (t.reported, t.ref)):
        found = episode_in(measured, ticket, hours.timezone)
        out.append(TicketFigures(ticket, found, until))
    return tuple(out)


def restored_text(figures: TicketFigures, zone: ZoneInfo) -> str:
    """How the fault of a ticket ended, in a few words ("restored 2026-11-03 09:40:00 GMT", "still down")."""
    return RESTORED[figures.episode.basis].format(end=local(figures.episode.end, zone))


def back_before_compensation(figures: TicketFigures, found: Sequence[Deadline], zone: ZoneInfo) -> str | None:
    """For a ticket whose line was measured back up (for good: not a flap still in question) before the first day a
    rule would pay compensation, what to say instead of that rule's deadlines: "the line was back at 10:45 on Tue 24
    Mar 2026, before compensation would start"; None otherwise (its deadlines stand)."""
    episode = figures.episode
    paying = [d.at for d in found if d.what in ("compensation", "port")]
    if episode.basis is not Basis.MEASURED or episode.provisional or not paying or episode.end >= min(paying):
        return None
    back = f"{clock_time(episode.end, zone)} on {weekday_date(local_date(episode.end, zone))}"
    return f"the line was back at {back}, before compensation would start"


@dataclass(frozen=True)
class Standing:
    """An open ticket's deadlines as they stand: none once the line was measured back up before compensation would
    start, and ``back`` says that instead (the deadlines would tell the owner to expect money the rules do not give)."""

    ticket: Ticket
    deadlines: tuple[Deadline, ...]
    back: str | None = None


def standing_of(figures: TicketFigures, found: Sequence[Deadline], zone: ZoneInfo) -> Standing:
    """``figures``' ticket with its deadlines ``found`` as they stand (``back_before_compensation``)."""
    back = back_before_compensation(figures, found, zone)
    return Standing(figures.ticket, () if back else tuple(found), back)


def relevant(f: TicketFigures, since: float) -> bool:
    """Whether a ticket has something in a period starting at ``since``: reported, repaired (by the owner's word)
    or with a missed appointment in it, or a fault that reaches into it."""
    t = f.ticket
    reaches = f.episode.basis is not Basis.NONE and f.episode.end > since
    return (
        t.reported >= since or reaches or (t.fixed or -1.0) >= since or any(at >= since for at in t.missed_appointments)
    )


@dataclass(frozen=True)
class CampaignFigures:
    """A speed campaign (`netwatch campaign`) planned or measured in the period, and its evaluation."""

    campaign: Campaign
    evaluation: Evaluation


@dataclass(frozen=True)
class Settled:
    """One ticket's money: what the rules claim for it in the period, the contestable rest, and what the provider
    credited for it (every credit recorded, whatever period it was for)."""

    ref: str
    claimed: float
    contestable: float
    credits: tuple[Credit, ...]

    @property
    def credited(self) -> float:
        return round(sum(c.amount for c in self.credits), 2)


@dataclass(frozen=True)
class ClaimFigures:
    """The claims part of a report: the tickets open at some time in the period, what the rule pack of
    ``[claims] rules`` gives for them (None with rules = "none"), a speed campaign of the period, and each open
    ticket's deadlines as of the report (``deadlines``: (ref, deadlines) pairs)."""

    tickets: tuple[TicketFigures, ...] = ()
    claims: Claims | None = None
    rules: str = "none"
    campaign: CampaignFigures | None = None
    deadlines: tuple[tuple[str, tuple[Deadline, ...]], ...] = ()

    def deadlines_of(self, ref: str) -> tuple[Deadline, ...]:
        return next((found for r, found in self.deadlines if r == ref), ())

    @property
    def settled(self) -> tuple[Settled, ...]:
        """Claimed against credited, per ticket that has either (in the order of the tickets)."""
        c = self.claims
        out = []
        for f in self.tickets:
            ref = f.ticket.ref
            claimed = sum(i.amount for i in c.items if i.ticket == ref) if c else 0.0
            maybe = sum(i.amount for i in c.contestable if i.ticket == ref) if c else 0.0
            if claimed or maybe or f.ticket.credits:
                out.append(Settled(ref, round(claimed, 2), round(maybe, 2), f.ticket.credits))
        return tuple(out)


NO_CLAIMS = ClaimFigures()
