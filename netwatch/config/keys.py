"""How a record field declares its configuration key: the ``key`` and ``subtables`` helpers and what they store.

Owns the declaration of one key (default, one-line help, the noun of its type-fix message, its checks, a default
taken from another key, paths beside the configuration file) as ``dataclasses.field`` metadata, so that each key
is declared once, on the field of its record. Must not know any table nor validate anything: ``schema`` reads
these declarations back (with the kind each field's annotation gives) and does the checking.
"""

from __future__ import annotations

from dataclasses import Field, dataclass, field
from pathlib import Path
from typing import Annotated, Any

from netwatch.config.checks import Check

_KEY = "netwatch.config.key"
_SUBTABLES = "netwatch.config.subtables"


class Argv:
    """The kind of a key holding a command line: ["program", "arg"] or "program arg" (split like a shell)."""


# The annotation of a command-line field: a tuple of words to the type checker, a command line to the schema.
Command = Annotated[tuple[str, ...], Argv]


@dataclass(frozen=True)
class Key:
    """One key as its field declares it. ``default`` is the field's default, as the record holds it (a Path key's
    "" is None); ``noun`` says what to write, for the fix of a wrong type; ``checks`` run once the type is right;
    ``default_from`` names the dotted key whose value is used when this one is absent; ``beside_config`` resolves
    a relative Path against the configuration file's directory instead of the state directory."""

    default: Any
    help: str
    noun: str
    checks: tuple[Check, ...] = ()
    default_from: str | None = None
    beside_config: bool = False


def key(
    default: Any,
    help: str,
    noun: str,
    *checks: Check,
    default_from: str | None = None,
    beside_config: bool = False,
) -> Any:
    """A record field that is a configuration key (typed ``Any`` so that it fits any annotation, as
    ``dataclasses.field`` does). The key's kind is the field's annotation: str, int, float, bool, a tuple of
    strings (a TOML list), ``Command`` (a list, or a string split into words) or a Path (``Path | None`` when ""
    is allowed: it becomes None)."""
    declared = Key(default, help, noun, checks, default_from, beside_config)
    return field(default=default, metadata={_KEY: declared})


def subtables(*names: str) -> Any:
    """A record field holding the ``[table.<name>]`` sub-tables allowed, as written (a mapping); a cross-check
    validates them."""
    return field(default_factory=dict, metadata={_SUBTABLES: names})


def declared_key(item: Field[Any]) -> Key | None:
    return item.metadata.get(_KEY)


def declared_subtables(item: Field[Any]) -> tuple[str, ...] | None:
    return item.metadata.get(_SUBTABLES)


def plain(value: Any) -> Any:
    """A record's value as the file writes it: a tuple as a list, a Path as text, None (no path) as ""."""
    if value is None:
        return ""
    return list(value) if isinstance(value, tuple) else str(value) if isinstance(value, Path) else value
