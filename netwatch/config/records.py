"""The configuration's records: one frozen dataclass per TOML table, and ``Config`` holding them all.

Owns what a validated configuration *is*, and the one declaration of every key of the file: each field of a table
record is a key (its default, one-line help, type-fix noun and checks, through ``keys.key``; its kind is the
field's annotation), in the order problems are reported and ``render`` writes them. Small derived properties.
Must not validate, read or write anything: ``schema`` turns these declarations into the checking of a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netwatch.config.checks import (
    DIGESTS,
    address_or,
    argv_words,
    bounds,
    clock_time,
    count,
    currency_code,
    each_apprise_url,
    each_hostname,
    each_ip,
    each_kind,
    each_pool_kind,
    http_url,
    listen_address,
    listen_on,
    not_empty,
    one_of,
    parse_listen,
    tag_safe,
    unique,
)
from netwatch.config.keys import Command, key, subtables
from netwatch.config.speed import BACKENDS, each_backend, speed_interval
from netwatch.core.clock import SYNC_MODES
from netwatch.core.model import CONTRACTS, CUSTOMERS, Situation
from netwatch.core.schedule import DAYS, BusinessHours

RULE_PACKS = ("none", "uk-ofcom", "de-tkg", "nl-telecomwet", "be-ecl", "us-fcc")
UK_NATIONS = ("ENG", "WLS", "SCT", "NIR")

SECONDS = "a number of seconds"
_MBPS = "megabits per second"
_ROUNDS = "a whole number of rounds"
_ANCHOR_FIX = "use an IP address; host names cannot be resolved during an outage"
_HOP_FIX = 'use "auto", an IP address, or "" to disable this probe'


def _host_port(listen: str) -> tuple[str, int]:
    parsed = parse_listen(listen)
    if isinstance(parsed, str):
        raise ValueError(parsed)  # validated at parse time: only a bug gets here
    return parsed


def _promised(what: str) -> Any:
    return key(0.0, f"{what} speed; 0 = not stated", _MBPS, bounds(0))


MAX_COMMIT_INTERVAL = 60.0  # seconds: [store] commit_interval's longest, what a power cut may lose at most


@dataclass(frozen=True)
class ProbeConfig:
    name: str = key("", 'probe name for dashboards; "" = the host name', "a name in quotes", tag_safe)
    interval: float = key(1.0, "seconds between rounds; 0.05 to 3600", SECONDS, bounds(0.05, 3600))
    timeout: float = key(0.8, "seconds to wait for each reply; below interval", SECONDS, bounds(0, lo_open=True))
    mode: str = key(
        "auto",
        "ICMP sockets: auto, privileged or unprivileged",
        "a mode in quotes",
        one_of("auto", "privileged", "unprivileged"),
    )


@dataclass(frozen=True)
class TargetsConfig:
    gateway: str = key(
        "auto",
        '"auto", an IP address, or "" to disable',
        "an IP address in quotes",
        address_or("auto", "", fix=_HOP_FIX),
    )
    isp: str = key(
        "auto",
        '"auto" (first hop beyond the gateway), an IP address, or ""',
        "an IP address in quotes",
        address_or("auto", "", fix=_HOP_FIX),
    )
    anchors: tuple[str, ...] = key(
        ("1.1.1.1", "8.8.8.8", "9.9.9.9"),
        "public IP addresses; 1 to 32",
        "a list of IP addresses",
        count(1, 32, "addresses"),
        each_ip(_ANCHOR_FIX),
        unique,
    )
    isp_refresh: float = key(3600.0, "seconds between re-discoveries of the ISP hop; >= 60", SECONDS, bounds(60))


@dataclass(frozen=True)
class DnsConfig:
    names: tuple[str, ...] = key(
        ("one.one.one.one", "dns.google"),
        "names resolved every round; [] disables; at most 16",
        "a list of host names",
        count(0, 16, "names"),
        each_hostname,
        unique,
    )
    servers: tuple[str, ...] = key(
        (),
        "resolver IP addresses; [] = the system's; at most 8",
        "a list of IP addresses",
        count(0, 8, "addresses"),
        each_ip('use the IP address of a DNS resolver, e.g. "1.1.1.1"'),
        unique,
    )
    timeout: float = key(
        0.8, "seconds; defaults to probe.timeout", SECONDS, bounds(0, lo_open=True), default_from="probe.timeout"
    )


@dataclass(frozen=True)
class DetectConfig:
    confirm: int = key(3, "failed rounds before an outage is declared; 1 to 1000", _ROUNDS, bounds(1, 1000))
    window: int = key(60, "rounds in the degradation window; 5 to 100000", _ROUNDS, bounds(5, 100000))
    loss_percent: float = key(
        5.0, "degraded above this anchor loss; 0 < x <= 100", "a percentage", bounds(0, 100, lo_open=True)
    )
    latency_ms: float = key(
        250.0, "degraded above this median round-trip time; > 0", "milliseconds", bounds(0, lo_open=True)
    )


@dataclass(frozen=True)
class StoreConfig:
    path: Path = key(Path("netwatch.db"), "relative to the state directory", "a file path in quotes", not_empty)
    retention_days: int = key(90, "days raw rounds are kept; >= 1", "a whole number of days", bounds(1))
    commit_interval: float = key(
        10.0, "seconds between batched commits; 0.1 to 60", SECONDS, bounds(0.1, MAX_COMMIT_INTERVAL)
    )
    seal_interval: float = key(300.0, "seconds between seals into the store; 0.1 to 3600", SECONDS, bounds(0.1, 3600))

    @property
    def seal_every(self) -> float:
        """How often rounds reach the store (and its readers): every seal, and at least every commit."""
        return max(self.commit_interval, self.seal_interval)


@dataclass(frozen=True)
class LogConfig:
    level: str = key(
        "info", "debug, info, warning or error", "a level in quotes", one_of("debug", "info", "warning", "error")
    )


@dataclass(frozen=True)
class ClockConfig:
    # When the wall clock is trusted: see netwatch.core.clock.Policy.
    sync: str = key(
        "auto",
        'trust the clock: "auto", "ntp" (once NTP-synchronised) or "trust" (always)',
        "a mode in quotes",
        one_of(*SYNC_MODES),
    )


@dataclass(frozen=True)
class CostConfig:
    hourly: float = key(0.0, "cost of an hour of business-hours downtime; 0 = not configured", "an amount", bounds(0))
    currency: str = key("GBP", "ISO 4217 code of every amount", "a currency code in quotes", currency_code)


@dataclass(frozen=True)
class PlanConfig:
    provider: str = key("", "the internet provider's name", "a name in quotes")
    account: str = key("", "your account number with the provider", "an account number in quotes")
    monthly_fee: float = key(0.0, "monthly price of the line; 0 = unknown (no credit)", "an amount", bounds(0))
    contracted_availability: float = key(
        0.0,
        "percent of the time the contract promises the line is up; 0 = not stated",
        "a percentage",
        bounds(0, 100),
    )
    download_mbps: float = key(0.0, "advertised download speed; 0 = unknown", _MBPS, bounds(0))
    upload_mbps: float = key(0.0, "advertised upload speed; 0 = unknown", _MBPS, bounds(0))
    slow_below_percent: float = key(
        50.0,
        "a speed test below this share of the plan is slow; 0 < x <= 100",
        "a percentage",
        bounds(0, 100, lo_open=True),
    )
    # The contract's speed promises beyond the advertised (maximum) one, for the claims rules: the UK minimum
    # guaranteed speed (DE "minimale Geschwindigkeit"), DE "normalerweise zur Verfügung stehende Geschwindigkeit",
    # and the US FCC broadband label's typical speeds.
    minimum_download_mbps: float = _promised("contract's minimum (guaranteed) download")
    minimum_upload_mbps: float = _promised("contract's minimum (guaranteed) upload")
    normal_download_mbps: float = _promised("contract's normally available download")
    normal_upload_mbps: float = _promised("contract's normally available upload")
    typical_download_mbps: float = _promised("broadband label's typical download")
    typical_upload_mbps: float = _promised("broadband label's typical upload")
    typical_latency_ms: float = key(0.0, "broadband label's typical latency; 0 = not stated", "milliseconds", bounds(0))


@dataclass(frozen=True)
class OwnerConfig:
    """Who sends the complaint letter; "" = missing (the letter shows a visible placeholder)."""

    business: str = key("", "business name, for the complaint letter", "a name in quotes")
    name: str = key("", "who signs the letter", "a name in quotes")
    address: str = key("", "postal address; several lines allowed", "an address in quotes")
    email: str = key("", "contact e-mail address", "an address in quotes")
    phone: str = key("", "contact telephone number", "a number in quotes")


@dataclass(frozen=True)
class ReportConfig:
    templates: Path | None = key(
        None,
        'template directory, relative to this file; "" = the built-in templates',
        "a directory path in quotes",
        beside_config=True,
    )
    title: str = key("Internet outage report", "title of the HTML and PDF reports", "a title in quotes")
    ticket_notes: bool = key(
        False,
        "print your ticket notes in the documents for the provider (report, PDF, JSON, evidence bundle); "
        "false = they stay with you (the dashboard signed in, netwatch ticket list)",
        "true or false",
    )
    witness: str = key(
        "",
        'probe name of a second netwatch on the same InfluxDB, asked about each outage; "" = none',
        "a probe name in quotes",
        tag_safe,
    )


@dataclass(frozen=True)
class InfluxConfig:
    """Replication to InfluxDB; enabled when ``url`` is set. Secrets stay here only as given: the *_file keys are
    read (and their permissions checked) by the exporter, never by this pure module."""

    url: str = key(
        "", 'InfluxDB base URL, e.g. "http://influxdb.lan:8086"; "" = no export', "a URL in quotes", http_url
    )
    api: str = key(
        "v2",
        '"v2" (InfluxDB 2.x, 3.x, Cloud, 1.8+) or "v1" (InfluxDB 1.x /write)',
        "an API in quotes",
        one_of("v2", "v1"),
    )
    org: str = key("", "v2: organization name or ID", "a name in quotes")
    bucket: str = key("", "v2: bucket to write to", "a bucket name in quotes")
    token: str = key("", "v2: API token with write access (or token_file)", "a token in quotes")
    token_file: Path | None = key(
        None, "v2: file holding the token, relative to this file", "a file path in quotes", beside_config=True
    )
    database: str = key("", "v1: database to write to", "a database name in quotes")
    retention_policy: str = key("", 'v1: retention policy; "" = the database\'s default', "a policy name in quotes")
    username: str = key("", 'v1: user name; "" = no authentication', "a user name in quotes")
    password: str = key("", "v1: password (or password_file)", "a password in quotes")
    password_file: Path | None = key(
        None, "v1: file holding the password, relative to this file", "a file path in quotes", beside_config=True
    )
    batch_size: int = key(5000, "points per write request; 1 to 100000", "a whole number of points", bounds(1, 100000))
    timeout: float = key(10.0, "seconds to wait for each write request; 0.1 to 300", SECONDS, bounds(0.1, 300))

    @property
    def enabled(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True)
class SpeedtestConfig:
    """Scheduled speed tests. ``options`` holds the ``[speedtest.<backend>]`` sub-tables as written (validated
    by the rules of ``netwatch.config.speed``); a backend without one takes its defaults."""

    enabled: bool = key(False, "run speed tests on a schedule", "true or false")
    backend: str = key(
        "speedtest", "speedtest, ookla, http, iperf3 or cloudflare", "a backend in quotes", one_of(*BACKENDS)
    )
    fallback: tuple[str, ...] = key(
        ("cloudflare",), "backends tried in order when the chosen one fails", "a list of backends", each_backend, unique
    )
    interval: float = key(3600.0, "average seconds between tests; >= 60", SECONDS, speed_interval)
    # Each test runs up to this many seconds earlier or later than the interval says.
    jitter: float = key(600.0, "random seconds added or taken off each interval; 0 <= x < interval", SECONDS, bounds(0))
    # Megabytes are 10^6 bytes.
    daily_budget_mb: float = key(0.0, "megabytes of test traffic per UTC day; 0 = unlimited", "megabytes", bounds(0))
    options: Mapping[str, Mapping[str, Any]] = subtables(*BACKENDS)

    @property
    def chain(self) -> tuple[str, ...]:
        """The backend, then its fallbacks, in the order they are tried."""
        return (self.backend, *self.fallback)

    def options_for(self, name: str) -> dict[str, Any]:
        return dict(self.options.get(name, {}))


@dataclass(frozen=True)
class TracerouteConfig:
    """Traceroutes taken as evidence when an outage or an ISP-hop failure starts."""

    enabled: bool = key(
        True, "traceroute towards an anchor when an outage or an ISP-hop failure starts", "true or false"
    )
    max_hops: int = key(30, "hops probed; 1 to 64", "a whole number of hops", bounds(1, 64))
    # All TTLs are sent at once.
    timeout: float = key(1.0, "seconds a traceroute waits for answers; 0.1 to 10", SECONDS, bounds(0.1, 10))


@dataclass(frozen=True)
class MetricsConfig:
    """The Prometheus endpoint (the ``prometheus`` extra)."""

    enabled: bool = key(
        False, "serve Prometheus metrics on http://<listen>/metrics (the prometheus extra)", "true or false"
    )
    listen: str = key(
        "127.0.0.1:9847",
        'ADDRESS:PORT, IPv6 in brackets ("[::1]:9847"); a non-loopback address exposes the metrics to the network',
        "an address and port in quotes",
        listen_address,
    )

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of ``listen``, the host without brackets."""
        return _host_port(self.listen)


