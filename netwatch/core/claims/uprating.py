"""Uprating: how an amount fixed once grows each year by the price index of the year before.

Owns the one rule Ofcom's automatic compensation follows (each 1 April from 2021, the amount of the year before
times the CPI of the previous October, rounded to the penny, half up): ``chain`` computes it in exact decimal
arithmetic, year on year. Binary floats get it wrong (25 x 1.007 is 25.175 exactly, which a float rounds down), and
so does applying the cumulative index once: each year is rounded before the next is computed. Must not use binary
floats for the chain, read a clock or do I/O: the indices come from the pack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")


@dataclass(frozen=True)
class Step:
    """One year's uprating: from ``effective``, ``amount`` = ``previous`` x (1 + ``percent`` / 100), to the penny."""

    effective: date
    previous: Decimal
    percent: Decimal
    amount: Decimal

    def formula(self, currency_sign: str = "") -> str:
        """ "£9.76 x (1 + 2.3 %) = £9.98", for an explanation."""
        return f"{currency_sign}{self.previous} \u00d7 (1 + {self.percent} %) = {currency_sign}{self.amount}"


def decimal(value: float) -> Decimal:
    """A figure as written in a pack (a TOML float), as the decimal it denotes: 0.7 is 0.7, not 0.69999…"""
    return Decimal(repr(float(value)))


def uprated(amount: Decimal, percent: Decimal) -> Decimal:
    """``amount`` raised by ``percent`` %, rounded to the penny, halves up."""
    return (amount * (1 + percent / 100)).quantize(PENNY, rounding=ROUND_HALF_UP)


def chain(base: Decimal, first: date, percents: Sequence[Decimal]) -> list[Step]:
    """The amounts from ``first`` on: year ``first.year + i`` applies ``percents[i]`` to the amount of the year
    before (``base`` for the first), on the same month and day."""
    steps: list[Step] = []
    amount = base
    for i, percent in enumerate(percents):
        raised = uprated(amount, percent)
        steps.append(Step(first.replace(year=first.year + i), amount, percent, raised))
        amount = raised
    return steps
