"""The configuration's records: one frozen dataclass per TOML table, and ``Config`` holding them all.

Owns what a validated configuration *is* (the fields, their meaning and units, and small derived properties).
Pure data: building them from TOML, with every check, is ``netwatch.config``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netwatch.config.checks import parse_listen
from netwatch.core.schedule import BusinessHours


@dataclass(frozen=True)
class ProbeConfig:
    name: str
    interval: float
    timeout: float
    mode: str


@dataclass(frozen=True)
class TargetsConfig:
    gateway: str
    isp: str
    anchors: tuple[str, ...]
    isp_refresh: float


@dataclass(frozen=True)
class DnsConfig:
    names: tuple[str, ...]
    servers: tuple[str, ...]
    timeout: float


@dataclass(frozen=True)
class DetectConfig:
    confirm: int
    window: int
    loss_percent: float
    latency_ms: float


@dataclass(frozen=True)
class StoreConfig:
    path: Path
    retention_days: int
    commit_interval: float


@dataclass(frozen=True)
class LogConfig:
    level: str


@dataclass(frozen=True)
class ClockConfig:
    sync: str  # when the wall clock is trusted: see netwatch.core.clock.Policy


@dataclass(frozen=True)
class CostConfig:
    hourly: float  # cost of one hour of business-hours downtime; 0 = not configured (no cost in reports)
    currency: str  # ISO 4217 code


@dataclass(frozen=True)
class PlanConfig:
    provider: str
    account: str  # account number with the provider
    monthly_fee: float  # 0 = unknown (no credit in reports)
    contracted_availability: float  # percent, 0 = not stated
    download_mbps: float  # 0 = unknown
    upload_mbps: float  # 0 = unknown
    slow_below_percent: float = 50.0  # a speed test below this share of the plan is slow (default: positional use)
    # The contract's speed promises beyond the advertised (maximum) one, for the claims rules; 0 = not stated.
    minimum_download_mbps: float = 0.0  # UK minimum guaranteed speed; DE "minimale Geschwindigkeit"
    minimum_upload_mbps: float = 0.0
    normal_download_mbps: float = 0.0  # DE "normalerweise zur Verfügung stehende Geschwindigkeit"
    normal_upload_mbps: float = 0.0
    typical_download_mbps: float = 0.0  # US FCC broadband label
    typical_upload_mbps: float = 0.0
    typical_latency_ms: float = 0.0


@dataclass(frozen=True)
class SpeedtestConfig:
    """Scheduled speed tests. ``options`` holds the ``[speedtest.<backend>]`` sub-tables as written (validated
    by ``make_backend``, which builds the backends from them); a backend without one takes its defaults."""

    enabled: bool
    backend: str
    fallback: tuple[str, ...]
    interval: float  # seconds between tests, on average
    jitter: float  # each test runs up to this many seconds earlier or later than the interval says
    daily_budget_mb: float  # megabytes (10^6 bytes) of test traffic per UTC day; 0 = unlimited
    options: Mapping[str, Mapping[str, Any]]

    @property
    def chain(self) -> tuple[str, ...]:
        """The backend, then its fallbacks, in the order they are tried."""
        return (self.backend, *self.fallback)

    def options_for(self, name: str) -> dict[str, Any]:
        return dict(self.options.get(name, {}))


@dataclass(frozen=True)
class OwnerConfig:
    """Who sends the complaint letter; "" = missing (the letter shows a visible placeholder)."""

    business: str
    name: str
    address: str  # may span several lines
    email: str
    phone: str


@dataclass(frozen=True)
class ReportConfig:
    templates: Path | None  # None = the built-in templates
    title: str
    witness: str = ""  # another probe writing to the same InfluxDB, asked about each outage; "" = none


@dataclass(frozen=True)
class ClaimsConfig:
    """What the rules of the owner's country give for the incidents and tickets of a period. ``options`` holds
    the ``[claims.amounts]`` overrides as written (validated against the chosen rule pack by a cross-check)."""

    rules: str  # "none", "uk-ofcom", "de-tkg" or "us-fcc"
    region: str  # UK nation for bank holidays ("ENG", "WLS", "SCT", "NIR"); "" = from business_hours.holidays
    options: Mapping[str, Mapping[str, Any]]

    @property
    def amounts(self) -> Mapping[str, Any]:
        return self.options.get("amounts", {})


@dataclass(frozen=True)
class InfluxConfig:
    """Replication to InfluxDB; enabled when ``url`` is set. Secrets stay here only as given: the *_file keys are
    read (and their permissions checked) by the exporter, never by this pure module."""

    url: str  # "" = no export
    api: str  # "v2" (influxdb-client) or "v1" (/write)
    org: str
    bucket: str
    token: str
    token_file: Path | None
    database: str
    retention_policy: str
    username: str
    password: str
    password_file: Path | None
    batch_size: int  # points per write request
    timeout: float  # seconds per write request

    @property
    def enabled(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True)
class TracerouteConfig:
    """Traceroutes taken as evidence when an outage or an ISP-hop failure starts."""

    enabled: bool
    max_hops: int
    timeout: float  # seconds a trace waits for its answers (all TTLs are sent at once)


@dataclass(frozen=True)
class MetricsConfig:
    """The Prometheus endpoint (the ``prometheus`` extra); ``listen`` is validated by ``parse_listen``."""

    enabled: bool
    listen: str  # "ADDRESS:PORT", IPv6 in brackets: "[::1]:9847"

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of ``listen``, the host without brackets."""
        parsed = parse_listen(self.listen)
        if isinstance(parsed, str):
            raise ValueError(parsed)  # validated at parse time: only a bug gets here
        return parsed


@dataclass(frozen=True)
class NotifyConfig:
    """Notifications after recovery; enabled when any channel is configured. ``urls_file`` is read (and apprise
    asked about every URL) by ``netwatch.adapters.notify`` at start and by check-config, never by this module."""

    urls: tuple[str, ...]  # apprise URLs
    urls_file: Path | None  # more apprise URLs, one a line
    command: tuple[str, ...]  # argv of a local program; () = none
    timeout: float  # seconds a delivery may take on each channel
    kinds: tuple[str, ...]  # incident kinds that notify
    min_duration: float  # seconds; shorter incidents do not notify
    digest: str  # "off", "daily" or "weekly"
    digest_at: str  # "HH:MM", local time in business_hours.timezone
    digest_day: str  # weekly digests: "mon" ... "sun"
    title_prefix: str

    @property
    def enabled(self) -> bool:
        return bool(self.urls or self.urls_file or self.command)


@dataclass(frozen=True)
class Config:
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
    claims: ClaimsConfig
    business_hours: BusinessHours
    source: Path | None  # the file it came from, None for the built-in defaults
    state_dir: Path  # where a relative store.path is resolved
