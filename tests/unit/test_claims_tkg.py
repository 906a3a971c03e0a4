"""de-tkg: § 58 Abs. 3 and 4 TKG, hand-computed. The report day is day 0: a report on Monday 4 March 2024 leaves
Tuesday and Wednesday to repair; Thursday and Friday are days 3 and 4 (5 EUR or 10 % of the fee), Saturday on is
day 5+ (10 EUR or 20 %). Fee 40 EUR: 10 % = 4, 20 % = 8, so the fixed amounts win; fee 80 EUR: 8 and 16 win."""

from __future__ import annotations

from functools import partial

from netwatch.config.records import PlanConfig
from netwatch.core.claims import Claims, claims_for
from netwatch.core.model import Cause, Incident, Kind, Ticket
from tests.support import instants

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
        "Mon 4 Mar 2024 10:00 (day 0); service back Thu 7 Mar 2024 00:00 (measured; 1 outage(s) since the report)."
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
        "Under § 58 Abs. 3 and 4 TKG I claim compensation of €32.00: Complete outage, ticket ST-42: days 3 to 4 "
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
