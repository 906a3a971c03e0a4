"""The schema of the configuration file, derived from the records, and the validation of a parsed document.

Owns ``TABLES`` (for each table of ``Config``: its record, the keys its fields declare in their order, the kind
each field's annotation gives, its allowed sub-tables), the tables validated by their owner (``DELEGATED``), the
rules across keys, converting a value to its key's kind, the problems of the file's shape (unknown tables and keys
with a suggestion, wrong types), the order problems are reported in, and building the records from valid values.
Must not read files or the environment: ``loading`` hands it a parsed document and the state directory.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from netwatch.config import toml as tomlout
from netwatch.config.checks import (
    below_interval,
    claims_keys,
    influxdb_keys,
    notify_channels,
    pool_keys,
    show,
    timestamp_keys,
    web_keys,
    witness_keys,
)
from netwatch.config.keys import Argv, Key, declared_key, declared_subtables, plain
from netwatch.config.records import Config, StateDirectory
from netwatch.config.speed import speedtest_backends
from netwatch.core.schedule import DAYS, KEYS, BusinessHours
from netwatch.core.text import visible
from netwatch.errors import ConfigError, Problem


@dataclass(frozen=True)
class Table:
    """One TOML table: the record built from it, its keys in declared order with their kinds (str, int, float,
    bool, list, Argv or Path), and the ``[table.<name>]`` sub-tables allowed, kept as written in the record's
    ``options`` field."""

    record: type[Any]
    keys: Mapping[str, Key]
    kinds: Mapping[str, type]
    subtables: Collection[str] = ()


def kind_of(hint: Any) -> type:
    """The kind of key a record field's (resolved) annotation declares."""
    if get_origin(hint) is Annotated:
        base, *marks = get_args(hint)
        return Argv if Argv in marks else kind_of(base)
    if hint in (str, int, float, bool):
        return hint  # type: ignore[no-any-return]
    if get_origin(hint) is tuple:
        return list
    if hint is Path or Path in get_args(hint):
        return Path
    raise TypeError(f"a configuration key cannot be of type {hint!r}")


def table(record: type[Any]) -> Table:
    """The table a record declares: every field is a key (``keys.key``), or the sub-tables (``keys.subtables``,
    in a field named ``options``)."""
    hints = get_type_hints(record, include_extras=True)
    keys: dict[str, Key] = {}
    kinds: dict[str, type] = {}
    subtables: Collection[str] = ()
    for item in fields(record):
        declared, names = declared_key(item), declared_subtables(item)
        if declared is not None:
            keys[item.name], kinds[item.name] = declared, kind_of(hints[item.name])
        elif names is not None and item.name == "options":
            subtables = names
        else:
            raise TypeError(f"{record.__name__}.{item.name} declares no configuration key")
    return Table(record, keys, kinds, subtables)


# Tables validated by their owner: name → from_config(table), which raises ConfigError; the value has to_table().
DELEGATED: dict[str, Callable[..., Any]] = {"business_hours": BusinessHours.from_config}  # (table, *, calendars)
# Every other record of Config is a table, in the order of Config's fields.
TABLES: dict[str, Table] = {
    name: table(hint)
    for name, hint in get_type_hints(Config).items()
    if name not in DELEGATED and isinstance(hint, type) and is_dataclass(hint)
}
ORDER = [*TABLES, *DELEGATED]

# Rules across keys: (values of the valid keys by dotted path, dotted paths present in the file) → problems.
CROSS_CHECKS: tuple[Callable[[Mapping[str, Any], Collection[str]], Iterable[Problem]], ...] = (
    below_interval,
    influxdb_keys,
    speedtest_backends,
    notify_channels,
    timestamp_keys,
    witness_keys,
    claims_keys,
    web_keys,
    pool_keys,
)


# --- types ---------------------------------------------------------------------------------------------------

MAX_TEXT = 4096  # characters of a string value (a path, a URL, a postal address)
MAX_ITEMS = 64  # items of a list value
MAX_INT = 2**63 - 1  # an integer beyond what SQLite and a float can hold is a typing accident, not a setting
_KINDS: dict[type, str] = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "a list"}


