"""The pure outage/degradation state machine and the cause rules, with plain values and Hypothesis properties."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from netwatch.core.classify import round_cause
from netwatch.core.detect import (
    Closed,
    Opened,
    Rules,
    Updated,
    close_all,
)
from netwatch.core.model import Cause, Kind, Role, Round, Sample
from tests.support.detector import closed_incidents, incidents, run
from tests.support.streams import (
    ANCHORS,
    DNS_DOWN,
    ISP_DOWN,
    LOCAL,
    RULES,
    UP,
    UPSTREAM,
    make_round,
    rounds_of,
    rules_st,
    streams,
)
from tests.support.targets import DOC_GW as GW
from tests.support.targets import DOC_ISP as ISP


class TestCause:
    def test_each_layer(self) -> None:
        assert round_cause(make_round(0, UP)) is None
        assert round_cause(make_round(0, LOCAL)) is Cause.LOCAL
        assert round_cause(make_round(0, ISP_DOWN)) is Cause.ISP
        assert round_cause(make_round(0, UPSTREAM)) is Cause.UPSTREAM
        assert round_cause(make_round(0, DNS_DOWN)) is Cause.DNS

    def test_one_anchor_answering_is_up(self) -> None:
        assert round_cause(make_round(0, UP, lost_anchors=2)) is None

    def test_without_gateway_target_a_silent_isp_hop_is_unknown(self) -> None:
        rnd = Round(0, (Sample(ISP, None), *(Sample(a, None) for a in ANCHORS)))
        assert round_cause(rnd) is Cause.UNKNOWN
        rnd = Round(0, (Sample(ISP, 4.0), *(Sample(a, None) for a in ANCHORS)))
        assert round_cause(rnd) is Cause.UPSTREAM

    def test_gateway_up_without_isp_target_is_isp_or_upstream_never_a_guess(self) -> None:
        rnd = Round(0, (Sample(GW, 1.0), *(Sample(a, None) for a in ANCHORS)))
        assert round_cause(rnd) is Cause.ISP_OR_UPSTREAM


class TestOutages:
    def test_outage_backdated_to_first_failed_round_and_ended_at_first_good(self) -> None:
        rounds = rounds_of(("up", 5), ("isp", 7), ("up", 5))
        _, events = run(rounds, RULES)
        assert [type(e) for e in events] == [Opened, Closed]
        opened, closed = events[0].incident, events[1].incident
        assert opened.start == rounds[5].at
        assert opened.rounds == 3  # declared on the third failed round
        assert closed.start == rounds[5].at
        assert closed.end == rounds[12].at
        assert closed.cause is Cause.ISP
        assert closed.rounds == 7
        assert closed.detail == "7 failed rounds, no anchor answered; gateway answered 7/7; ISP hop answered 0/7"

    def test_blip_shorter_than_confirm_is_loss_not_outage(self) -> None:
        rounds = rounds_of(("up", 5), ("upstream", 2), ("up", 5))
        _, events = run(rounds, Rules(confirm=3, window=100))
        assert events == []

    def test_blip_counts_as_loss_in_the_window(self) -> None:
        # 2 fully failed rounds out of a 10-round window is 20 % anchor loss: degraded, not down.
        rounds = rounds_of(("up", 8), ("upstream", 2), ("up", 1))
        _, events = run(rounds, RULES)
        assert len(events) == 1 and isinstance(events[0], Opened)
        assert events[0].incident.kind is Kind.DEGRADED
        assert events[0].incident.start == rounds[10].at

    def test_each_cause(self) -> None:
        for name, cause in [
            ("local", Cause.LOCAL),
            ("isp", Cause.ISP),
            ("upstream", Cause.UPSTREAM),
            ("dns", Cause.DNS),
        ]:
            _, events = run(rounds_of(("up", 3), (name, 4), ("up", 1)), RULES)
            assert [e.incident.cause for e in events] == [cause, cause], name

    def test_cause_is_the_majority_and_changes_are_reported(self) -> None:
        rounds = rounds_of(("up", 2), ("local", 3), ("isp", 5), ("up", 1))
        _, events = run(rounds, RULES)
        assert [type(e) for e in events] == [Opened, Updated, Closed]
        assert events[0].incident.cause is Cause.LOCAL
        assert events[1].incident.cause is Cause.ISP
        final = events[2].incident
        assert final.cause is Cause.ISP
        assert final.cause_rounds == ((Cause.LOCAL, 3), (Cause.ISP, 5))

    def test_close_all_closes_at_last_round_seen(self) -> None:
        rounds = rounds_of(("up", 2), ("upstream", 6))
        state, events = run(rounds, RULES)
        assert [type(e) for e in events] == [Opened]
        state, closing = close_all(state)
        assert len(closing) == 1 and closing[0].incident.end == rounds[-1].at
        assert state.outage is None

    def test_clock_step_backwards_never_gives_negative_duration(self) -> None:
        rounds = rounds_of(("up", 2), ("upstream", 4))
        back = make_round(rounds[0].at - 3600, UP)
        _, events = run([*rounds, back], RULES)
        closed = [e.incident for e in events if isinstance(e, Closed)]
        assert closed and closed[0].end is not None and closed[0].end >= closed[0].start


class TestDegraded:
    def test_loss_over_threshold_opens_and_recovery_closes(self) -> None:
        t0 = 5000.0
        rounds = [make_round(t0 + i, UP) for i in range(10)]
        # one of three anchors lost in every round: 33 % anchor loss, never an outage
        rounds += [make_round(t0 + 10 + i, UP, lost_anchors=1) for i in range(10)]
        rounds += [make_round(t0 + 20 + i, UP) for i in range(20)]
        _, events = run(rounds[:-3], RULES)
        assert [type(e) for e in events] == [Opened], "not closed before a whole window under the clear ratio"
        _, events = run(rounds, RULES)
        assert [type(e) for e in events] == [Opened, Closed]
        inc = events[1].incident
        assert inc.kind is Kind.DEGRADED and inc.cause is Cause.UPSTREAM
        # One lossy round is 1 of 30 anchor probes (3.3 %); the second makes 6.7 % > 5 %.
        assert inc.start == t0 + 11
        # Hysteresis: under 4 % (80 % of the threshold) from the round that leaves one lossy round in the window,
        # for a whole window (10 rounds); the end is backdated to that first round.
        assert inc.end == t0 + 28
        assert "anchor loss 6.7 % (threshold 5 %)" in events[0].incident.detail

    def test_latency_over_threshold(self) -> None:
        rounds = [make_round(float(i), UP, rtt=20.0) for i in range(10)]
        rounds += [make_round(float(10 + i), UP, rtt=400.0) for i in range(6)]
        _, events = run(rounds, RULES)
        assert len(events) == 1 and events[0].incident.kind is Kind.DEGRADED
        assert events[0].incident.start == 15.0  # median of 10 best RTTs passes 250 ms with the 6th slow round

    def test_outage_closes_an_open_degradation_at_its_start(self) -> None:
        rounds = [make_round(float(i), UP, lost_anchors=2) for i in range(10)]
        rounds += [make_round(float(10 + i), UPSTREAM) for i in range(3)]
        _, events = run(rounds, RULES)
        kinds = [(type(e).__name__, e.incident.kind) for e in events]
        assert kinds == [("Opened", Kind.DEGRADED), ("Closed", Kind.DEGRADED), ("Opened", Kind.OUTAGE)]
        assert events[1].incident.end == events[2].incident.start == 10.0


# --- properties -------------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(streams(), rules_st)
def test_incidents_never_overlap(rounds: list[Round], rules: Rules) -> None:
    found = closed_incidents(rounds, rules)
    for a, b in itertools.pairwise(found):
        assert a.end is not None and a.end <= b.start


@settings(max_examples=300, deadline=None)
@given(streams(), rules_st)
def test_downtime_never_exceeds_elapsed(rounds: list[Round], rules: Rules) -> None:
    found = closed_incidents(rounds, rules)
    downtime = sum(i.duration() for i in found if i.kind is Kind.OUTAGE)
    elapsed = rounds[-1].at - rounds[0].at if rounds else 0.0
    assert downtime <= elapsed + 1e-6
    for i in found:
        assert i.end is not None and i.end >= i.start


@settings(max_examples=300, deadline=None)
@given(streams(), rules_st, st.data())
def test_split_with_saved_state_equals_one_run(rounds: list[Round], rules: Rules, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(rounds)))
    whole_state, whole = run(rounds, rules)
    first_state, first = run(rounds[:cut], rules)
    second_state, second = run(rounds[cut:], rules, first_state)
    assert first + second == whole
    assert second_state == whole_state


def failure_runs(rounds: list[Round], rules: Rules) -> list[tuple[float, float]]:
    """Ground truth from the shapes themselves: (first round, first round after) of every maximal run of failed
    rounds of length >= confirm (the last round seen when the stream ends inside one)."""
    truth: list[tuple[float, float]] = []
    run_start: int | None = None
    for i, rnd in enumerate([*rounds, None]):
        failed = rnd is not None and round_cause(rnd) is not None
        if failed and run_start is None:
            run_start = i
        elif not failed and run_start is not None:
            if i - run_start >= rules.confirm:
                truth.append((rounds[run_start].at, rnd.at if rnd is not None else rounds[-1].at))
            run_start = None
    return truth


@settings(max_examples=200, deadline=None)
@given(streams(), rules_st)
def test_every_long_failure_run_is_covered_by_outages_end_to_end(rounds: list[Round], rules: Rules) -> None:
    """The outages of a run of failed rounds follow each other without a gap (a total loss inside names failing is
    an outage of its own), from the run's first round to the first round after it; none outside such runs."""
    found = [(i.start, i.end) for i in closed_incidents(rounds, rules) if i.kind is Kind.OUTAGE]
    merged: list[tuple[float, float]] = []
    for start, end in found:
        assert end is not None
        if merged and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    assert merged == failure_runs(rounds, rules)


