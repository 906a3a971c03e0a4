"""nl-telecomwet (art. 7.1a: more than 12 hours, 1/30 of the monthly fee per started 24 hours, at least €1) and
be-ecl (art. 113/2: at least 8 hours, per started 24 hours €1, €1, then €0.50, or 1/30 of the fee if more), hand-
computed. A fee of €50 gives 1/30 = €1.67 (to the cent); €20 gives €0.67. No fault report is needed. 4 March 2024 is
a Monday."""

from __future__ import annotations

from functools import partial

from netwatch.config.records import PlanConfig
from netwatch.core.claims import Claims, Situation, claims_for
from netwatch.core.model import Cause, Coverage, Incident, Ticket
from tests.support import instants
from tests.support.incidents import outage

NL, BE = "Europe/Amsterdam", "Europe/Brussels"
nl_at = partial(instants.at, zone=NL)
be_at = partial(instants.at, zone=BE)
H = 3600.0
START = nl_at(2024, 3, 4, 8)


def rules(
    pack: str,
    incidents: list[Incident],
    *,
    fee: float = 50.0,
    who: Situation = Situation(),  # noqa: B008
    since: float | None = None,
    until: float | None = None,
    coverage: list[Coverage] | None = None,
    tickets: list[Ticket] | None = None,
) -> Claims:
    zone = NL if pack == "nl-telecomwet" else BE
    claims = claims_for(
        pack,
        since=nl_at(2024, 3, 1) if since is None else since,
        until=nl_at(2024, 4, 1) if until is None else until,
        incidents=incidents,
        tickets=tickets or [],
        speeds=[],
        plan=PlanConfig("Voorbeeld", "K-1", fee, 0.0, 100.0, 40.0),
        timezone=zone,
        region="",
        overrides={},
        coverage=coverage,
        situation=who,
    )
    assert claims is not None
    return claims


def lines(claims: Claims) -> list[tuple[str, int, float, float]]:
    return [(item.item, item.quantity, item.rate, item.amount) for item in claims.items]


def nl(hours: float, **kwargs: object) -> Claims:
    return rules("nl-telecomwet", [outage(START, START + hours * H)], **kwargs)  # type: ignore[arg-type]


def test_nl_more_than_twelve_hours_one_thirtieth_per_started_day() -> None:
    assert nl(12).items == ()  # exactly 12 hours is not more than 12
    assert lines(nl(12 + 1 / 3600)) == [("minimum_per_interruption", 1, 1.67, 1.67)]
    assert lines(nl(24)) == [("minimum_per_interruption", 1, 1.67, 1.67)]  # 12 to 24 hours: one thirtieth
    assert lines(nl(24 + 1 / 3600)) == [("minimum_per_interruption", 2, 1.67, 3.34)]
    assert lines(nl(26)) == [("minimum_per_interruption", 2, 1.67, 3.34)]  # Consumentenbond's example: 2/30
    claims = nl(26)
    assert claims.items[0].explanation == (
        "Complete interruption (Mon 4 Mar 2024 08:00 to Tue 5 Mar 2024 10:00, 1d 02h 00m 00s measured): 2 started "
        "periods of 24 hours \u00d7 €1.67 (one 30th of the monthly fee €50.00) = €3.34."
    )
    assert claims.request == (
        "Under article 7.1a of the Telecommunicatiewet I ask you to pay €3.34: Complete interruption."
    )
    assert claims.basis == (
        "Article 7.1a of the Telecommunicatiewet gives every subscriber, consumers and businesses alike, at least one "
        "thirtieth of the monthly fee for each started 24 hours of a complete interruption longer than 12 hours, and "
        "at least 1 euro.",
    )


def test_nl_at_least_one_euro_and_the_minimum_alone_without_a_fee() -> None:
    assert lines(nl(13, fee=20.0)) == [("minimum_per_interruption", 1, 1.0, 1.0)]  # 1 x €0.67 is less
    assert (
        nl(13, fee=20.0)
        .items[0]
        .explanation.endswith("the minimum €1.00 (1 started period of 24 hours \u00d7 €0.67 is less).")
    )
    assert lines(nl(49, fee=20.0)) == [("minimum_per_interruption", 3, 0.67, 2.01)]
    unknown = nl(49, fee=0.0)
    assert lines(unknown) == [("minimum_per_interruption", 1, 1.0, 1.0)]
    assert unknown.notes[:2] == (
        "The text of art. 7.1a and of its implementing rules was not retrieved: the amounts and the count of started "
        "24-hour periods are from the trade association's and consumer organisations' statements, which agree.",
        "The monthly fee was not given: the fixed minimum amounts are used; one thirtieth of the fee may be more.",
    )


def test_nl_covers_businesses_needs_no_report_and_counts_no_name_service_failure() -> None:
    assert lines(nl(26, who=Situation("business", "small_business"))) == [("minimum_per_interruption", 2, 1.67, 3.34)]
    dns = rules("nl-telecomwet", [outage(START, START + 30 * H, Cause.DNS)])
    assert dns.items == ()


