"""What the daemon's tasks see of the run they belong to: a narrow interface instead of the Daemon itself.

Owns ``Runtime``, the Protocol the speed test, traceroute and notification tasks are given (the run's
configuration, its stop event, its clock, the line as the last round left it, and where their findings go), and
``Line``, what systemd is told after each round. Must not hold state or do I/O: ``netwatch.app.daemon.loop.Daemon``
implements the Protocol, and tests may give a task a runtime of their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from netwatch.config import Config
from netwatch.core import detect
from netwatch.core.model import Incident, Round, SpeedResult

T = TypeVar("T")


@dataclass(frozen=True)
class Line:
    """The line after a round, as the status line shows it: the open incidents (outage first, then degraded, then
    slow), how many targets are probed, and the instant of the last round (None before the first)."""

    open_incidents: tuple[Incident, ...]
    targets: int
    at: float | None


class Runtime(Protocol):
    """The run as a task sees it."""

    @property
    def config(self) -> Config: ...

    @property
    def stop(self) -> asyncio.Event:
        """Set when the run stops: a task returns soon after."""
        ...

    @property
    def last_round(self) -> Round | None: ...

    @property
    def state(self) -> detect.State:
        """The detector's state after the last round (open outage, degradation, rounds awaiting confirmation)."""
        ...

    def now(self) -> float:
        """The current instant as the run stamps it (provisional while the wall clock is not trusted)."""
        ...

    def restamp(self, stamp: float, taken: float) -> float:
        """``stamp`` taken at monotonic instant ``taken``, corrected by every clock synchronisation since."""
        ...

    async def until_stopped(self, work: Coroutine[Any, Any, T]) -> T | None:
        """``work``'s result, or None when the run stops first (the work is cancelled)."""
        ...

    def speed_measured(self, result: SpeedResult, events: Sequence[detect.Event] = ()) -> None:
        """A speed test attempt was stored, and what it changed of the slow detector (for the metrics)."""
        ...

    def closed(self, incident: Incident) -> None:
        """An incident closed outside the probe loop (a slow period): notify it after recovery."""
        ...