def describe(value: Any) -> str:
    """What a TOML value is, for a message: "an integer (3)", "a table"."""
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int | float | str):
        return f"{'a float' if isinstance(value, float) else _KINDS[type(value)]} ({show(value)})"
    if isinstance(value, datetime | date | time):
        kind = "a date-time" if isinstance(value, datetime) else "a date" if isinstance(value, date) else "a time"
        return f"{kind} ({value.isoformat()})"
    return "a table" if isinstance(value, dict) else "a list"


def _typed(dotted: str, kind: type, key: Key, value: Any) -> tuple[Any, list[Problem]]:
    """The value converted to the key's kind (None if impossible) and the problems found."""
    name = dotted.rpartition(".")[2]
    fix = f"write {key.noun}, e.g. {name} = {tomlout.value(plain(key.default))}"
    kind = str if kind is Path else kind
    if kind is Argv:
        if isinstance(value, str):
            try:
                value = shlex.split(value)
            except ValueError as err:  # an unclosed quote
                return None, [Problem(dotted, f"cannot be split into words: {err}", "close the quote, or " + fix)]
        elif not isinstance(value, list):
            return None, [Problem(dotted, f"must be a string or a list of strings, not {describe(value)}", fix)]
        kind = list
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        digits = len(str(abs(value)))
        return None, [Problem(dotted, f"is a {digits}-digit number, beyond any value it can take", fix)]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        if (unquoted := _quoted_number(kind, value)) is not None:
            fix = f"write it without quotes: {name} = {tomlout.value(unquoted)}"
        return None, [Problem(dotted, f"must be {_KINDS[kind]}, not {describe(value)}", fix)]
    if isinstance(value, float) and not math.isfinite(value):
        return None, [Problem(dotted, f"must be a finite number, got {show(value)}", fix)]
    if isinstance(value, str) and visible(value) != value:
        found = ", ".join(sorted({f"U+{ord(c):04X}" for c in value if c not in visible(c)}))
        return None, [Problem(dotted, f"holds invisible control characters ({found})", "remove them")]
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return None, [Problem(dotted, f"is {len(value)} characters long, more than {MAX_TEXT}", f"shorten it; {fix}")]
    if isinstance(value, list) and len(value) > MAX_ITEMS:
        return None, [Problem(dotted, f"lists {len(value)} items, more than {MAX_ITEMS}", "keep the ones you need")]
    if isinstance(value, list):
        wrong = [
            Problem(f"{dotted}[{i}]", f"must be a string, not {describe(item)}", fix)
            for i, item in enumerate(value)
            if not isinstance(item, str)
        ]
        if wrong:
            return None, wrong
    return value, []


def _quoted_number(kind: type, value: Any) -> int | float | None:
    """The number a string holds when a number of ``kind`` was wanted ("45" for a float key: 45.0), else None."""
    if kind not in (int, float) or not isinstance(value, str):
        return None
    try:
        number = kind(value.strip())
    except ValueError:
        return None
    return number if isinstance(number, int) or math.isfinite(number) else None


# --- unknown tables and keys -----------------------------------------------------------------------------------

# The keys of every table, delegated ones included, to point a key written in the wrong table at its home.
_HOMES: dict[str, Collection[str]] = {
    **{name: spec.keys for name, spec in TABLES.items()},
    "business_hours": [k for k in KEYS if k != "week"],
    "business_hours.week": DAYS,
}


def _unknown(dotted: str, name: str, valid: Collection[str], what: str, *, table: str | None = None) -> Problem:
    import difflib  # only for a suggestion, when a value is wrong

    homes = [f"[{home}]" for home, keys in _HOMES.items() if name in keys and home != table]
    close = difflib.get_close_matches(name, valid, n=1)
    if homes and what == "key":
        fix = f"move it into the {' or '.join(homes)} table"
    elif close:
        fix = f'did you mean "{close[0]}"?'
    elif table is None and what == "key":
        fix = f"write keys inside a table: {', '.join(f'[{t}]' for t in ORDER)}"
    else:
        fix = f"valid {what}s are: {', '.join(sorted(valid))}"
    return Problem(dotted, f"unknown {what}", fix)


def _top_level(doc: Mapping[str, Any]) -> Iterator[Problem]:
    for name, item in doc.items():
        if name in ORDER and not isinstance(item, dict):
            yield Problem(name, f"must be a table, not {describe(item)}", f"write it as a [{name}] table")
        elif name not in ORDER:
            yield _unknown(name, name, ORDER, "table" if isinstance(item, dict) else "key")


