"""A small TOML emitter for netwatch's own value types.

Owns turning a nested mapping of plain values into TOML text that ``tomllib`` reads back to the same values.
Supports what configuration needs: strings, integers, floats, booleans, dates and times, lists of those, and
nested tables; ``None`` values are left out (TOML has no null: an absent key means "use the default"). Must
not do I/O or grow into a general TOML library: no arrays of tables, no inline tables, no comment preservation.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def key(name: str) -> str:
    """A TOML key: bare when it can be, quoted otherwise."""
    return name if _BARE_KEY.fullmatch(name) else string(name)


def string(text: str) -> str:
    """A TOML basic string; control characters are escaped so the result is always one line."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def value(item: Any) -> str:
    """One TOML value written inline. Raises TypeError for types this emitter does not support."""
    if isinstance(item, bool):  # before int: bool is an int subclass
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if math.isnan(item):
            return "nan"
        if math.isinf(item):
            return "inf" if item > 0 else "-inf"
        return repr(item)  # always has "." or "e", so it reads back as a float, exactly
    if isinstance(item, str):
        return string(item)
    if isinstance(item, dt.date | dt.time):  # datetime is a date subclass; isoformat is valid TOML for all
        return item.isoformat()
    if isinstance(item, list | tuple):
        return "[" + ", ".join(value(element) for element in item) + "]"
    raise TypeError(f"cannot write {type(item).__name__} as a TOML value")


def dumps(document: Mapping[str, Any], comments: Mapping[str, str] | None = None) -> str:
    """The TOML text of ``document``: top-level values first, then one ``[table]`` section per mapping.

    ``comments`` maps dotted key paths (e.g. ``"probe.interval"``) to a one-line comment written after the value.
    """
    lines: list[str] = []
    _table(document, (), comments or {}, lines)
    return "\n".join(lines).strip("\n") + "\n"


def _table(table: Mapping[str, Any], path: tuple[str, ...], comments: Mapping[str, str], lines: list[str]) -> None:
    for name, item in table.items():
        if item is None or isinstance(item, Mapping):
            continue
        line = f"{key(name)} = {value(item)}"
        comment = comments.get(".".join((*path, name)), "").replace("\n", " ")
        lines.append(f"{line}  # {comment}" if comment else line)
    for name, item in table.items():
        if isinstance(item, Mapping):
            sub = (*path, name)
            lines.extend(["", "[" + ".".join(key(part) for part in sub) + "]"])
            _table(item, sub, comments, lines)
