"""The rollups recounted from their rounds as verification reads the rounds: one pass serves the seals and the rollups.

Owns ``Recount``. It is fed the rounds in the order they come (the chain's, by id: almost always in time order),
sums each minute's rounds (``rollups.minute``) and compares every finished minute with its stored rollups, read
beside it in minute order; a minute is finished once rounds two minutes later arrive. Rounds of a minute already
finished (a clock stepped back, a re-timing) are not summed there: the minute is recounted at the end from all its
rounds, in SQL order, as if the rounds had come in time order. Memory: the minutes still open, and the numbers of
the minutes recounted, of those that differ and of those with rollups but no rounds. Must not write, read the clock
or word a break (verification does).
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

from netwatch.adapters.store import rollups, roundspans

CHUNK = 5_000
MINUTE_MS = 60_000


class Recount:
    """The rollups of the minutes from ``boundary`` (a minute number) against the rounds fed to it."""

    def __init__(self, conn: sqlite3.Connection, boundary: int, sets: dict[int, list[int]]) -> None:
        self._conn = conn
        self._boundary = boundary
        self._sets = sets
        self._open: dict[int, dict[int, list[bytes]]] = {}  # minute -> set id -> its rounds' RTT blobs
        self._done = boundary - 1  # every minute up to this one is finished
        self._late: set[int] = set()  # finished minutes that more rounds arrived for
        self._differ = array("q")
        self._orphans = array("q")  # minutes with rollups and (so far) no rounds
        self._stored = _rollups(conn, boundary)
        self._ahead: tuple[Any, ...] | None = next(self._stored, None)
        # The minute rounds are being added to: [lo, hi) in ms, and its blobs of the last set seen.
        self._lo = self._hi = 0
        self._minute: dict[int, list[bytes]] = {}
        self._set = -1
        self._blobs: list[bytes] = []

    def feed(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rounds as stored rows (id, at_ms, set id, RTTs, ...), in any order."""
        lo, hi, current, blobs = self._lo, self._hi, self._set, self._blobs
        for row in rows:
            at_ms, set_id = row[1], row[2]
            if lo <= at_ms < hi and set_id == current:
                blobs.append(row[3])
                continue
            if not lo <= at_ms < hi:
                self._enter(at_ms // MINUTE_MS)
                lo, hi = self._lo, self._hi
            blobs = self._minute.setdefault(set_id, [])
            current = set_id
            blobs.append(row[3])
        self._set, self._blobs = current, blobs

    def _enter(self, minute: int) -> None:
        self._lo, self._hi = minute * MINUTE_MS, (minute + 1) * MINUTE_MS
        if minute < self._boundary:  # sealed with its pruned rounds: checked against its seal instead
            self._minute = {}
        elif minute <= self._done:
            self._late.add(minute)
            self._minute = {}
        else:
            self._minute = self._open.setdefault(minute, {})
            for finished in sorted(m for m in self._open if m < minute - 1):
                self._finish(finished, self._open.pop(finished))

    def _finish(self, minute: int, blobs: dict[int, list[bytes]]) -> None:
        """Compare a finished minute with its stored rollups (those of the minutes before it have no rounds)."""
        while self._ahead is not None and self._ahead[0] < minute:
            self._orphan(self._ahead[0])
        stored = {}
        while self._ahead is not None and self._ahead[0] == minute:
            _, target, *values = self._ahead
            stored[(minute, target)] = values
            self._ahead = next(self._stored, None)
        if stored != rollups.minute(minute, blobs, self._sets):
            self._differ.append(minute)
        self._done = minute

    def _orphan(self, minute: int) -> None:
        if not self._orphans or self._orphans[-1] != minute:
            self._orphans.append(minute)
        self._ahead = next(self._stored, None)

    def finish(self) -> tuple[list[int], list[int]]:
        """(the minutes whose rollups do not add up to their rounds, the minutes with rollups and no rounds), each
        in order, once every round was fed."""
        for minute in sorted(self._open):
            self._finish(minute, self._open.pop(minute))
        while self._ahead is not None:
            self._orphan(self._ahead[0])
        differ = {m for m in self._differ if m not in self._late}
        for minute in self._late:
            if self._stored_minute(minute) != rollups.minute(minute, self._blobs_of(minute), self._sets):
                differ.add(minute)
        return sorted(differ), [m for m in self._orphans if m not in self._late]

    def _stored_minute(self, minute: int) -> dict[rollups.Key, list[Any]]:
        return {
            (minute, int(target)): list(values)
            for target, *values in self._conn.execute(
                "SELECT target_id, sent, lost, rtt_min, rtt_max, rtt_sum FROM rollups WHERE minute = ?", (minute,)
            )
        }

    def _blobs_of(self, minute: int) -> dict[int, list[bytes]]:
        blobs: dict[int, list[bytes]] = {}
        lo_ms = minute * MINUTE_MS
        for rows in roundspans.by_time(self._conn, "set_id, rtts", lo_ms, lo_ms + MINUTE_MS, 0, CHUNK):
            for _, _, set_id, rtts in rows:
                blobs.setdefault(int(set_id), []).append(rtts)
        return blobs


def _rollups(conn: sqlite3.Connection, boundary: int) -> Iterator[tuple[Any, ...]]:
    """The stored rollups from minute ``boundary`` as (minute, target id, sent, lost, min, max, sum), in order, a
    chunk at a time."""
    after = (boundary - 1, 2**62)
    while True:
        rows = conn.execute(
            "SELECT minute, target_id, sent, lost, rtt_min, rtt_max, rtt_sum FROM rollups"
            " WHERE (minute, target_id) > (?, ?) ORDER BY minute, target_id LIMIT ?",
            (*after, CHUNK),
        ).fetchall()
        yield from rows
        if len(rows) < CHUNK:
            return
        after = (rows[-1][0], rows[-1][1])
