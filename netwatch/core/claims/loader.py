"""Rule packs: versioned data files (``packs/<id>.toml``, shipped with the package) and their validation.

Owns the ``Pack`` record, the schema every pack file follows and the one place that reads them. A pack holds the
figures of a country's rules with their effective dates and sources, who each rule covers (``Scope``), whether the
rules are in force (``[status]``) and, for amounts uprated each year, the price index of each year (``[uprating]``):
the loader computes the years the index gives and no published figure does, and refuses a published figure the
rule does not reproduce. The rules' logic lives in the modules named after them. Reading the shipped files is the
only I/O here; a broken file raises ``PackError`` naming the file and the key. Must not compute a claim: the rules'
modules do.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from netwatch.core.claims.model import CONTRACTS, CUSTOMERS, DayTest, Situation, Source
from netwatch.core.claims.uprating import chain, decimal
from netwatch.core.model import Cause
from netwatch.errors import NetwatchError

PACKS = ("uk-ofcom", "de-tkg", "nl-telecomwet", "be-ecl", "us-fcc")
# The rule sections each shipped pack's computations read.
REQUIRED = {
    "uk-ofcom": ("repair", "appointment", "speeds", "adr"),
    "de-tkg": ("outage", "appointment", "switch", "switch_appointment", "move", "port"),
    "nl-telecomwet": ("interruption",),
    "be-ecl": ("interruption",),
    "us-fcc": ("label",),
}
RATE_DATES = ("day", "reported")
STATES = ("in force", "uncertain")
DAY_TESTS = ("any", "whole", "hours")
PLANNED = ("excluded", "counts")


class PackError(NetwatchError):
    """A rule pack file is not valid; the message names the file and the key of every problem."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{file}: {key}: {message}" for key, message in problems))


@dataclass(frozen=True)
class Rate:
    """An amount from ``effective_from``; ``computed``: by the pack's uprating rule (``formula`` shows how), not
    published."""

    effective_from: date
    amount: float
    source: Source
    computed: bool = False
    formula: str = ""


@dataclass(frozen=True)
class Amount:
    """One amount of a pack and its history. ``percent_of_fee`` > 0: the amount due is the larger of the rate and
    that share of the monthly fee. ``unverified_from``: no published figure was verified from that date on, so
    the last verified rate is used and said to be so."""

    key: str
    description: str
    unit: str
    rates: tuple[Rate, ...]  # by effective date, ascending (published and computed)
    percent_of_fee: float = 0.0
    unverified_from: date | None = None
    uprated: bool = False  # follows the pack's [uprating]

    def rate_on(self, day: date) -> Rate | None:
        """The rate in force on ``day``; None before the first."""
        found = None
        for rate in self.rates:
            if rate.effective_from <= day:
                found = rate
        return found

    def unverified_on(self, day: date) -> bool:
        return self.unverified_from is not None and day >= self.unverified_from


@dataclass(frozen=True)
class Scope:
    """Who a rule covers: the contracts and customers it names; ``waivable``: a micro or small business that
    expressly waived it is not covered. ``basis`` holds the letter's sentence on the legal basis per situation
    (keyed by a customer, then a contract, then "any"); ``outside`` says what applies instead to someone it does
    not cover; ``caveat`` what could not be verified about the rule in a situation (keyed the same way)."""

    contracts: frozenset[str] = frozenset(CONTRACTS)
    customers: frozenset[str] = frozenset(CUSTOMERS)
    waivable: bool = False
    basis: Mapping[str, str] = dataclasses.field(default_factory=dict)
    outside: str = ""
    caveat: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def covers(self, who: Situation) -> bool | None:
        """True: the rule covers the owner; False: it does not; None: it depends on what ``who`` leaves unstated."""
        if who.contract and who.contract not in self.contracts:
            return False
        if who.customer and who.customer not in self.customers:
            return False
        if self.waivable and who.waived and who.customer in ("micro_business", "small_business"):
            return False
        if (not who.contract and self.contracts != frozenset(CONTRACTS)) or (
            not who.customer and self.customers != frozenset(CUSTOMERS)
        ):
            return None
        return True

    def basis_for(self, who: Situation) -> str:
        """The legal basis in the owner's situation, "" when the pack states none for it."""
        return _pick(self.basis, who)

    def caveat_for(self, who: Situation) -> str:
        """What could not be verified about the rule in the owner's situation, "" for nothing."""
        return _pick(self.caveat, who)


