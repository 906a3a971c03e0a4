"""A line the daemon probes in the test's own process: the daemon's EchoProbe and NameProbe Protocols, answered
without sending a packet, for tests that run netwatch's own ``Daemon`` loop without a network.

Owns ``FakeLine`` (every target answers in 1 ms unless the test cuts the line), ``NoNames`` (no DNS names),
``FakeNames`` (names that resolve unless the test fails them) and ``run_daemon``: the daemon of a configuration run
until a scenario is done, then stopped as SIGTERM would. Must not stand in for anything but the probes: the store,
the detector and the clock are netwatch's own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from netwatch.adapters.probes.protocols import NameProbe
from netwatch.app.daemon.loop import Daemon
from netwatch.config import Config
from netwatch.core.model import Role, Sample, Target


class FakeLine:
    """Every target answers in 1 ms unless ``down``."""

    def __init__(self) -> None:
        self.down = False
        self.names_down = False  # only name resolution fails (``FakeNames``)

    async def probe(self, targets: Sequence[Target]) -> tuple[Sample, ...]:
        await asyncio.sleep(0.001)
        return tuple(Sample(t, None if self.down else 1.0) for t in targets)

    def close(self) -> None:
        pass


class NoNames:
    targets: tuple[Target, ...] = ()

    async def probe(self) -> tuple[Sample, ...]:
        return ()


class FakeNames:
    """The names of ``names`` resolve in 1 ms unless ``line.names_down`` (or the line is down)."""

    def __init__(self, line: FakeLine, names: Sequence[str]) -> None:
        self.line = line
        self.targets = tuple(Target(Role.DNS, n) for n in names)

    async def probe(self) -> tuple[Sample, ...]:
        await asyncio.sleep(0.001)
        failed = self.line.down or self.line.names_down
        return tuple(Sample(t, None, "timeout") if failed else Sample(t, 1.0) for t in self.targets)


async def rounds(daemon: Daemon, n: int) -> None:
    """Wait for ``n`` more rounds of ``daemon`` (failing the test when it stops probing for 30 s)."""
    target = daemon.rounds + n
    deadline = time.monotonic() + 30
    while daemon.rounds < target:
        assert time.monotonic() < deadline, "the daemon stopped probing"
        await asyncio.sleep(0.01)


def run_daemon(
    cfg: Config, line: FakeLine, scenario: Callable[[Daemon], Awaitable[None]], names: NameProbe | None = None
) -> None:
    """Run netwatch's daemon of ``cfg`` on ``line`` until ``scenario`` returns, then stop it cleanly; ``names``
    resolves its names (none by default)."""

    async def main() -> None:
        stop = asyncio.Event()
        daemon = Daemon(cfg, stop, probes=(line, names or NoNames()))
        task = asyncio.ensure_future(daemon.run())
        try:
            await scenario(daemon)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)

    asyncio.run(main())
