"""How a chained record may change from one sealed version to the next, as verification checks it.

Owns the rules: an incident's kind and start never change, and once it is closed nothing of it does; a session's
start, boot, clock offset, first round and recorded method never change, and it ends once; a clock span ends
once and is re-timed once; clock events, traceroutes, speed tests and trusted timestamps never change. The only
exception is a re-timing act sealed in the same seal: it moves a stamp that lay inside its span by exactly its
correction (and an incident whose start moved past its end ends where it starts). Tickets (and their terms) and
campaign records are the owner's and the planner's statements, the pool's records what the household published
(each version queued, then sent): each version is shown, none is refused. Pure: bodies in, findings out; must not
read the store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Move:
    """A re-timing sealed in the same seal as a new version: stamps in [from_ms, to_ms] moved by ``delta_ms``."""

    span: int
    from_ms: int
    to_ms: int
    delta_ms: int

    @classmethod
    def of(cls, body: dict[str, Any]) -> Move:
        return cls(int(body["span"]), int(body["from_ms"]), int(body["to_ms"]), int(body["delta_ms"]))


# Stamps a re-timing may move, per kind; every other field must stay as it was (besides those that may change
# while the record is open, below).
_STAMPS = {
    "incident": ("start_ms", "end_ms"),
    "session": ("start_ms", "end_ms"),
    "clock": ("at_ms",),
    "trace": ("at_ms", "incident_start_ms"),
    "span": ("start_ms", "end_ms"),
}
# Fields that may change while the record is open (an incident grows; a session or a span ends once).
_WHILE_OPEN = {
    "incident": ("end_ms", "cause", "rounds", "cause_rounds", "detail"),
    "session": ("end_ms", "clean", "end_reason"),
    "span": ("last_round", "end_ms"),
}
_OPEN_WHEN = {"incident": "end_ms", "session": "end_ms", "span": "last_round"}
_FREE = frozenset({"ticket", "ticket_terms", "campaign", "campaign_slot", "pool_household", "pool_publication"})


def _moved(old: Any, new: Any, moves: Sequence[Move]) -> bool:
    return (
        isinstance(old, int)
        and isinstance(new, int)
        and any(m.from_ms <= old <= m.to_ms and new == old + m.delta_ms for m in moves)
    )


def change(kind: str, ref: int, old_text: str, new_text: str, moves: Sequence[Move]) -> str | None:
    """Why the version ``new_text`` of record ``ref`` of ``kind`` may not follow ``old_text`` (None: it may).
    ``moves`` are the re-timings sealed in the same seal as the new version."""
    if kind in _FREE or old_text == new_text:
        return None
    if kind in ("speed", "timestamp"):
        return None if moves and kind == "speed" else "was changed after it was sealed (only a re-timing may move it)"
    old, new = json.loads(old_text), json.loads(new_text)
    stamps = _STAMPS.get(kind, ())
    open_key = _OPEN_WHEN.get(kind)
    was_open = open_key is not None and old.get(open_key) is None
    own = [m for m in moves if m.span == ref] if kind == "span" else list(moves)
    # A moved start says more than the end that moved with it: stamps first, the end last.
    for name in sorted(set(old) | set(new), key=lambda n: (n not in stamps or n == open_key, n)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if name in stamps and _moved(before, after, own):
            continue
        if kind == "incident" and name == "end_ms" and after == new.get("start_ms") and moves:
            continue  # its start moved past its end: the re-timing ends it where it starts
        if kind == "span" and name == "delta_ms" and before is None and any(after == m.delta_ms for m in own):
            continue
        if was_open and name in _WHILE_OPEN.get(kind, ()):
            continue
        shown = f"{name} {json.dumps(before)} → {json.dumps(after)}"
        if name in stamps and name != open_key:
            return f"was moved after it was sealed ({shown}) by no re-timing of a clock span holding it"
        if not was_open and open_key is not None:
            return f"was changed after it was closed ({shown})"
        return f"was changed after it was sealed ({shown})"
    return None


def instant(kind: str, body_text: str) -> int | None:
    """The instant (ms) a record's version describes, for lateness: an incident's start, a traceroute's or clock
    event's time; None for records whose time is the owner's statement, not in the body, or a session's start (the
    moment monitoring began, sealed at once; a session is held to its rounds instead)."""
    if kind not in ("incident", "trace", "clock"):
        return None
    body = json.loads(body_text)
    value = body.get("start_ms", body.get("at_ms"))
    return value if isinstance(value, int) else None