def _pick(table: Mapping[str, str], who: Situation) -> str:
    for key in (who.customer, who.contract, "any"):
        if key and key in table:
            return table[key]
    return ""


@dataclass(frozen=True)
class Uprating:
    """Amounts marked ``uprated`` rise each year from ``first`` (on its month and day) by the index of the year
    before: ``percents`` are (year of the index, percent, where it is published), one per year from the first."""

    title: str
    source: Source
    first: date
    percents: tuple[tuple[int, Decimal, Source], ...]


@dataclass(frozen=True)
class Status:
    """Whether the rules are in force: ``state`` "uncertain" says plainly that they may not be (``note`` why)."""

    state: str
    note: str
    source: Source


@dataclass(frozen=True)
class Pack:
    id: str
    name: str
    version: str
    jurisdiction: str
    currency: str
    effective_from: date
    causes: frozenset[Cause]
    rate_date: str
    notes: tuple[str, ...]
    sources: Mapping[str, Source]
    amounts: Mapping[str, Amount]
    sections: Mapping[str, Mapping[str, Any]]  # rule sections, values checked against SECTIONS
    uprating: Uprating | None = None
    status: Status | None = None

    def section(self, name: str) -> Mapping[str, Any]:
        return self.sections[name]

    def source_of(self, section: str, key: str = "source") -> Source:
        return self.sources[self.sections[section][key]]

    def scope(self, section: str) -> Scope:
        found: Scope = self.sections[section]["scope"]
        return found

    def day_test(self, section: str) -> DayTest:
        found: DayTest = self.sections[section]["day_test"]
        return found

    @property
    def uncertain(self) -> str:
        """The status note when the rules may not be in force, else ""."""
        return self.status.note if self.status is not None and self.status.state != "in force" else ""


# --- schema -------------------------------------------------------------------------------------------------

_PEAK = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
_TOP = {
    "id": str,
    "name": str,
    "version": str,
    "jurisdiction": str,
    "currency": str,
    "effective_from": date,
    "causes": list,
    "sources": dict,
}
_OPTIONAL_TOP = {"notes": list, "rate_date": str, "amounts": dict, "uprating": dict, "status": dict}
# Keys every rule section may have: who it covers (see ``Scope``). A kind ending in "?" is optional.
_SCOPE = {
    "contracts": "contracts?",
    "customers": "customers?",
    "waivable": "bool?",
    "basis": "basis?",
    "outside": "str?",
    "caveat": "basis?",
}
# The days a rule pays (see ``DayTest``), and the limits some rules put on them.
_DAYS = {"day_test": "day_test?", "day_hours": "count?", "pause_declined": "bool?", "planned": "planned?"}
# Rule sections: key → kind; "source" and "amount" name an entry of [sources] or [amounts].
SECTIONS: dict[str, dict[str, str]] = {
    "repair": {
        "title": "str",
        "source": "source",
        "working_days": "count",
        "amount": "amount",
        "notice_after_days": "count?",
        "notice_stop_days": "count?",
        **_DAYS,
        **_SCOPE,
    },
    "appointment": {"title": "str", "source": "source", "amount": "amount", **_SCOPE},
    "speeds": {
        "title": "str",
        "source": "source",
        "effective_from": "date",
        "business_peak": "peak",
        "residential_peak": "peak",
        "exit_after_days": "count",
        **_SCOPE,
    },
    "adr": {"title": "str", "source": "source", "body": "str", "waits": "waits", **_SCOPE},
    "outage": {"title": "str", "source": "source", "grace_days": "count", "steps": "steps", **_DAYS, **_SCOPE},
    "switch": {"title": "str", "source": "source", "amount": "amount", "free_working_days": "count", **_DAYS, **_SCOPE},
    "switch_appointment": {"title": "str", "source": "source", "amount": "amount", **_SCOPE},
    "move": {"title": "str", "source": "source", "amount": "amount", "free_working_days": "count", **_DAYS, **_SCOPE},
    "port": {"title": "str", "source": "source", "amount": "amount", "grace_working_days": "count", **_SCOPE},
    "interruption": {
        "title": "str",
        "source": "source",
        "min_hours": "count",
        "inclusive": "bool?",
        "fee_divisor": "count",
        "minimum": "amount?",
        "steps": "steps?",
        **_DAYS,
        **_SCOPE,
    },
    "label": {"title": "str", "source": "source", "complaint_source": "source", **_SCOPE},
}
_AMOUNT_KEYS = {"description", "unit", "rates", "percent_of_fee", "unverified_from", "uprated"}
_KINDS = {
    str: "a string",
    date: "a date",
    list: "a list",
    dict: "a table",
    int: "an integer",
    float: "a number",
    bool: "true or false",
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, datetime):
        return "a date-time"
    for kind, name in _KINDS.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _is(value: Any, kind: type) -> bool:
    if kind is date:
        return isinstance(value, date) and not isinstance(value, datetime)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is bool:
        return isinstance(value, bool)
    return isinstance(value, kind)


