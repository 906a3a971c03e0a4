"""Stores filled the way the daemon fills them, for tests of what reads them (reports, commands, evidence).

Owns writing one monitoring session into a store through netwatch's own ``Store``: its start and end, rounds,
incidents and tickets, in the daemon's order (rounds, then incidents committed with them, then tickets). Must
not write SQL (the store owns its schema) or fill a store the tests then check the writing of: store tests
write their records themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from netwatch.adapters.store import Store
from netwatch.core.model import Incident, Round, Ticket


def record(
    path: Path,
    start: float,
    end: float | None,
    rounds: Iterable[Round] = (),
    incidents: Iterable[Incident] = (),
    tickets: Iterable[tuple[Ticket, float]] = (),
) -> Path:
    """A session from ``start`` to ``end`` (None: still running) in the store at ``path`` (created, with its
    directory, when missing): ``rounds``, then ``incidents``, then each ticket as saved at its instant."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with Store.open(path) as store:
        store.begin_session(start)
        for rnd in rounds:
            store.add_round(rnd)
        for incident in incidents:
            store.save_incident(incident)
        store.commit()
        for ticket, saved in tickets:
            store.save_ticket(ticket, saved)
        if end is not None:
            store.end_session(end)
    return path
