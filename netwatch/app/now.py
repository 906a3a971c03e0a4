"""The line's state now, for every face: `netwatch status`, the dashboard's Now page and ``/api/status``, and the
report of a period that ends now.

Owns knowing whether the daemon records now and where the freshest state is: its live file (``adapters/live``,
written after every round) while it is fresh — at most ``STALE_ROUNDS`` rounds plus ``STALE_SLACK_S`` old, and
written by a process that still exists — else the store, whose last commit may be ``[store] commit_interval``
behind. Without a fresh live file the daemon runs while the store's last round is fresh within a commit (a daemon
without a RAM directory) and it still holds the store's lock (read from the kernel's lock table, never by taking
it), so a daemon that stopped is "not running" at once, not a commit interval later. Must not word anything (faces do,
through ``netwatch.report``) nor decide the state itself (``netwatch.core.linestate`` does).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from netwatch.adapters import live, locks
from netwatch.app import stores
from netwatch.config import Config
from netwatch.core import linestate
from netwatch.core.model import Incident, LineNow, Live, Round
from netwatch.report.status import Freshness

STALE_ROUNDS = 3  # a live file more than this many rounds old ...
STALE_SLACK_S = 2.0  # ... plus this much (a busy Pi's scheduling) is a daemon that stopped probing


def fresh_live(cfg: Config, now: float, env: Mapping[str, str] | None = None) -> Live | None:
    """The running daemon's live file of the configured store, or None when there is none, it is stale or its
    writer is gone (killed: a clean stop removes the file)."""
    found = live.read(cfg.store.path, os.environ if env is None else env)
    if found is None:
        return None
    limit = STALE_ROUNDS * found.interval + STALE_SLACK_S
    boot = live.current_boot()
    if boot and found.boot_id == boot:
        # Same boot: the monotonic clocks agree, and an NTP step of the wall clock cannot make a file look fresh.
        if not live.process_exists(found.pid):
            return None
        age = time.monotonic() - found.mono
    else:
        age = now - found.written
    return found if age <= limit else None


def _last_closed(recent: list[Incident]) -> Incident | None:
    return max((i for i in recent if i.end is not None), key=lambda i: i.end or 0.0, default=None)


def line_now(cfg: Config, now: float, env: Mapping[str, str] | None = None) -> LineNow:
    """The line's state at ``now``. Raises StoreError when the store cannot be read (a missing store is NO DATA)."""
    current = fresh_live(cfg, now, env)
    stored: Round | None = None
    open_incidents: tuple[Incident, ...] = ()
    last_closed: Incident | None = None
    session_start: float | None = None
    if cfg.store.path.exists():
        with stores.reading(cfg) as store:
            last_closed = _last_closed(store.recent_incidents(3))
            if current is None:
                stored = store.last_round()
                open_incidents = tuple(store.open_incidents())
                sessions = store.sessions(now - 366 * 86400.0, now)
                session_start = sessions[-1].start if sessions else None
    if current is not None:
        rnd, open_incidents, running = current.last_round, current.open_incidents, True
        session_start = current.session_start
    else:
        rnd = stored
        # A daemon without a RAM directory writes no live file: its store is fresh within a commit. One that let go
        # of the store's lock has stopped, however fresh its last commit (None: no lock table to tell).
        limit = Freshness(cfg.probe.interval, cfg.store.seal_every).limit
        fresh = rnd is not None and now - rnd.at <= limit
        running = fresh and locks.is_locked(locks.path_for(cfg.store.path)) is not False
    state = linestate.state_of(rnd, open_incidents, running=running)
    return LineNow(
        at=now,
        state=state,
        running=running,
        live=current is not None,
        last_round=rnd,
        open_incidents=open_incidents,
        since=linestate.since(state, rnd, open_incidents, last_closed, session_start),
        failing=current.failing if current is not None else 0,
        session_start=session_start if running else None,
        interval=current.interval if current is not None else cfg.probe.interval,
    )
