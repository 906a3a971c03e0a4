"""Where a degradation is blamed: on the nearest layer degraded itself by the figure that degraded the anchors (their
loss, their latency, or both), never on a router's ordinary background loss."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from netwatch.core.detect import Rules
from netwatch.core.model import Cause, Kind, Round, Sample
from tests.support.detector import incidents, run
from tests.support.streams import ANCHORS
from tests.support.targets import DOC_DNS as DNS
from tests.support.targets import DOC_GW as GW
from tests.support.targets import DOC_ISP as ISP

RULES = Rules(confirm=3, window=60, loss_percent=5.0, latency_ms=250.0)


def layered(
    n: int,
    *,
    anchor_ms: float = 20.0,
    gateway_ms: float = 1.0,
    isp_ms: float = 5.0,
    gateway_lost: frozenset[int] = frozenset(),
    isp_lost: frozenset[int] = frozenset(),
    anchors_lost_every: int = 0,
) -> list[Round]:
    """n up rounds, one a second: each layer answers with its RTT except in the rounds listed as lost; one anchor
    in three is lost every ``anchors_lost_every``-th round (0: never)."""
    out = []
    for i in range(n):
        lose_one = bool(anchors_lost_every) and i % anchors_lost_every == 0
        samples = [
            Sample(GW, None if i in gateway_lost else gateway_ms),
            Sample(ISP, None if i in isp_lost else isp_ms),
            *(Sample(a, None if lose_one and k == 0 else anchor_ms) for k, a in enumerate(ANCHORS)),
            Sample(DNS, 3.0),
        ]
        out.append(Round(at=2000.0 + i, samples=tuple(samples)))
    return out


def degraded_of(rounds: list[Round]) -> list[tuple[Cause, str]]:
    return [(i.cause, i.detail) for i in incidents(run(rounds, RULES)[1]) if i.kind is Kind.DEGRADED]


def test_slow_anchors_are_not_blamed_on_a_gateway_that_dropped_two_probes() -> None:
    # The anchors lose a probe now and then too (1.1 %, under the 5 % threshold): only their latency crossed.
    rounds = layered(120, anchor_ms=400.0, anchors_lost_every=30, gateway_lost=frozenset({10, 40}))
    [(cause, detail)] = degraded_of(rounds)
    assert cause is Cause.UPSTREAM, detail
    assert detail == (
        "over the last 60 rounds: anchor loss 1.1 % (threshold 5 %), median best RTT 400.0 ms (threshold 250 ms); "
        "degraded by latency; while degraded: anchors lost 2/180; gateway lost 2/60; "
        "gateway median best RTT 1.0 ms; ISP hop lost 0/60; ISP hop median best RTT 5.0 ms"
    )


def test_slow_anchors_behind_a_slow_isp_hop_are_the_isps() -> None:
    rounds = layered(120, anchor_ms=400.0, isp_ms=300.0, anchors_lost_every=30, gateway_lost=frozenset({10, 40}))
    [(cause, _)] = degraded_of(rounds)
    assert cause is Cause.ISP


def test_slow_anchors_behind_a_slow_gateway_are_local() -> None:
    [(cause, _)] = degraded_of(layered(120, anchor_ms=400.0, gateway_ms=300.0, isp_ms=310.0))
    assert cause is Cause.LOCAL


def test_lossy_anchors_are_not_blamed_on_a_gateway_losing_less_than_the_threshold() -> None:
    # One anchor in three lost every 3rd round: 11 % anchor loss. The gateway loses 2 of 60 (3.3 %).
    rounds = layered(120, anchors_lost_every=3, gateway_lost=frozenset({10, 40}))
    [(cause, detail)] = degraded_of(rounds)
    assert cause is Cause.UPSTREAM, detail
    assert "degraded by loss; " in detail and "median best RTT 1.0 ms" not in detail


def test_lossy_anchors_behind_a_gateway_losing_over_the_threshold_are_local() -> None:
    rounds = layered(120, anchors_lost_every=3, gateway_lost=frozenset(range(0, 120, 9)))  # 11 %
    [(cause, _)] = degraded_of(rounds)
    assert cause is Cause.LOCAL


@settings(max_examples=150, deadline=None)
@given(
    st.frozensets(st.integers(0, 119), max_size=40),
    st.frozensets(st.integers(0, 119), max_size=40),
    st.floats(1.0, 249.0),
    st.floats(1.0, 249.0),
    st.sampled_from([0, 20, 30, 60]),
)
def test_a_degradation_by_latency_alone_is_never_blamed_on_a_hop_that_is_not_slow(
    gateway_lost: frozenset[int], isp_lost: frozenset[int], gateway_ms: float, isp_ms: float, every: int
) -> None:
    """Whatever the hops lose, slow anchors losing less than the threshold are upstream when no hop is slow."""
    rounds = layered(
        120,
        anchor_ms=400.0,
        gateway_ms=gateway_ms,
        isp_ms=isp_ms,
        gateway_lost=gateway_lost,
        isp_lost=isp_lost,
        anchors_lost_every=every,
    )
    found = degraded_of(rounds)
    assert found and all(cause is Cause.UPSTREAM for cause, _ in found), found
