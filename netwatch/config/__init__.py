"""Configuration: TOML text → a validated, frozen :class:`Config`.

Owns the schema of the configuration file (one declarative :class:`Table` per TOML table, built from the checks
of ``configchecks`` into the records of ``configrecords``), its defaults, every validation rule with a message and
a fix, where the file and the state directory are found, and rendering the
effective configuration back to TOML. Validation is pure: no clock, no sockets, no directories created (the
store does that), and the environment is read only from the ``env`` mapping passed in, never ``os.environ``.
``load`` is the one function that reads a file.
"""

from __future__ import annotations

import difflib
import math
import re
import shlex
import tomllib
import urllib.parse
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from netwatch.adapters.probes import speed
from netwatch.config import toml as tomlout
from netwatch.config.checks import (
    DIGESTS,
    Check,
    Issue,
    _show,
    address_or,
    argv_words,
    below_interval,
    bounds,
    claims_keys,
    clock_time,
    count,
    currency_code,
    each_apprise_url,
    each_hostname,
    each_ip,
    each_kind,
    http_url,
    influxdb_keys,
    listen_address,
    not_empty,
    notify_channels,
    one_of,
    speedtest_backends,
    tag_safe,
    unique,
    witness_keys,
)
from netwatch.config.records import (
    ClaimsConfig,
    ClockConfig,
    Config,
    CostConfig,
    DetectConfig,
    DnsConfig,
    InfluxConfig,
    LogConfig,
    MetricsConfig,
    NotifyConfig,
    OwnerConfig,
    PlanConfig,
    ProbeConfig,
    ReportConfig,
    SpeedtestConfig,
    StoreConfig,
    TargetsConfig,
    TracerouteConfig,
)
from netwatch.core.clock import SYNC_MODES
from netwatch.core.schedule import DAYS, KEYS, BusinessHours
from netwatch.errors import ConfigError, Problem

RULE_PACKS = ("none", "uk-ofcom", "de-tkg", "us-fcc")
UK_NATIONS = ("ENG", "WLS", "SCT", "NIR")

# The records and checks live in their own modules; importing them from here keeps working.
__all__ = [
    "Check",
    "ClaimsConfig",
    "ClockConfig",
    "Config",
    "ConfigError",
    "CostConfig",
    "DetectConfig",
    "DnsConfig",
    "InfluxConfig",
    "Issue",
    "LogConfig",
    "MetricsConfig",
    "NotifyConfig",
    "OwnerConfig",
    "PlanConfig",
    "ProbeConfig",
    "ReportConfig",
    "SpeedtestConfig",
    "StoreConfig",
    "TargetsConfig",
    "TracerouteConfig",
    "each_apprise_url",
    "load",
    "parse",
    "render",
    "state_directory",
]

DEFAULT_PATH = Path("/etc/netwatch/netwatch.toml")
# Rendered as "***" by ``render``: a leaf key name (any table) or a dotted key path. Empty values stay empty.
SECRET_KEYS: frozenset[str] = frozenset({"token", "password", "secret", "api_key"})
REDACTED = "***"
# Lists of URLs that carry credentials in any part (apprise: passwords, bot tokens, webhook paths, topics):
# rendered as "scheme://***", so the channels stay recognisable and nothing secret is printed.
SECRET_URL_KEYS: frozenset[str] = frozenset({"notify.urls"})
# A URL whose user name, password and query are masked (http://user:pass@host, ?u=...&p=...); a command line whose
# arguments are (a token passed to a notification script).
USERINFO_URL_KEYS: frozenset[str] = frozenset({"influxdb.url"})
ARGV_KEYS: frozenset[str] = frozenset({"notify.command"})


