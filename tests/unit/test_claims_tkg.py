"""de-tkg: § 58 Abs. 3 and 4, § 59 Abs. 4 and 6 and § 60 Abs. 3 TKG, hand-computed. The report day is day 0: a
report on Monday 4 March 2024 leaves Tuesday and Wednesday to repair; Thursday and Friday are days 3 and 4 (5 EUR or
10 % of the fee), Saturday on is day 5+ (10 EUR or 20 %). Fee 40 EUR: 10 % = 4, 20 % = 8, so the fixed amounts win;
fee 80 EUR: 8 and 16 win. Working days are Monday to Friday (no public holiday in March 2024 before Good Friday,
29 March)."""

from __future__ import annotations

from functools import partial

from netwatch.config.records import PlanConfig
from netwatch.core.claims import Claims, Situation, claims_for
from netwatch.core.model import Cause, Incident, Kind, Pause, Ticket, TicketKind
from tests.support import instants
from tests.support.incidents import outage

TZ = "Europe/Berlin"


at = partial(instants.at, zone=TZ)


def de(
    fee: float,
    end: float | None,
    *,
    missed: tuple[float, ...] = (),
    overrides: dict[str, float] | None = None,
    until: float | None = None,
) -> Claims:
    claims = claims_for(
        "de-tkg",
        since=at(2024, 3, 1),
        until=until or at(2024, 4, 1),
        incidents=[Incident(Kind.OUTAGE, Cause.UPSTREAM, at(2024, 3, 4, 8), end)],
        tickets=[Ticket("ST-42", at(2024, 3, 4, 10), missed_appointments=missed)],
        speeds=[],
        plan=PlanConfig("Beispiel GmbH", "K-1", fee, 0.0, 100.0, 40.0),
        timezone=TZ,
        region="",
        overrides=overrides or {},
    )
    assert claims is not None
    return claims


def lines(claims: Claims) -> list[tuple[str, int, float, float]]:
    return [(item.item, item.quantity, item.rate, item.amount) for item in claims.items]


THU = at(2024, 3, 7)  # the end of day 2


def test_repair_at_exactly_the_end_of_day_2_pays_nothing() -> None:
    assert de(40.0, THU).items == ()


def test_day_3_fixed_amount_wins_with_fee_40() -> None:
    claims = de(40.0, THU + 1)
    assert lines(claims) == [("outage_day_3_4", 1, 5.0, 5.0)]
    assert claims.items[0].explanation == (
        "Complete outage, ticket ST-42: day 3 after the report, 1 calendar day \u00d7 €5.00 = €5.00 "
        "(Thu 7 Mar 2024 to Thu 7 Mar 2024; the larger of €5.00 and 10 % of the monthly fee €40.00). Reported "
        "Mon 4 Mar 2024 10:00 (day 0); service back Thu 7 Mar 2024 00:00 (measured; 1 outage since the report)."
    )
    assert claims.currency == "EUR"
    assert claims.items[0].source.url == "https://www.gesetze-im-internet.de/tkg_2021/__58.html"


def test_day_3_percentage_wins_with_fee_80() -> None:
    assert lines(de(80.0, THU + 1)) == [("outage_day_3_4", 1, 8.0, 8.0)]


def test_day_5_step_with_fee_40_and_80() -> None:
    # Repaired Saturday noon: Thu and Fri (days 3, 4) and Saturday (day 5).
    sat = at(2024, 3, 9, 12)
    assert lines(de(40.0, sat)) == [("outage_day_3_4", 2, 5.0, 10.0), ("outage_day_5_on", 1, 10.0, 10.0)]
    assert de(40.0, sat).total == 20.0
    assert lines(de(80.0, sat)) == [("outage_day_3_4", 2, 8.0, 16.0), ("outage_day_5_on", 1, 16.0, 16.0)]
    assert de(80.0, sat).total == 32.0
    assert de(80.0, sat).request == (
        "Under § 58 Abs. 3 TKG I claim compensation of €32.00: Complete outage, ticket ST-42: days 3 to 4 "
        "after the report, 2 calendar days \u00d7 €8.00 = €16.00; Complete outage, ticket ST-42: day 5 after "
        "the report, 1 calendar day \u00d7 €16.00 = €16.00."
    )