@dataclass(frozen=True)
class NotifyConfig:
    """Notifications after recovery; enabled when any channel is configured. ``urls_file`` is read (and apprise
    asked about every URL) by ``netwatch.adapters.notify`` at start and by check-config, never by this module."""

    urls: tuple[str, ...] = key(
        (), "apprise URLs (e-mail, ntfy, Telegram, Slack...); rendered masked", "a list of URLs", each_apprise_url
    )
    urls_file: Path | None = key(
        None,
        "file of more apprise URLs, one a line; relative to this file",
        "a file path in quotes",
        beside_config=True,
    )
    command: Command = key(
        (),
        'local program given the notification as JSON on stdin; "" = none',
        'a list such as ["/usr/local/bin/alert", "--quiet"]',
        argv_words,
    )
    timeout: float = key(10.0, "seconds each delivery may take; 0.5 to 300", SECONDS, bounds(0.5, 300))
    kinds: tuple[str, ...] = key(
        ("outage",), "incident kinds that notify: outage, degraded, slow", "a list of kinds", each_kind, unique
    )
    min_duration: float = key(60.0, "seconds; shorter incidents do not notify", SECONDS, bounds(0))
    digest: str = key(
        "off", "off, daily or weekly: a summary of the previous day or week", "a word in quotes", one_of(*DIGESTS)
    )
    digest_at: str = key(
        "08:00", "HH:MM local time (business_hours.timezone) the digest is sent", "a time in quotes", clock_time
    )
    digest_day: str = key(
        "mon", "weekly digests: the day they are sent (mon ... sun)", "a day in quotes", one_of(*DAYS)
    )
    title_prefix: str = key("[netwatch] ", "put before every notification's title", "a text in quotes")

    @property
    def enabled(self) -> bool:
        return bool(self.urls or self.urls_file or self.command)