# --- the schema --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One key of a table: its type, default, one-line help, and checks run once its type is right.

    ``kind`` is str, int, float (ints accepted and converted), bool, list (of strings, becomes a tuple), Argv (a
    list of strings, or a string split into words as a POSIX shell does; becomes a tuple) or Path
    (a string; relative paths are resolved against the state directory, or against the directory of the
    configuration file with ``beside_config``; "" becomes None). ``noun`` says what to write, for the fix of a
    wrong type. ``default_from`` names the dotted key whose value is used when this one is absent.
    """

    kind: type
    default: Any
    help: str
    noun: str
    checks: tuple[Check, ...] = ()
    default_from: str | None = None
    beside_config: bool = False


class Argv:
    """The kind of a key holding a command line: ["program", "arg"] or "program arg" (split like a shell)."""


@dataclass(frozen=True)
class Table:
    """``subtables`` names the ``[table.<name>]`` sub-tables allowed; they are kept as written in the record's
    ``options`` field (a mapping) and validated by a cross-check."""

    record: type  # the frozen dataclass built from the table; its fields are the keys, in order
    keys: Mapping[str, Key]
    subtables: Collection[str] = ()


_SECONDS = "a number of seconds"
# The smallest [speedtest] interval accepted. A speed test saturates the line for ~10-30 s; more often than once
# a minute would measure mostly itself. The netns integration test lowers it (it runs tests every few seconds).
SPEED_MIN_INTERVAL = 60.0


def speed_interval(key: str, value: float) -> Iterator[Issue]:
    # Reads SPEED_MIN_INTERVAL at check time (not import time), so the documented constant can be lowered.
    yield from bounds(SPEED_MIN_INTERVAL)(key, value)


def each_backend(key: str, items: list[str]) -> Iterator[Issue]:
    for i, item in enumerate(items):
        for _, message, fix in one_of(*speed.BACKENDS)(f"{key}[{i}]", item):
            yield f"[{i}]", message, fix


_ANCHOR_FIX = "use an IP address; host names cannot be resolved during an outage"
_HOP_FIX = 'use "auto", an IP address, or "" to disable this probe'

TABLES: dict[str, Table] = {
    "probe": Table(
        ProbeConfig,
        {
            "name": Key(str, "", 'probe name for dashboards; "" = the host name', "a name in quotes", (tag_safe,)),
            "interval": Key(float, 1.0, "seconds between rounds; 0.05 to 3600", _SECONDS, (bounds(0.05, 3600),)),
            "timeout": Key(
                float, 0.8, "seconds to wait for each reply; below interval", _SECONDS, (bounds(0, lo_open=True),)
            ),
            "mode": Key(
                str,
                "auto",
                "ICMP sockets: auto, privileged or unprivileged",
                "a mode in quotes",
                (one_of("auto", "privileged", "unprivileged"),),
            ),
        },
    ),
    "targets": Table(
        TargetsConfig,
        {
            "gateway": Key(
                str,
                "auto",
                '"auto", an IP address, or "" to disable',
                "an IP address in quotes",
                (address_or("auto", "", fix=_HOP_FIX),),
            ),
            "isp": Key(
                str,
                "auto",
                '"auto" (first hop beyond the gateway), an IP address, or ""',
                "an IP address in quotes",
                (address_or("auto", "", fix=_HOP_FIX),),
            ),
            "anchors": Key(
                list,
                ("1.1.1.1", "8.8.8.8", "9.9.9.9"),
                "public IP addresses; 1 to 32",
                "a list of IP addresses",
                (count(1, 32, "addresses"), each_ip(_ANCHOR_FIX), unique),
            ),
            "isp_refresh": Key(
                float, 3600.0, "seconds between re-discoveries of the ISP hop; >= 60", _SECONDS, (bounds(60),)
            ),
        },
    ),
    "dns": Table(
        DnsConfig,
        {
            "names": Key(
                list,
                ("one.one.one.one", "dns.google"),
                "names resolved every round; [] disables",
                "a list of host names",
                (each_hostname, unique),
            ),
            "servers": Key(
                list,
                (),
                "resolver IP addresses; [] = the system's",
                "a list of IP addresses",
                (each_ip('use the IP address of a DNS resolver, e.g. "1.1.1.1"'), unique),
            ),
            "timeout": Key(
                float,
                0.8,
                "seconds; defaults to probe.timeout",
                _SECONDS,
                (bounds(0, lo_open=True),),
                default_from="probe.timeout",
            ),
        },
    ),
    "detect": Table(
        DetectConfig,
        {
            "confirm": Key(
                int,
                3,
                "failed rounds before an outage is declared; 1 to 1000",
                "a whole number of rounds",
                (bounds(1, 1000),),
            ),
            "window": Key(
                int,
                60,
                "rounds in the degradation window; 5 to 100000",
                "a whole number of rounds",
                (bounds(5, 100000),),
            ),
            "loss_percent": Key(
                float,
                5.0,
                "degraded above this anchor loss; 0 < x <= 100",
                "a percentage",
                (bounds(0, 100, lo_open=True),),
            ),
            "latency_ms": Key(
                float,
                250.0,
                "degraded above this median round-trip time; > 0",
                "milliseconds",
                (bounds(0, lo_open=True),),
            ),
        },
    ),
    "store": Table(
        StoreConfig,
        {
            "path": Key(Path, "netwatch.db", "relative to the state directory", "a file path in quotes", (not_empty,)),
            "retention_days": Key(int, 90, "days raw rounds are kept; >= 1", "a whole number of days", (bounds(1),)),
            "commit_interval": Key(
                float, 10.0, "seconds between batched commits; 0.1 to 60", _SECONDS, (bounds(0.1, 60),)
            ),
        },
    ),
    "log": Table(
        LogConfig,
        {
            "level": Key(
                str,
                "info",
                "debug, info, warning or error",
                "a level in quotes",
                (one_of("debug", "info", "warning", "error"),),
            ),
        },
    ),
    "clock": Table(
        ClockConfig,
        {
            "sync": Key(
                str,
                "auto",
                'trust the clock: "auto", "ntp" (once NTP-synchronised) or "trust" (always)',
                "a mode in quotes",
                (one_of(*SYNC_MODES),),
            ),
        },
    ),
    "cost": Table(
        CostConfig,
        {
            "hourly": Key(
                float, 0.0, "cost of an hour of business-hours downtime; 0 = not configured", "an amount", (bounds(0),)
            ),
            "currency": Key(str, "GBP", "ISO 4217 code of every amount", "a currency code in quotes", (currency_code,)),
        },
    ),
    "plan": Table(
        PlanConfig,
        {
            "provider": Key(str, "", "the internet provider's name", "a name in quotes"),
            "account": Key(str, "", "your account number with the provider", "an account number in quotes"),
            "monthly_fee": Key(
                float, 0.0, "monthly price of the line; 0 = unknown (no credit)", "an amount", (bounds(0),)
            ),
            "contracted_availability": Key(
                float,
                0.0,
                "percent of the time the contract promises the line is up; 0 = not stated",
                "a percentage",
                (bounds(0, 100),),
            ),
            "download_mbps": Key(
                float, 0.0, "advertised download speed; 0 = unknown", "megabits per second", (bounds(0),)
            ),
            "upload_mbps": Key(float, 0.0, "advertised upload speed; 0 = unknown", "megabits per second", (bounds(0),)),
            "slow_below_percent": Key(
                float,
                50.0,
                "a speed test below this share of the plan is slow; 0 < x <= 100",
                "a percentage",
                (bounds(0, 100, lo_open=True),),
            ),
            **{
                f"{level}_{way}_mbps": Key(
                    float, 0.0, f"{what} {way} speed; 0 = not stated", "megabits per second", (bounds(0),)
                )
                for level, what in (
                    ("minimum", "contract's minimum (guaranteed)"),
                    ("normal", "contract's normally available"),
                    ("typical", "broadband label's typical"),
                )
                for way in ("download", "upload")
            },
            "typical_latency_ms": Key(
                float, 0.0, "broadband label's typical latency; 0 = not stated", "milliseconds", (bounds(0),)
            ),
        },
    ),
    "owner": Table(
        OwnerConfig,
        {
            "business": Key(str, "", "business name, for the complaint letter", "a name in quotes"),
            "name": Key(str, "", "who signs the letter", "a name in quotes"),
            "address": Key(str, "", "postal address; several lines allowed", "an address in quotes"),
            "email": Key(str, "", "contact e-mail address", "an address in quotes"),
            "phone": Key(str, "", "contact telephone number", "a number in quotes"),
        },
    ),
    "report": Table(
        ReportConfig,
        {
            "templates": Key(
                Path,
                "",
                'template directory, relative to this file; "" = the built-in templates',
                "a directory path in quotes",
                beside_config=True,
            ),
            "title": Key(str, "Internet outage report", "title of the HTML and PDF reports", "a title in quotes"),
            "witness": Key(
                str,
                "",
                'probe name of a second netwatch on the same InfluxDB, asked about each outage; "" = none',
                "a probe name in quotes",
                (tag_safe,),
            ),
        },
    ),
    "influxdb": Table(
        InfluxConfig,
        {
            "url": Key(
                str,
                "",
                'InfluxDB base URL, e.g. "http://influxdb.lan:8086"; "" = no export',
                "a URL in quotes",
                (http_url,),
            ),
            "api": Key(
                str,
                "v2",
                '"v2" (InfluxDB 2.x, 3.x, Cloud, 1.8+) or "v1" (InfluxDB 1.x /write)',
                "an API in quotes",
                (one_of("v2", "v1"),),
            ),
            "org": Key(str, "", "v2: organization name or ID", "a name in quotes"),
            "bucket": Key(str, "", "v2: bucket to write to", "a bucket name in quotes"),
            "token": Key(str, "", "v2: API token with write access (or token_file)", "a token in quotes"),
            "token_file": Key(
                Path,
                "",
                "v2: file holding the token, relative to this file",
                "a file path in quotes",
                beside_config=True,
            ),
            "database": Key(str, "", "v1: database to write to", "a database name in quotes"),
            "retention_policy": Key(
                str, "", 'v1: retention policy; "" = the database\'s default', "a policy name in quotes"
            ),
            "username": Key(str, "", 'v1: user name; "" = no authentication', "a user name in quotes"),
            "password": Key(str, "", "v1: password (or password_file)", "a password in quotes"),
            "password_file": Key(
                Path,
                "",
                "v1: file holding the password, relative to this file",
                "a file path in quotes",
                beside_config=True,
            ),
            "batch_size": Key(
                int, 5000, "points per write request; 1 to 100000", "a whole number of points", (bounds(1, 100000),)
            ),
            "timeout": Key(
                float, 10.0, "seconds to wait for each write request; 0.1 to 300", _SECONDS, (bounds(0.1, 300),)
            ),
        },
    ),
    "speedtest": Table(
        SpeedtestConfig,
        {
            "enabled": Key(bool, False, "run speed tests on a schedule", "true or false"),
            "backend": Key(
                str,
                "speedtest",
                "speedtest, ookla, http, iperf3 or cloudflare",
                "a backend in quotes",
                (one_of(*speed.BACKENDS),),
            ),
            "fallback": Key(
                list,
                ("cloudflare",),
                "backends tried in order when the chosen one fails",
                "a list of backends",
                (each_backend, unique),
            ),
            "interval": Key(float, 3600.0, "average seconds between tests; >= 60", _SECONDS, (speed_interval,)),
            "jitter": Key(
                float,
                600.0,
                "random seconds added or taken off each interval; 0 <= x < interval",
                _SECONDS,
                (bounds(0),),
            ),
            "daily_budget_mb": Key(
                float, 0.0, "megabytes of test traffic per UTC day; 0 = unlimited", "megabytes", (bounds(0),)
            ),
        },
        subtables=tuple(speed.BACKENDS),
    ),
    "traceroute": Table(
        TracerouteConfig,
        {
            "enabled": Key(
                bool, True, "traceroute towards an anchor when an outage or an ISP-hop failure starts", "true or false"
            ),
            "max_hops": Key(int, 30, "hops probed; 1 to 64", "a whole number of hops", (bounds(1, 64),)),
            "timeout": Key(
                float, 1.0, "seconds a traceroute waits for answers; 0.1 to 10", _SECONDS, (bounds(0.1, 10),)
            ),
        },
    ),
    "metrics": Table(
        MetricsConfig,
        {
            "enabled": Key(
                bool,
                False,
                "serve Prometheus metrics on http://<listen>/metrics (the prometheus extra)",
                "true or false",
            ),
            "listen": Key(
                str,
                "127.0.0.1:9847",
                'ADDRESS:PORT, IPv6 in brackets ("[::1]:9847"); a non-loopback '
                "address exposes the metrics to the network",
                "an address and port in quotes",
                (listen_address,),
            ),
        },
    ),
    "notify": Table(
        NotifyConfig,
        {
            "urls": Key(
                list,
                (),
                "apprise URLs (e-mail, ntfy, Telegram, Slack...); rendered masked",
                "a list of URLs",
                (each_apprise_url,),
            ),
            "urls_file": Key(
                Path,
                "",
                "file of more apprise URLs, one a line; relative to this file",
                "a file path in quotes",
                beside_config=True,
            ),
            "command": Key(
                Argv,
                (),
                'local program given the notification as JSON on stdin; "" = none',
                'a list such as ["/usr/local/bin/alert", "--quiet"]',
                (argv_words,),
            ),
            "timeout": Key(float, 10.0, "seconds each delivery may take; 0.5 to 300", _SECONDS, (bounds(0.5, 300),)),
            "kinds": Key(
                list,
                ("outage",),
                "incident kinds that notify: outage, degraded, slow",
                "a list of kinds",
                (each_kind, unique),
            ),
            "min_duration": Key(float, 60.0, "seconds; shorter incidents do not notify", _SECONDS, (bounds(0),)),
            "digest": Key(
                str,
                "off",
                "off, daily or weekly: a summary of the previous day or week",
                "a word in quotes",
                (one_of(*DIGESTS),),
            ),
            "digest_at": Key(
                str,
                "08:00",
                "HH:MM local time (business_hours.timezone) the digest is sent",
                "a time in quotes",
                (clock_time,),
            ),
            "digest_day": Key(
                str, "mon", "weekly digests: the day they are sent (mon ... sun)", "a day in quotes", (one_of(*DAYS),)
            ),
            "title_prefix": Key(str, "[netwatch] ", "put before every notification's title", "a text in quotes"),
        },
    ),
    "claims": Table(
        ClaimsConfig,
        {
            "rules": Key(
                str,
                "none",
                "compensation and speed rules: none, uk-ofcom, de-tkg or us-fcc",
                "a rule pack in quotes",
                (one_of(*RULE_PACKS),),
            ),
            "region": Key(
                str,
                "",
                'uk-ofcom: nation whose bank holidays are not working days (ENG, WLS, SCT, NIR); "" = '
                "from business_hours.holidays, else ENG",
                "a nation in quotes",
                (one_of("", *UK_NATIONS),),
            ),
        },
        subtables=("amounts",),
    ),
}

# Tables validated by their owner: name → from_config(table), which raises ConfigError; the value has to_table().
DELEGATED: dict[str, Callable[[Mapping[str, Any]], Any]] = {"business_hours": BusinessHours.from_config}
_ORDER = [*TABLES, *DELEGATED]


# Rules across keys: (values of the valid keys by dotted path, dotted paths present in the file) → problems.
CROSS_CHECKS: tuple[Callable[[Mapping[str, Any], Collection[str]], Iterable[Problem]], ...] = (
    below_interval,
    influxdb_keys,
    speedtest_backends,
    notify_channels,
    witness_keys,
    claims_keys,
)


# --- validation --------------------------------------------------------------------------------------------

_KINDS: dict[type, str] = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "a list"}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int | float | str):
        return f"{'a float' if isinstance(value, float) else _KINDS[type(value)]} ({_show(value)})"
    if isinstance(value, datetime | date | time):
        kind = "a date-time" if isinstance(value, datetime) else "a date" if isinstance(value, date) else "a time"
        return f"{kind} ({value.isoformat()})"
    return "a table" if isinstance(value, dict) else "a list"


def _typed(key: str, spec: Key, value: Any) -> tuple[Any, list[Problem]]:
    """The value converted to the key's kind (None if impossible) and the problems found."""
    name = key.rpartition(".")[2]
    fix = f"write {spec.noun}, e.g. {name} = {tomlout.value(spec.default)}"
    kind = str if spec.kind is Path else spec.kind
    if kind is Argv:
        if isinstance(value, str):
            try:
                value = shlex.split(value)
            except ValueError as err:  # an unclosed quote
                return None, [Problem(key, f"cannot be split into words: {err}", "close the quote, or " + fix)]
        elif not isinstance(value, list):
            return None, [Problem(key, f"must be a string or a list of strings, not {_describe(value)}", fix)]
        kind = list
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return None, [Problem(key, f"must be {_KINDS[kind]}, not {_describe(value)}", fix)]
    if isinstance(value, float) and not math.isfinite(value):
        return None, [Problem(key, f"must be a finite number, got {_show(value)}", fix)]
    if isinstance(value, list):
        wrong = [
            Problem(f"{key}[{i}]", f"must be a string, not {_describe(item)}", fix)
            for i, item in enumerate(value)
            if not isinstance(item, str)
        ]
        if wrong:
            return None, wrong
    return value, []