# --- validation ---------------------------------------------------------------------------------------------


def validate(doc: Mapping[str, Any], *, calendars: bool = True) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
    """(valid values by dotted key, delegated records by table, problems) for a parsed TOML document. A key
    left out has its default, as the file would write it (a Path key's "" or text, a list's tuple). ``calendars``
    False checks the holiday calendar's name for its form only (``BusinessHours.from_config``)."""
    problems = list(_top_level(doc))
    values: dict[str, Any] = {}
    given: set[str] = set()
    for name, spec in TABLES.items():
        raw = doc.get(name, {})
        raw = raw if isinstance(raw, dict) else {}
        problems += [
            _unknown(f"{name}.{n}", n, [*spec.keys, *spec.subtables], "key", table=name)
            for n in raw
            if n not in spec.keys and n not in spec.subtables
        ]
        if spec.subtables:
            problems += [
                Problem(f"{name}.{n}", f"must be a table, not {describe(raw[n])}", f"write it as a [{name}.{n}] table")
                for n in spec.subtables
                if n in raw and not isinstance(raw[n], dict)
            ]
            values[f"{name}.options"] = {n: raw[n] for n in spec.subtables if isinstance(raw.get(n), dict)}
        for key_name, key in spec.keys.items():
            dotted = f"{name}.{key_name}"
            if key_name not in raw:
                values[dotted] = plain(key.default) if spec.kinds[key_name] is Path else key.default
                continue
            given.add(dotted)
            value, wrong = _typed(dotted, spec.kinds[key_name], key, raw[key_name])
            wrong += [
                Problem(dotted + sub, msg, fix)
                for check in key.checks
                if value is not None
                for sub, msg, fix in check(dotted, value)
            ]
            problems += wrong
            if not wrong:
                values[dotted] = value
    for name, spec in TABLES.items():  # derived defaults, once every table's own values are known
        for key_name, key in spec.keys.items():
            dotted = f"{name}.{key_name}"
            if key.default_from and dotted not in given:
                if key.default_from in values:
                    values[dotted] = values[key.default_from]
                else:
                    values.pop(dotted, None)
    for cross in CROSS_CHECKS:
        problems += cross(values, given)
    delegated: dict[str, Any] = {}
    for name, from_config in DELEGATED.items():
        raw = doc.get(name, {})
        try:
            delegated[name] = from_config(raw if isinstance(raw, dict) else {}, calendars=calendars)
        except ConfigError as err:
            problems += err.problems
    return values, delegated, problems


def order(problem: Problem) -> tuple[int, int]:
    """Position of a problem's key in the schema: tables, then keys in the order they are declared."""
    name, _, rest = problem.key.partition(".")
    table_pos = ORDER.index(name) if name in ORDER else len(ORDER)
    keys = list(TABLES[name].keys) if name in TABLES else []
    leaf = re.split(r"[.\[]", rest, maxsplit=1)[0]
    return table_pos, (keys.index(leaf) if leaf in keys else len(keys)) if rest else -1


def build(values: Mapping[str, Any], delegated: Mapping[str, Any], source: str | None, state: StateDirectory) -> Config:
    """The Config of valid values (``validate`` found no problem); ``source`` is the file's path, if any."""
    state_dir = state.path
    records: dict[str, Any] = {}
    for name, spec in TABLES.items():
        given: dict[str, Any] = {}
        for key_name, key in spec.keys.items():
            value, kind = values[f"{name}.{key_name}"], spec.kinds[key_name]
            if kind is Path:
                value = _path(value, state_dir, Path(source).parent if key.beside_config and source else None)
            given[key_name] = tuple(value) if kind in (list, Argv) else value
        if spec.subtables:
            given["options"] = values[f"{name}.options"]
        records[name] = spec.record(**given)
    source_path = Path(source) if source else None
    return Config(**records, **delegated, source=source_path, state_dir=state_dir, state_origin=state.origin)


def _path(text: str, state_dir: Path, config_dir: Path | None) -> Path | None:
    """A Path key's value: "" is None; a relative path is resolved against ``config_dir`` when given (the
    configuration file's directory), else against the state directory (so also when there is no file)."""
    if not text:
        return None
    path = Path(text)
    return path if path.is_absolute() else (config_dir or state_dir) / path
