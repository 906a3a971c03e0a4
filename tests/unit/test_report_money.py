"""Money: cost of business-hours downtime, the pro-rata credit rule and its sentence, rounding to the cent."""

from __future__ import annotations

import pytest

from netwatch.config.records import CostConfig, PlanConfig
from netwatch.core.money import cents
from netwatch.report.compute import ISP_CAUSES
from netwatch.report.cost import NO_MONEY, money

H = 3600.0
MONTH_30 = 30 * 24 * H
PLAN = PlanConfig("Example Broadband", "AC-1", 30.0, 99.5, 0.0, 0.0)


def test_cents_round_half_up() -> None:
    assert [cents(x) for x in (0.125, 0.135, 2.675, 1.0049, 0.0)] == [0.13, 0.14, 2.68, 1.0, 0.0]


def test_cost_is_business_hours_downtime_times_the_hourly_rate() -> None:
    got = money(
        cost=CostConfig(85.0, "EUR"),
        plan=None,
        business_downtime_seconds=5400.0,
        isp_seconds_by_month=[],
        monitored_seconds=MONTH_30,
    )
    assert (got.currency, got.hourly, got.business_downtime_cost) == ("EUR", 85.0, 127.5)
    assert (got.monthly_fee, got.contracted_availability, got.credit) == (None, None, None)
    assert got.credit_basis == NO_MONEY.credit_basis == "No credit computed: the terms of the contract were not given."


def test_credit_is_the_fee_pro_rata_for_the_provider_s_downtime() -> None:
    # 7.2 h down in a 30-day month: 1 % of the month, so 1 % of the fee; availability 99 % < 99.5 %.
    got = money(
        cost=CostConfig(0.0, "GBP"),
        plan=PLAN,
        business_downtime_seconds=H,
        isp_seconds_by_month=[(7.2 * H, MONTH_30)],
        monitored_seconds=MONTH_30,
    )
    assert (got.hourly, got.business_downtime_cost) == (None, None)
    assert (got.monthly_fee, got.credit, got.contracted_availability) == (30.0, 0.3, 99.5)
    assert got.isp_availability_percent == pytest.approx(99.0)
    assert got.breached is True
    assert got.credit_basis == (
        "Pro-rata share of the 30.00 GBP monthly fee (a request; not a rule) for the 25,920 s (7.20 h) of outage"
        " attributable to the provider (causes isp, upstream, isp_or_upstream and dns through the provider's"
        " resolvers; local faults, names not resolved by your own router and unmonitored time are not claimed),"
        " each second valued at the fee divided by the length of its calendar month;"
        " availability excluding local faults (their time counted as the provider's uptime) was 99.000 %, below the"
        " contracted 99.5 %."
    )


def test_the_credit_basis_names_every_cause_the_provider_answers_for() -> None:
    got = money(
        cost=None,
        plan=PLAN,
        business_downtime_seconds=0.0,
        isp_seconds_by_month=[(60.0, MONTH_30)],
        monitored_seconds=H,
    )
    named = got.credit_basis.split("(causes ", 1)[1].split(" through the provider's resolvers;", 1)[0]
    assert sorted(named.replace(" and ", ", ").split(", ")) == sorted(c.value for c in ISP_CAUSES)
    assert got.credit_unrounded == pytest.approx(30.0 * 60 / MONTH_30) and got.credit == 0.0


def test_credit_counts_only_monitored_provider_downtime_and_states_no_breach() -> None:
    # A month monitored of two: the credit is for the measured downtime only, never extrapolated.
    got = money(
        cost=None,
        plan=PLAN,
        business_downtime_seconds=0.0,
        isp_seconds_by_month=[(60.0, MONTH_30), (0.0, MONTH_30)],
        monitored_seconds=MONTH_30,
        period_seconds=MONTH_30,
    )
    assert got.credit == cents(30.0 * 60 / MONTH_30) == 0.0
    assert got.breached is False
    assert got.credit_basis.endswith(
        "availability excluding local faults (their time counted as the provider's uptime) was 99.997 %, not below"
        " the contracted 99.5 %."
    )
    assert got.currency == ""
    assert got.credit_basis.startswith(
        "Pro-rata share of the 30.00 monthly fee (a request; not a rule) for the 60 s (0.02 h) of outage"
    )


@pytest.mark.parametrize(
    ("monitored", "period", "why"),
    [
        (MONTH_30, MONTH_30, ""),
        (0.9 * 2 * MONTH_30, 2 * MONTH_30, ""),  # the floor itself is enough
        (
            0.899 * 2 * MONTH_30,
            2 * MONTH_30,
            "netwatch monitored only 89.9 % of the period, less than the 90 % needed to judge it",
        ),
        (
            0.3 * MONTH_30,
            MONTH_30,
            "netwatch monitored only 30 % of the period, less than the 90 % needed to judge it",
        ),
        (
            2 * 86400.0,
            2 * 86400.0,
            "the period is shorter than a month, the shortest period an availability commitment is measured over",
        ),
        (
            28 * 86400.0 - 1,
            28 * 86400.0 - 1,
            "the period is shorter than a month, the shortest period an availability commitment is measured over",
        ),
    ],
)
def test_the_contracted_availability_is_compared_only_over_a_month_mostly_monitored(
    monitored: float, period: float, why: str
) -> None:
    # 98 % available over what was monitored, against 99.5 %: a breach only where the comparison means something.
    got = money(
        cost=None,
        plan=PLAN,
        business_downtime_seconds=0.0,
        isp_seconds_by_month=[(0.02 * monitored, MONTH_30)],
        monitored_seconds=monitored,
        period_seconds=period,
    )
    assert got.not_comparable == why
    assert got.breached is (None if why else True)
    tail = f"not comparable with the contracted 99.5 %: {why}." if why else "below the contracted 99.5 %."
    assert got.credit_basis.endswith(f"was 98.000 %, {tail}")


def test_availability_is_truncated_in_the_sentence_so_it_never_reads_as_the_contract() -> None:
    plan = PlanConfig("", "", 10.0, 100.0, 0.0, 0.0)
    got = money(
        cost=None,
        plan=plan,
        business_downtime_seconds=0.0,
        isp_seconds_by_month=[(1.0, MONTH_30)],
        monitored_seconds=MONTH_30,
    )
    assert got.breached is True
    assert got.credit_basis.endswith("was 99.999 %, below the contracted 100 %.")


def test_nothing_monitored_has_no_availability_and_no_breach() -> None:
    got = money(
        cost=None,
        plan=PLAN,
        business_downtime_seconds=0.0,
        isp_seconds_by_month=[(0.0, MONTH_30)],
        monitored_seconds=0.0,
    )
    assert (got.isp_availability_percent, got.breached, got.credit) == (None, None, 0.0)
    assert got.credit_basis.endswith("each second valued at the fee divided by the length of its calendar month.")
