"""The effective configuration written back as TOML, for ``netwatch check-config`` and the evidence bundle.

Owns ``render`` (every key of every table, defaults filled in, paths resolved, each key's help as its comment)
and the masking of secrets in it: secret keys as "***", apprise URLs as "scheme://***", the credentials of a URL,
the arguments of a command line. Must not parse or validate: what it writes, ``parse`` reads back to the same
``Config`` (secrets aside).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from netwatch.config import toml as tomlout
from netwatch.config.keys import plain
from netwatch.config.records import Config
from netwatch.config.schema import DELEGATED, TABLES

# Rendered as "***": a leaf key name (any table) or a dotted key path. Empty values stay empty.
SECRET_KEYS: frozenset[str] = frozenset({"token", "password", "secret", "api_key"})
REDACTED = "***"
# Lists of URLs that carry credentials in any part (apprise: passwords, bot tokens, webhook paths, topics):
# rendered as "scheme://***", so the channels stay recognisable and nothing secret is printed.
SECRET_URL_KEYS: frozenset[str] = frozenset({"notify.urls"})
# A URL whose user name, password and query are masked (http://user:pass@host, ?u=...&p=...); a command line whose
# arguments are (a token passed to a notification script).
USERINFO_URL_KEYS: frozenset[str] = frozenset({"influxdb.url", "pool.url"})
ARGV_KEYS: frozenset[str] = frozenset({"notify.command"})


def render(config: Config) -> str:
    """The effective configuration as TOML: every key, defaults filled in, store.path resolved, secrets "***".

    ``parse(render(c), source=..., env=...) == c`` for the same source and environment (secrets aside).
    """
    doc: dict[str, Any] = {}
    comments: dict[str, str] = {}
    for table, spec in TABLES.items():
        record = getattr(config, table)
        doc[table] = {name: plain(getattr(record, name)) for name in spec.keys}
        if spec.subtables:
            doc[table].update({name: dict(sub) for name, sub in record.options.items()})
        comments.update({f"{table}.{name}": key.help for name, key in spec.keys.items()})
    for table in DELEGATED:
        doc[table] = getattr(config, table).to_table()
    source = tomlout.string(str(config.source)) if config.source else "built-in defaults"
    state_dir = tomlout.string(str(config.state_dir))
    head = f"# netwatch effective configuration from {source}\n# state directory {state_dir}\n\n"
    return head + tomlout.dumps(_redact(doc, ()), comments)


def mask_url(url: str) -> str:
    """``url`` with everything after its scheme masked: "tgram://***" (credentials can be anywhere in it)."""
    scheme, sep, _rest = url.strip().partition("://")
    return f"{scheme}://{REDACTED}" if sep else REDACTED


def mask_userinfo(url: str) -> str:
    """``url`` with a user name, password and query masked ("http://***@influx.lan:8086/?***"); unchanged when it
    has none of them."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{REDACTED}@{host}" if "@" in parts.netloc else host
    query = REDACTED if parts.query else ""
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _redact(table: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in table.items():
        secret = name in SECRET_KEYS or ".".join((*path, name)) in SECRET_KEYS
        if isinstance(value, Mapping):
            out[name] = _redact(value, (*path, name))
        elif ".".join((*path, name)) in SECRET_URL_KEYS:
            out[name] = [mask_url(url) for url in value]
        elif ".".join((*path, name)) in USERINFO_URL_KEYS:
            out[name] = mask_userinfo(value)
        elif ".".join((*path, name)) in ARGV_KEYS and value:
            out[name] = [value[0], *(REDACTED for _ in value[1:])]
        else:
            out[name] = REDACTED if secret and value not in ("", None) else value
    return out