class _Reader:
    """Collects (key, message) problems while reading one document."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def bad(self, key: str, message: str) -> None:
        self.problems.append((key, message))

    def get(self, table: Mapping[str, Any], key: str, name: str, kind: type, *, required: bool = True) -> Any:
        if name not in table:
            if required:
                self.bad(key, "is missing")
            return None
        value = table[name]
        if not _is(value, kind):
            self.bad(key, f"must be {_KINDS[kind]}, not {_kind(value)}")
            return None
        if kind is float:
            value = float(value)
            if not math.isfinite(value) or value < 0:
                self.bad(key, f"must be a finite number, 0 or more, got {value!r}")
                return None
        return value

    def unknown(self, table: Mapping[str, Any], prefix: str, known: Any) -> None:
        for name in table:
            if name not in known:
                self.bad(f"{prefix}{name}", f"unknown key; valid keys are: {', '.join(sorted(known))}")


def parse(text: str, file: str) -> Pack:
    """The pack in ``text`` (the contents of ``file``, named in errors). Raises PackError."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PackError(file, [("(syntax)", str(err))]) from err
    r = _Reader()
    r.unknown(doc, "", {*_TOP, *_OPTIONAL_TOP, *SECTIONS})
    top = {name: r.get(doc, name, name, kind) for name, kind in _TOP.items()}
    top |= {name: r.get(doc, name, name, kind, required=False) for name, kind in _OPTIONAL_TOP.items()}
    stem = file.rsplit("/", 1)[-1].removesuffix(".toml")
    if top["id"] is not None and top["id"] != stem:
        r.bad("id", f'must be the file name without .toml ("{stem}"), got "{top["id"]}"')
    if top["currency"] is not None and not re.fullmatch(r"[A-Z]{3}", top["currency"]):
        r.bad("currency", f'must be an ISO 4217 code of three capital letters, got "{top["currency"]}"')
    causes = _causes(r, top["causes"] or [])
    sources = _sources(r, top["sources"] or {})
    amounts = _amounts(r, top["amounts"] or {}, sources)
    rising = _uprating(r, top["uprating"], sources) if top["uprating"] is not None else None
    amounts = _uprated(r, amounts, rising, top["currency"] or "")
    status = _status(r, top["status"], sources) if top["status"] is not None else None
    rate_date = top["rate_date"] or "day"
    if rate_date not in RATE_DATES:
        r.bad("rate_date", f'must be one of {", ".join(RATE_DATES)}, got "{rate_date}"')
    notes = top["notes"] or []
    for i, note in enumerate(notes):
        if not isinstance(note, str):
            r.bad(f"notes[{i}]", f"must be a string, not {_kind(note)}")
    sections = {name: _section(r, name, doc[name], sources, amounts) for name in SECTIONS if name in doc}
    for name in REQUIRED.get(stem, ()):
        if name not in doc:
            r.bad(name, f"is missing: the {stem} rules need a [{name}] table")
    if r.problems:
        raise PackError(file, r.problems)
    return Pack(
        id=top["id"],
        name=top["name"],
        version=top["version"],
        jurisdiction=top["jurisdiction"],
        currency=top["currency"],
        effective_from=top["effective_from"],
        causes=causes,
        rate_date=rate_date,
        notes=tuple(notes),
        sources=sources,
        amounts=amounts,
        sections=sections,
        uprating=rising,
        status=status,
    )


def _causes(r: _Reader, items: list[Any]) -> frozenset[Cause]:
    valid = [c.value for c in Cause if c is not Cause.LOCAL]
    found: set[Cause] = set()
    for i, item in enumerate(items):
        if item == Cause.LOCAL.value:
            r.bad(f"causes[{i}]", "must not be \"local\": a fault on the owner's side is never the provider's")
        elif item not in valid:
            r.bad(f"causes[{i}]", f"must be one of {', '.join(valid)}, got {item!r}")
        else:
            found.add(Cause(item))
    if {Cause.ISP, Cause.UPSTREAM} <= found:
        # An outage whose ISP hop was not known is one of the two: counted either way, so it counts.
        found.add(Cause.ISP_OR_UPSTREAM)
    return frozenset(found)


