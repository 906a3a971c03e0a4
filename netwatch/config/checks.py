"""The checks the records' keys are declared with: each takes a dotted key and a value of the right type and
yields (key suffix, message, fix) for what is wrong with it; and the rules across keys.

Owns the reusable rules (bounds, one of, IP addresses, host names, duplicates, currency codes, URLs, listen
addresses, times of day, command lines), the rules across keys (the claims ones ask the shipped rule packs of
``netwatch.core.claims``) and how a value is shown in a message. Must not know the tables (the records declare
which check guards which key) nor the speed-test backends (``speed``'s). Pure: no files but the packaged rule
packs, no sockets.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any

from netwatch.config import masking
from netwatch.config import toml as tomlout
from netwatch.errors import Problem

Issue = tuple[str, str, str]  # (suffix of the key such as "[2]" or "", message, fix)
Check = Callable[[str, Any], Iterable[Issue]]  # (dotted key, value of the right type) → issues


def _g(number: float) -> str:
    return f"{number:g}"


SHOWN = 60  # characters of a value quoted in a message: enough to recognise it, never the whole of a huge one


def show(value: Any) -> str:
    """A value as it is written in TOML (strings in double quotes), for messages about the file: the secrets of a
    URL masked, a long string cut ("…", with its length), a long list cut, a huge number by its digits."""
    if isinstance(value, str):
        text = masking.mask_urls_in(value[: SHOWN * 4])  # only what may be shown is looked at
        if len(value) > SHOWN:
            return f"{tomlout.string(text[:SHOWN])}… ({len(value)} characters)"
        return tomlout.string(text)
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) > 30:
        return f"a {len(str(abs(value)))}-digit number"
    if isinstance(value, list | tuple) and len(value) > 5:
        return "[" + ", ".join(show(v) for v in value[:5]) + f", … and {len(value) - 5} more]"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    try:
        return tomlout.value(value)
    except TypeError:
        return repr(value)[:SHOWN]


def bounds(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False) -> Check:
    """lo <= value (lo < value with ``lo_open``) and value <= hi; either side may be left out."""
    parts = [f"{'greater than' if lo_open else 'at least'} {_g(lo)}"] if lo is not None else []
    parts += [f"at most {_g(hi)}"] if hi is not None else []
    phrase = (
        f"between {_g(lo)} and {_g(hi)}" if lo is not None and hi is not None and not lo_open else " and ".join(parts)
    )
    target = f"{_g(lo)} or more" if lo is not None and hi is None and not lo_open else f"a value {phrase}"

    def check(key: str, value: float) -> Iterator[Issue]:
        below = lo is not None and (value <= lo if lo_open else value < lo)
        if below or (hi is not None and value > hi):
            yield "", f"must be {phrase}, got {show(value)}", f"set {key} to {target}"

    return check


def one_of(*choices: str) -> Check:
    shown = ", ".join(c or '""' for c in choices)  # "" (not stated) is a choice too: show it as written

    def check(key: str, value: str) -> Iterator[Issue]:
        if value not in choices:
            import difflib  # only for a suggestion, when a value is wrong

            close = difflib.get_close_matches(value.lower(), [c for c in choices if c], n=1)
            fix = f'did you mean "{close[0]}"?' if close else f"use one of: {shown}"
            yield "", f"must be one of {shown}, got {show(value)}", fix

    return check


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def address_or(*words: str, fix: str) -> Check:
    """An IP address or one of ``words`` (e.g. "auto", "")."""

    def check(key: str, value: str) -> Iterator[Issue]:
        if value not in words and not _is_ip(value):
            yield "", f"{show(value)} is not an IP address", fix

    return check


def count(lo: int, hi: int, what: str) -> Check:
    def check(key: str, items: list[str]) -> Iterator[Issue]:
        if not lo <= len(items) <= hi:
            yield "", f"must list {lo} to {hi} {what}, got {len(items)}", f"list {lo} to {hi} {what} in {key}"

    return check


def each_ip(fix: str) -> Check:
    def check(key: str, items: list[str]) -> Iterator[Issue]:
        for i, item in enumerate(items):
            if not _is_ip(item):
                yield f"[{i}]", f"{show(item)} is not an IP address", fix

    return check


_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")


def each_hostname(key: str, items: list[str]) -> Iterator[Issue]:
    for i, item in enumerate(items):
        if _is_ip(item):
            yield f"[{i}]", f"{show(item)} is an IP address, not a host name", "list names to resolve, e.g. dns.google"
        elif not _HOSTNAME.fullmatch(item) or len(item.rstrip(".")) > 253:
            yield (
                f"[{i}]",
                f"{show(item)} is not a valid host name",
                "use dot-separated labels of letters, digits and hyphens, e.g. dns.google",
            )


def unique(key: str, items: list[str]) -> Iterator[Issue]:
    """No two items equal; IP addresses compare by value, so "::1" and "0::1" are duplicates."""
    seen: dict[object, int] = {}
    for i, item in enumerate(items):
        norm: object = ipaddress.ip_address(item) if _is_ip(item) else item.lower().rstrip(".")
        if norm in seen:
            yield f"[{i}]", f"duplicates {key}[{seen[norm]}] ({show(items[seen[norm]])})", "remove the duplicate"
        seen.setdefault(norm, i)


def not_empty(key: str, value: str) -> Iterator[Issue]:
    if not value:
        yield "", "must not be empty", f'set {key} to a file name such as "netwatch.db"'


def currency_code(key: str, value: str) -> Iterator[Issue]:
    if not re.fullmatch(r"[A-Z]{3}", value):
        hint = f'did you mean "{value.upper()}"?' if re.fullmatch(r"[A-Za-z]{3}", value) else 'e.g. "GBP" or "EUR"'
        yield "", f"must be an ISO 4217 currency code of three capital letters, got {show(value)}", hint


def tag_safe(key: str, value: str) -> Iterator[Issue]:
    """Text that becomes an InfluxDB tag: no backslash (InfluxDB versions disagree on it) nor control character."""
    if re.search(r"[\\\x00-\x1f\x7f]", value):
        yield (
            "",
            f"must not contain a backslash or control character, got {show(value)}",
            "use letters, digits, - and _",
        )


def http_url(key: str, value: str) -> Iterator[Issue]:
    if value and not re.fullmatch(r"https?://[^/\s?#]+(/\S*)?", value):
        yield "", f"must be an http:// or https:// URL, got {show(value)}", 'write it like "http://influxdb.lan:8086"'


def parse_listen(text: str) -> tuple[str, int] | str:
    """(host, port) of "ADDRESS:PORT" (an IPv6 address in brackets, "[::1]:9847"), or what is wrong with it."""
    host, colon, port = text.rpartition(":")
    if not colon or not host:
        return "must be ADDRESS:PORT"
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if not _is_ip(host) or ipaddress.ip_address(host).version != 6:
            return "the address in brackets must be an IPv6 address"
    elif ":" in host:
        return "an IPv6 address must be written in brackets"
    elif not _is_ip(host):
        return "the address must be an IP address"
    if not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535:
        return "the port must be a number from 1 to 65535"
    return host, int(port)


def listen_on(port: int) -> Check:
    """The check of an ADDRESS:PORT key whose example (in the fix) uses ``port``."""

    def check(key: str, value: str) -> Iterator[Issue]:
        problem = parse_listen(value)
        if isinstance(problem, str):
            yield "", f"{problem}, got {show(value)}", f'write e.g. listen = "127.0.0.1:{port}" or "[::1]:{port}"'

    return check


listen_address = listen_on(9847)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an IP address, as ``parse_listen`` gives it) is reachable only from this machine."""
    return ipaddress.ip_address(host).is_loopback


