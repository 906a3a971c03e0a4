"""Money arithmetic as a bill does it: amounts rounded half up to the cent, a quantity times a rate.

Owns the rounding every figure of money in netwatch goes through (decimal, not binary: 0.125 becomes 0.13). Must
not format amounts (``netwatch.core.text.money``) or know currencies.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def cents(value: float | Decimal) -> float:
    """``value`` rounded half up to two decimals (0.125 → 0.13), as money is."""
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def times(quantity: int, rate: float) -> float:
    """``quantity`` times ``rate``, to the cent."""
    return cents(Decimal(quantity) * Decimal(str(rate)))