def _sources(r: _Reader, table: Mapping[str, Any]) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for name, entry in table.items():
        key = f"sources.{name}"
        if not isinstance(entry, dict):
            r.bad(key, f"must be a table, not {_kind(entry)}")
            continue
        r.unknown(entry, f"{key}.", {"title", "url"})
        title, url = r.get(entry, f"{key}.title", "title", str), r.get(entry, f"{key}.url", "url", str)
        if url is not None and not url.startswith("https://"):
            r.bad(f"{key}.url", f'must be an https:// URL, got "{url}"')
        if title is not None and url is not None:
            sources[name] = Source(title, url)
    return sources


def _ref(r: _Reader, key: str, value: Any, names: Mapping[str, Any], what: str) -> None:
    if isinstance(value, str) and value not in names:
        r.bad(key, f'names no entry of [{what}]: "{value}"; known: {", ".join(sorted(names)) or "none"}')


def _amounts(r: _Reader, table: Mapping[str, Any], sources: Mapping[str, Source]) -> dict[str, Amount]:
    amounts: dict[str, Amount] = {}
    for name, entry in table.items():
        key = f"amounts.{name}"
        if not isinstance(entry, dict):
            r.bad(key, f"must be a table, not {_kind(entry)}")
            continue
        r.unknown(entry, f"{key}.", _AMOUNT_KEYS)
        description = r.get(entry, f"{key}.description", "description", str)
        unit = r.get(entry, f"{key}.unit", "unit", str)
        percent = r.get(entry, f"{key}.percent_of_fee", "percent_of_fee", float, required=False) or 0.0
        unverified = r.get(entry, f"{key}.unverified_from", "unverified_from", date, required=False)
        rising = bool(r.get(entry, f"{key}.uprated", "uprated", bool, required=False))
        rates: list[Rate] = []
        for i, row in enumerate(r.get(entry, f"{key}.rates", "rates", list) or []):
            at = f"{key}.rates[{i}]"
            if not isinstance(row, dict):
                r.bad(at, f"must be a table, not {_kind(row)}")
                continue
            r.unknown(row, f"{at}.", {"from", "amount", "source"})
            start = r.get(row, f"{at}.from", "from", date)
            value = r.get(row, f"{at}.amount", "amount", float)
            source = r.get(row, f"{at}.source", "source", str)
            _ref(r, f"{at}.source", source, sources, "sources")
            if rates and start is not None and start <= rates[-1].effective_from:
                r.bad(f"{at}.from", f"must be after the previous rate's date ({rates[-1].effective_from})")
            elif start is not None and value is not None and source in sources:
                rates.append(Rate(start, value, sources[source]))
        if "rates" in entry and not entry["rates"]:
            r.bad(f"{key}.rates", "must list at least one rate")
        if description is not None and unit is not None and rates:
            amounts[name] = Amount(name, description, unit, tuple(rates), percent, unverified, rising)
    return amounts


def _uprating(r: _Reader, table: Mapping[str, Any], sources: Mapping[str, Source]) -> Uprating | None:
    r.unknown(table, "uprating.", {"title", "source", "first", "cpi"})
    title = r.get(table, "uprating.title", "title", str)
    source = r.get(table, "uprating.source", "source", str)
    _ref(r, "uprating.source", source, sources, "sources")
    first = r.get(table, "uprating.first", "first", date)
    percents: list[tuple[int, Decimal, Source]] = []
    for i, row in enumerate(r.get(table, "uprating.cpi", "cpi", list) or []):
        at = f"uprating.cpi[{i}]"
        if not isinstance(row, dict):
            r.bad(at, f"must be a table, not {_kind(row)}")
            continue
        r.unknown(row, f"{at}.", {"october", "percent", "source"})
        year = r.get(row, f"{at}.october", "october", int)
        percent = r.get(row, f"{at}.percent", "percent", float)
        named = r.get(row, f"{at}.source", "source", str)
        _ref(r, f"{at}.source", named, sources, "sources")
        expected = (first.year - 1 + len(percents)) if first is not None else None
        if year is not None and expected is not None and year != expected:
            r.bad(f"{at}.october", f"must be {expected}: one index a year, in order, from the year before first")
        elif year is not None and percent is not None and named in sources:
            percents.append((year, decimal(percent), sources[named]))
    if title is None or source not in sources or first is None:
        return None
    return Uprating(title, sources[source], first, tuple(percents))


