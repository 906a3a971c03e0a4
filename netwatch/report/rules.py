"""How a rule pack's amounts read: the lines and the JSON document of `netwatch claims rules`.

Owns the wording of each amount (what it pays, per what, since when, overridden, computed or not verified, its
source), of the pack's status (rules that may not be in force are said to be so first), of who each rule covers in
the owner's situation, and the JSON fields of ``--json`` (additive changes only: scripts read them). Must not load
packs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from netwatch.core.claims import PackAmount
from netwatch.core.claims.loader import Pack
from netwatch.core.claims.model import Situation
from netwatch.core.claims.scope import CUSTOMER_ONE
from netwatch.core.text import money

NONE_CHOSEN = (
    'no rule pack chosen ([claims] rules = "none"): set rules = "uk-ofcom", "de-tkg", "nl-telecomwet", "be-ecl" or '
    '"us-fcc"'
)
NOBODY = Situation()


def covered(pack: Pack, section: str, who: Situation) -> tuple[str, str]:
    """(verdict, words) of one rule for ``who``: "yes", "no" or "unstated", and the sentence that says it."""
    scope = pack.scope(section)
    found = scope.covers(who)
    if found is False:
        return "no", f"does not cover you: {scope.outside or 'see its source'}"
    situation = ", ".join(
        part
        for part in (f"a {who.contract} contract" if who.contract else "", CUSTOMER_ONE.get(who.customer, ""))
        if part
    )
    caveat = scope.caveat_for(who)
    tail = f". {caveat}" if caveat else ""
    if found is None:
        needs = []
        if not who.contract and len(scope.contracts) == 1:
            needs.append(f"{next(iter(scope.contracts))} contracts")
        if not who.customer and len(scope.customers) < 3:
            needs.append(" and ".join(sorted(scope.customers)))
        return "unstated", f"covers only {' for '.join(needs)}: set [claims] contract and customer to know{tail}"
    return "yes", f"covers you{f' ({situation})' if situation else ''}{tail}"


def status_doc(pack: Pack) -> dict[str, Any]:
    if pack.status is None:
        return {"state": "in force", "note": "", "source": None}
    src = pack.status.source
    return {"state": pack.status.state, "note": pack.status.note, "source": {"title": src.title, "url": src.url}}


def rules_doc(pack: Pack, on: date, items: Sequence[PackAmount], who: Situation = NOBODY) -> dict[str, Any]:
    return {
        "pack": {
            "id": pack.id,
            "name": pack.name,
            "version": pack.version,
            "jurisdiction": pack.jurisdiction,
            "currency": pack.currency,
        },
        "status": status_doc(pack),
        "situation": {"contract": who.contract, "customer": who.customer, "waived": who.waived},
        "rules": [
            {"section": name, "title": pack.section(name)["title"], "covers": verdict, "words": words}
            for name in pack.sections
            for verdict, words in (covered(pack, name, who),)
        ],
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
                "computed": a.computed,
                "computation": a.basis,
                "source": {"title": a.source.title, "url": a.source.url},
            }
            for a in items
        ],
    }


def rules_lines(pack: Pack, on: date, items: Sequence[PackAmount], who: Situation = NOBODY) -> list[str]:
    lines = [f"{pack.name} ({pack.id} {pack.version}, {pack.jurisdiction})"]
    if pack.status is not None and pack.status.state != "in force":
        lines.append(f"  MAY NOT BE IN FORCE: {pack.status.note}")
        lines.append(f"      source: {pack.status.source.title} <{pack.status.source.url}>")
    lines.append("Who each rule covers:")
    for name in pack.sections:
        _, words = covered(pack, name, who)
        lines.append(f"  {pack.section(name)['title']}: {words}")
    lines.append(f"Amounts in force on {on}:")
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
        if a.computed:
            flag = " (COMPUTED by the uprating rule, not published)"
        lines.append(f"  {a.item}: {value}{per}, {since}{flag}")
        lines.append(f"      {a.description}")
        if a.computed:
            lines.append(f"      computed: {a.basis}")
        lines.append(f"      source: {a.source.title}{' <' + a.source.url + '>' if a.source.url else ''}")
    return lines
