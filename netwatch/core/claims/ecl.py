"""be-ecl: art. 113/2 of the Belgian law on electronic communications, compensation for a complete interruption of
at least 8 consecutive hours.

Owns the rule's arithmetic as the regulator words it: for each started 24 hours of the interruption, the pack's
amount for that period (1 euro, 1 euro, then 0.50 euro) or one ``fee_divisor``-th of the monthly fee, whichever is
higher. Only a continuous interruption is claimed; a run in parts is contestable for what it would add as one. No
claim is needed. The pack's status says plainly that the rule may have been annulled. Must not read a clock or do
I/O: instants come from the caller, the amounts from the pack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from netwatch.core.claims import days as d
from netwatch.core.claims import interruptions as runs
from netwatch.core.claims.loader import Pack
from netwatch.core.claims.model import ClaimItem
from netwatch.core.claims.telecomwet import priced, span_words
from netwatch.core.model import Coverage, Incident
from netwatch.core.money import cents, times
from netwatch.core.text import duration, money, when


def compensation(
    pack: Pack,
    *,
    since: float,
    until: float,
    incidents: Sequence[Incident],
    coverage: Sequence[Coverage] | None,
    zone: ZoneInfo,
    fee: float,
    overrides: Mapping[str, Any],
    notes: list[str],
) -> tuple[list[ClaimItem], list[ClaimItem]]:
    """The money lines of the interruptions of the period, and the contestable ones."""

    def price(start: float, end: float, still: bool) -> list[ClaimItem]:
        return lines(pack, start, end, fee, overrides, zone, still, until)

    return priced(pack, price, since=since, until=until, incidents=incidents, coverage=coverage, zone=zone, notes=notes)


def lines(
    pack: Pack,
    start: float,
    end: float,
    fee: float,
    overrides: Mapping[str, Any],
    zone: ZoneInfo,
    still: bool,
    until: float,
) -> list[ClaimItem]:
    """The money lines of one continuous interruption [start, end): one per run of started 24-hour periods that
    earn the same amount."""
    section = pack.section("interruption")
    share = cents(fee / section["fee_divisor"]) if fee > 0 else 0.0
    periods = runs.started_periods(end - start)
    priced: list[tuple[int, str, float, bool]] = []
    for n in range(1, periods + 1):
        key = next(item for first, item in reversed(section["steps"]) if n >= first)
        overridden = key in overrides
        fixed = float(overrides[key]) if overridden else pack.amounts[key].rates[-1].amount
        priced.append((n, key, max(fixed, share) if not overridden else fixed, overridden))
    lasted = f"{span_words(start, end, zone)}, {duration(end - start)} measured"
    if still:
        lasted += f"; still down at {when(until, zone)}: still accruing"
    out: list[ClaimItem] = []
    groups: list[list[tuple[int, str, float, bool]]] = []
    for entry in priced:
        if groups and groups[-1][-1][2:] == entry[2:]:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    for group in groups:
        first_n, last_n = group[0][0], group[-1][0]
        _, key, rate, overridden = group[0]
        quantity = len(group)
        total = times(quantity, rate)
        which = f"period {first_n}" if first_n == last_n else f"periods {first_n} to {last_n}"
        if overridden:
            basis = "the amount overridden in [claims.amounts]"
        elif fee > 0 and rate == share:
            basis = (
                f"one {section['fee_divisor']}th of the monthly fee {money(fee, pack.currency)}, more than the fixed "
                "amount"
            )
        elif fee > 0:
            basis = f"the fixed amount, more than one {section['fee_divisor']}th of the monthly fee"
        else:
            basis = "the fixed amount: the monthly fee is unknown"
        text = (
            f"Complete interruption ({lasted}): started 24-hour {which}, {quantity} {d.TIMES} "
            f"{money(rate, pack.currency)} = {money(total, pack.currency)} ({basis})."
        )
        out.append(
            ClaimItem(
                section["title"],
                key,
                pack.id,
                pack.source_of("interruption"),
                "",
                start,
                end,
                quantity,
                rate,
                total,
                pack.currency,
                text,
                overridden,
                end - start,
            )
        )
    return out