@dataclass(frozen=True)
class TimestampConfig:
    """Trusted timestamps (RFC 3161) of the evidence chain's newest seal from a time-stamping authority, taken by
    the daemon every ``every_hours`` (and by `netwatch timestamp`); enabled when ``url`` is set (needs the
    ``timestamp`` extra). ``ca_file`` is the authority's root certificate, which every token is checked against."""

    url: str = key(
        "",
        'time-stamping authority (RFC 3161), e.g. "https://freetsa.org/tsr"; "" = none',
        "a URL in quotes",
        http_url,
    )
    ca_file: Path | None = key(
        None,
        "PEM file of the authority's root certificate, relative to this file",
        "a file path in quotes",
        beside_config=True,
    )
    every_hours: float = key(24.0, "hours between two timestamps; 1 to 720", "a number of hours", bounds(1, 720))
    timeout: float = key(30.0, "seconds to wait for the authority; 1 to 300", SECONDS, bounds(1, 300))

    @property
    def enabled(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True)
class ClaimsConfig:
    """What the rules of the owner's country give for the incidents and tickets of a period. ``options`` holds
    the ``[claims.amounts]`` overrides as written (validated against the chosen rule pack by a cross-check)."""

    rules: str = key(
        "none",
        "compensation and speed rules: none, uk-ofcom, de-tkg, nl-telecomwet, be-ecl or us-fcc",
        "a rule pack in quotes",
        one_of(*RULE_PACKS),
    )
    contract: str = key(
        "",
        'your contract with the provider: "residential" or "business"; "" = not stated (rules that depend on it '
        "say what they assume)",
        "a word in quotes",
        one_of("", *CONTRACTS),
    )
    customer: str = key(
        "",
        'who you are to the law: "consumer", "micro_business" (under 10 staff) or "small_business" (under 50); "" = '
        "not stated",
        "a word in quotes",
        one_of("", *CUSTOMERS),
    )
    waived: bool = key(
        False,
        "a micro or small business that expressly waived, in its contract, the consumer rights the law extends to it",
        "true or false",
    )
    region: str = key(
        "",
        'uk-ofcom: nation whose bank holidays are not working days (ENG, WLS, SCT, NIR); "" = '
        "from business_hours.holidays, else ENG",
        "a nation in quotes",
        one_of("", *UK_NATIONS),
    )
    minimum_request: float = key(
        1.0,
        "smallest credit or compensation the letter asks for, in its currency; below it, it asks for none and says why",
        "an amount",
        bounds(0),
    )
    options: Mapping[str, Mapping[str, Any]] = subtables("amounts")

    @property
    def amounts(self) -> Mapping[str, Any]:
        return self.options.get("amounts", {})

    @property
    def situation(self) -> Situation:
        """Who the owner is to the rules, as the claims read it."""
        return Situation(self.contract, self.customer, self.waived)


