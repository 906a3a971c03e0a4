"""Per-minute rollups in the store: how rounds are summed into them, and rebuilding minutes from the rounds.

Owns the ``rollups`` upsert and the accumulation of a round's RTTs (tenths of a ms, see codec.py) into
[sent, lost, rtt_min, rtt_max, rtt_sum] per (minute, target), shared by the writer and by a re-timing, which
moves rounds between minutes and so rebuilds the minutes they left and the ones they reached. Functions take an
open connection inside the caller's transaction. Must not read the clock.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
from collections.abc import Iterable
from typing import Any

from netwatch.adapters.store import codec, roundspans

log = logging.getLogger("netwatch.adapters.store")

Rollup = list[Any]  # [sent, lost, rtt_min, rtt_max, rtt_sum] in tenths of a ms, min/max None until an answer
Key = tuple[int, int]  # (minute, target id)

UPSERT = """
    INSERT INTO rollups (minute, target_id, sent, lost, rtt_min, rtt_max, rtt_sum) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (minute, target_id) DO UPDATE SET
        sent = sent + excluded.sent,
        lost = lost + excluded.lost,
        rtt_min = coalesce(min(rtt_min, excluded.rtt_min), rtt_min, excluded.rtt_min),
        rtt_max = coalesce(max(rtt_max, excluded.rtt_max), rtt_max, excluded.rtt_max),
        rtt_sum = rtt_sum + excluded.rtt_sum
"""


def accumulate(acc: dict[Key, Rollup], minute: int, target_ids: Iterable[int], rtts: bytes) -> None:
    """Add one round (its packed RTTs, one per target id in order) to the rollups of ``minute``."""
    for tid, value in zip(target_ids, codec.unpack_tenths(rtts), strict=True):
        r = acc.get((minute, tid))
        if r is None:
            r = acc[(minute, tid)] = [0, 0, None, None, 0]
        r[0] += 1
        if value == codec.LOST:
            r[1] += 1
        else:
            r[2] = value if r[2] is None else min(r[2], value)
            r[3] = value if r[3] is None else max(r[3], value)
            r[4] += value


def minute(minute: int, rounds: dict[int, list[bytes]], sets: dict[int, list[int]]) -> dict[Key, Rollup]:
    """The rollups of one minute from its rounds' packed RTTs grouped by target set (``rounds``: set id → blobs),
    summed target by target rather than round by round: the same sums as ``accumulate`` (verification recomputes
    every minute, and this is its hot loop: the rounds of one-byte compact codes, most of them, are tallied as
    byte columns without a Python object per round). Sets missing from ``sets`` are left out."""
    acc: dict[Key, Rollup] = {}
    for set_id, blobs in rounds.items():
        ids = sets.get(set_id)
        if ids is None:
            continue
        width = len(ids)
        columns, rest = _split(blobs, width)
        values = [codec.unpack_tenths(blob) for blob in rest]
        if any(len(v) != width for v in values):  # a round of another width: said as the round-by-round sum says it
            for blob in rest:
                accumulate(acc, minute, ids, blob)
        decoded = zip(*values, strict=True) if values else itertools.repeat(())
        for tid, codes, more in zip(ids, columns, decoded, strict=False):
            sent, lost, low, high, total = codec.tally_codes(codes)
            if more:  # the rounds decoded one by one, as ``accumulate`` sums them
                sent += len(more)
                missing = more.count(codec.LOST)
                lost += missing
                answered = [v for v in more if v != codec.LOST] if missing else more
                if answered:
                    low = min(answered) if low is None else min(low, *answered)
                    high = max(answered) if high is None else max(high, *answered)
                    total += sum(answered)
            r = acc.get((minute, tid))
            if r is None:
                acc[(minute, tid)] = [sent, lost, low, high, total]
                continue
            r[0] += sent
            r[1] += lost
            if low is not None:
                r[2] = low if r[2] is None else min(r[2], low)
            if high is not None:
                r[3] = high if r[3] is None else max(r[3], high)
            r[4] += total
    return acc


def _split(blobs: list[bytes], width: int) -> tuple[list[bytes], list[bytes]]:
    """(each target's one-byte codes as a column, the rounds to decode one by one: those holding a longer code, an
    RTT from 24 ms, or of the two-byte layout)."""
    longer = codec.holding_longer_codes(blobs)
    columns: list[bytes] | None = None
    if not longer:
        columns = codec.one_byte_columns(blobs, width)
    elif len(longer) < len(blobs):
        picked = set(longer)
        columns = codec.one_byte_columns([b for i, b in enumerate(blobs) if i not in picked], width)
    if columns is not None:
        return columns, [blobs[i] for i in longer]
    short: list[bytes] = []
    rest: list[bytes] = []
    for blob in blobs:
        (short if codec.is_one_byte(blob, width) else rest).append(blob)
    return codec.one_byte_columns(short, width) or [b""] * width, rest


def write(conn: sqlite3.Connection, acc: dict[Key, Rollup]) -> None:
    conn.executemany(UPSERT, [(m, t, *r) for (m, t), r in acc.items()])


def set_target_ids(conn: sqlite3.Connection) -> dict[int, list[int]]:
    """Target ids of every target set, in sample order (a set naming an unknown target is left out)."""
    ids = {(role, address): int(i) for i, role, address in conn.execute("SELECT id, role, address FROM targets")}
    out: dict[int, list[int]] = {}
    for set_id, text in conn.execute("SELECT id, targets FROM target_sets"):
        keys = [(t.role.value, t.address) for t in codec.targets_from_json(text)]
        if all(k in ids for k in keys):
            out[int(set_id)] = [ids[k] for k in keys]
    return out


def rebuild(conn: sqlite3.Connection, first_minute: int, last_minute: int, sealed_before: int) -> None:
    """Recompute the rollups of minutes [first, last] from the rounds stored in them.

    Minutes before ``sealed_before`` lost rounds to pruning and were sealed with them: they are never rebuilt (a
    re-timing only touches recent minutes, so this guards against a bug, not a case)."""
    if first_minute < sealed_before:
        log.error("rollups before minute %d are sealed with their pruned rounds: not rebuilt", sealed_before)
        first_minute = sealed_before
    if last_minute < first_minute:
        return
    conn.execute("DELETE FROM rollups WHERE minute BETWEEN ? AND ?", (first_minute, last_minute))
    sets = set_target_ids(conn)
    acc: dict[Key, Rollup] = {}
    lo_ms, hi_ms = first_minute * 60_000, (last_minute + 1) * 60_000
    ids = roundspans.id_range(conn, lo_ms, hi_ms)
    if ids is not None:
        for at_ms, set_id, rtts in conn.execute(
            "SELECT at_ms, set_id, rtts FROM rounds WHERE id BETWEEN ? AND ? AND at_ms >= ? AND at_ms < ?",
            (*ids, lo_ms, hi_ms),
        ):
            accumulate(acc, at_ms // 60_000, sets[set_id], rtts)
    write(conn, acc)
