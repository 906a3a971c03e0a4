"""Which layer failed: pure classification of one probe round.

Owns the cause rules of DESIGN.md: ``local`` when the gateway is unreachable too, ``isp`` when the gateway answers
but the ISP hop does not, ``upstream`` when both answer but no anchor does, ``dns`` when ICMP works and name
resolution fails; ``isp_or_upstream`` when the gateway answers and no ISP hop is known to tell the last two apart
(never a guess between them). Must not do I/O or look at time.
"""

from __future__ import annotations

from netwatch.core.model import Cause, Role, Round, Sample


def _all_failed(samples: tuple[Sample, ...]) -> bool:
    return bool(samples) and not any(s.ok for s in samples)


def _any_ok(samples: tuple[Sample, ...]) -> bool:
    return any(s.ok for s in samples)


def round_cause(rnd: Round) -> Cause | None:
    """The cause this round points at, or None when the line is up.

    The line is down when every anchor failed, or when anchors answered but every DNS name failed to resolve.
    A round with no anchors at all cannot tell anything and counts as up (config forbids it anyway).
    """
    anchors = rnd.by_role(Role.ANCHOR)
    if _all_failed(anchors):
        gateway = rnd.by_role(Role.GATEWAY)
        isp = rnd.by_role(Role.ISP)
        if _all_failed(gateway):
            return Cause.LOCAL
        if not gateway:
            # Without a gateway target a silent ISP hop could just as well be a dead router.
            return Cause.UPSTREAM if _any_ok(isp) else Cause.UNKNOWN
        if not isp:
            # Beyond the home network, but whether in the provider's access network or further up, nothing tells.
            return Cause.ISP_OR_UPSTREAM
        if _all_failed(isp):
            return Cause.ISP
        return Cause.UPSTREAM
    if _all_failed(rnd.by_role(Role.DNS)):
        return Cause.DNS
    return None


def majority_cause(counts: tuple[tuple[Cause, int], ...]) -> Cause:
    """The cause seen in most rounds; ties go to the one seen first (counts keep first-seen order)."""
    best = Cause.UNKNOWN
    best_n = 0
    for cause, n in counts:
        if n > best_n:
            best, best_n = cause, n
    return best


def add_count(counts: tuple[tuple[Cause, int], ...], cause: Cause) -> tuple[tuple[Cause, int], ...]:
    """Counts with one more round for ``cause``, keeping first-seen order."""
    for i, (c, n) in enumerate(counts):
        if c is cause:
            return (*counts[:i], (c, n + 1), *counts[i + 1 :])
    return (*counts, (cause, 1))