def _uprated(r: _Reader, amounts: dict[str, Amount], rising: Uprating | None, currency: str) -> dict[str, Amount]:
    """``amounts`` with the years the uprating computes added (marked computed), each published rate from its first
    year checked against it, and ``unverified_from`` the first year the pack has no index for."""
    out = dict(amounts)
    for name, amount in amounts.items():
        if not amount.uprated:
            continue
        key = f"amounts.{name}"
        if rising is None:
            r.bad(f"{key}.uprated", "is true but the pack has no [uprating] table")
            continue
        base = [rate for rate in amount.rates if rate.effective_from < rising.first]
        if not base:
            r.bad(f"{key}.rates", f"must have a rate from before {rising.first}, which the uprating starts from")
            continue
        steps = chain(decimal(base[-1].amount), rising.first, [percent for _, percent, _ in rising.percents])
        by_date = {step.effective: step for step in steps}
        rates = list(base)
        published = {rate.effective_from: (i, rate) for i, rate in enumerate(amount.rates) if rate not in base}
        for day, (i, rate) in published.items():
            step = by_date.get(day)
            if step is None:
                r.bad(
                    f"{key}.rates[{i}].from",
                    f"must be an uprating date ({rising.first.strftime('%d %B')} of a year the [uprating] index "
                    f"gives), got {day}",
                )
            elif decimal(rate.amount) != step.amount:
                r.bad(
                    f"{key}.rates[{i}].amount",
                    f"{rate.amount:.2f} is not what the uprating gives for {day}: {step.formula()}, to the penny",
                )
        for step, (year, _, index) in zip(steps, rising.percents, strict=True):
            found = published.get(step.effective)
            if found is not None:
                rates.append(found[1])
                continue
            formula = f"{step.formula(_sign(currency))} ({index.title}, October {year})"
            rates.append(Rate(step.effective, float(step.amount), rising.source, True, formula))
        stale = rising.first.replace(year=rising.first.year + len(steps))
        out[name] = dataclasses.replace(amount, rates=tuple(rates), unverified_from=amount.unverified_from or stale)
    return out


def _sign(currency: str) -> str:
    return {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency, "")


def _status(r: _Reader, table: Mapping[str, Any], sources: Mapping[str, Source]) -> Status | None:
    r.unknown(table, "status.", {"state", "note", "source"})
    state = r.get(table, "status.state", "state", str)
    note = r.get(table, "status.note", "note", str)
    source = r.get(table, "status.source", "source", str)
    _ref(r, "status.source", source, sources, "sources")
    if state is not None and state not in STATES:
        r.bad("status.state", f'must be one of {", ".join(STATES)}, got "{state}"')
        return None
    if state is None or note is None or source not in sources:
        return None
    return Status(state, note, sources[source])


def _choice(r: _Reader, key: str, value: Any, choices: tuple[str, ...]) -> Any:
    if isinstance(value, str) and value not in choices:
        r.bad(key, f'must be one of {", ".join(choices)}, got "{value}"')
        return None
    return value


