"""The effective configuration written back as TOML, for ``netwatch check-config`` and the evidence bundle.

Owns ``render`` (every key of every table, defaults filled in, paths resolved, each key's help as its comment)
and applying the masking of ``masking`` to every value of it, sub-tables included: secret keys as "***", apprise
URLs as "scheme://***", every other URL without its credentials, query and fragment (the InfluxDB URL without its
path too), the arguments of a command line. Must not parse or validate: what it writes, ``parse`` reads back to the same
``Config`` (secrets aside).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netwatch.config import masking
from netwatch.config import toml as tomlout
from netwatch.config.keys import plain
from netwatch.config.masking import REDACTED
from netwatch.config.records import Config
from netwatch.config.schema import DELEGATED, TABLES

# Lists of URLs that carry credentials in any part (apprise: passwords, bot tokens, webhook paths, topics):
# rendered as "scheme://***", so the channels stay recognisable and nothing secret is printed.
SECRET_URL_KEYS: frozenset[str] = frozenset({"notify.urls"})
# URLs whose path may carry a credential too (InfluxDB behind a proxy that takes a token in the path).
PATH_URL_KEYS: frozenset[str] = frozenset({"influxdb.url", "pool.url"})
# A command line whose arguments are masked (a token passed to a notification script).
ARGV_KEYS: frozenset[str] = frozenset({"notify.command"})


def render(config: Config, notes: Sequence[str] = ()) -> str:
    """The effective configuration as TOML: every key, defaults filled in, store.path resolved, secrets "***";
    a head of comments says where it came from, the state directory and what chose it, then ``notes``.

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
    chosen = f" (from {config.state_origin})" if config.state_origin else ""
    lines = [f"netwatch effective configuration from {source}", f"state directory {state_dir}{chosen}", *notes]
    head = "".join(f"# {line}\n" for line in lines)
    return head + "\n" + tomlout.dumps(_redact(doc, ()), comments)


def mask_url(url: str) -> str:
    """``url`` with everything after its scheme masked: "tgram://***" (credentials can be anywhere in it)."""
    scheme, sep, _rest = url.strip().partition("://")
    return f"{scheme}://{REDACTED}" if sep else REDACTED


def mask_userinfo(url: str) -> str:
    """``url`` with a user name, password, query and fragment masked ("http://***@influx.lan:8086/?***")."""
    return masking.mask_url(url)


def _value(dotted: str, value: Any) -> Any:
    """One value as it may be shown: every URL in it without its secrets, a secret key's value as "***"."""
    if isinstance(value, str) and value and masking.is_secret_key(dotted):
        return REDACTED
    if isinstance(value, str) and "://" in value:
        return masking.mask_url(value, path=dotted in PATH_URL_KEYS)
    if isinstance(value, list | tuple):
        return [_value(dotted, item) for item in value]
    return value


def _redact(table: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in table.items():
        dotted = ".".join((*path, name))
        if isinstance(value, Mapping):
            out[name] = _redact(value, (*path, name))
        elif dotted in SECRET_URL_KEYS:
            out[name] = [mask_url(url) for url in value]
        elif dotted in ARGV_KEYS and value:
            out[name] = [value[0], *(REDACTED for _ in value[1:])]
        else:
            out[name] = _value(dotted, value)
    return out
