"""Rule packs: versioned data files (``packs/<id>.toml``, shipped with the package) and their validation.

Owns the ``Pack`` record, the schema every pack file follows and the one place that reads them. A pack holds the
figures of a country's rules with their effective dates and sources; the rules' logic lives in the modules named
after them. Reading the shipped files is the only I/O here; a broken file raises ``PackError`` naming the file and
the key. Must not compute a claim: the rules' modules do.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from netwatch.core.claims.model import Source
from netwatch.core.model import Cause
from netwatch.errors import NetwatchError

PACKS = ("uk-ofcom", "de-tkg", "us-fcc")
# The rule sections each shipped pack's computations read.
REQUIRED = {"uk-ofcom": ("repair", "appointment", "speeds"), "de-tkg": ("outage", "appointment"), "us-fcc": ("label",)}
RATE_DATES = ("day", "reported")


class PackError(NetwatchError):
    """A rule pack file is not valid; the message names the file and the key of every problem."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{file}: {key}: {message}" for key, message in problems))


@dataclass(frozen=True)
class Rate:
    effective_from: date
    amount: float
    source: Source


@dataclass(frozen=True)
class Amount:
    """One amount of a pack and its history. ``percent_of_fee`` > 0: the amount due is the larger of the rate and
    that share of the monthly fee. ``unverified_from``: no published figure was verified from that date on, so
    the last verified rate is used and said to be so."""

    key: str
    description: str
    unit: str
    rates: tuple[Rate, ...]  # by effective date, ascending
    percent_of_fee: float = 0.0
    unverified_from: date | None = None

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

    def section(self, name: str) -> Mapping[str, Any]:
        return self.sections[name]

    def source_of(self, section: str, key: str = "source") -> Source:
        return self.sources[self.sections[section][key]]


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
_OPTIONAL_TOP = {"notes": list, "rate_date": str, "amounts": dict}
# Rule sections: key → kind; "source" and "amount" name an entry of [sources] or [amounts].
SECTIONS: dict[str, dict[str, str]] = {
    "repair": {"title": "str", "source": "source", "working_days": "count", "amount": "amount"},
    "appointment": {"title": "str", "source": "source", "amount": "amount"},
    "speeds": {
        "title": "str",
        "source": "source",
        "effective_from": "date",
        "business_peak": "peak",
        "residential_peak": "peak",
        "exit_after_days": "count",
    },
    "outage": {"title": "str", "source": "source", "grace_days": "count", "steps": "steps"},
    "label": {"title": "str", "source": "source", "complaint_source": "source"},
}
_AMOUNT_KEYS = {"description", "unit", "rates", "percent_of_fee", "unverified_from"}
_KINDS = {str: "a string", date: "a date", list: "a list", dict: "a table", int: "an integer", float: "a number"}


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
            amounts[name] = Amount(name, description, unit, tuple(rates), percent, unverified)
    return amounts


def _section(r: _Reader, name: str, table: Any, sources: Mapping[str, Source], amounts: Mapping[str, Amount]) -> Any:
    if not isinstance(table, dict):
        r.bad(name, f"must be a table, not {_kind(table)}")
        return {}
    schema = SECTIONS[name]
    r.unknown(table, f"{name}.", schema)
    checks: dict[str, Callable[[str, Any], Any]] = {
        "str": lambda key, value: r.get(table, key, value, str),
        "date": lambda key, value: r.get(table, key, value, date),
        "count": lambda key, value: r.get(table, key, value, int),
    }
    out: dict[str, Any] = {}
    for field, kind in schema.items():
        key = f"{name}.{field}"
        if kind in checks:
            out[field] = checks[kind](key, field)
            if kind == "count" and out[field] is not None and out[field] < 0:
                r.bad(key, f"must be 0 or more, got {out[field]}")
        elif kind in ("source", "amount"):
            out[field] = r.get(table, key, field, str)
            _ref(r, key, out[field], sources if kind == "source" else amounts, f"{kind}s")
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
            out[field] = _steps(r, key, r.get(table, key, field, list) or [], amounts)
    return out


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


@cache
def load(rules: str) -> Pack:
    """The shipped pack ``rules`` ("uk-ofcom", ...). Raises KeyError for an unknown name, PackError if broken."""
    if rules not in PACKS:
        raise KeyError(rules)
    file = f"{rules}.toml"
    text = resources.files("netwatch.core.claims").joinpath("packs").joinpath(file).read_text(encoding="utf-8")
    return parse(text, f"netwatch/core/claims/packs/{file}")
