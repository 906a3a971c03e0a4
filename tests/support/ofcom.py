"""uk-ofcom automatic compensation as the claims tests compute it: the pack's rules over a London office's tickets
and outages, and the claim's items read back as figures.

Owns the plan the claims are computed under, ``uk`` (netwatch's ``claims_for`` with the uk-ofcom pack, from 1
December 2023 to 1 January 2025 unless a test gives its own period), ``lines`` (the items as quantity, rate and
amount) and the report most tests start from: Monday 4 March 2024 10:00 (``MON_10``), whose two full working days
end at Thursday 7 March 00:00 (``THU_0``). Must not compute an amount, a day or a deadline itself: the pack and
netwatch's rules do, and the tests check them against figures worked out by hand.
"""

from __future__ import annotations

from netwatch.config.records import PlanConfig
from netwatch.core.claims import Claims, claims_for
from netwatch.core.model import Coverage, Incident, Ticket
from tests.support.instants import local_at

PLAN = PlanConfig("Example ISP", "A-1", 30.0, 0.0, 80.0, 20.0)
MON_10 = local_at(2024, 3, 4, 10)  # Monday 4 March 2024, 10:00: working days Tue 5 and Wed 6, deadline Thu 7 00:00
THU_0 = local_at(2024, 3, 7)


def uk(
    tickets: list[Ticket],
    incidents: list[Incident],
    *,
    region: str = "ENG",
    since: float | None = None,
    until: float | None = None,
    overrides: dict[str, float] | None = None,
    coverage: list[Coverage] | None = None,
) -> Claims:
    """The uk-ofcom claims of ``tickets`` over ``incidents`` in London, in ``region`` (a nation of the UK)."""
    claims = claims_for(
        "uk-ofcom",
        since=local_at(2023, 12, 1) if since is None else since,
        until=local_at(2025, 1, 1) if until is None else until,
        incidents=incidents,
        tickets=tickets,
        speeds=[],
        plan=PLAN,
        timezone="Europe/London",
        region=region,
        overrides=overrides or {},
        coverage=coverage,
    )
    assert claims is not None
    return claims


def lines(claims: Claims) -> list[tuple[int, float, float]]:
    """Each item of ``claims`` as (quantity, rate, amount)."""
    return [(item.quantity, item.rate, item.amount) for item in claims.items]