def web_keys(values: Mapping[str, Any], given: Collection[str]) -> Iterator[Problem]:
    """A certificate goes with its key."""
    cert, key = values.get("web.tls_cert"), values.get("web.tls_key")
    if bool(cert) != bool(key):
        have, missing = ("tls_cert", "tls_key") if cert else ("tls_key", "tls_cert")
        yield Problem(
            f"web.{missing}",
            f"must be set with web.{have}: https needs the certificate and its private key",
            f'set web.{missing} to its PEM file, or web.{have} = "" for plain http',
        )


_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
NOTIFY_KINDS = ("outage", "degraded", "slow")
POOL_KINDS = ("outage", "degraded")  # never slow: speed results do not leave the machine
DIGESTS = ("off", "daily", "weekly")


def each_apprise_url(key: str, items: list[str]) -> Iterator[Issue]:
    """The shape only (scheme://...); whether apprise knows the service is asked at start (notify.channels).
    The value is never shown: it may hold a password or a token."""
    for i, item in enumerate(items):
        if not _URL_SCHEME.fullmatch(item.strip()):
            yield (
                f"[{i}]",
                'is not an apprise URL (no "scheme://" at its start, or blanks inside)',
                'write it like "mailtos://user:password@example.com" or "ntfy://ntfy.sh/your-topic"',
            )


