"""The outbox's records and its retry rule: one entry per message and channel, retried with capped backoff.

Owns the ``Backoff`` rule (the first retry after ``first`` seconds, each next one ``factor`` times later, never more
than ``cap`` apart; an entry older than ``give_up`` is not retried any more) and how an entry's state reads
(``entry_state``; the record is ``netwatch.core.model.OutboxEntry``). Attempts are only made while the line is up,
so time spent down never uses up retries. Must not read a clock (every instant is passed in) or send anything
(``netwatch.app.daemon.notify`` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from netwatch.core.model import OutboxEntry
from netwatch.core.text import local


@dataclass(frozen=True)
class Backoff:
    first: float = 30.0  # seconds before the first retry
    factor: float = 2.0
    cap: float = 3600.0  # never longer between two attempts
    give_up: float = 7 * 86400.0  # seconds after queueing: a week-old notification is history, not news

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (1 for the first failure)."""
        return min(self.cap, self.first * self.factor ** max(0, attempts - 1))

    def next_attempt(self, created: float, attempts: int, at: float) -> float | None:
        """When to try again after the ``attempts``-th failure at ``at``; None when the entry is given up."""
        following = at + self.delay(attempts)
        return None if following - created > self.give_up else following


def entry_state(entry: OutboxEntry, zone: ZoneInfo) -> str:
    """'sent 2026-03-24 12:38:02 GMT (1 attempt)', 'pending, next attempt not before ...' or 'given up ...'."""
    tries = f"{entry.attempts} attempt{'s' if entry.attempts != 1 else ''}"
    if entry.sent_at is not None:
        return f"sent {local(entry.sent_at, zone)} ({tries})"
    if entry.given_up_at is not None:
        return f"given up {local(entry.given_up_at, zone)} after {tries}"
    return f"pending, next attempt not before {local(entry.next_at, zone)} ({tries} so far)"
