"""Streams of rounds for the detector's tests: the documentation-range line they probe, rounds shaped by the layers
that fail, runs of such rounds, and Hypothesis strategies for any stream and any rules.

Owns that line (gateway, ISP hop, three anchors one of them IPv6, a DNS name, each answering in its role's RTT),
the round shapes (``UP``, ``LOCAL``, ``ISP_DOWN``, ``UPSTREAM``, ``DNS_DOWN``), ``make_round``, ``rounds_of``, the
rules most of those tests run with (``RULES``) and the strategies ``streams`` and ``rules_st``. Must not feed the
detector (``tests.support.detector`` does) or decide what a stream should give: the tests check the detector.
"""

from __future__ import annotations

from hypothesis import strategies as st

from netwatch.core.detect import Rules
from netwatch.core.model import Role, Round, Target
from tests.support.rounds import Line
from tests.support.targets import DOC_A1, DOC_A2
from tests.support.targets import DOC_DNS as DNS
from tests.support.targets import DOC_GW as GW
from tests.support.targets import DOC_ISP as ISP

ANCHORS = (DOC_A1, DOC_A2, Target(Role.ANCHOR, "2001:db8::1"))
LINE = Line.of(GW, ISP, *ANCHORS, DNS)  # answering in 1 (gateway), 5 (ISP hop), 10 (anchors) and 3 ms (DNS)

# Round shapes by the layers that fail
UP: frozenset[Role] = frozenset()
LOCAL = frozenset({Role.GATEWAY, Role.ISP, Role.ANCHOR, Role.DNS})
ISP_DOWN = frozenset({Role.ISP, Role.ANCHOR, Role.DNS})
UPSTREAM = frozenset({Role.ANCHOR, Role.DNS})
DNS_DOWN = frozenset({Role.DNS})
SHAPES = {"up": UP, "local": LOCAL, "isp": ISP_DOWN, "upstream": UPSTREAM, "dns": DNS_DOWN}


def make_round(at: float, shape: frozenset[Role], rtt: float = 10.0, lost_anchors: int = 0) -> Round:
    """A round at ``at`` in which the layers of ``shape`` are silent, the anchors answer in ``rtt`` ms and the first
    ``lost_anchors`` of them not at all."""
    return LINE.round(at, silent=shape, rtts={Role.ANCHOR: rtt}, lost_anchors=lost_anchors)


def rounds_of(*spec: tuple[str, int], interval: float = 1.0, t0: float = 1_000_000.0) -> list[Round]:
    """Runs of rounds one ``interval`` apart from ``t0``: ``("isp", 7)`` is seven rounds of the ISP_DOWN shape."""
    out: list[Round] = []
    for name, n in spec:
        for _ in range(n):
            out.append(make_round(t0 + len(out) * interval, SHAPES[name]))
    return out


RULES = Rules(confirm=3, window=10, loss_percent=5.0, latency_ms=250.0)

round_shapes = st.sampled_from([UP, UP, UP, LOCAL, ISP_DOWN, UPSTREAM, DNS_DOWN])


@st.composite
def streams(draw: st.DrawFn) -> list[Round]:
    """Runs of rounds (long and short), with jittered intervals and some lossy up-rounds."""
    t = draw(st.floats(0, 2e9))
    out: list[Round] = []
    for _ in range(draw(st.integers(0, 25))):
        shape = draw(round_shapes)
        lost = draw(st.integers(0, 2)) if shape == UP else 0
        for _ in range(draw(st.integers(1, 12))):
            t += draw(st.floats(0.2, 3.0))
            out.append(make_round(t, shape, rtt=draw(st.sampled_from([5.0, 300.0])), lost_anchors=lost))
    return out


rules_st = st.builds(
    Rules,
    confirm=st.integers(1, 5),
    window=st.integers(3, 12),
    loss_percent=st.sampled_from([1.0, 5.0, 30.0]),
    latency_ms=st.just(250.0),
)
