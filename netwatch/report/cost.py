"""What downtime is worth: the cost of business-hours downtime at the owner's estimate, and the pro-rata share of
the fee the owner may ask the provider for.

Owns the money rules of a report and the one sentence that explains the credit to the reader. Must not read the
clock, the store or files: the caller passes figures already computed from the incidents (see
``report.compute``). Amounts are rounded half up to the cent once, here, so that every format shows the same figure.

Credit rule (netwatch's, not a contract's or a regulator's: the letter asks for it as a request, never as a right): the
monthly fee pro rata for the time the provider's service was down. Each second of outage attributable to the provider
(causes isp, upstream, isp_or_upstream, and dns through its resolvers) is worth the monthly fee divided by the length of
the local calendar month it fell in; local faults and unmonitored time are never claimed. Whether the contracted
availability was breached is stated beside it, from the availability excluding local faults (their time counts as the
provider's uptime), and only when the comparison means something: over at least a month (the shortest period an
availability commitment is measured over) and with at least ``COVERAGE_FLOOR`` of the period monitored; otherwise it
says why not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netwatch.core.money import cents

if TYPE_CHECKING:
    from netwatch.config.records import CostConfig, PlanConfig

# Below this share of the period monitored, an availability says too little to hold against a contract.
COVERAGE_FLOOR = 90.0
# The shortest period a contracted availability is measured over (a calendar month is at least 28 days).
CONTRACT_PERIOD_SECONDS = 28 * 86400.0


@dataclass(frozen=True)
class Money:
    """Cost and credit of a report's period; None where the configuration does not say enough to compute it.

    ``business_downtime_cost`` is the business-hours outage downtime (in hours, every cause) times ``hourly``.
    ``credit`` follows the rule in ``credit_basis``. ``isp_availability_percent`` is the availability over
    monitored time counting only outages attributable to the provider (the owner's own faults count as up);
    ``breached`` whether it is below ``contracted_availability``, None when there is nothing to compare or the
    comparison is not meaningful; then ``not_comparable`` says why ("" otherwise).
    """

    currency: str
    hourly: float | None
    business_downtime_cost: float | None
    monthly_fee: float | None
    contracted_availability: float | None
    credit: float | None
    credit_basis: str
    isp_availability_percent: float | None = None
    breached: bool | None = None
    # The credit before rounding to the cent: whether to ask for it is decided on this (a credit of £0.004 is due,
    # not zero, although it shows as £0.00).
    credit_unrounded: float | None = None
    not_comparable: str = ""


NO_MONEY = Money("", None, None, None, None, None, "No credit computed: the terms of the contract were not given.")


def money(
    *,
    cost: CostConfig | None,
    plan: PlanConfig | None,
    business_downtime_seconds: float,
    isp_seconds_by_month: Sequence[tuple[float, float]],
    monitored_seconds: float,
    period_seconds: float | None = None,
) -> Money:
    """The money figures of a period.

    ``isp_seconds_by_month`` holds, for every local calendar month the period touches, (outage seconds
    attributable to the provider inside the period in that month, whole length of that month in seconds).
    ``hourly`` and ``monthly_fee`` of 0 mean "not configured": their figures are None. ``period_seconds`` is the
    period's whole length (None: the monitored time, as when every second of it was monitored).
    """
    currency = cost.currency if cost is not None else ""
    hourly = cost.hourly if cost is not None and cost.hourly > 0 else None
    cost_value = None if hourly is None else cents(business_downtime_seconds / 3600.0 * hourly)
    isp_seconds = sum(seconds for seconds, _ in isp_seconds_by_month)
    availability = (
        max(0.0, 100.0 * (monitored_seconds - isp_seconds) / monitored_seconds) if monitored_seconds > 0 else None
    )
    if plan is None:
        return Money(currency, hourly, cost_value, None, None, None, NO_MONEY.credit_basis, availability)
    contracted = plan.contracted_availability or None  # 0 = the contract states none
    whole = monitored_seconds if period_seconds is None else period_seconds
    why = "" if availability is None or contracted is None else _not_comparable(monitored_seconds, whole)
    breached = None if availability is None or contracted is None or why else availability < contracted
    fee = plan.monthly_fee if plan.monthly_fee > 0 else None
    if fee is None:
        basis = "No credit computed: the monthly fee was not given."
        return Money(
            currency, hourly, cost_value, None, contracted, None, basis, availability, breached, not_comparable=why
        )
    unrounded = sum(fee * seconds / length for seconds, length in isp_seconds_by_month if length > 0)
    credit = cents(unrounded)
    amount = f"{fee:.2f} {currency}".rstrip()
    basis = (
        f"Pro-rata share of the {amount} monthly fee (a request; not a rule) for the {isp_seconds:,.0f} s"
        f" ({isp_seconds / 3600:.2f} h) of outage attributable to the provider (causes isp, upstream, isp_or_upstream"
        " and dns through the provider's resolvers; local faults, names not resolved by your own router and"
        " unmonitored time are not claimed), each second valued at the fee divided by the"
        " length of its calendar month"
    )
    if availability is not None:
        # Truncated, not rounded: 99.9996 % must not read "100.000 %" beside "below the contracted 100 %".
        shown = math.floor(availability * 1000) / 1000
        basis += (
            f"; availability excluding local faults (their time counted as the provider's uptime) was {shown:.3f} %"
        )
        if contracted is None:
            basis += " (no contracted figure configured)"
        elif why:
            basis += f", not comparable with the contracted {contracted:g} %: {why}"
        else:
            basis += f", {'below' if breached else 'not below'} the contracted {contracted:g} %"
    return Money(
        currency, hourly, cost_value, fee, contracted, credit, basis + ".", availability, breached, unrounded, why
    )


def _not_comparable(monitored: float, whole: float) -> str:
    """Why an availability over ``monitored`` seconds of a ``whole``-second period cannot be held against a contract's
    ("" when it can): too short a period, or too little of it monitored."""
    if whole < CONTRACT_PERIOD_SECONDS:
        return "the period is shorter than a month, the shortest period an availability commitment is measured over"
    covered = 100.0 * monitored / whole if whole > 0 else 0.0
    if covered < COVERAGE_FLOOR:
        shown = math.floor(covered * 10) / 10
        return (
            f"netwatch monitored only {shown:g} % of the period, less than the {COVERAGE_FLOOR:g} % needed to judge it"
        )
    return ""
