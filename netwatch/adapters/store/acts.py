"""The store's own acts, re-timing and pruning, as verification checks them from the chain alone.

Owns the rules that make an act verifiable rather than trusted. A **re-timing** moves only rounds stamped
provisionally inside a clock span that was sealed before them (opened with its session, before its first round),
closed, of the boot whose session makes the act, once, by exactly the correction sealed in the span's new version;
the correction is then tied to the rounds that follow (the span's last round and the next round of its boot are
one cadence apart on the same monotonic clock), or to the clock offset a later trusted session of the same boot
sealed. A **pruning pass** claims a retention of at least a day, cuts off nothing younger than that at the time of
its own seal (the newest round sealed with it), continues the previous pass, and leaves its boundary seal older
than its cut-off. Reads the store through the given connection; must not write or read the clock.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from netwatch.adapters.store import retention
from netwatch.core.model import Break
from netwatch.core.text import span as in_words

PIN_MS = 60_000  # the longest a re-timed span's last round may precede the next round of its run (or 3 cadences)
OFFSET_SLACK_MS = 2  # wall minus monotonic, read twice from the same clocks, in whole milliseconds


@dataclass
class SessionSeen:
    """A session as its first sealed version has it."""

    id: int
    seal: int
    start_ms: int
    first_round: int | None
    boot_id: str | None
    offset_ms: int | None
    provisional: bool = False  # a clock span was opened with it


@dataclass
class SpanSeen:
    """A clock span as its sealed versions have it."""

    id: int
    open_seal: int
    first_round: int
    session_id: int
    boot_id: str
    offset_ms: int
    sealed_before: int  # the highest round id sealed when it was opened (its rounds must all come after)
    opened_open: bool  # its first version had no end and no correction, as a span opens
    close_seal: int | None = None
    last_round: int | None = None
    sealed_at_close: int = 0  # the highest round id sealed when it was closed
    retimes: list[int] = field(default_factory=list)  # seals of the re-timings that moved it
    delta_ms: int | None = None


@dataclass(frozen=True)
class Retiming:
    """A re-timing act: its seal, its entry, the session begun last when it was sealed and the rounds sealed then."""

    seal: int
    body: dict[str, Any]
    session: int | None
    sealed_round: int


def _rounds_text(first: int, last: int) -> str:
    return f"rounds {first}-{last}"


def _at(conn: sqlite3.Connection, round_id: int, pruned: int) -> int | None:
    if round_id <= pruned:
        return None
    row = conn.execute("SELECT at_ms FROM rounds WHERE id = ?", (round_id,)).fetchone()
    return None if row is None else int(row[0])


def _session_of(sessions: Sequence[SessionSeen], round_id: int) -> tuple[SessionSeen, SessionSeen | None] | None:
    """The session (by first round) a round belongs to and the one after it; None for rounds before schema 10."""
    found = None
    for i, s in enumerate(sessions):
        if s.first_round is not None and s.first_round <= round_id:
            found = (s, sessions[i + 1] if i + 1 < len(sessions) else None)
    return found


def signed(ms: int) -> str:
    """A correction in words with its sign: "+2 h 1 min", "-3 h"."""
    return ("+" if ms > 0 else "") + in_words(ms / 1000)


def retiming_breaks(
    conn: sqlite3.Connection,
    acts: Sequence[Retiming],
    spans: dict[int, SpanSeen],
    sessions: Sequence[SessionSeen],
    pruned: int,
) -> tuple[list[Break], list[str]]:
    """(breaks, notes) of every re-timing act."""
    breaks: list[Break] = []
    by_id = {s.id: s for s in sessions}
    groups: dict[int, list[tuple[str, int, bool]]] = {}  # seal -> (where, true offset, pinned) of each span it moved
    for act in acts:
        body = act.body
        first, last, delta = int(body["first"]), int(body["last"]), int(body["delta_ms"])
        where = f"re-timing of rounds {first}-{last} by {signed(delta)} (seal {act.seal})"
        found = spans.get(int(body["span"]))
        if found is None:
            breaks.append(Break(where, "no clock span holds these rounds (forged?)"))
            continue
        why = _span_fault(found, act, first, last, delta, by_id, sessions)
        if why:
            breaks.append(Break(where, why))
            continue
        pinned, fault = _pin(conn, found, act, last, delta, by_id, sessions, pruned)
        if fault:
            breaks.append(Break(where, fault))
            continue
        groups.setdefault(act.seal, []).append((where, found.offset_ms + delta, pinned))
    notes: list[str] = []
    for seal, moved in groups.items():
        # Every span of a boot re-timed in one act moves to the same true offset (one reading of the clocks), so
        # one span tied to the rounds after it ties them all.
        offsets = [offset for _, offset, _ in moved]
        if max(offsets) - min(offsets) > OFFSET_SLACK_MS:
            breaks.append(
                Break(f"re-timing (seal {seal})", "moves the spans of one boot by corrections that disagree (forged?)")
            )
        elif not any(pinned for _, _, pinned in moved):
            notes += [
                f"the {where} could not be checked against a later round of the same boot (the run stopped before"
                " one was sealed): its correction rests on the clock's word alone"
                for where, _, _ in moved
            ]
    return breaks, notes


def _span_fault(
    span: SpanSeen,
    act: Retiming,
    first: int,
    last: int,
    delta: int,
    by_id: dict[int, SessionSeen],
    sessions: Sequence[SessionSeen],
) -> str | None:
    if not span.opened_open or span.first_round <= span.sealed_before:
        return f"its clock span {span.id} was sealed after the rounds it claims (forged?)"
    if span.first_round != first or span.last_round is None or span.last_round != last:
        return f"does not match its clock span {span.id} as sealed (rounds {span.first_round}-{span.last_round})"
    if span.close_seal is None or span.close_seal > act.seal or span.last_round > span.sealed_at_close:
        return f"its clock span {span.id} was not closed after its rounds before it"
    if act.seal not in span.retimes or span.retimes.index(act.seal) != 0 or span.delta_ms != delta:
        return f"its clock span {span.id} does not carry this correction once, sealed with it"
    own = by_id.get(span.session_id)
    if own is None or own.seal != span.open_seal or not own.provisional:
        return f"its clock span {span.id} was not opened with its session"
    after = next((s for s in sessions if s.id > own.id), None)
    if after is not None and after.first_round is not None and last >= after.first_round:
        return f"its clock span {span.id} claims rounds of a later session"
    current = by_id.get(act.session) if act.session is not None else None
    if current is None or current.boot_id != span.boot_id:
        return f"it was made by a run of another boot than the span's ({span.boot_id}): its monotonic clock is gone"
    return None


def _pin(
    conn: sqlite3.Connection,
    span: SpanSeen,
    act: Retiming,
    last: int,
    delta: int,
    by_id: dict[int, SessionSeen],
    sessions: Sequence[SessionSeen],
    pruned: int,
) -> tuple[bool, str | None]:
    """(whether the correction is tied to the rounds or offsets that follow, why it contradicts them)."""
    own = by_id[span.session_id]
    after = next((s for s in sessions if s.id > own.id), None)
    moved = _at(conn, last, pruned)
    following = _at(conn, last + 1, pruned)
    same_session = after is None or after.first_round is None or last + 1 < after.first_round
    if moved is not None and following is not None and same_session:
        gap = following - moved
        before = _at(conn, last - 1, pruned) if last > span.first_round else None
        cadence = moved - before if before is not None else 0  # the span's own spacing, on the same clock
        if not -OFFSET_SLACK_MS <= gap <= max(PIN_MS, 3 * cadence):
            return False, (
                f"leaves {in_words(gap / 1000)} between its last round and the next round of the same run,"
                " which the same monotonic clock timed one cadence apart (forged?)"
            )
        return True, None
    current = by_id.get(act.session) if act.session is not None else None
    if (
        current is not None
        and current.id != own.id
        and not current.provisional
        and current.boot_id == span.boot_id
        and current.offset_ms is not None
    ):
        if abs(current.offset_ms - (span.offset_ms + delta)) > OFFSET_SLACK_MS:
            return False, (
                "differs from the clock offset the next run of the same boot sealed"
                f" ({signed(current.offset_ms - span.offset_ms)}) (forged?)"
            )
        return True, None
    return False, None


def prune_breaks(
    body: dict[str, Any],
    seal: int,
    chain_now: int | None,
    previous_through: int,
    boundary_at: int | None,
) -> tuple[list[Break], bool]:
    """(breaks, whether the pass predates these checks) of a pruning pass entry sealed in ``seal``; ``chain_now`` is
    the stamp of the newest round sealed with it or before, ``boundary_at`` the newest stamp of the seal it keeps
    as its boundary (None when unknown)."""
    where = f"pruning pass (seal {seal})"
    cutoff = int(body["cutoff_ms"])
    breaks: list[Break] = []
    if int(body["after_seal"]) != previous_through:
        breaks.append(Break(where, f"does not go on from the previous pass (seal {previous_through}) (forged?)"))
    if int(body["through_seal"]) >= seal:
        breaks.append(Break(where, "prunes seals made after itself (forged?)"))
    days = body.get("retention_days")
    if not isinstance(days, int):
        return breaks, True
    if days < retention.MIN_RETENTION_DAYS:
        breaks.append(Break(where, f"claims a retention of {days} days, below the minimum of 1 day (forged?)"))
    elif chain_now is None or cutoff > chain_now - days * retention.DAY_MS + 1_000:
        age = "" if chain_now is None else f" {in_words(max(0, chain_now - cutoff) / 1000)} old"
        breaks.append(
            Break(
                where,
                f"pruned rounds only{age} when it was sealed, younger than its retention of {days}"
                f" day{'s' if days != 1 else ''} allows (forged?)",
                cutoff / 1000,
            )
        )
    if boundary_at is not None and boundary_at >= cutoff:
        breaks.append(Break(where, "pruned rounds stamped after its own cut-off (forged?)", cutoff / 1000))
    return breaks, False


def retime_body(text: str) -> dict[str, Any]:
    return dict(json.loads(text))