# The keys of every table, delegated ones included, to point a key written in the wrong table at its home.
_HOMES: dict[str, Collection[str]] = {
    **{table: spec.keys for table, spec in TABLES.items()},
    "business_hours": [k for k in KEYS if k != "week"],
    "business_hours.week": DAYS,
}


def _unknown(key: str, name: str, valid: Collection[str], what: str, *, table: str | None = None) -> Problem:
    homes = [f"[{home}]" for home, keys in _HOMES.items() if name in keys and home != table]
    close = difflib.get_close_matches(name, valid, n=1)
    if homes and what == "key":
        fix = f"move it into the {' or '.join(homes)} table"
    elif close:
        fix = f'did you mean "{close[0]}"?'
    elif table is None and what == "key":
        fix = f"write keys inside a table: {', '.join(f'[{t}]' for t in _ORDER)}"
    else:
        fix = f"valid {what}s are: {', '.join(sorted(valid))}"
    return Problem(key, f"unknown {what}", fix)


def _top_level(doc: Mapping[str, Any]) -> Iterator[Problem]:
    for name, item in doc.items():
        if name in _ORDER and not isinstance(item, dict):
            yield Problem(name, f"must be a table, not {_describe(item)}", f"write it as a [{name}] table")
        elif name not in _ORDER:
            yield _unknown(name, name, _ORDER, "table" if isinstance(item, dict) else "key")


