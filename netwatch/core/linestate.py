"""The line's state now: which ``LineState`` the last round and the open incidents mean, and since when.

Owns the one rule every face shows the line by (`netwatch status`, the dashboard, ``/api/status``): not running
wins over everything (nothing is known about the line while netwatch does not record), then an open outage
(DOWN), then a last round pointing at a cause (FAILING: not yet confirmed), then any other open incident
(DEGRADED), else UP; and when that state began. Must not read the live file, the store or a clock: whether the
daemon runs and "now" are given.
"""

from __future__ import annotations

from collections.abc import Sequence

from netwatch.core.classify import round_cause
from netwatch.core.model import Incident, Kind, LineState, Round


def state_of(last_round: Round | None, open_incidents: Sequence[Incident], *, running: bool) -> LineState:
    """The state the daemon's last round and open incidents mean; ``running``: the daemon records now."""
    if last_round is None:
        return LineState.NO_DATA
    if not running:
        return LineState.NOT_RUNNING
    if any(i.kind is Kind.OUTAGE for i in open_incidents):
        return LineState.DOWN
    if round_cause(last_round) is not None:
        return LineState.FAILING
    if open_incidents:
        return LineState.DEGRADED
    return LineState.UP


def since(
    state: LineState,
    last_round: Round | None,
    open_incidents: Sequence[Incident],
    last_closed: Incident | None,
    session_start: float | None,
) -> float | None:
    """When ``state`` began as far as netwatch saw it: the open outage's start (DOWN), the earliest open incident's
    (DEGRADED), the later of the session's start and the end of the last closed incident (UP), the last round
    (NOT RUNNING: when netwatch last saw the line); None when unknown (FAILING, NO DATA)."""
    if state is LineState.DOWN:
        return min(i.start for i in open_incidents if i.kind is Kind.OUTAGE)
    if state is LineState.DEGRADED:
        return min(i.start for i in open_incidents)
    if state is LineState.NOT_RUNNING and last_round is not None:
        return last_round.at
    if state is LineState.UP:
        ends = [at for at in (session_start, last_closed.end if last_closed else None) if at is not None]
        return max(ends) if ends else None
    return None
