"""Configuration: TOML text → a validated, frozen :class:`Config`, and back to TOML.

Owns the package's public API: ``load`` (the file from --config, $NETWATCH_CONFIG or ``DEFAULT_PATH``), ``parse``,
``render``, ``state_directory``, ``state_place``, ``Config`` and ``StateDirectory``. Must not hold code: each
concept is in the module named for it, ``records`` (the records, whose fields declare the keys), ``keys`` (how a
field declares one), ``schema`` (the tables derived from the records, validation), ``checks``, ``speed`` (the
speed-test backends' options), ``loading``, ``rendering`` and ``toml``. ``DEFAULT_PATH`` here is a copy to read:
``load`` reads ``loading.DEFAULT_PATH``, the one to change (as tests do).
"""

from __future__ import annotations

from netwatch.config.loading import DEFAULT_PATH, load, parse, state_directory, state_place
from netwatch.config.records import Config, StateDirectory
from netwatch.config.rendering import render
from netwatch.errors import ConfigError

__all__ = [
    "DEFAULT_PATH",
    "Config",
    "ConfigError",
    "StateDirectory",
    "load",
    "parse",
    "render",
    "state_directory",
    "state_place",
]