def test_repair_at_the_start_of_day_5_pays_days_3_and_4_only() -> None:
    assert lines(de(40.0, at(2024, 3, 9))) == [("outage_day_3_4", 2, 5.0, 10.0)]


def test_unknown_fee_uses_the_fixed_amounts_and_says_so() -> None:
    claims = de(0.0, at(2024, 3, 9, 12))
    assert claims.total == 20.0
    assert claims.notes[0] == (
        "The monthly fee was not given: the fixed minimum amounts are used; 10 % or 20 % of the fee may be more."
    )
    # What to configure is for the owner (the command line's warnings), never in a document for the provider.
    assert claims.advice == ("set [plan] monthly_fee: 10 % or 20 % of it may be more than the fixed minimum amounts",)
    assert "the fixed €5.00: the monthly fee is unknown" in claims.items[0].explanation


def test_missed_appointments() -> None:
    missed = (at(2024, 3, 5, 8), at(2024, 3, 6, 8))
    assert lines(de(80.0, THU, missed=missed)) == [("missed_appointment", 2, 16.0, 32.0)]
    assert lines(de(40.0, THU, missed=missed)) == [("missed_appointment", 2, 10.0, 20.0)]


def test_overrides() -> None:
    claims = de(80.0, at(2024, 3, 9, 12), overrides={"outage_day_5_on": 25.0})
    assert lines(claims) == [("outage_day_3_4", 2, 8.0, 16.0), ("outage_day_5_on", 1, 25.0, 25.0)]
    assert [item.overridden for item in claims.items] == [False, True]


def test_still_down_accrues_to_until() -> None:
    claims = de(40.0, None, until=at(2024, 3, 12, 9))  # Thu 7 to Tue 12: 2 x 5 + 4 x 10
    assert lines(claims) == [("outage_day_3_4", 2, 5.0, 10.0), ("outage_day_5_on", 4, 10.0, 40.0)]
    assert "still accruing" in claims.items[-1].explanation


def test_a_day_of_partial_loss_is_contestable_not_claimed() -> None:
    # Down Mon 08:00-Thu 10:00, back 30 minutes, down Thu 10:30-Sat 12:00: Thursday (day 3) was not a day of
    # complete outage ("vollständiger Ausfall") throughout: contestable, €5 it would pay; Friday (day 4) €5 and
    # Saturday (day 5) €10 are claimed.
    claims = situated(
        [Ticket("ST-42", at(2024, 3, 4, 10))],
        [outage(at(2024, 3, 4, 8), at(2024, 3, 7, 10)), outage(at(2024, 3, 7, 10, 30), at(2024, 3, 9, 12))],
    )
    assert lines(claims) == [("outage_day_3_4", 1, 5.0, 5.0), ("outage_day_5_on", 1, 10.0, 10.0)]
    assert [(i.item, i.start, i.amount, i.down_seconds) for i in claims.contestable] == [
        ("outage_day_3_4", at(2024, 3, 7), 5.0, 23.5 * 3600)
    ]
    assert (claims.total, claims.contestable_total) == (15.0, 5.0)


def test_an_appointment_the_customer_declined_pauses_the_days_under_58() -> None:
    # The customer answers for the fault's continuation while they decline the earliest appointment (Thu 7 08:00,
    # next Fri 8 08:00): Thursday is not counted; Friday (day 4) and Saturday (day 5) are.
    declined = (Pause(at(2024, 3, 7, 8), at(2024, 3, 8, 8)),)
    claims = situated([Ticket("ST-42", at(2024, 3, 4, 10), declined=declined)], [outage(at(2024, 3, 4, 8), SAT_NOON)])
    assert lines(claims) == [("outage_day_3_4", 1, 5.0, 5.0), ("outage_day_5_on", 1, 10.0, 10.0)]


# --- who § 58 covers: consumers, and by § 71 Abs. 3 micro and small enterprises that did not waive it -------------