def _lossy(n: int, *, gateway_every: int = 0, isp_every: int = 0, anchors_every: int = 10) -> list[Round]:
    """n up rounds where every k-th round loses the gateway / ISP hop / one anchor (deterministic loss rates)."""
    out = []
    for i in range(n):
        silent = {Role.GATEWAY} if gateway_every and i % gateway_every == 0 else set()
        silent |= {Role.ISP} if isp_every and i % isp_every == 0 else set()
        lost = 1 if anchors_every and i % anchors_every == 0 else 0
        out.append(make_round(1000.0 + i, frozenset(silent), lost_anchors=lost))
    return out


def test_degradation_is_localised_at_the_nearest_hop_that_shows_it() -> None:
    # One anchor in three lost every 3rd round: 11 % anchor loss, above the 5 % threshold.
    rules = Rules(confirm=3, window=30, loss_percent=5.0)
    cases = {
        Cause.UPSTREAM: _lossy(200, anchors_every=3),
        Cause.ISP: _lossy(200, isp_every=9, anchors_every=3),
        Cause.LOCAL: _lossy(200, gateway_every=9, isp_every=9, anchors_every=3),
    }
    for cause, rounds in cases.items():
        _, events = run(rounds, rules)
        (degraded,) = incidents(events)
        assert (degraded.kind, degraded.cause) == (Kind.DEGRADED, cause), degraded.detail


