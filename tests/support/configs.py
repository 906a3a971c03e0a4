"""Configurations as the tests give them to netwatch: TOML text parsed with a test environment, TOML files
written for a command or a daemon, and the text of the error a bad configuration gets.

Owns the test environment ``ENV`` (a home directory and nothing else, whatever the machine has), parsing and
loading with it, the configuration document of a daemon the tests start, and writing documents as TOML (with
netwatch's own emitter, which tomllib reads back to the same values). Must not decide what a configuration
means: defaults, checks and messages are netwatch's, and the tests check them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from netwatch import config
from netwatch.config import toml as tomlout
from netwatch.errors import ConfigError

ENV = {"HOME": "/home/user"}


def parse(text: str, *, source: str | None = None, env: Mapping[str, str] = ENV) -> config.Config:
    """``text`` parsed as netwatch.toml would be (``source`` names it in messages; None: no file)."""
    return config.parse(text, source=source, env=dict(env))


def error(text: str, *, source: str | None = "netwatch.toml", env: Mapping[str, str] = ENV) -> str:
    """The message of the ConfigError that ``text`` gets (the test fails when it parses)."""
    with pytest.raises(ConfigError) as caught:
        config.parse(text, source=source, env=dict(env))
    return str(caught.value)


def office_hours(zone: str = "Europe/London") -> str:
    """The ``[business_hours]`` of an office open 09:00-17:30 Monday to Friday in ``zone``, as TOML text."""
    week = "".join(f'{day} = "09:00-17:30"\n' for day in ("mon", "tue", "wed", "thu", "fri"))
    return f'[business_hours]\ntimezone = "{zone}"\n[business_hours.week]\n{week}'


def toml(document: Mapping[str, Any]) -> str:
    """``document`` as TOML text; keys whose value is None are left out (netwatch's default applies)."""
    return tomlout.dumps(document)


def write(path: Path, document: Mapping[str, Any]) -> Path:
    """``document`` written to ``path`` as TOML (see ``toml``); returns ``path``."""
    path.write_text(toml(document))
    return path


def daemon(
    store: Path,
    anchors: Iterable[str],
    *,
    interval: float,
    timeout: float,
    dns_names: Iterable[str] = (),
    commit_interval: float = 0.5,
    seal_interval: float | None = None,
    mode: str | None = "unprivileged",
    **tables: Mapping[str, Any],
) -> dict[str, Any]:
    """The configuration document of a daemon a test starts: ``anchors`` probed every ``interval`` s (``mode``
    None: netwatch's default), the names ``dns_names`` resolved, the store at ``store``, every other commit a seal
    (``seal_interval`` None: twice ``commit_interval``; the others go to the round log, so that both paths run and
    the store is never much older than a test waits). ``tables`` adds tables, or keys to these ones
    (``probe={"name": "home"}``, ``targets={"gateway": ""}``, ``dns={"servers": [...]}``)."""
    seal = 2 * commit_interval if seal_interval is None else seal_interval
    document: dict[str, dict[str, Any]] = {
        "probe": {"interval": interval, "timeout": timeout, "mode": mode},
        "targets": {"anchors": list(anchors)},
        "dns": {"names": list(dns_names)},
        "store": {"path": str(store), "commit_interval": commit_interval, "seal_interval": seal},
    }
    return merged(document, tables)


def merged(document: Mapping[str, Mapping[str, Any]], tables: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``document`` with ``tables`` added; a table both have gets the keys of both (``tables``' win)."""
    out = {name: dict(table) for name, table in document.items()}
    for name, table in tables.items():
        out[name] = {**out.get(name, {}), **table}
    return out


def loopback(directory: Path, *, interval: float, timeout: float = 0.05) -> Path:
    """netwatch.toml written in ``directory`` for a daemon that runs without a network: two loopback anchors probed
    every ``interval`` s (no gateway, no ISP hop), business hours in UTC, the store beside the file."""
    document = daemon(
        directory / "netwatch.db",
        ["127.0.0.1", "127.0.0.2"],
        interval=interval,
        timeout=timeout,
        targets={"gateway": "", "isp": ""},
        business_hours={"timezone": "UTC"},
    )
    return write(directory / "netwatch.toml", document)