def argv_words(key: str, words: list[str]) -> Iterator[Issue]:
    for i, word in enumerate(words):
        if not word:
            yield f"[{i}]", "must not be empty", 'write the program and its arguments, e.g. ["/usr/local/bin/alert"]'


def clock_time(key: str, value: str) -> Iterator[Issue]:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        yield "", f"must be a time of day as HH:MM, got {show(value)}", f'set {key} to e.g. "08:00"'


def each_kind(key: str, items: list[str]) -> Iterator[Issue]:
    for i, item in enumerate(items):
        for _, message, fix in one_of(*NOTIFY_KINDS)(f"{key}[{i}]", item):
            yield f"[{i}]", message, fix


def each_pool_kind(key: str, items: list[str]) -> Iterator[Issue]:
    for i, item in enumerate(items):
        for _, message, fix in one_of(*POOL_KINDS)(f"{key}[{i}]", item):
            yield f"[{i}]", message, fix


# --- rules across keys: (values of the valid keys by dotted path, dotted paths present in the file) → problems


def below_interval(values: Mapping[str, Any], given: Collection[str]) -> Iterator[Problem]:
    interval = values.get("probe.interval")
    for key in ("probe.timeout", "dns.timeout"):
        timeout = values.get(key)
        explicit = key in given or key == "probe.timeout"  # a derived dns.timeout is probe.timeout's problem
        if interval is not None and timeout is not None and explicit and timeout >= interval:
            got = f"got {show(timeout)}" if key in given else f"got its default {show(timeout)}"
            yield Problem(
                key,
                f"must be less than probe.interval ({show(interval)}), {got}",
                f"set {key} below {show(interval)}, or raise probe.interval above {show(timeout)}",
            )


_API_KEYS = {
    "v2": ("org", "bucket", "token", "token_file"),
    "v1": ("database", "retention_policy", "username", "password", "password_file"),
}


def influxdb_keys(values: Mapping[str, Any], _given: Collection[str]) -> Iterator[Problem]:
    """With influxdb.url set: the keys the chosen API needs, no secret given twice, no key of the other API."""
    api = values.get("influxdb.api")
    if not values.get("influxdb.url") or api not in _API_KEYS:
        return
    v = {name: values.get(f"influxdb.{name}") for names in _API_KEYS.values() for name in names}
    other = "v1" if api == "v2" else "v2"
    for name in _API_KEYS[other]:
        if v[name]:
            yield Problem(
                f"influxdb.{name}", f'is only used with api = "{other}"', f'remove it, or set influxdb.api = "{other}"'
            )
    if api == "v2":
        if not v["bucket"]:
            yield Problem(
                "influxdb.bucket",
                'must be set with api = "v2"',
                'set influxdb.bucket to the bucket to write to (InfluxDB 1.8: "database/retention_policy")',
            )
        if not v["org"]:
            yield Problem(
                "influxdb.org",
                'must be set with api = "v2"',
                'set influxdb.org to your organization (InfluxDB 1.8 and 3.x ignore it: any value, e.g. "-")',
            )
        if v["token"] and v["token_file"]:
            yield Problem(
                "influxdb.token_file",
                "cannot be used together with influxdb.token",
                "keep one of them (a file keeps the token out of this configuration)",
            )
        return
    if not v["database"]:
        yield Problem(
            "influxdb.database",
            'must be set with api = "v1"',
            "set influxdb.database to the database to write to (create it first: CREATE DATABASE netwatch)",
        )
    if v["password"] and v["password_file"]:
        yield Problem(
            "influxdb.password_file",
            "cannot be used together with influxdb.password",
            "keep one of them (a file keeps the password out of this configuration)",
        )
    if (v["password"] or v["password_file"]) and not v["username"]:
        yield Problem(
            "influxdb.username",
            "must be set when a password is given",
            "set influxdb.username to the InfluxDB user, or remove the password",
        )


def notify_channels(values: Mapping[str, Any], _given: Collection[str]) -> Iterator[Problem]:
    """A digest needs somewhere to go."""
    digest = values.get("notify.digest")
    channels = ("notify.urls", "notify.urls_file", "notify.command")
    if digest not in (None, "off") and all(name in values and not values[name] for name in channels):
        yield Problem(
            "notify.digest",
            f"is {show(digest)} but no channel is configured",
            'set notify.urls, notify.urls_file or notify.command, or digest = "off"',
        )