def test_degraded_cause_is_revised_as_evidence_accumulates() -> None:
    # The ISP hop's first loss comes late: the incident opens as upstream, then moves to isp with an Updated event.
    rules = Rules(confirm=3, window=30, loss_percent=5.0)
    rounds = _lossy(400, anchors_every=3)
    for i in range(60, 400, 8):
        gw, _isp, *rest = rounds[i].samples
        rounds[i] = Round(rounds[i].at, (gw, Sample(ISP, None), *rest))
    _, events = run(rounds, rules)
    assert isinstance(events[0], Opened) and events[0].incident.cause is Cause.UPSTREAM
    updates = [e for e in events if isinstance(e, Updated)]
    assert updates and updates[-1].incident.cause is Cause.ISP
    assert "ISP hop lost" in updates[-1].incident.detail


def test_a_short_lucky_stretch_inside_lossy_period_does_not_split_the_degradation() -> None:
    t0 = 8000.0
    lossy = [make_round(t0 + i, UP, lost_anchors=1) for i in range(15)]
    lucky = [make_round(t0 + 15 + i, UP) for i in range(12)]  # under the clear ratio for 3 rounds only
    again = [make_round(t0 + 27 + i, UP, lost_anchors=1) for i in range(15)]
    calm = [make_round(t0 + 42 + i, UP) for i in range(25)]
    _, events = run([*lossy, *lucky, *again, *calm], RULES)
    assert [type(e) for e in events] == [Opened, Closed]
    # Opens when the first full window is over the threshold; ends where the last window under the clear ratio began.
    assert events[1].incident.start == t0 + 9 and events[1].incident.end == t0 + 50


def test_an_isp_hop_that_never_answers_echoes_is_no_witness_against_the_isp() -> None:
    # The hop is found by TTL-expired probes but drops echoes to itself: its silence during an outage proves nothing.
    mute_hop_up = frozenset({Role.ISP})
    rounds = [make_round(float(i), mute_hop_up) for i in range(12)]
    rounds += [make_round(float(12 + i), ISP_DOWN) for i in range(5)]
    rounds += [make_round(float(17 + i), mute_hop_up) for i in range(3)]
    (outage,) = [i for i in incidents(run(rounds, RULES)[1]) if i.kind is Kind.OUTAGE]
    assert outage.cause is Cause.ISP_OR_UPSTREAM
    assert outage.detail.endswith(
        "ISP hop answered 0/5 (it answers too few echoes while the line is up for its silence to tell isp from "
        "upstream)"
    )
    # The same outage with a hop that answered while the line was up is the ISP's.
    rounds = [make_round(float(i), UP) for i in range(12)] + rounds[12:]
    (outage,) = [i for i in incidents(run(rounds, RULES)[1]) if i.kind is Kind.OUTAGE]
    assert outage.cause is Cause.ISP
