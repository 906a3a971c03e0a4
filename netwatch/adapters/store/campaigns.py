"""Speed campaigns in the store: the SQL behind ``Store.plan_campaign``, ``campaign_attempts`` and friends.

Owns the ``campaigns`` and ``campaign_slots`` tables (migration 7) and their place in the evidence chain: both
are chained records (kinds "campaign" and "campaign_slot", registered in ``chain.EXTRA_BODIES`` when this module
is imported, which ``store/sqlite.py`` does), so every version of a plan and of a slot is a ledger entry. The
speed tests themselves are ``speed_results`` rows (chained as "speed"); a slot links the last one it ran.
Functions take an open connection inside the caller's transaction and chain what they write in the caller's
``chain.Batch`` (as ``timeline.retime`` does); they must not read the clock, judge a measurement or decide what
a run does next (that is ``netwatch.core.campaign``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date

from netwatch.adapters.store import chain, codec, speed
from netwatch.core.model import Campaign, Schedule, SlotStatus, SpeedResult, StoredSlot

chain.EXTRA_BODIES["campaign"] = (
    "campaigns",
    ("created_ms", "timezone", "daily_window", "seed", "start_day", "replaced_ms"),
)
chain.EXTRA_BODIES["campaign_slot"] = (
    "campaign_slots",
    ("campaign_id", "idx", "planned_ms", "status", "attempts", "speed_id", "detail"),
)

_SPEED = ", ".join(f"s.{c}" for c in speed.COLUMN_NAMES)


def current_id(conn: sqlite3.Connection) -> int | None:
    """The id of the campaign not replaced (the newest), or None."""
    row = conn.execute("SELECT max(id) FROM campaigns WHERE replaced_ms IS NULL").fetchone()
    return None if row[0] is None else int(row[0])


def plan(
    conn: sqlite3.Connection,
    tx: chain.Batch,
    schedule: Schedule,
    seed: int,
    start: date,
    at: float,
    replace: int | None,
) -> int:
    """Insert a campaign and its slots, after marking campaign ``replace`` (if any) replaced; returns its id."""
    at_ms = codec.to_ms(at)
    if replace is not None:
        conn.execute("UPDATE campaigns SET replaced_ms = ? WHERE id = ?", (at_ms, replace))
        tx.record(conn, "campaign", replace)
    cur = conn.execute(
        "INSERT INTO campaigns (created_ms, timezone, daily_window, seed, start_day) VALUES (?, ?, ?, ?, ?)",
        (at_ms, schedule.timezone, str(schedule.window), seed, start.isoformat()),
    )
    campaign = int(cur.lastrowid or 0)
    tx.record(conn, "campaign", campaign)
    for slot in schedule.slots:
        cur = conn.execute(
            "INSERT INTO campaign_slots (campaign_id, idx, planned_ms) VALUES (?, ?, ?)",
            (campaign, slot.index, codec.to_ms(slot.at)),
        )
        tx.record(conn, "campaign_slot", int(cur.lastrowid or 0))
    return campaign


def attempts(conn: sqlite3.Connection, tx: chain.Batch, slot: int, results: Sequence[SpeedResult], done: bool) -> None:
    """Insert a slot's speed test attempts (a fallback chain's, in order) and link the last: the slot is done, or
    failed with one more attempt counted."""
    last = 0
    for result in results:
        last = speed.insert(conn, result)
        tx.record(conn, "speed", last)
    status, detail = (SlotStatus.DONE, "") if done else (SlotStatus.FAILED, results[-1].error)
    conn.execute(
        "UPDATE campaign_slots SET status = ?, attempts = attempts + 1, speed_id = ?, detail = ? WHERE id = ?",
        (status.value, last, detail, slot),
    )
    tx.record(conn, "campaign_slot", slot)


def missed(conn: sqlite3.Connection, tx: chain.Batch, slot: int, detail: str) -> None:
    conn.execute("UPDATE campaign_slots SET status = 'missed', detail = ? WHERE id = ?", (detail, slot))
    tx.record(conn, "campaign_slot", slot)


def load(conn: sqlite3.Connection, campaign: int | None) -> Campaign | None:
    """Campaign ``campaign`` (the current one when None) with its slots and their linked speed results, or None."""
    if campaign is None and (campaign := current_id(conn)) is None:
        return None
    row = conn.execute(
        "SELECT id, created_ms, timezone, daily_window, seed, start_day, replaced_ms FROM campaigns WHERE id = ?",
        (campaign,),
    ).fetchone()
    if row is None:
        return None
    slots = []
    for srow in conn.execute(
        f"SELECT c.id, c.idx, c.planned_ms, c.status, c.attempts, c.detail, s.id, {_SPEED} FROM campaign_slots c"
        " LEFT JOIN speed_results s ON s.id = c.speed_id WHERE c.campaign_id = ? ORDER BY c.idx",
        (campaign,),
    ):
        result = None if srow[6] is None else speed.from_row(srow[7:])
        planned, status = codec.from_ms(srow[2]), SlotStatus(srow[3])
        slots.append(StoredSlot(int(srow[0]), int(srow[1]), planned, status, int(srow[4]), str(srow[5]), result))
    return Campaign(
        id=int(row[0]),
        created=codec.from_ms(row[1]),
        timezone=str(row[2]),
        window=str(row[3]),
        seed=int(row[4]),
        start=date.fromisoformat(row[5]),
        slots=tuple(slots),
        replaced=None if row[6] is None else codec.from_ms(row[6]),
    )
