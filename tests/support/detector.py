"""Feeding netwatch's detector the way the daemon does: one round after another through ``detect.step``.

Owns running a stream of rounds through the real detector and reading back what it decided. Must not decide
anything itself (no outage or degradation rules here: they are what the tests check) or keep state between calls.
"""

from __future__ import annotations

from collections.abc import Iterable

from netwatch.core.detect import Event, Rules, State, close_all, step
from netwatch.core.model import Incident, Kind, Round


def run(rounds: Iterable[Round], rules: Rules, state: State | None = None) -> tuple[State, list[Event]]:
    """The detector fed ``rounds`` one by one (as the daemon does), from ``state``: its last state and every event."""
    state = state if state is not None else State()
    events: list[Event] = []
    for rnd in rounds:
        state, new = step(state, rnd, rules)
        events += new
    return state, events


def incidents(events: list[Event]) -> list[Incident]:
    """Final form of every incident: the Closed version, or the last seen version of one still open."""
    by_key: dict[tuple[Kind, float], Incident] = {}
    for ev in events:
        by_key[(ev.incident.kind, ev.incident.start)] = ev.incident
    return sorted(by_key.values(), key=lambda i: (i.start, i.kind))


def closed_incidents(rounds: list[Round], rules: Rules) -> list[Incident]:
    """Every incident of ``rounds``, those still open at the end closed as a stop would close them."""
    state, events = run(rounds, rules)
    _, closing = close_all(state)
    return incidents(events + closing)
