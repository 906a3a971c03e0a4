"""Claims: what the rules of the owner's country give for the outages of a period, in the owner's situation.

Owns the public API the reports, the complaint letter and the CLI use: ``claims_for`` (the money lines, the
contestable ones, checks, legal basis and request of one rule pack over a period), ``pack_items`` (a pack's amounts
in force on a date), ``check_overrides`` (``[claims.amounts]`` against the chosen pack, for the configuration's
cross-checks) and ``deadlines`` (when a rule's clock runs out for a ticket, ``netwatch.core.claims.deadlines``). The
rules' figures and who they cover are data (``packs/*.toml``, see ``netwatch.core.claims.loader``); their logic is
in ``ofcom``, ``speedcode``, ``tkg``, ``switching``, ``telecomwet``, ``ecl`` and ``fcc``; who a rule covers is said
by ``scope``. Must not read a clock or do I/O but reading the shipped pack files, nor hold a rule's figures in code.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from netwatch.core.claims import days, ecl, fcc, ofcom, speedcode, switching, telecomwet, tkg
from netwatch.core.claims.deadlines import deadlines
from netwatch.core.claims.loader import PACKS, Pack, PackError, load
from netwatch.core.claims.model import (
    Check,
    ClaimItem,
    Claims,
    Deadline,
    PackAmount,
    Situation,
    Source,
    Verdict,
)
from netwatch.core.claims.scope import Said, excluded, used
from netwatch.core.model import Coverage, Incident, Plan, SpeedResult, Ticket, TicketKind
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
    "Situation",
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
    "de-tkg": "Under {laws} I claim compensation of {total}",
    "nl-telecomwet": "Under article 7.1a of the Telecommunicatiewet I ask you to pay {total}",
    "be-ecl": (
        "Under article 113/2 of the law of 13 June 2005 on electronic communications, as far as it is in force after "
        "the Constitutional Court's judgment 166/2025, I ask you to pay {total}"
    ),
}
_SHARE = {"de-tkg": "10 % or 20 %", "nl-telecomwet": "one thirtieth", "be-ecl": "one thirtieth"}
_FAULTS = (TicketKind.FAULT, TicketKind.SPEED)


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
    situation: Situation = Situation(),  # noqa: B008 (frozen)
    holidays: str = "",
) -> Claims | None:
    """What pack ``rules`` gives for [since, until) (Unix seconds, UTC), local days counted in ``timezone``;
    None for ``rules == "none"``.

    ``speeds`` inside the period give the checks of the period; the 30-day clock of the speeds code also reads the
    earlier ones given (it can start in an earlier period). ``region`` is the UK nation whose bank holidays are not
    working days (ENG, WLS, SCT, NIR; anything else means ENG); ``holidays`` the ``business_hours.holidays`` code
    whose German Land ("DE-BY") decides the working days of de-tkg. ``overrides`` replace an amount of the pack for
    every date (``[claims.amounts]``). ``coverage`` is when netwatch was running (None: throughout); only days the
    line was measured down are paid (``netwatch.core.claims.episode``), and ``until`` should be the end of the
    monitored time. ``situation`` is who the owner is to the rules: a rule that does not cover it pays nothing and
    says what applies instead. Raises ValueError for an unknown pack or overrides ``check_overrides`` rejects,
    PackError for a broken pack file.
    """
    if rules == "none":
        return None
    pack = _pack(rules)
    problems = check_overrides(rules, overrides)
    if problems:
        key, message, _ = problems[0]
        raise ValueError(f"{key}: {message}")
    zone = ZoneInfo(timezone)
    who = situation
    said = Said()
    notes = said.notes
    items: list[ClaimItem] = []
    contestable: list[ClaimItem] = []
    checks: list[Check] = []
    request = ""
    fee = plan.monthly_fee
    at = _At(since, until, zone, overrides, notes, incidents, coverage, tickets, fee, holidays)

    def has(*kinds: TicketKind) -> bool:
        return any(t.kind in kinds and t.reported < until for t in tickets)

    def gave(section: str, found: tuple[list[ClaimItem], list[ClaimItem]] | list[ClaimItem]) -> None:
        got, maybe = found if isinstance(found, tuple) else (found, [])
        items.extend(got)
        contestable.extend(maybe)
        if got or maybe:
            used(pack, section, who, said)

    if rules == "uk-ofcom":
        if not excluded(pack, "repair", who, said, relevant=has(TicketKind.FAULT)):
            found = ofcom.delayed_repairs(
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
            gave("repair", found)
        if not excluded(pack, "appointment", who, said, relevant=any(t.missed_appointments for t in tickets)):
            gave("appointment", _missed(pack, "appointment", tuple(TicketKind), at))
        if not excluded(pack, "speeds", who, said, relevant=bool(speeds)):
            tests = speedcode.measured(speeds, since, until)
            earlier = speedcode.measured(speeds, -math.inf, until)  # the 30-day clock may have started before `since`
            section = pack.section("speeds")
            peaks = [("Business", "business_peak"), ("Residential", "residential_peak")]
            if who.contract:
                peaks = [(label, key) for label, key in peaks if label.lower() == who.contract]
            checks += [speedcode.peak_check(pack, label, section[key], tests, plan, zone) for label, key in peaks]
            checks.append(speedcode.exit_check(pack, earlier, tickets, plan, zone))
            if tests:
                used(pack, "speeds", who, said)
    elif rules == "de-tkg":
        if not excluded(pack, "outage", who, said, relevant=has(TicketKind.FAULT)):
            found = tkg.outages(
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
            gave("outage", found)
        if not excluded(pack, "appointment", who, said, relevant=has(*_FAULTS)):
            gave("appointment", _missed(pack, "appointment", _FAULTS, at))
        move = has(TicketKind.MOVE) and not excluded(pack, "move", who, said)
        if has(TicketKind.SWITCH) and not excluded(pack, "switch", who, said):
            gave("switch", _switching(pack, TicketKind.SWITCH, at))
        if move:
            gave("move", _switching(pack, TicketKind.MOVE, at))
        kinds = (TicketKind.SWITCH, TicketKind.MOVE) if move else (TicketKind.SWITCH,)
        if has(*kinds) and not excluded(pack, "switch_appointment", who, said):
            gave("switch_appointment", _missed(pack, "switch_appointment", kinds, at))
        if has(TicketKind.PORT) and not excluded(pack, "port", who, said):
            land = switching.land_of(holidays)
            ports = switching.ports(
                pack, since=since, until=until, tickets=tickets, zone=zone, land=land, overrides=overrides
            )
            gave("port", ports)
    elif rules in ("nl-telecomwet", "be-ecl"):
        outages = days.losses(incidents, pack.causes)
        if not excluded(pack, "interruption", who, said, relevant=bool(outages)):
            rule = telecomwet.compensation if rules == "nl-telecomwet" else ecl.compensation
            found = rule(
                pack,
                since=since,
                until=until,
                incidents=incidents,
                coverage=coverage,
                zone=zone,
                fee=fee,
                overrides=overrides,
                notes=notes,
            )
            gave("interruption", found)
            if any(t.planned for t in tickets):
                said.note("Planned work the provider notified in advance counts under this rule like any interruption.")
    else:
        tests = speedcode.measured(speeds, since, until)
        checks += fcc.label_checks(pack, tests, plan)
        lost = [
            o
            for o in days.losses(incidents, pack.causes)
            if o.start < until and (o.end is None or o.end > since) and o.duration(until) > 0
        ]
        request = fcc.complaint(pack, checks, since=since, until=until, tests=tests, outages=lost, plan=plan, zone=zone)
    share = _SHARE.get(rules)
    if share and fee <= 0 and any(not i.overridden for i in items + contestable):
        said.note(f"The monthly fee was not given: the fixed minimum amounts are used; {share} of the fee may be more.")
        said.advise(f"set [plan] monthly_fee: {share} of it may be more than the fixed minimum amounts")
    total = cents(math.fsum(item.amount for item in items))
    if items and total > 0 and rules in _ASK:
        lines = "; ".join(item.explanation.partition(" (")[0] for item in items)
        cited = list(dict.fromkeys(item.rule.partition(":")[0] for item in items))
        laws = ", ".join(cited[:-1]) + " and " + cited[-1] if len(cited) > 1 else cited[0]
        request = _ASK[rules].format(total=money(total, pack.currency), laws=laws) + f": {lines}."
    status = pack.uncertain
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
        tuple(said.advice),
        tuple(contestable),
        cents(math.fsum(item.amount for item in contestable)),
        tuple(said.basis),
        status,
    )


@dataclass(frozen=True)
class _At:
    """What the rules of one ``claims_for`` call are applied to."""

    since: float
    until: float
    zone: ZoneInfo
    overrides: Mapping[str, Any]
    notes: list[str]
    incidents: Sequence[Incident]
    coverage: Sequence[Coverage] | None
    tickets: Sequence[Ticket]
    fee: float
    holidays: str


def _missed(pack: Pack, section: str, kinds: Sequence[TicketKind], at: _At) -> list[ClaimItem]:
    return ofcom.missed_appointments(
        pack,
        since=at.since,
        until=at.until,
        tickets=at.tickets,
        zone=at.zone,
        overrides=at.overrides,
        notes=at.notes,
        floor_of_fee=at.fee,
        section_name=section,
        kinds=kinds,
    )


def _switching(pack: Pack, kind: TicketKind, at: _At) -> tuple[list[ClaimItem], list[ClaimItem]]:
    return switching.interruptions(
        pack,
        kind,
        since=at.since,
        until=at.until,
        incidents=at.incidents,
        tickets=at.tickets,
        zone=at.zone,
        land=switching.land_of(at.holidays),
        fee=at.fee,
        overrides=at.overrides,
        notes=at.notes,
        coverage=at.coverage,
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
                rate is not None and rate.computed,
                rate.formula if rate is not None else "",
            )
        )
    return found


def check_overrides(rules: str, amounts: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """What is wrong with ``[claims.amounts]`` for pack ``rules``: (key path, message, fix) each. An unknown
    ``rules`` gives [] (the ``claims.rules`` check reports it)."""
    if not amounts:
        return []
    if rules == "none":
        named = [f'"{name}"' for name in PACKS if load(name).amounts]
        with_amounts = ", ".join(named[:-1]) + " or " + named[-1]
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
