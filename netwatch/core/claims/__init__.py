"""Claims: what the rules of the owner's country give for the outages of a period after they told the provider.

Owns the public API the reports, the complaint letter and the CLI use: ``claims_for`` (the money lines, checks
and request of one rule pack over a period), ``pack_items`` (a pack's amounts in force on a date),
``check_overrides`` (``[claims.amounts]`` against the chosen pack, for the configuration's cross-checks) and
``deadlines`` (when a rule's clock runs out for a ticket, ``netwatch.core.claims.deadlines``). The
rules' figures are data (``packs/*.toml``, see ``netwatch.core.claims.loader``); their logic is in ``ofcom``,
``speedcode``, ``tkg`` and ``fcc``. Must not read a clock or do I/O but reading the shipped pack files, nor
hold a rule's figures in code.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from netwatch.core.claims import days, fcc, ofcom, speedcode, tkg
from netwatch.core.claims.deadlines import deadlines
from netwatch.core.claims.loader import PACKS, Pack, PackError, load
from netwatch.core.claims.model import Check, ClaimItem, Claims, Deadline, PackAmount, Source, Verdict
from netwatch.core.model import Coverage, Incident, Plan, SpeedResult, Ticket
from netwatch.core.money import cents
from netwatch.core.text import money

__all__ = [
    "PACKS",
    "Check",
    "ClaimItem",
    "Claims",
    "Deadline",
    "PackAmount",
    "PackError",
    "Source",
    "Verdict",
    "check_overrides",
    "claims_for",
    "deadlines",
    "load",
    "pack_items",
]

_ASK = {
    "uk-ofcom": "Under Ofcom's automatic compensation scheme I ask you to pay {total}",
    "de-tkg": "Under § 58 Abs. 3 and 4 TKG I claim compensation of {total}",
}


def claims_for(
    rules: str,
    *,
    since: float,
    until: float,
    incidents: Sequence[Incident],
    tickets: Sequence[Ticket],
    speeds: Sequence[SpeedResult],
    plan: Plan,
    timezone: str,
    region: str,
    overrides: Mapping[str, Any],
    coverage: Sequence[Coverage] | None = None,
) -> Claims | None:
    """What pack ``rules`` gives for [since, until) (Unix seconds, UTC), local days counted in ``timezone``;
    None for ``rules == "none"``.

    ``speeds`` inside the period give the checks of the period; the 30-day clock of the speeds code also reads the
    earlier ones given (it can start in an earlier period). ``region`` is the UK nation whose bank holidays are not
    working days (ENG, WLS, SCT, NIR; anything else
    means ENG). ``overrides`` replace an amount of the pack for every date (``[claims.amounts]``). ``coverage``
    is when netwatch was running (None: throughout); only days the line was measured down are paid
    (``netwatch.core.claims.episode``), and ``until`` should be the end of the monitored time. Raises
    ValueError for an unknown pack or overrides ``check_overrides`` rejects, PackError for a broken pack file.
    """
    if rules == "none":
        return None
    pack = _pack(rules)
    problems = check_overrides(rules, overrides)
    if problems:
        key, message, _ = problems[0]
        raise ValueError(f"{key}: {message}")
    zone = ZoneInfo(timezone)
    notes: list[str] = []
    advice: list[str] = []
    items: list[ClaimItem] = []
    checks: list[Check] = []
    request = ""
    if rules == "uk-ofcom":
        items += ofcom.delayed_repairs(
            pack,
            since=since,
            until=until,
            incidents=incidents,
            tickets=tickets,
            zone=zone,
            region=region,
            overrides=overrides,
            notes=notes,
            coverage=coverage,
        )
        items += ofcom.missed_appointments(
            pack, since=since, until=until, tickets=tickets, zone=zone, overrides=overrides, notes=notes
        )
        tests = speedcode.measured(speeds, since, until)
        earlier = speedcode.measured(speeds, -math.inf, until)  # the 30-day clock may have started before `since`
        section = pack.section("speeds")
        checks += [
            speedcode.peak_check(pack, "Business", section["business_peak"], tests, plan, zone),
            speedcode.peak_check(pack, "Residential", section["residential_peak"], tests, plan, zone),
            speedcode.exit_check(pack, earlier, tickets, plan, zone),
        ]
    elif rules == "de-tkg":
        fee = plan.monthly_fee
        items += tkg.outages(
            pack,
            since=since,
            until=until,
            incidents=incidents,
            tickets=tickets,
            zone=zone,
            fee=fee,
            overrides=overrides,
            notes=notes,
            coverage=coverage,
        )
        items += ofcom.missed_appointments(
            pack,
            since=since,
            until=until,
            tickets=tickets,
            zone=zone,
            overrides=overrides,
            notes=notes,
            floor_of_fee=fee,
        )
        if fee <= 0 and any(not item.overridden for item in items):
            notes.append(
                "The monthly fee was not given: the fixed minimum amounts are used; 10 % or 20 % of the fee may "
                "be more."
            )
            advice.append("set [plan] monthly_fee: 10 % or 20 % of it may be more than the fixed minimum amounts")
    else:
        tests = speedcode.measured(speeds, since, until)
        checks += fcc.label_checks(pack, tests, plan)
        lost = [
            o
            for o in days.losses(incidents, pack.causes)
            if o.start < until and (o.end is None or o.end > since) and o.duration(until) > 0
        ]
        request = fcc.complaint(pack, checks, since=since, until=until, tests=tests, outages=lost, plan=plan, zone=zone)
    total = cents(math.fsum(item.amount for item in items))
    if items and total > 0 and rules in _ASK:
        lines = "; ".join(item.explanation.partition(" (")[0] for item in items)
        request = _ASK[rules].format(total=money(total, pack.currency)) + f": {lines}."
    return Claims(
        pack.id,
        pack.name,
        pack.version,
        pack.jurisdiction,
        pack.currency,
        tuple(items),
        tuple(checks),
        total,
        (*notes, *pack.notes),
        request,
        tuple(advice),
    )


def pack_items(rules: str, on: date, overrides: Mapping[str, Any]) -> list[PackAmount]:
    """Every amount of pack ``rules`` as in force on ``on``, overrides applied; [] for "none" and packs without
    amounts. Raises ValueError for an unknown pack."""
    if rules == "none":
        return []
    pack = _pack(rules)
    found: list[PackAmount] = []
    for amount in pack.amounts.values():
        rate = amount.rate_on(on)
        source = (rate or amount.rates[0]).source
        if amount.key in overrides:
            value: float | None = float(overrides[amount.key])
            found.append(
                PackAmount(amount.key, amount.description, value, pack.currency, None, source, True, amount.unit, 0.0)
            )
            continue
        found.append(
            PackAmount(
                amount.key,
                amount.description,
                rate.amount if rate else None,
                pack.currency,
                rate.effective_from if rate else None,
                source,
                False,
                amount.unit,
                amount.percent_of_fee,
                amount.unverified_on(on),
            )
        )
    return found


def check_overrides(rules: str, amounts: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """What is wrong with ``[claims.amounts]`` for pack ``rules``: (key path, message, fix) each. An unknown
    ``rules`` gives [] (the ``claims.rules`` check reports it)."""
    if not amounts:
        return []
    if rules == "none":
        with_amounts = " or ".join(f'"{name}"' for name in PACKS if load(name).amounts)
        return [
            (
                "claims.amounts",
                'is set but claims.rules is "none"',
                f"set claims.rules to {with_amounts}, or remove [claims.amounts]",
            )
        ]
    if rules not in PACKS:
        return []
    pack = load(rules)
    if not pack.amounts:
        return [("claims.amounts", f'is set but the "{rules}" rules have no amounts', "remove [claims.amounts]")]
    problems: list[tuple[str, str, str]] = []
    for name, value in amounts.items():
        key = f"claims.amounts.{name}"
        if name not in pack.amounts:
            close = difflib.get_close_matches(name, list(pack.amounts), n=1)
            fix = f'did you mean "{close[0]}"?' if close else f"use one of: {', '.join(pack.amounts)}"
            problems.append((key, f'is not an amount of the "{rules}" rules', fix))
            continue
        fix = f"write the amount in {pack.currency}, e.g. {name} = {pack.amounts[name].rates[-1].amount:.2f}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append((key, f"must be a number, not {_describe(value)}", fix))
        elif not math.isfinite(value) or value < 0:
            problems.append((key, f"must be a finite amount of 0 or more, got {value!r}", fix))
    return problems


def _pack(rules: str) -> Pack:
    try:
        return load(rules)
    except KeyError:
        raise ValueError(f'unknown rule pack "{rules}"; known: none, {", ".join(PACKS)}') from None


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, str):
        return f'a string ("{value}")'
    return "a table" if isinstance(value, Mapping) else "a list" if isinstance(value, list) else type(value).__name__