def _section(r: _Reader, name: str, table: Any, sources: Mapping[str, Source], amounts: Mapping[str, Amount]) -> Any:
    if not isinstance(table, dict):
        r.bad(name, f"must be a table, not {_kind(table)}")
        return {}
    schema = SECTIONS[name]
    r.unknown(table, f"{name}.", schema)
    out: dict[str, Any] = {}
    for field, spec in schema.items():
        key = f"{name}.{field}"
        kind, optional = spec.removesuffix("?"), spec.endswith("?")
        plain = {"str": str, "date": date, "count": int, "bool": bool, "source": str, "amount": str}
        if kind in plain:
            out[field] = r.get(table, key, field, plain[kind], required=not optional)
            if kind == "count" and out[field] is not None and out[field] < 0:
                r.bad(key, f"must be 0 or more, got {out[field]}")
            if kind in ("source", "amount"):
                _ref(r, key, out[field], sources if kind == "source" else amounts, f"{kind}s")
        elif kind in ("day_test", "planned"):
            out[field] = _choice(r, key, r.get(table, key, field, str, required=False), _CHOICES[kind])
        elif kind in ("contracts", "customers"):
            choices = CONTRACTS if kind == "contracts" else CUSTOMERS
            items = r.get(table, key, field, list, required=False)
            out[field] = None if items is None else [_choice(r, f"{key}[{i}]", v, choices) for i, v in enumerate(items)]
        elif kind == "basis":
            found = r.get(table, key, field, dict, required=False) or {}
            r.unknown(found, f"{key}.", (*CONTRACTS, *CUSTOMERS, "any"))
            out[field] = {k: v for k, v in found.items() if r.get(found, f"{key}.{k}", k, str) is not None}
        elif kind == "peak":
            text = r.get(table, key, field, str)
            match = _PEAK.fullmatch(text) if text is not None else None
            if text is not None and match is None:
                r.bad(key, f'must be "HH:MM-HH:MM", got "{text}"')
            elif match is not None:
                begin, end = int(match[1]) * 60 + int(match[2]), int(match[3]) * 60 + int(match[4])
                if not 0 <= begin < end <= 24 * 60:
                    r.bad(key, f'must start before it ends within one day, got "{text}"')
                out[field] = (begin, end)
        elif kind == "steps":
            out[field] = _steps(r, key, r.get(table, key, field, list, required=not optional) or [], amounts)
        elif kind == "waits":
            out[field] = _waits(r, key, r.get(table, key, field, list) or [])
    test = out.get("day_test") or "any"
    if test == "hours" and not out.get("day_hours"):
        r.bad(f"{name}.day_hours", 'is missing: day_test = "hours" needs the hours a day must be down')
    out["day_test"] = DayTest(test, int(out.get("day_hours") or 0))
    out["scope"] = Scope(
        frozenset(v for v in out.get("contracts") or CONTRACTS if v),
        frozenset(v for v in out.get("customers") or CUSTOMERS if v),
        bool(out.get("waivable")),
        out.get("basis") or {},
        out.get("outside") or "",
        out.get("caveat") or {},
    )
    return out


_CHOICES = {"day_test": DAY_TESTS, "planned": PLANNED}


def _steps(r: _Reader, key: str, items: list[Any], amounts: Mapping[str, Amount]) -> tuple[tuple[int, str], ...]:
    steps: list[tuple[int, str]] = []
    for i, row in enumerate(items):
        at = f"{key}[{i}]"
        if not isinstance(row, dict):
            r.bad(at, f"must be a table, not {_kind(row)}")
            continue
        r.unknown(row, f"{at}.", {"from_day", "amount"})
        day, amount = r.get(row, f"{at}.from_day", "from_day", int), r.get(row, f"{at}.amount", "amount", str)
        _ref(r, f"{at}.amount", amount, amounts, "amounts")
        if steps and day is not None and day <= steps[-1][0]:
            r.bad(f"{at}.from_day", f"must be after the previous step's day ({steps[-1][0]})")
        elif day is not None and amount in amounts:
            steps.append((day, amount))
    return tuple(steps)


def _waits(r: _Reader, key: str, items: list[Any]) -> tuple[tuple[date, int], ...]:
    """(from, weeks) rows: from that day of the complaint, the weeks to wait for an ombudsman."""
    waits: list[tuple[date, int]] = []
    for i, row in enumerate(items):
        at = f"{key}[{i}]"
        if not isinstance(row, dict):
            r.bad(at, f"must be a table, not {_kind(row)}")
            continue
        r.unknown(row, f"{at}.", {"from", "weeks"})
        start, weeks = r.get(row, f"{at}.from", "from", date), r.get(row, f"{at}.weeks", "weeks", int)
        if waits and start is not None and start <= waits[-1][0]:
            r.bad(f"{at}.from", f"must be after the previous row's date ({waits[-1][0]})")
        elif start is not None and weeks is not None:
            waits.append((start, weeks))
    return tuple(waits)


@cache
def load(rules: str) -> Pack:
    """The shipped pack ``rules`` ("uk-ofcom", ...). Raises KeyError for an unknown name, PackError if broken."""
    if rules not in PACKS:
        raise KeyError(rules)
    file = f"{rules}.toml"
    text = resources.files("netwatch.core.claims").joinpath("packs").joinpath(file).read_text(encoding="utf-8")
    return parse(text, f"netwatch/core/claims/packs/{file}")