def test_a_micro_enterprise_is_covered_through_section_71_and_the_letter_says_so() -> None:
    claims = situated([Ticket("ST-42", at(2024, 3, 4, 10))], [outage(at(2024, 3, 4, 8), SAT_NOON)], MICRO)
    assert claims.total == 20.0
    assert claims.basis == (
        "As a micro-enterprise that has not waived it, I am entitled to compensation under § 58 Abs. 3 TKG, which "
        "§ 71 Abs. 3 TKG extends to micro and small enterprises.",
    )
    assert claims.notes[0] == (
        "§ 71 Abs. 3 TKG, which extends § 58 to micro and small enterprises that did not expressly waive it, was not "
        "read in its statute text (it follows the EU code, art. 102, and providers' terms apply it so)."
    )
    consumer = situated([Ticket("ST-42", at(2024, 3, 4, 10))], [outage(at(2024, 3, 4, 8), SAT_NOON)], CONSUMER)
    assert consumer.basis == ("As a consumer I am entitled to compensation under § 58 Abs. 3 TKG.",)
    assert consumer.total == 20.0


def test_a_small_business_that_waived_it_gets_nothing_under_58_and_is_told_why() -> None:
    waived = Situation("business", "small_business", True)
    claims = situated([Ticket("ST-42", at(2024, 3, 4, 10))], [outage(at(2024, 3, 4, 8), SAT_NOON)], waived)
    assert (claims.items, claims.basis) == ((), ())
    assert claims.notes[0] == (
        "§ 58 Abs. 3 TKG: complete outage not repaired within two calendar days: a small enterprise may waive it, and "
        "the customer did, so nothing is claimed under it. § 58 TKG covers consumers, and micro and small enterprises "
        "that have not expressly waived it; what applies instead is your contract's own service terms. A provider "
        "switch, a move and a number port are covered for every end user (§ 59 TKG)."
    )


# --- § 59 Abs. 4 and 6, § 60 Abs. 3: a switch, a move and a port ---------------------------------------------------


def test_a_switch_pays_each_working_day_after_the_first() -> None:
    # Agreed Mon 4 March 08:00, the line down from then until Fri 8 March 12:00: Monday is the free working day;
    # Tuesday to Friday are 4 working days x the larger of €10 and 20 % of €40 (€8) = €40; with a fee of €80, €16
    # each = €64. Every end user: a business that waived § 58 is covered.
    switch = [Ticket("W-1", at(2024, 3, 4, 8), kind=TicketKind.SWITCH)]
    down = [outage(at(2024, 3, 4, 8), at(2024, 3, 8, 12))]
    claims = situated(switch, down, Situation("business", "small_business", True))
    assert lines(claims) == [("switch_per_working_day", 4, 10.0, 40.0)]
    assert claims.items[0].explanation == (
        "Provider switch interrupting the service, ticket W-1: 4 working days \u00d7 €10.00 = €40.00 (Tue 5 Mar "
        "2024 to Fri 8 Mar 2024; the larger of €10.00 and 20 % of the monthly fee €40.00; owed by the provider left). "
        "Agreed for Mon 4 Mar 2024 08:00; the first working day of the interruption (Mon 4 Mar 2024) is not paid; "
        "service back Fri 8 Mar 2024 12:00 (measured; 1 outage since the agreed time)."
    )
    assert claims.basis == (
        "§ 59 Abs. 4 TKG gives every end user, businesses included, this compensation from the provider they leave "
        "when a switch interrupts the service for more than one working day.",
    )
    assert lines(situated(switch, down, fee=80.0)) == [("switch_per_working_day", 4, 16.0, 64.0)]
    assert claims.request.startswith("Under § 59 Abs. 4 TKG I claim compensation of €40.00: Provider switch")


def test_a_switch_over_a_weekend_pays_working_days_only_and_one_working_day_pays_nothing() -> None:
    # Agreed Fri 8 March 08:00, down until Tue 12 March 12:00: Friday free, Saturday and Sunday no working days,
    # Monday and Tuesday paid: 2 x €10.
    over = situated(
        [Ticket("W-2", at(2024, 3, 8, 8), kind=TicketKind.SWITCH)], [outage(at(2024, 3, 8, 8), at(2024, 3, 12, 12))]
    )
    assert lines(over) == [("switch_per_working_day", 2, 10.0, 20.0)]
    assert over.items[0].start == at(2024, 3, 11)
    # Down until Saturday 18:00: one working day (Friday), nothing to pay.
    short = situated(
        [Ticket("W-3", at(2024, 3, 8, 8), kind=TicketKind.SWITCH)], [outage(at(2024, 3, 8, 8), at(2024, 3, 9, 18))]
    )
    assert short.items == ()
    assert short.notes[0] == (
        "Ticket W-3: the interruption reached 1 working day(s); § 59 Abs. 4 TKG: provider switch interrupting the "
        "service for more than one working day pays only from the second."
    )