def timestamp_keys(values: Mapping[str, Any], _given: Collection[str]) -> Iterator[Problem]:
    """A timestamp is worth keeping only if it can be checked: the authority's root certificate is needed."""
    if values.get("timestamp.url") and not values.get("timestamp.ca_file"):
        yield Problem(
            "timestamp.ca_file",
            "must be set when timestamp.url is: every timestamp is checked against the authority's root certificate",
            'download the authority\'s root certificate (PEM) and give its path, or set timestamp.url = ""',
        )


def witness_keys(values: Mapping[str, Any], given: Collection[str]) -> Iterator[Problem]:
    """A witness is read from InfluxDB, and is another probe."""
    witness = values.get("report.witness")
    if not witness:
        return
    if values.get("influxdb.url") == "":
        yield Problem(
            "report.witness",
            f"is {show(witness)} but influxdb.url is not set: the witness is read from the InfluxDB both probes "
            "write to",
            'set influxdb.url (and its database or bucket), or witness = ""',
        )
    if witness == values.get("probe.name"):
        yield Problem("report.witness", f"is this probe's own name ({show(witness)})", "name another probe")


def claims_keys(values: Mapping[str, Any], _given: Collection[str]) -> Iterator[Problem]:
    """The chosen rule pack pays in cost.currency (plan.monthly_fee is read in it), [claims.amounts] names amounts
    of that pack, as numbers, and only a micro or small business says it waived its rights."""
    rules, currency = values.get("claims.rules"), values.get("cost.currency")
    options: Mapping[str, Any] = values.get("claims.options", {})
    if rules in (None, "none") and not isinstance(options.get("amounts"), Mapping):
        return  # no rule pack to ask: its code (and the holiday calendars it uses) is not loaded for nothing
    from netwatch.core import claims

    if rules in claims.PACKS and currency is not None:
        pays = claims.load(rules).currency
        if pays != currency:
            yield Problem(
                "claims.rules",
                f"{show(rules)} pays in {pays} but cost.currency is {show(currency)}",
                f'set cost.currency = "{pays}" (plan.monthly_fee and cost.hourly are read in it), or choose the '
                "rules of the country of your contract",
            )
    if rules is not None and isinstance(options.get("amounts"), Mapping):
        for key, message, fix in claims.check_overrides(rules, options["amounts"]):
            yield Problem(key, message, fix)
    customer = values.get("claims.customer")
    if values.get("claims.waived") is True and customer not in ("micro_business", "small_business"):
        yield Problem(
            "claims.waived",
            f"is true but claims.customer is {show(customer or '')}: only a micro or small business can waive the "
            "rights the law extends to it",
            'set claims.customer = "micro_business" or "small_business", or remove claims.waived',
        )


def pool_keys(values: Mapping[str, Any], _given: Collection[str]) -> Iterator[Problem]:
    """With pool.url set: the provider and area a report compares by, the credentials of the chosen API."""
    if not values.get("pool.url"):
        return
    for name, what in (("isp", 'your provider\'s name, e.g. isp = "Example Broadband"'), ("area", "your area")):
        if values.get(f"pool.{name}") == "":
            yield Problem(f"pool.{name}", "must be set when pool.url is", f"set pool.{name} to {what}")
    api = values.get("pool.api")
    other = {"v1": ("org", "token", "token_file"), "v2": ("username", "password", "password_file")}.get(str(api), ())
    for name in other:
        if values.get(f"pool.{name}"):
            yield Problem(
                f"pool.{name}",
                f'is not used with api = "{api}"',
                f'remove it, or set pool.api = "{"v2" if api == "v1" else "v1"}"',
            )
    pairs = (("token", "token_file"), ("password", "password_file"))
    for secret, file in pairs:
        if values.get(f"pool.{secret}") and values.get(f"pool.{file}"):
            yield Problem(
                f"pool.{file}",
                f"cannot be used together with pool.{secret}",
                "keep one of them (a file keeps the secret out of this configuration)",
            )
    if api == "v2" and not values.get("pool.org"):
        yield Problem(
            "pool.org",
            'must be set with api = "v2"',
            'set pool.org to the pool\'s organization (any value for 3.x, e.g. "-")',
        )
