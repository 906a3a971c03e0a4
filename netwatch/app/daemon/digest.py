"""When digests are due and which period each covers: a pure calendar in the business timezone.

Owns the digest rule: a daily digest is due every day at ``digest_at`` local time and covers the previous local
calendar day; a weekly one is due on ``digest_day`` at ``digest_at`` and covers the previous ISO week (Monday
to Monday), as `netwatch report --period yesterday` / `last-week` would. DST: the local time is converted with
``fold=0``, as ``schedule`` does (an ambiguous time is its first occurrence; a time inside a spring-forward gap
maps forward by the gap, e.g. 01:30 on Europe/London's spring day is 02:30 BST). Missed digests: only the most
recent due one is caught up (see ``catch_up``). Must not read the clock: every instant is passed in.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from netwatch.config.records import NotifyConfig
from netwatch.core.model import Period
from netwatch.core.schedule import DAYS
from netwatch.report.period import named


def _due_on(day: datetime, cfg: NotifyConfig, zone: ZoneInfo) -> float | None:
    """The due instant on ``day``'s local date, or None when no digest is due that day."""
    if cfg.digest == "weekly" and day.weekday() != DAYS.index(cfg.digest_day):
        return None
    hours, minutes = (int(part) for part in cfg.digest_at.split(":"))
    return datetime.combine(day.date(), time(hours, minutes), tzinfo=zone).timestamp()


def next_due(after: float, cfg: NotifyConfig, zone: ZoneInfo) -> float | None:
    """The first digest instant strictly after ``after``; None when digests are off."""
    if cfg.digest == "off":
        return None
    today = datetime.fromtimestamp(after, zone)
    for offset in range(9):  # a week and the DST slack of a day either side
        due = _due_on(today + timedelta(days=offset), cfg, zone)
        if due is not None and due > after:
            return due
    raise AssertionError("a digest is due at least once a week")


def last_due(until: float, cfg: NotifyConfig, zone: ZoneInfo) -> float | None:
    """The latest digest instant at or before ``until``; None when digests are off."""
    if cfg.digest == "off":
        return None
    today = datetime.fromtimestamp(until, zone)
    for offset in range(9):
        due = _due_on(today - timedelta(days=offset), cfg, zone)
        if due is not None and due <= until:
            return due
    raise AssertionError("a digest is due at least once a week")


def period_of(due: float, cfg: NotifyConfig, zone: ZoneInfo) -> Period:
    """The period the digest due at ``due`` covers: the previous local day, or the previous ISO week."""
    return named("yesterday" if cfg.digest == "daily" else "last-week", zone, now=due)


def catch_up(now: float, cfg: NotifyConfig, zone: ZoneInfo) -> float | None:
    """The due instant of the digest to queue at start: the most recent one (at most a period ago). Older ones
    missed while netwatch was stopped are not sent: the newest digest is what a reader wants, and a restart
    after a long stop must not deliver a pile of stale summaries. The outbox's key makes queueing it again (the
    daemon was running at that instant and queued it) a no-op."""
    return last_due(now, cfg, zone)
