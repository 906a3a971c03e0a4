"""Samples and rounds: what one probe measured in one round, built from the targets of its line.

Owns building ``Round`` values two ways: every target with an RTT of its own (``Line.answers``), or layer by layer
(``Line.round``): the layers an outage's cause takes down stay silent, the others answer in their role's RTT.
Must not decide a cause or an incident from a round (core.classify and the detector own that; the tests check
them) and must not probe anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from netwatch.core.model import Cause, Role, Round, Sample, Target

# How fast each layer answers unless a test says otherwise: the gateway first, the anchors farthest.
RTTS: Mapping[Role, float] = {Role.GATEWAY: 1.0, Role.ISP: 5.0, Role.ANCHOR: 10.0, Role.DNS: 3.0}

# The layers that fall silent with each cause: the cause is the nearest layer that failed, and every layer beyond
# it fails with it (a resolver cannot be reached when the anchors cannot).
DOWN: Mapping[Cause | None, frozenset[Role]] = {
    None: frozenset(),
    Cause.DNS: frozenset({Role.DNS}),
    Cause.UPSTREAM: frozenset({Role.ANCHOR, Role.DNS}),
    Cause.ISP: frozenset({Role.ISP, Role.ANCHOR, Role.DNS}),
    Cause.LOCAL: frozenset(Role),
}


@dataclass(frozen=True)
class Line:
    """The targets one probe measures, in the order its rounds list them, and the RTT each role answers in."""

    targets: tuple[Target, ...]
    rtts: Mapping[Role, float] = field(default_factory=lambda: RTTS)

    @classmethod
    def of(cls, *targets: Target, rtts: Mapping[Role, float] | None = None) -> Line:
        """``targets`` in order; ``rtts`` replaces the RTT of some roles."""
        return cls(targets, {**RTTS, **(rtts or {})})

    def answers(self, at: float, *rtts: float | None, errors: Mapping[int, str] | None = None) -> Round:
        """A round in which target i answered in ``rtts[i]`` ms (None: no answer); with no ``rtts``, each in 1 ms.
        ``errors`` maps an index to that sample's error text."""
        values = rtts or (1.0,) * len(self.targets)
        why = errors or {}
        samples = (Sample(t, r, why.get(i, "")) for i, (t, r) in enumerate(zip(self.targets, values, strict=True)))
        return Round(at, tuple(samples))

    def round(
        self,
        at: float,
        down: Cause | None = None,
        *,
        silent: Iterable[Role] = (),
        lost_anchors: int = 0,
        rtt: float | Callable[[int], float] | None = None,
        rtts: Mapping[Role, float] | None = None,
    ) -> Round:
        """A round in which every target answered in its role's RTT, except the layers ``down`` takes down, the
        roles in ``silent`` and the first ``lost_anchors`` anchors. ``rtts`` replaces some roles' RTT for this
        round; ``rtt`` replaces every answer's (a callable is given the sample's index)."""
        quiet = DOWN[down] | frozenset(silent)
        speed = {**self.rtts, **(rtts or {})}
        samples = []
        anchor = 0
        for i, target in enumerate(self.targets):
            answered = target.role not in quiet
            if target.role is Role.ANCHOR:
                answered = answered and anchor >= lost_anchors
                anchor += 1
            value = speed[target.role] if rtt is None else rtt(i) if callable(rtt) else rtt
            samples.append(Sample(target, value if answered else None))
        return Round(at, tuple(samples))
