"""The outbox's records and its retry rule: one entry per message and channel, retried with capped backoff.

Owns ``OutboxEntry`` (a row of the store's ``outbox`` table, see ``netwatch.adapters.store.outbox``), the ``Backoff``
rule (the first retry after ``first`` seconds, each next one ``factor`` times later, never more than ``cap``
apart; an entry older than ``give_up`` is not retried any more) and how an entry's state reads. Pure: every
instant is passed in. Attempts are only made while the line is up, so time spent down never uses up retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from netwatch.core.text import local
from netwatch.report.message import Message


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


@dataclass(frozen=True)
class OutboxEntry:
    """One message for one channel. ``channel`` is the channel's id (a hash: the store never holds a URL with
    its secrets), ``label`` how it is shown. ``next_at`` is the earliest next attempt while pending."""

    id: int
    key: str
    channel: str
    label: str
    created: float
    message: Message
    attempts: int = 0
    next_at: float = 0.0
    error: str = ""  # the last failure; "" once sent
    error_at: float | None = None
    sent_at: float | None = None
    given_up_at: float | None = None

    @property
    def pending(self) -> bool:
        return self.sent_at is None and self.given_up_at is None

    def state(self, zone: ZoneInfo) -> str:
        """'sent 2026-03-24 12:38:02 GMT (1 attempt)', 'pending, next attempt not before ...' or 'given up ...'."""
        tries = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        if self.sent_at is not None:
            return f"sent {local(self.sent_at, zone)} ({tries})"
        if self.given_up_at is not None:
            return f"given up {local(self.given_up_at, zone)} after {tries}"
        return f"pending, next attempt not before {local(self.next_at, zone)} ({tries} so far)"
