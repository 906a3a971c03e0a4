"""A total loss of connectivity (no anchor answering) is always an outage of its own, with its own start, end and
cause, also while names fail (a DNS outage) or the line is degraded: plain values at the edges, Hypothesis for the
rule over any stream."""

from __future__ import annotations

from hypothesis import given, settings

from netwatch.core.classify import round_cause
from netwatch.core.detect import Closed, Opened, Rules, Updated, is_total_loss
from netwatch.core.model import Cause, Incident, Kind, Round
from tests.support.detector import closed_incidents, run
from tests.support.streams import RULES, UP, make_round, rounds_of, rules_st, streams


def outages(rounds: list[Round], rules: Rules = RULES) -> list[Incident]:
    return [i for i in closed_incidents(rounds, rules) if i.kind is Kind.OUTAGE]


def test_a_total_loss_inside_a_dns_outage_is_an_outage_of_its_own() -> None:
    """The case from the field: names failing, then 12 s of total loss, then names still failing."""
    rounds = rounds_of(("up", 3), ("dns", 20), ("upstream", 12), ("dns", 10), ("up", 2))
    first, loss, second = outages(rounds)
    assert (first.cause, first.start, first.end) == (Cause.DNS, rounds[3].at, rounds[23].at)
    assert (loss.cause, loss.start, loss.end) == (Cause.UPSTREAM, rounds[23].at, rounds[35].at)
    assert (second.cause, second.start, second.end) == (Cause.DNS, rounds[35].at, rounds[45].at)
    assert loss.detail == "12 failed rounds, no anchor answered; gateway answered 12/12; ISP hop answered 12/12"
    assert first.cause_rounds == ((Cause.DNS, 20),) and second.cause_rounds == ((Cause.DNS, 10),)


def test_the_events_of_the_split() -> None:
    rounds = rounds_of(("up", 3), ("dns", 5), ("isp", 4))
    _, events = run(rounds, RULES)
    assert [(type(e), e.incident.cause) for e in events] == [
        (Opened, Cause.DNS),
        (Closed, Cause.DNS),
        (Opened, Cause.ISP),
    ]
    # Found on the third round of total loss, the split is backdated to the first.
    assert events[1].incident.end == events[2].incident.start == rounds[8].at
    assert events[2].incident.rounds == 3


def test_a_total_loss_shorter_than_confirm_is_counted_in_the_dns_outage() -> None:
    rounds = rounds_of(("up", 3), ("dns", 6), ("upstream", 2), ("dns", 6), ("up", 2))
    [outage] = outages(rounds)
    assert (outage.cause, outage.start, outage.end) == (Cause.DNS, rounds[3].at, rounds[17].at)
    assert outage.cause_rounds == ((Cause.DNS, 12), (Cause.UPSTREAM, 2))
    assert outage.detail == (
        "12 rounds with anchors answering but every DNS name failing; 2 rounds with no anchor answering; "
        "gateway answered 14/14; ISP hop answered 14/14"
    )


def test_names_failing_for_a_round_or_two_before_a_total_loss_belong_to_it() -> None:
    """The round in which the link went down resolved no name but still had its pings answered."""
    rounds = rounds_of(("up", 3), ("dns", 2), ("local", 8), ("up", 2))
    _, events = run(rounds, RULES)
    assert [(type(e), e.incident.cause) for e in events] == [
        (Opened, Cause.DNS),
        (Updated, Cause.LOCAL),
        (Closed, Cause.LOCAL),
    ]
    [outage] = outages(rounds)
    assert (outage.start, outage.end) == (rounds[3].at, rounds[13].at)
    assert outage.detail == (
        "8 failed rounds, no anchor answered; 2 rounds with anchors answering but every DNS name failing; "
        "gateway answered 2/10; ISP hop answered 2/10"
    )


def test_names_failing_after_a_total_loss() -> None:
    # For fewer than confirm rounds: the outage ends at the first round fully up.
    rounds = rounds_of(("up", 3), ("isp", 6), ("dns", 2), ("up", 2))
    [outage] = outages(rounds)
    assert (outage.cause, outage.start, outage.end) == (Cause.ISP, rounds[3].at, rounds[11].at)
    # For confirm rounds or more: a DNS outage of its own from the first round with anchors answering.
    rounds = rounds_of(("up", 3), ("isp", 6), ("dns", 3), ("up", 2))
    loss, names = outages(rounds)
    assert (loss.cause, loss.start, loss.end) == (Cause.ISP, rounds[3].at, rounds[9].at)
    assert (names.cause, names.start, names.end) == (Cause.DNS, rounds[9].at, rounds[12].at)


def test_names_failing_from_the_round_that_confirms_a_short_total_loss_make_it_a_dns_outage() -> None:
    """Hypothesis found it: the round confirming the outage was already a name failure; it starts a run of
    ``confirm`` such rounds, so the three total-loss rounds before it are too few to be an outage of their own."""
    rules = Rules(confirm=4, window=10, loss_percent=5.0, latency_ms=250.0)
    rounds = rounds_of(("up", 3), ("local", 3), ("dns", 4), ("up", 2))
    [outage] = [i for i in closed_incidents(rounds, rules) if i.kind is Kind.OUTAGE]
    assert (outage.cause, outage.start, outage.end) == (Cause.DNS, rounds[3].at, rounds[10].at)
    assert dict(outage.cause_rounds) == {Cause.LOCAL: 3, Cause.DNS: 4}


def test_a_total_loss_inside_a_degradation_is_an_outage_of_its_own() -> None:
    lossy = [make_round(1000.0 + i, UP, lost_anchors=2) for i in range(22)]  # two anchors in three lost
    down = rounds_of(("upstream", 5), ("up", 1), t0=1022.0)
    degraded, outage = closed_incidents([*lossy, *down], RULES)
    assert (degraded.kind, degraded.end) == (Kind.DEGRADED, down[0].at)
    assert (outage.kind, outage.cause, outage.start, outage.end) == (Kind.OUTAGE, Cause.UPSTREAM, 1022.0, 1027.0)


def runs_of(rounds: list[Round], loss: bool, rules: Rules) -> list[tuple[float, float]]:
    """(first, last) instants of every maximal run of at least ``confirm`` rounds of total loss (``loss``), or of
    names failing."""
    found: list[tuple[float, float]] = []
    current: list[float] = []
    for rnd in [*rounds, None]:
        cause = round_cause(rnd) if rnd is not None else None
        if rnd is not None and cause is not None and is_total_loss(cause) == loss:
            current.append(rnd.at)
            continue
        if len(current) >= rules.confirm:
            found.append((current[0], current[-1]))
        current = []
    return found


def holder(found: list[Incident], at: float, last_at: float) -> Incident:
    """The one outage an instant of a failed round is in (the last one ends at the last round seen)."""
    [outage] = [o for o in found if o.start <= at < (o.end or 0)] or [o for o in found[-1:] if o.end == at == last_at]
    return outage


@settings(max_examples=300, deadline=None)
@given(streams(), rules_st)
def test_every_long_total_loss_and_every_long_dns_failure_is_inside_one_outage_of_its_kind(
    rounds: list[Round], rules: Rules
) -> None:
    found = outages(rounds, rules)
    for loss in (True, False):
        for first, last in runs_of(rounds, loss, rules):
            outage = holder(found, first, rounds[-1].at)
            assert outage is holder(found, last, rounds[-1].at), (first, last, found)
            assert is_total_loss(outage.cause) == loss, (first, last, outage)
