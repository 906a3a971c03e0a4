"""A speed test someone asks for now: `netwatch speedtest` and the dashboard's "run a speed test" button.

Owns running the configured backend then its fallbacks (or one backend asked for) under the speed test lock shared
with the daemon and `netwatch campaign run` (never two tests on one line at once: a test that finds the lock held
is refused, with the reason), telling its progress as it goes (``SpeedProgress``: which backend measures now, the
attempts so far), and, when asked (the dashboard: a test run from the page is evidence like a scheduled one),
storing every attempt in one store transaction, sealed in the evidence chain also while the daemon runs. Must not
word results (``netwatch.report.status``) nor schedule tests (``netwatch.app.daemon.speed``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

from netwatch.adapters import locks
from netwatch.adapters.probes.speed import SpeedBackend, make_backend, run_with_fallback
from netwatch.app import stores
from netwatch.config import Config
from netwatch.core.model import SpeedProgress, SpeedResult
from netwatch.errors import ProbeError

BUSY = "another speed test is running on this line (the daemon's scheduled one or a campaign's); try again in a minute"


def run(
    cfg: Config,
    backend: str | None = None,
    *,
    store: bool = False,
    progress: Callable[[SpeedProgress], None] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[SpeedResult, ...]:
    """One speed test now: ``backend`` alone, else the configured backend then its fallbacks; every attempt, in
    order. ``store``: each attempt is saved in the store. Raises ProbeError when another test holds the lock,
    StoreError when the attempts cannot be stored."""
    names = (backend,) if backend else cfg.speedtest.chain
    chain = [make_backend(name, cfg.speedtest.options_for(name)) for name in names]
    state = SpeedProgress(time.time())

    def tell(new: SpeedProgress) -> None:
        nonlocal state
        state = new
        if progress is not None:
            progress(new)

    def starting(next_backend: SpeedBackend, so_far: tuple[SpeedResult, ...]) -> None:
        tell(replace(state, backend=next_backend.name, attempts=so_far))

    with locks.speed_test(locks.path_for(cfg.store.path, "speed")) as taken:
        if not taken:
            tell(replace(state, done=True, error=BUSY))
            raise ProbeError(BUSY)
        attempts = run_with_fallback(chain, cancel or threading.Event(), starting)
    if store and attempts:
        with stores.adding(cfg, "the speed test") as kept:
            for attempt in attempts:
                kept.save_speed(attempt)
            kept.commit()
    tell(replace(state, backend="", attempts=attempts, done=True, stored=store and bool(attempts)))
    return attempts