def _validate(doc: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
    """(valid values by dotted key, delegated records by table, problems) for a parsed TOML document."""
    problems = list(_top_level(doc))
    values: dict[str, Any] = {}
    given: set[str] = set()
    for table, spec in TABLES.items():
        raw = doc.get(table, {})
        raw = raw if isinstance(raw, dict) else {}
        problems += [
            _unknown(f"{table}.{n}", n, [*spec.keys, *spec.subtables], "key", table=table)
            for n in raw
            if n not in spec.keys and n not in spec.subtables
        ]
        if spec.subtables:
            problems += [
                Problem(
                    f"{table}.{n}", f"must be a table, not {_describe(raw[n])}", f"write it as a [{table}.{n}] table"
                )
                for n in spec.subtables
                if n in raw and not isinstance(raw[n], dict)
            ]
            values[f"{table}.options"] = {n: raw[n] for n in spec.subtables if isinstance(raw.get(n), dict)}
        for name, key in spec.keys.items():
            dotted = f"{table}.{name}"
            if name not in raw:
                values[dotted] = key.default
                continue
            given.add(dotted)
            value, wrong = _typed(dotted, key, raw[name])
            wrong += [
                Problem(dotted + sub, msg, fix)
                for check in key.checks
                if value is not None
                for sub, msg, fix in check(dotted, value)
            ]
            problems += wrong
            if not wrong:
                values[dotted] = value
    for table, spec in TABLES.items():  # derived defaults, once every table's own values are known
        for name, key in spec.keys.items():
            dotted = f"{table}.{name}"
            if key.default_from and dotted not in given:
                if key.default_from in values:
                    values[dotted] = values[key.default_from]
                else:
                    values.pop(dotted, None)
    for cross in CROSS_CHECKS:
        problems += cross(values, given)
    delegated: dict[str, Any] = {}
    for table, from_config in DELEGATED.items():
        raw = doc.get(table, {})
        try:
            delegated[table] = from_config(raw if isinstance(raw, dict) else {})
        except ConfigError as err:
            problems += err.problems
    return values, delegated, problems


def _order(problem: Problem) -> tuple[int, int]:
    """Position of a problem's key in the schema: tables, then keys in the order they are declared."""
    table, _, rest = problem.key.partition(".")
    table_pos = _ORDER.index(table) if table in _ORDER else len(_ORDER)
    keys = list(TABLES[table].keys) if table in TABLES else []
    leaf = re.split(r"[.\[]", rest, maxsplit=1)[0]
    return table_pos, (keys.index(leaf) if leaf in keys else len(keys)) if rest else -1


# --- public API ---------------------------------------------------------------------------------------------


def state_directory(env: Mapping[str, str]) -> Path:
    """Where netwatch keeps its state: $NETWATCH_STATE_DIR, else the first of systemd's $STATE_DIRECTORY, else
    $XDG_STATE_HOME/netwatch (if absolute), else $HOME/.local/state/netwatch. Empty variables count as unset.
    Raises ConfigError when none of them is set."""
    if env.get("NETWATCH_STATE_DIR"):
        return _absolute("NETWATCH_STATE_DIR", env["NETWATCH_STATE_DIR"])
    if env.get("STATE_DIRECTORY", "").split(":")[0]:
        return _absolute("STATE_DIRECTORY", env["STATE_DIRECTORY"].split(":")[0])
    if env.get("XDG_STATE_HOME") and Path(env["XDG_STATE_HOME"]).is_absolute():
        return Path(env["XDG_STATE_HOME"]) / "netwatch"
    if env.get("HOME"):
        return _absolute("HOME", env["HOME"]) / ".local/state/netwatch"
    raise ConfigError(
        [Problem("HOME", "is not set, so there is no state directory", "set NETWATCH_STATE_DIR to a directory")]
    )


def _absolute(variable: str, text: str) -> Path:
    # A relative state directory would depend on the working directory (and store.path would not survive a
    # render/parse round trip), so it is refused rather than guessed.
    if not Path(text).is_absolute():
        fix = "set NETWATCH_STATE_DIR to an absolute path such as /var/lib/netwatch"
        raise ConfigError([Problem(variable, f"must be an absolute path, got {_show(text)}", fix)])
    return Path(text)


def _syntax_problem(err: tomllib.TOMLDecodeError) -> Problem:
    # tomllib names tables as Python tuples, e.g. "Cannot declare ('probe',) twice": show them as TOML does.
    text = re.sub(r"\(((?:'[^']*',? ?)+)\)", lambda m: "[" + ".".join(re.findall(r"'([^']*)'", m[1])) + "]", str(err))
    if text.endswith(" (at end of document)"):
        what = text.removesuffix(" (at end of document)")
        return Problem("end of file", f"invalid TOML: {what}", "complete the last line (is a bracket or quote open?)")
    where = re.search(r" \(at line (\d+), column (\d+)\)$", text)
    if where is None:
        return Problem("(file)", f"invalid TOML: {text}", "fix the syntax of the file")
    what = text[: where.start()]
    if what.startswith("Cannot overwrite a value"):
        fix = "a key can be set only once in a table: remove the repeated one"
    elif twice := re.fullmatch(r"Cannot declare (\[.*\]) twice", what):
        fix = f"a table can be declared only once: merge the two {twice[1]} sections"
    else:
        fix = "fix the syntax at that position"
    return Problem(f"line {where[1]}, column {where[2]}", f"invalid TOML: {what}", fix)


def parse(text: str, *, source: str | None, env: Mapping[str, str]) -> Config:
    """Validate TOML text into a Config; ``source`` names the file in errors and in ``Config.source``.

    Raises ConfigError carrying every problem found, in schema order.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([_syntax_problem(err)], source) from err
    values, delegated, problems = _validate(doc)
    try:
        state_dir = state_directory(env)
    except ConfigError as err:
        problems += err.problems
    if problems:
        raise ConfigError(sorted(problems, key=_order), source)
    records: dict[str, Any] = {}
    for table, spec in TABLES.items():
        fields: dict[str, Any] = {}
        for name, key in spec.keys.items():
            value = values[f"{table}.{name}"]
            if key.kind is Path:
                value = _path(value, state_dir, Path(source).parent if key.beside_config and source else None)
            fields[name] = tuple(value) if key.kind in (list, Argv) else value
        if spec.subtables:
            fields["options"] = values[f"{table}.options"]
        records[table] = spec.record(**fields)
    return Config(**records, **delegated, source=Path(source) if source else None, state_dir=state_dir)


def _path(text: str, state_dir: Path, config_dir: Path | None) -> Path | None:
    """A Path key's value: "" is None; a relative path is resolved against ``config_dir`` when given (the
    configuration file's directory), else against the state directory (so also when there is no file)."""
    if not text:
        return None
    path = Path(text)
    return path if path.is_absolute() else (config_dir or state_dir) / path


def load(path: Path | None, env: Mapping[str, str]) -> Config:
    """The configuration from ``path`` (--config), else $NETWATCH_CONFIG, else DEFAULT_PATH if it exists, else
    the built-in defaults. A file named by --config or $NETWATCH_CONFIG must exist. Raises ConfigError."""
    if path is not None:
        return _load_file(path, env, "--config", "pass the path of an existing file to --config")
    if env.get("NETWATCH_CONFIG"):
        return _load_file(
            Path(env["NETWATCH_CONFIG"]), env, "NETWATCH_CONFIG", "point NETWATCH_CONFIG at an existing file"
        )
    if DEFAULT_PATH.exists():
        return _load_file(DEFAULT_PATH, env, "(file)", "make the file readable, or remove it to use the defaults")
    return parse("", source=None, env=env)


def _load_file(path: Path, env: Mapping[str, str], origin: str, fix: str) -> Config:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([Problem(origin, f"{path} does not exist", fix)]) from None
    except IsADirectoryError:
        raise ConfigError([Problem(origin, f"{path} is a directory, not a file", fix)]) from None
    except OSError as err:
        raise ConfigError([Problem(origin, f"cannot read {path}: {err.strerror}", fix)]) from err
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        before = err.object[: err.start].decode("utf-8")  # valid up to the bad byte (the BOM already dropped)
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        problem = Problem(
            f"line {line}, column {column}",
            f"the file is not UTF-8 text (byte 0x{err.object[err.start]:02x}: {err.reason})",
            "save the file as UTF-8",
        )
        raise ConfigError([problem], str(path)) from err
    return parse(text, source=str(path), env=env)


def render(config: Config) -> str:
    """The effective configuration as TOML: every key, defaults filled in, store.path resolved, secrets "***".

    ``parse(render(c), source=..., env=...) == c`` for the same source and environment (secrets aside).
    """
    doc: dict[str, Any] = {}
    comments: dict[str, str] = {}
    for table, spec in TABLES.items():
        record = getattr(config, table)
        doc[table] = {name: _plain(getattr(record, name)) for name in spec.keys}
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


def _plain(value: Any) -> Any:
    if value is None:  # a Path key given as "": written back as "", not left out
        return ""
    return list(value) if isinstance(value, tuple) else str(value) if isinstance(value, Path) else value


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
