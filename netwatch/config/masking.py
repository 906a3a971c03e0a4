"""What of a configuration value must never be shown: the secrets inside URLs, and the values of secret keys.

Owns the masking every place that shows configuration uses (``check-config``, the evidence bundle's config.toml,
the error messages about the file): a URL's user name and password, its query and its fragment (where tokens and
keys travel: ``?token=...``, ``#key``), a path too where a URL's path carries a credential (InfluxDB behind a
proxy), and the names of keys whose value is a secret. Pure; must not render or validate anything.
"""

from __future__ import annotations

import re
import urllib.parse

REDACTED = "***"
# Key names (leaf, any table) whose value is a secret. Empty values stay empty.
SECRET_KEYS: frozenset[str] = frozenset(
    {"token", "password", "secret", "api_key", "apikey", "key", "auth", "authorization", "access_token", "passphrase"}
)
_URL = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}://\S*")  # a scheme is short: linear time


def is_secret_key(dotted: str) -> bool:
    """Whether a key holds a secret: its dotted path or its leaf name is a secret key's ("influxdb.password",
    "api_key"), or its leaf name ends like one ("bot_token"); "password_file" holds a path, not a secret."""
    leaf = dotted.rpartition(".")[2].lower()
    return dotted in SECRET_KEYS or leaf in SECRET_KEYS or leaf.endswith(("_token", "_password", "_secret", "_key"))


def mask_url(url: str, *, path: bool = False) -> str:
    """``url`` with its user name, password, query and fragment masked ("http://***@influx.lan:8086/?***#***"),
    and its path too with ``path`` (unless it is empty or "/"); unchanged when it has none of them. Text that does
    not parse as a URL is masked after its scheme."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        scheme, sep, _ = url.partition("://")
        return f"{scheme}://{REDACTED}" if sep else REDACTED
    netloc = f"{REDACTED}@{host}" if "@" in parts.netloc else host
    shown_path = f"/{REDACTED}" if path and parts.path not in ("", "/") else parts.path
    query = REDACTED if parts.query else ""
    fragment = REDACTED if parts.fragment else ""
    return urllib.parse.urlunsplit((parts.scheme, netloc, shown_path, query, fragment))


def mask_urls_in(text: str) -> str:
    """``text`` with every URL in it masked (``mask_url``): for messages that quote a value."""
    return _URL.sub(lambda m: mask_url(m.group(0)), text)