@dataclass(frozen=True)
class WebConfig:
    """The web dashboard (`netwatch web`, the ``web`` extra). ``password_file`` and the TLS files are read by the
    dashboard at start and at each sign-in, never by this module."""

    listen: str = key(
        "127.0.0.1:8480",
        "ADDRESS:PORT of the dashboard; any address but loopback needs a password (netwatch web passwd)",
        "an address and port in quotes",
        listen_on(8480),
    )
    password_file: Path | None = key(
        Path("web-password"),
        'the password hash netwatch web passwd writes, relative to the state directory; "" = no sign-in',
        "a file path in quotes",
    )
    tls_cert: Path | None = key(
        None,
        'certificate (PEM) for https, relative to this file; "" = plain http',
        "a file path in quotes",
        beside_config=True,
    )
    tls_key: Path | None = key(
        None, "private key (PEM) of tls_cert, relative to this file", "a file path in quotes", beside_config=True
    )

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of ``listen``, the host without brackets."""
        return _host_port(self.listen)

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None and self.tls_key is not None


@dataclass(frozen=True)
class StateDirectory:
    """Where netwatch keeps its state (a relative store.path is resolved there), and what said so, in words
    ("$NETWATCH_STATE_DIR", "recorded by ./bootstrap in …"), for `check-config` and for a store that is missing."""

    path: Path
    origin: str


@dataclass(frozen=True)
class PoolConfig:
    """Publishing to a neighbourhood pool (opt-in: enabled when ``url`` is set) and reading it for the area report.
    The household's own database (v1) or bucket (v2) is ``prefix`` and its id; every other one of that prefix is a
    neighbour's. Secrets stay here only as given: the *_file keys are read by the adapters, never by this module."""

    url: str = key(
        "", 'the pool\'s InfluxDB base URL; "" = not in a pool (nothing published)', "a URL in quotes", http_url
    )
    api: str = key(
        "v1", '"v1" (InfluxDB 1.x) or "v2" (InfluxDB 2.x, 3.x, VictoriaMetrics)', "an API in quotes", one_of("v1", "v2")
    )
    isp: str = key("", "your provider's name, as your neighbours write it", "a name in quotes", tag_safe)
    asn: int = key(0, "your provider's autonomous system number; 0 = unknown", "a whole number", bounds(0, 4294967295))
    area: str = key(
        "", "the area you share: a postcode sector, street cabinet or exchange", "an area in quotes", tag_safe
    )
    sign_as: str = key(
        "", 'your name under a joint letter, published to the pool; "" = not named', "a name in quotes", tag_safe
    )
    kinds: tuple[str, ...] = key(
        ("outage",), "incident kinds published: outage, degraded", "a list of kinds", each_pool_kind, unique
    )
    prefix: str = key(
        "netwatch_pool_", "the pool's databases (v1) or buckets (v2) start with this", "a prefix", tag_safe
    )
    org: str = key("", "v2: organization name or ID", "a name in quotes")
    token: str = key("", "v2: this household's token (write on its bucket, read on the pool's)", "a token in quotes")
    token_file: Path | None = key(
        None, "v2: file holding the token, relative to this file", "a file path in quotes", beside_config=True
    )
    username: str = key("", 'v1: this household\'s user; "" = no authentication', "a user name in quotes")
    password: str = key("", "v1: its password (or password_file)", "a password in quotes")
    password_file: Path | None = key(
        None, "v1: file holding the password, relative to this file", "a file path in quotes", beside_config=True
    )
    coverage_every: float = key(
        600.0, "seconds between publications of the time monitored; 1 to 86400", SECONDS, bounds(1, 86400)
    )
    timeout: float = key(10.0, "seconds to wait for each request to the pool; 0.1 to 300", SECONDS, bounds(0.1, 300))

    @property
    def enabled(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True)
class Config:
    """The whole configuration: a record per table (in the order of the file's tables), ``[business_hours]``
    as its owner validates it, where the file came from (None: the built-in defaults) and the state directory
    (where a relative store.path is resolved) with what chose it."""

    probe: ProbeConfig
    targets: TargetsConfig
    dns: DnsConfig
    detect: DetectConfig
    store: StoreConfig
    log: LogConfig
    clock: ClockConfig
    cost: CostConfig
    plan: PlanConfig
    owner: OwnerConfig
    report: ReportConfig
    influxdb: InfluxConfig
    speedtest: SpeedtestConfig
    traceroute: TracerouteConfig
    metrics: MetricsConfig
    notify: NotifyConfig
    timestamp: TimestampConfig
    claims: ClaimsConfig
    web: WebConfig
    pool: PoolConfig
    business_hours: BusinessHours
    source: Path | None
    state_dir: Path
    state_origin: str = ""
