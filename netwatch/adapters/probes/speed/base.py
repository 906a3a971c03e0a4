"""The ``SpeedBackend`` Protocol and the fallback chain.

Owns the contract every speed test backend meets and ``run_with_fallback``, which tries the chosen backend and
then its fallbacks in order. It must not know any backend: it sees only the Protocol.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from netwatch.core.model import CANCELLED, SpeedResult

from .result import failure

log = logging.getLogger(__name__)


class SpeedBackend(Protocol):
    """Measures the line once.

    ``name`` is the configured backend name (it becomes ``SpeedResult.backend``). ``run`` blocks for the whole
    test and is called on a worker thread, one test at a time. It never raises: every failure (server
    unreachable, HTTP 403/429, timeout, tool missing, garbage output) is a result with ``ok=False`` and the
    reason. When ``cancel`` is set (SIGTERM), ``run`` returns within about a second with ``error="cancelled"``;
    it may leave daemon threads or killed child processes to finish tidying up behind it.
    """

    name: str

    def run(self, cancel: threading.Event) -> SpeedResult: ...


def unavailable(backend: SpeedBackend) -> str | None:
    """Why ``backend`` cannot run on this machine (optional dependency or binary missing), or None; for
    ``check-config`` and start-up warnings. Backends without a ``missing()`` method are always available."""
    missing = getattr(backend, "missing", None)
    return missing() if callable(missing) else None


def run_safely(backend: SpeedBackend, cancel: threading.Event) -> SpeedResult:
    """``backend.run(cancel)``, with a bug in a backend turned into a failed result rather than an exception."""
    at, start = time.time(), time.monotonic()
    try:
        return backend.run(cancel)
    except Exception as err:  # the daemon must survive a broken backend; the traceback goes to the log
        log.exception("speed test backend %s crashed", backend.name)
        reason = f"internal error in the {backend.name} backend: {type(err).__name__}: {err}"
        return failure(backend.name, backend.name, reason, at=at, duration_s=time.monotonic() - start)


def run_with_fallback(
    backends: Sequence[SpeedBackend],
    cancel: threading.Event,
    starting: Callable[[SpeedBackend, tuple[SpeedResult, ...]], None] | None = None,
) -> tuple[SpeedResult, ...]:
    """Run ``backends[0]``, then each next one while the previous failed, until one succeeds.

    Returns every attempt in order (the failed ones are evidence too: "speedtest.net answered 429"), so the
    last element is the one to report; it is a failure only when every backend failed. Stops early, without
    trying further fallbacks, once ``cancel`` is set. An empty ``backends`` returns an empty tuple.
    ``starting`` is told each backend before it runs, with the attempts so far (a face showing the progress).
    """
    attempts: list[SpeedResult] = []
    for backend in backends:
        if cancel.is_set():
            break
        if starting is not None:
            starting(backend, tuple(attempts))
        result = run_safely(backend, cancel)
        attempts.append(result)
        if result.ok or result.error == CANCELLED:
            break
        log.info("speed test with %s failed: %s", backend.name, result.error)
    return tuple(attempts)
