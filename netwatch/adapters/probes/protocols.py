"""The small Protocols the daemon probes through, so that a fake (a test's, or a future backend) can stand in for
the real prober.

Owns ``EchoProbe`` (one echo per target per round) and ``NameProbe`` (the DNS names of a round). Must not hold an
implementation: declarations only (``icmp`` and ``dns`` implement them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from netwatch.core.model import Sample, Target


class EchoProbe(Protocol):
    """One round of ICMP echoes: a sample per target, in order; a target that does not answer is a lost sample."""

    async def probe(self, targets: Sequence[Target]) -> tuple[Sample, ...]: ...

    def close(self) -> None: ...


class NameProbe(Protocol):
    """One round of name resolutions: a sample per name of ``targets``, in order."""

    targets: tuple[Target, ...]

    async def probe(self) -> tuple[Sample, ...]: ...
