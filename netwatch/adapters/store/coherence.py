"""Records against the rounds they rest on, as verification checks them: a record can be sealed and still claim
what its rounds contradict (an outage appended later, a session end edited before it was chained).

Owns three checks. Every **outage** with rounds still kept: each round of its span [start, end) is down (every
anchor failed, or every DNS name for a DNS outage), a round starts it, the line was back at its end (or the run
stopped or split there), and its cause follows from them (a local fault, the gateway silent, is never put on the
provider, nor the provider's fault on the owner). Every **session**
from schema 10: a crashed one ends at its last sealed round, a clean one no later than that. Every **rollup** of a
pruned minute inside an outage shows its anchors lost. Reads rounds in chunks through the given connection; must
not write or read the clock.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
from collections.abc import Collection, Iterator, Sequence

from netwatch.adapters.store import codec, roundspans
from netwatch.adapters.store.acts import SessionSeen
from netwatch.core.classify import round_cause
from netwatch.core.model import Break, Cause, Role, Round, Sample, Target

CHUNK = 5_000
SESSION_SLACK_MS = 2_000  # a clean end after the last round: the stop's own reading of the clock


def _rounds(
    conn: sqlite3.Connection, lo_ms: int, hi_ms: int, pruned: int, sets: dict[int, tuple[Target, ...]]
) -> Iterator[tuple[int, Round]]:
    """(id, round) with ``lo <= at < hi`` and an id after ``pruned``, by (at, id), a chunk at a time."""
    for rows in roundspans.by_time(conn, "set_id, rtts", lo_ms, hi_ms, pruned, CHUNK):
        for round_id, at_ms, set_id, rtts in rows:
            targets = sets.get(set_id, ())
            samples = tuple(Sample(t, v) for t, v in zip(targets, codec.unpack_rtts(bytes(rtts)), strict=False))
            yield int(round_id), Round(codec.from_ms(at_ms), samples)


def target_sets(conn: sqlite3.Connection) -> dict[int, tuple[Target, ...]]:
    return {int(i): codec.targets_from_json(t) for i, t in conn.execute("SELECT id, targets FROM target_sets")}


def _gateway_answered(rnd: Round) -> bool:
    gateway = rnd.by_role(Role.GATEWAY)
    return not gateway or any(s.ok for s in gateway)


def _run_of(firsts: Sequence[int], round_id: int) -> tuple[int, int]:
    """The id range [lo, hi) of the session a round belongs to, from the sessions' first rounds (sorted)."""
    i = bisect.bisect_right(firsts, round_id)
    lo = firsts[i - 1] if i else 0
    hi = firsts[i] if i < len(firsts) else 2**63 - 1
    return lo, hi


def outage_breaks(
    conn: sqlite3.Connection,
    pruned: int,
    cutoff_ms: int,
    firsts: Sequence[int],
    *,
    changed: Collection[int] | None = None,
    since_ms: int | None = None,
) -> list[Break]:
    """Every outage incident whose span holds kept rounds, checked against the rounds of its own session (a clock
    stepped back may have another session's rounds stamped inside it); ``firsts``: the sessions' first rounds.
    With ``changed`` (a verification going on from a checkpoint), only those incidents, the open ones and those
    ending at or after ``since_ms``: the others were checked by the verification the checkpoint records (a full
    verification checks them again)."""
    sets = target_sets(conn)
    breaks: list[Break] = []
    last = conn.execute("SELECT at_ms FROM rounds ORDER BY id DESC LIMIT 1").fetchone()
    for ref, start_ms, end_ms, cause in conn.execute(
        "SELECT id, start_ms, end_ms, cause FROM incidents WHERE kind = 'outage' ORDER BY start_ms, id"
    ).fetchall():
        if changed is not None and ref not in changed and end_ms is not None and end_ms < (since_ms or 0):
            continue
        end = end_ms if end_ms is not None else (int(last[0]) + 1 if last else start_ms)
        if start_ms < cutoff_ms:
            continue  # its rounds are pruned (or partly): the rollups check what is left of it
        where = f"outage incident {ref}"
        down = answered = local = 0
        first_at: int | None = None
        up_at: float | None = None
        run = (0, 0)
        for round_id, rnd in _rounds(conn, start_ms, max(end, start_ms + 1), pruned, sets):
            if first_at is None:
                first_at, run = codec.to_ms(rnd.at), _run_of(firsts, round_id)
            if not run[0] <= round_id < run[1]:
                continue
            why = round_cause(rnd)
            if why is None:
                up_at = rnd.at if up_at is None else up_at
                continue
            down += 1
            answered += why is Cause.DNS
            local += not _gateway_answered(rnd)
        if first_at is None:
            missing = "no round was recorded at any time it claims (unmonitored time?)"
            breaks.append(Break(where, missing, start_ms / 1e3))
            continue
        if up_at is not None:
            breaks.append(Break(where, "its rounds show the line up inside it (an anchor answered)", up_at))
            continue
        if first_at != start_ms:
            breaks.append(Break(where, "no round starts it: its start does not follow from its rounds", start_ms / 1e3))
        if end_ms is not None and cause != Cause.DNS.value and _still_down(conn, end_ms, run, pruned, sets):
            late = "its end does not follow from its rounds: every anchor still failed then, and the run went on"
            breaks.append(Break(where, late, end_ms / 1e3))
        fault = _cause_fault(Cause(cause), down, local, answered)
        if fault:
            breaks.append(Break(where, fault, start_ms / 1e3))
    return breaks


