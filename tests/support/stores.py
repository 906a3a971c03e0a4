"""Stores filled the way the daemon fills them, for tests of what reads them (reports, commands, evidence).

Owns writing one monitoring session into a store through netwatch's own ``Store``: its start and end, rounds,
incidents, traceroutes and tickets, in the daemon's order (rounds, then incidents and the traceroutes taken for
them committed with them, then tickets), and what ``verify`` finds in a store. Must not write SQL (the store owns
its schema) or fill a store the tests then check the writing of: store tests write their records themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from netwatch.adapters.store import Store
from netwatch.core.model import Incident, ProbeMethod, Round, StoredTrace, Ticket, Verification


def record(
    path: Path,
    start: float,
    end: float | None,
    rounds: Iterable[Round] = (),
    incidents: Iterable[Incident] = (),
    tickets: Iterable[tuple[Ticket, float]] = (),
    traces: Iterable[StoredTrace] = (),
    method: ProbeMethod | None = None,
) -> Path:
    """A session from ``start`` to ``end`` (None: still running) in the store at ``path`` (created, with its
    directory, when missing), begun with ``method`` (None: none recorded): ``rounds``, then ``incidents`` and
    ``traces``, then each ticket as saved at its instant."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with Store.open(path) as store:
        store.begin_session(start, method=method)
        for rnd in rounds:
            store.add_round(rnd)
        for incident in incidents:
            store.save_incident(incident)
        for trace in traces:
            store.save_trace(trace)
        store.commit()
        for ticket, saved in tickets:
            store.save_ticket(ticket, saved)
        if end is not None:
            store.end_session(end)
    return path


def verified(path: Path, expect: str | None = None) -> Verification:
    """The store at ``path``, opened read-only, verified as `netwatch verify` does (against a published digest
    ``expect``)."""
    with Store.open(path, readonly=True) as store:
        return store.verify(expect)