def test_a_missed_appointment_during_a_switch_is_paid_to_every_end_user() -> None:
    switch = [Ticket("W-1", at(2024, 3, 4, 8), kind=TicketKind.SWITCH, missed_appointments=(at(2024, 3, 5, 8),))]
    claims = situated(switch, [], Situation("business", "small_business", True), fee=80.0)
    assert lines(claims) == [("missed_appointment", 1, 16.0, 16.0)]
    assert (
        claims.items[0].rule
        == "§ 59 Abs. 4 Satz 2 TKG: missed service or installation appointment during a provider switch"
    )


def test_a_move_is_paid_to_a_consumer_and_not_to_a_business() -> None:
    move = [Ticket("M-1", at(2024, 3, 4, 8), kind=TicketKind.MOVE)]
    down = [outage(at(2024, 3, 4, 8), at(2024, 3, 6, 12))]  # Monday free; Tuesday and Wednesday paid
    assert lines(situated(move, down, CONSUMER)) == [("switch_per_working_day", 2, 10.0, 20.0)]
    micro = situated(move, down, MICRO)
    assert micro.items == ()
    assert micro.notes[0].startswith(
        "§ 60 Abs. 3 TKG: service not started at the new home on the agreed day (§ 59 Abs. 4 applied accordingly): "
        "it covers consumers, and the customer is a micro-enterprise, so nothing is claimed under it. § 60 TKG is "
        "written for consumers"
    )


def test_a_late_port_pays_each_day_from_the_end_of_the_next_working_day() -> None:
    # Agreed Mon 4 March; due by the end of Tuesday; ported Friday 10:00 (the owner's word): Wed, Thu, Fri x €10.
    port = [Ticket("P-1", at(2024, 3, 4, 8), fixed=at(2024, 3, 8, 10), kind=TicketKind.PORT)]
    claims = situated(port, [], fee=80.0)
    assert lines(claims) == [("port_delay_per_day", 3, 10.0, 30.0)]
    assert claims.items[0].explanation == (
        "Number port late, ticket P-1: 3 days \u00d7 €10.00 = €30.00 (Wed 6 Mar 2024 to Fri 8 Mar 2024; the fixed "
        "€10.00). Agreed for Mon 4 Mar 2024, due by the end of Tue 5 Mar 2024; ported Fri 8 Mar 2024 10:00 according "
        "to the ticket (netwatch cannot measure a port)."
    )
    done_in_time = [Ticket("P-2", at(2024, 3, 4, 8), fixed=at(2024, 3, 5, 23), kind=TicketKind.PORT)]
    assert situated(done_in_time, []).items == ()
    open_port = situated([Ticket("P-3", at(2024, 3, 4, 8), kind=TicketKind.PORT)], [], until=at(2024, 3, 9, 12))
    assert lines(open_port) == [("port_delay_per_day", 4, 10.0, 40.0)]  # Wed 6 to Sat 9
    assert (
        "not ported at Sat 9 Mar 2024 12:00 according to the ticket: still accruing" in open_port.items[0].explanation
    )


SAT_NOON = at(2024, 3, 9, 12)
CONSUMER, MICRO = Situation(customer="consumer"), Situation("residential", "micro_business")


def situated(
    tickets: list[Ticket],
    incidents: list[Incident],
    who: Situation = Situation(),  # noqa: B008
    *,
    fee: float = 40.0,
    until: float | None = None,
) -> Claims:
    claims = claims_for(
        "de-tkg",
        since=at(2024, 3, 1),
        until=until or at(2024, 4, 1),
        incidents=incidents,
        tickets=tickets,
        speeds=[],
        plan=PlanConfig("Beispiel GmbH", "K-1", fee, 0.0, 100.0, 40.0),
        timezone=TZ,
        region="",
        overrides={},
        situation=who,
    )
    assert claims is not None
    return claims
