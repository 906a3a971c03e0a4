"""What downtime is worth: the cost of business-hours downtime and the pro-rata credit owed by the provider.

Owns the money rules of a report and the one sentence that explains the credit to the reader. Must not read the
clock, the store or files: the caller passes figures already computed from the incidents (see
``report.compute``). Amounts are rounded half up to the cent once, here, so that every format shows the same figure.

Credit rule: the provider owes the monthly fee pro rata for the time its service was down. Each second of
outage attributable to the provider (causes isp, upstream and dns) is worth the monthly fee divided by the
length of the local calendar month it fell in; local faults and unmonitored time are never claimed. Whether
the contracted availability was breached is stated beside it, from the availability excluding local faults.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netwatch.core.money import cents

if TYPE_CHECKING:
    from netwatch.config.records import CostConfig, PlanConfig


@dataclass(frozen=True)
class Money:
    """Cost and credit of a report's period; None where the configuration does not say enough to compute it.

    ``business_downtime_cost`` is the business-hours outage downtime (in hours, every cause) times ``hourly``.
    ``credit`` follows the rule in ``credit_basis``. ``isp_availability_percent`` is the availability over
    monitored time counting only outages attributable to the provider; ``breached`` whether it is below
    ``contracted_availability``.
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


NO_MONEY = Money("", None, None, None, None, None, "No credit computed: the terms of the contract were not given.")


def money(
    *,
    cost: CostConfig | None,
    plan: PlanConfig | None,
    business_downtime_seconds: float,
    isp_seconds_by_month: Sequence[tuple[float, float]],
    monitored_seconds: float,
) -> Money:
    """The money figures of a period.

    ``isp_seconds_by_month`` holds, for every local calendar month the period touches, (outage seconds
    attributable to the provider inside the period in that month, whole length of that month in seconds).
    ``hourly`` and ``monthly_fee`` of 0 mean "not configured": their figures are None.
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
    breached = None if availability is None or contracted is None else availability < contracted
    fee = plan.monthly_fee if plan.monthly_fee > 0 else None
    if fee is None:
        basis = "No credit computed: the monthly fee was not given."
        return Money(currency, hourly, cost_value, None, contracted, None, basis, availability, breached)
    credit = cents(sum(fee * seconds / length for seconds, length in isp_seconds_by_month if length > 0))
    amount = f"{fee:.2f} {currency}".rstrip()
    basis = (
        f"Pro-rata refund of the {amount} monthly fee for the {isp_seconds:,.0f} s ({isp_seconds / 3600:.2f} h) of"
        " outage attributable to the provider (causes isp, upstream and dns; local faults and unmonitored time are"
        " not claimed), each second valued at the fee divided by the length of its calendar month"
    )
    if availability is not None:
        # Truncated, not rounded: 99.9996 % must not read "100.000 %" beside "below the contracted 100 %".
        shown = math.floor(availability * 1000) / 1000
        if contracted is None:
            basis += f"; availability excluding local faults was {shown:.3f} % (no contracted figure configured)"
        else:
            verdict = "below" if breached else "not below"
            basis += (
                f"; availability excluding local faults was {shown:.3f} %, {verdict} the contracted {contracted:g} %"
            )
    return Money(currency, hourly, cost_value, fee, contracted, credit, basis + ".", availability, breached)
