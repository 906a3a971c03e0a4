"""Complete interruptions as rules that need no fault report count them (nl-telecomwet, be-ecl): how long the line
was measured down without a break, and which interruptions a short return of service, or time netwatch did not
see, split in parts.

Owns ``Interruption`` and ``of``: from the outages of the causes a rule counts and the coverage, the runs of
measured down time that only up stretches, and unmonitored stretches, shorter than ``FLAP_GAP`` separate. One part
of a run is one continuous interruption (what the rules pay); a run of several parts is what a provider may call one
interruption or several (contestable). A run belongs to the period holding its end; one still down at ``until`` is
still accruing; one that ended after ``until`` belongs to a later period. Must not price anything (the rules do) or
read a clock: instants come from the caller.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from netwatch.core.claims.episode import FLAP_GAP, State, timeline
from netwatch.core.model import Cause, Coverage, Incident, Kind

Part = tuple[float, float]


@dataclass(frozen=True)
class Interruption:
    """A run of measured down time: its continuous ``parts`` (start, end), the measured ``up`` and ``unseen``
    seconds between them, and whether it was still down at the end of what was measured (``open``)."""

    parts: tuple[Part, ...]
    up: float = 0.0
    unseen: float = 0.0
    open: bool = False

    @property
    def start(self) -> float:
        return self.parts[0][0]

    @property
    def end(self) -> float:
        return self.parts[-1][1]

    @property
    def down(self) -> float:
        return sum(b - a for a, b in self.parts)


def of(
    incidents: Sequence[Incident],
    coverage: Sequence[Coverage] | None,
    causes: Collection[Cause],
    since: float,
    until: float,
    later: list[Interruption],
) -> list[Interruption]:
    """The interruptions ending in (since, until], and one still down at ``until`` (open: still accruing); one that
    went on after ``until`` and has ended since goes to ``later`` (the period it ended in counts it)."""
    counted = [i for i in incidents if i.kind is Kind.OUTAGE and i.cause in causes and i.start < until]
    if not counted:
        return []
    spans = timeline(counted, coverage, min(i.start for i in counted), until)
    runs: list[Interruption] = []
    up = unseen = 0.0  # measured up, and not seen, since the last down span
    for span in spans:
        if span.state is State.DOWN:
            if runs and up < FLAP_GAP and unseen < FLAP_GAP:
                last = runs[-1]
                runs[-1] = Interruption((*last.parts, (span.start, span.end)), last.up + up, last.unseen + unseen)
            else:
                runs.append(Interruption(((span.start, span.end),)))
            up = unseen = 0.0
        elif span.state is State.UP:
            up += span.seconds
        else:
            unseen += span.seconds
    found: list[Interruption] = []
    for run in runs:
        if run.end < until:
            if run.end > since:
                found.append(run)
            continue
        going_on = [i for i in counted if i.end is None or i.end > until]
        if any(i.end is None for i in going_on):
            found.append(Interruption(run.parts, run.up, run.unseen, True))
        elif going_on:
            later.append(run)
        elif run.end > since:
            found.append(run)
    return found


def started_periods(seconds: float) -> int:
    """Started 24-hour periods of an interruption: 1 from the first second to 24 h, 2 to 48 h, ..."""
    return max(1, math.ceil(seconds / 86400))
