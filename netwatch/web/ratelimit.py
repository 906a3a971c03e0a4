"""How often someone may get the dashboard's password wrong: per client address and for everyone together.

Owns ``Limiter``: failed sign-ins are remembered for ``window`` seconds; a client with ``per_client`` of them waits
until the oldest one leaves the window, and so does a client that failed at all while everyone together has
``overall`` of them (guesses spread over many addresses). A client with no failure of its own is never held up by
others' (the owner with the right password, while someone else on the LAN guesses). Behind a proxy or an ssh
tunnel every client is 127.0.0.1: the per-client limit is then everyone's. It is asked *before* the password is
hashed, so refused attempts cost nothing. Must not know HTTP: the sign-in page asks it with the client's address.
The clock is injected.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

PER_CLIENT = 5
OVERALL = 20
WINDOW_S = 300.0


class Limiter:
    """Failed sign-ins within the last ``window`` seconds, per client address and overall."""

    def __init__(
        self,
        per_client: int = PER_CLIENT,
        overall: int = OVERALL,
        window: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_client, self.overall, self.window, self.clock = per_client, overall, window, clock
        self._clients: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self._all and self._all[0] <= now - self.window:
            self._all.popleft()
        for client in [c for c, failures in self._clients.items() if not failures or failures[-1] <= now - self.window]:
            del self._clients[client]
        for failures in self._clients.values():
            while failures and failures[0] <= now - self.window:
                failures.popleft()

    def wait(self, client: str) -> int:
        """Whole seconds ``client`` must wait before its next attempt; 0 when it may try now."""
        now = self.clock()
        self._prune(now)
        waits = [0.0]
        mine = self._clients.get(client)
        if mine is not None and len(mine) >= self.per_client:
            waits.append(mine[-self.per_client] + self.window - now)
        if mine and len(self._all) >= self.overall:
            waits.append(self._all[-self.overall] + self.window - now)
        return math.ceil(max(waits))

    def failed(self, client: str) -> None:
        now = self.clock()
        self._clients.setdefault(client, deque()).append(now)
        self._all.append(now)

    def succeeded(self, client: str) -> None:
        """A right password forgets the client's failures (not everyone's)."""
        self._clients.pop(client, None)