def _still_down(
    conn: sqlite3.Connection, end_ms: int, run: tuple[int, int], pruned: int, sets: dict[int, tuple[Target, ...]]
) -> bool:
    """Whether the round at an outage's end (the first answered round, or the last round of a run that stopped or
    split there) still had every anchor failing while later rounds of the same run followed."""
    for round_id, rnd in _rounds(conn, end_ms, end_ms + 1, pruned, sets):
        if run[0] <= round_id < run[1]:
            later = conn.execute("SELECT 1 FROM rounds WHERE id > ? AND id < ? LIMIT 1", (round_id, run[1]))
            why = round_cause(rnd)
            return why is not None and why is not Cause.DNS and later.fetchone() is not None
    return False


def _cause_fault(cause: Cause, down: int, local: int, dns: int) -> str | None:
    """Why ``cause`` does not follow from rounds of which ``local`` had the gateway silent and ``dns`` only DNS
    failing (None: it does). Only the side of the line is checked: the owner's against the provider's."""
    if cause is Cause.LOCAL and local * 2 < down:
        return f"its cause (local) does not follow from its rounds: the gateway answered in {down - local} of {down}"
    if cause in (Cause.ISP, Cause.UPSTREAM, Cause.DNS) and local * 2 > down:
        return (
            f"its cause ({cause.value}) does not follow from its rounds: the gateway (this home network) was silent"
            f" in {local} of {down}"
        )
    if cause is Cause.DNS and dns * 2 < down:
        return f"its cause (dns) does not follow from its rounds: every anchor failed in {down - dns} of {down}"
    return None


def session_breaks(conn: sqlite3.Connection, sessions: Sequence[SessionSeen], pruned: int) -> list[Break]:
    """Every ended session from schema 10 against its last sealed round."""
    breaks: list[Break] = []
    rows = {int(i): (e, c) for i, e, c in conn.execute("SELECT id, end_ms, clean FROM sessions")}
    for i, seen in enumerate(sessions):
        if seen.first_round is None or seen.id not in rows:
            continue
        end_ms, clean = rows[seen.id]
        if end_ms is None:
            continue
        after = sessions[i + 1].first_round if i + 1 < len(sessions) else None
        last = conn.execute(
            "SELECT id, at_ms FROM rounds WHERE id >= ? AND id < ? ORDER BY id DESC LIMIT 1",
            (seen.first_round, after if after is not None else 2**63 - 1),
        ).fetchone()
        if last is None or int(last[0]) <= pruned:
            continue  # no round (or only pruned ones): nothing to hold it against
        last_ms = int(last[1])
        where = f"session {seen.id}"
        if clean == 0 and end_ms != last_ms:
            why = f"ended by a crash at {_gap(end_ms, last_ms)} its last sealed round (edited?)"
            breaks.append(Break(where, why, end_ms / 1e3))
        elif clean != 0 and end_ms > last_ms + SESSION_SLACK_MS:
            breaks.append(Break(where, f"claims monitoring until {_gap(end_ms, last_ms)} its last round", end_ms / 1e3))
    return breaks


def _gap(end_ms: int, last_ms: int) -> str:
    from netwatch.core.text import span

    gap = span(abs(end_ms - last_ms) / 1000)
    return f"{gap} after" if end_ms > last_ms else f"{gap} before"


def rollup_breaks(conn: sqlite3.Connection, before_minute: int) -> list[Break]:
    """Rollups of the sealed minutes (their rounds pruned) wholly inside an outage show every anchor lost."""
    breaks: list[Break] = []
    for ref, start_ms, end_ms, cause in conn.execute(
        "SELECT id, start_ms, end_ms, cause FROM incidents WHERE kind = 'outage' AND start_ms < ? ORDER BY start_ms",
        (before_minute * 60_000,),
    ).fetchall():
        if end_ms is None or cause == Cause.DNS.value:
            continue
        lo, hi = -(-int(start_ms) // 60_000), min(int(end_ms) // 60_000, before_minute)
        row = conn.execute(
            "SELECT min(minute) FROM rollups JOIN targets ON targets.id = rollups.target_id"
            " WHERE role = 'anchor' AND minute >= ? AND minute < ? AND lost < sent",
            (lo, hi),
        ).fetchone()
        if row[0] is not None:
            breaks.append(
                Break(
                    f"rollups of minute {row[0]}",
                    f"show an anchor answering inside outage incident {ref} (altered?)",
                    row[0] * 60.0,
                )
            )
    return breaks


def body_instant(body: str) -> int | None:
    value = json.loads(body).get("start_ms")
    return value if isinstance(value, int) else None
