"""Which probe errors the daemon logs: each error of a target once, when it starts, not every round.

Owns the rule behind the README's promise: an error is worth a line the first time a target shows it since that
target last answered. Comparing each round's errors with the previous round's is not enough: during an outage a
router that rate-limits its ICMP errors answers one echo with "destination unreachable" and lets the next time out,
so the same error comes and goes every round. A target that answers again (or leaves the target list) starts
afresh. Must not log or probe: the loop logs what ``ProbeErrors.new`` returns.
"""

from __future__ import annotations

from collections.abc import Iterable

from netwatch.core.model import Sample

MAX_PER_TARGET = 16  # distinct errors logged per failing streak: a days-long outage must not grow memory or the log


class ProbeErrors:
    """The errors logged so far in each failing target's current streak."""

    def __init__(self) -> None:
        self._seen: dict[str, set[str]] = {}

    def new(self, samples: Iterable[Sample]) -> list[str]:
        """The lines ("ADDRESS: ERROR") for every error of this round not yet logged in its target's streak, sorted."""
        fresh: list[str] = []
        present: set[str] = set()
        for sample in samples:
            address = sample.target.address
            present.add(address)
            if sample.ok:
                self._seen.pop(address, None)
                continue
            if not sample.error:
                continue
            seen = self._seen.setdefault(address, set())
            if sample.error not in seen and len(seen) < MAX_PER_TARGET:
                seen.add(sample.error)
                fresh.append(f"{address}: {sample.error}")
        for gone in self._seen.keys() - present:
            del self._seen[gone]
        return sorted(fresh)