def test_nl_an_interruption_in_parts_is_contestable_for_what_it_would_add() -> None:
    # Down 10 h, back 20 minutes, down 10 h: neither part is longer than 12 hours; as one it would be 20 h 20 min,
    # one started day: €1.67 more than its parts (nothing).
    parts = [outage(START, START + 10 * H), outage(START + 10 * H + 1200, START + 20 * H + 1200)]
    claims = rules("nl-telecomwet", parts)
    assert (claims.items, claims.total) == ((), 0.0)
    (run,) = claims.contestable
    assert (run.amount, run.down_seconds) == (1.67, 20 * H)
    assert run.explanation == (
        "Contestable (interruption in 2 parts), Mon 4 Mar 2024 08:00 to Tue 5 Mar 2024 04:20: the line was down "
        "20h 00m 00s in 2 parts (back for 20m 00s in all between them). Counted as one interruption it would pay "
        "€1.67, €1.67 more than its parts."
    )
    # Back for an hour or more between them: two interruptions, nothing contestable.
    apart = [outage(START, START + 10 * H), outage(START + 11 * H, START + 21 * H)]
    assert rules("nl-telecomwet", apart).contestable == ()


def test_nl_time_netwatch_did_not_see_never_lengthens_an_interruption() -> None:
    # Down 10 h until netwatch stopped, not running for 30 minutes, down 5 h when it started again: 15 h measured,
    # neither part longer than 12 h; as one, contestable. Not running for an hour: two interruptions.
    down = [outage(START, START + 10 * H), outage(START + 10.5 * H, START + 15.5 * H)]
    seen = [Coverage(nl_at(2024, 3, 1), START + 10 * H), Coverage(START + 10.5 * H, nl_at(2024, 4, 1))]
    claims = rules("nl-telecomwet", down, coverage=seen)
    assert claims.items == ()
    (run,) = claims.contestable
    assert run.down_seconds == 15 * H
    assert "(not monitored for 30m 00s between them)" in run.explanation
    apart = [outage(START, START + 10 * H), outage(START + 11 * H, START + 16 * H)]
    gap = [Coverage(nl_at(2024, 3, 1), START + 10 * H), Coverage(START + 11 * H, nl_at(2024, 4, 1))]
    assert rules("nl-telecomwet", apart, coverage=gap).contestable == ()


def test_nl_an_interruption_belongs_to_the_period_it_ended_in() -> None:
    # Down Sun 31 March 20:00 to Tue 2 April 08:00 (36 h): not in March's report, 2 started days in April's.
    down = [outage(nl_at(2024, 3, 31, 20), nl_at(2024, 4, 2, 8))]
    march = rules("nl-telecomwet", down)
    assert march.items == ()
    assert march.notes[0] == (
        "The interruption that began Sun 31 Mar 2024 20:00 went on after the end of the period: it is counted in the "
        "period it ended in."
    )
    april = rules("nl-telecomwet", down, since=nl_at(2024, 4, 1), until=nl_at(2024, 5, 1))
    assert lines(april) == [("minimum_per_interruption", 2, 1.67, 3.34)]
    # Still down at the end of what was measured: counted so far, and said to be still accruing.
    still = rules("nl-telecomwet", [outage(START, None)], until=START + 30 * H)
    assert lines(still) == [("minimum_per_interruption", 2, 1.67, 3.34)]
    assert "still down at Tue 5 Mar 2024 14:00: still accruing" in still.items[0].explanation


def be(hours: float, **kwargs: object) -> Claims:
    start = be_at(2024, 3, 4, 8)
    return rules("be-ecl", [outage(start, start + hours * H)], **kwargs)  # type: ignore[arg-type]


def test_be_at_least_eight_hours_the_higher_of_the_fixed_amount_and_a_thirtieth() -> None:
    assert be(8 - 1 / 60).items == ()
    assert lines(be(8)) == [("first_24_hours", 1, 1.67, 1.67)]  # at least 8 hours: 8 hours count
    assert lines(be(30)) == [("first_24_hours", 2, 1.67, 3.34)]
    assert be(30).items[0].explanation == (
        "Complete interruption (Mon 4 Mar 2024 08:00 to Tue 5 Mar 2024 14:00, 1d 06h 00m 00s measured): started "
        "24-hour periods 1 to 2, 2 \u00d7 €1.67 = €3.34 (one 30th of the monthly fee €50.00, more than the fixed "
        "amount)."
    )


def test_be_without_a_fee_the_fixed_amounts_one_one_and_fifty_cents() -> None:
    assert lines(be(50, fee=0.0)) == [("first_24_hours", 2, 1.0, 2.0), ("each_further_24_hours", 1, 0.5, 0.5)]
    assert be(50, fee=0.0).total == 2.5


def test_be_says_plainly_that_it_may_not_be_in_force_and_covers_residential_plans() -> None:
    claims = be(30, who=Situation("residential", "micro_business"))
    assert claims.status.startswith(
        "Art. 113/2 may no longer be in force: the Constitutional Court ruled on 11 December 2025"
    )
    assert claims.request.startswith(
        "Under article 113/2 of the law of 13 June 2005 on electronic communications, as far as it is in force after "
        "the Constitutional Court's judgment 166/2025, I ask you to pay €3.34"
    )
    business = be(30, who=Situation("business"))
    assert business.items == ()
    assert business.notes[0] == (
        "Art. 113/2 of the law of 13 June 2005: complete interruption of at least 8 consecutive hours: it covers "
        "residential contracts, and this one is a business contract, so nothing is claimed under it. Art. 113/2 "
        "covers subscriptions for private individuals (residential plans); on a business plan, the contract's "
        "service level agreement applies."
    )


def test_be_and_nl_count_planned_work() -> None:
    start = be_at(2024, 3, 4, 8)
    planned = [Ticket("P", start - 86400, planned=True)]
    claims = rules("be-ecl", [outage(start, start + 10 * H)], tickets=planned)
    assert lines(claims) == [("first_24_hours", 1, 1.67, 1.67)]
    assert "Planned work the provider notified in advance counts under this rule like any interruption." in claims.notes
