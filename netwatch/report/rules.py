"""How a rule pack's amounts read: the lines and the JSON document of `netwatch claims rules`.

Owns the wording of each amount (what it pays, per what, since when, overridden or not verified, its source)
and the JSON fields of ``--json`` (additive changes only: scripts read them). Must not load packs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from netwatch.core.claims import PackAmount
from netwatch.core.claims.loader import Pack
from netwatch.core.text import money

NONE_CHOSEN = 'no rule pack chosen ([claims] rules = "none"): set rules = "uk-ofcom", "de-tkg" or "us-fcc"'


def rules_doc(pack: Pack, on: date, items: Sequence[PackAmount]) -> dict[str, Any]:
    return {
        "pack": {
            "id": pack.id,
            "name": pack.name,
            "version": pack.version,
            "jurisdiction": pack.jurisdiction,
            "currency": pack.currency,
        },
        "on": on.isoformat(),
        "amounts": [
            {
                "item": a.item,
                "description": a.description,
                "amount": a.amount,
                "currency": a.currency,
                "unit": a.unit,
                "percent_of_fee": a.percent_of_fee or None,
                "effective_from": a.effective_from.isoformat() if a.effective_from else None,
                "overridden": a.overridden,
                "unverified": a.unverified,
                "source": {"title": a.source.title, "url": a.source.url},
            }
            for a in items
        ],
    }


def rules_lines(pack: Pack, on: date, items: Sequence[PackAmount]) -> list[str]:
    lines = [f"{pack.name} ({pack.id} {pack.version}, {pack.jurisdiction}); amounts in force on {on}:"]
    if not items:
        lines.append("  (no amounts: these rules compare measurements with the contract, they pay nothing)")
    for a in items:
        value = "none in force" if a.amount is None else money(a.amount, a.currency)
        if a.percent_of_fee:
            value += f" or {a.percent_of_fee:g} % of the monthly fee, whichever is higher"
        per = f" per {a.unit}" if a.unit else ""
        since = (
            "overridden by [claims.amounts]"
            if a.overridden
            else f"since {a.effective_from}"
            if a.effective_from
            else "not in force yet"
        )
        flag = " (NOT VERIFIED for this date: the last verified figure)" if a.unverified else ""
        lines.append(f"  {a.item}: {value}{per}, {since}{flag}")
        lines.append(f"      {a.description}")
        lines.append(f"      source: {a.source.title}{' <' + a.source.url + '>' if a.source.url else ''}")
    return lines
