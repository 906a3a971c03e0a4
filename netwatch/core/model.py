"""The record types of netwatch: every frozen dataclass that crosses a module boundary.

Owns what is measured and kept (targets, samples, rounds, incidents, coverage, speed test results, traceroutes,
clock events, fault tickets, speed campaigns, notifications and their outbox entries, export cursors, the status
snapshot, the line's state now, the findings of `netwatch doctor`). Must not import any other netwatch module, do
I/O or read a clock: all instants are Unix seconds in UTC (floats); local time exists only in schedules and
rendering.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo


class Role(StrEnum):
    """What a probed target tells us about where a fault is."""

    GATEWAY = "gateway"  # the LAN router
    ISP = "isp"  # first hop beyond the gateway: the ISP's edge
    ANCHOR = "anchor"  # public, independent hosts
    DNS = "dns"  # a name resolved through the configured resolvers


class Kind(StrEnum):
    OUTAGE = "outage"
    DEGRADED = "degraded"
    SLOW = "slow"


class Cause(StrEnum):
    LOCAL = "local"  # the gateway did not answer either
    ISP = "isp"  # the gateway answered, the ISP hop did not
    UPSTREAM = "upstream"  # gateway and ISP hop answered, no anchor did
    DNS = "dns"  # ICMP worked, name resolution failed
    UNKNOWN = "unknown"
    # The gateway answered, no anchor did, and no ISP hop told which: not known yet (not found since netwatch started,
    # e.g. because the line was already down) or one that answers too few echoes to be a witness. The provider's
    # either way. Declared last: the JSON contract's cause values and their order only grow.
    ISP_OR_UPSTREAM = "isp_or_upstream"


@dataclass(frozen=True, order=True)
class Target:
    """Something probed each round. ``address`` is an IP address, or a DNS name for role ``dns``."""

    role: Role
    address: str


@dataclass(frozen=True)
class Sample:
    """One target's answer in one round: ``rtt_ms`` is None when it did not answer within the timeout.

    For DNS targets ``rtt_ms`` is the resolution time. ``error`` says why a probe failed when there is more to
    say than "no answer" (e.g. "network unreachable", "NXDOMAIN").
    """

    target: Target
    rtt_ms: float | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.rtt_ms is not None


@dataclass(frozen=True)
class Round:
    """Every target probed once. ``at`` is the wall-clock start (UTC Unix seconds); ``mono`` the monotonic one."""

    at: float
    samples: tuple[Sample, ...]
    mono: float = 0.0

    def by_role(self, role: Role) -> tuple[Sample, ...]:
        return tuple(s for s in self.samples if s.target.role is role)


@dataclass(frozen=True)
class Incident:
    """An outage, degradation or slow-speed period.

    ``start`` is the first bad round, ``end`` the first good one (None while open). ``rounds`` counts the bad
    rounds seen; ``cause_rounds`` how many of them pointed at each cause, which is the evidence behind ``cause``
    (the cause seen in most rounds, ties going to the earliest seen). ``detail`` is a one-line human summary of
    the evidence, e.g. "gateway answered 240/240 rounds, ISP hop 0/240".
    """

    kind: Kind
    cause: Cause
    start: float
    end: float | None = None
    rounds: int = 0
    cause_rounds: tuple[tuple[Cause, int], ...] = ()
    detail: str = ""

    @property
    def is_open(self) -> bool:
        return self.end is None

    def duration(self, until: float | None = None) -> float:
        """Seconds from start to end, or to ``until`` while open (0 if neither is known)."""
        stop = self.end if self.end is not None else until
        return max(0.0, stop - self.start) if stop is not None else 0.0

    def closed_at(self, end: float) -> Incident:
        return replace(self, end=max(end, self.start))


class Channel(StrEnum):
    """How a fault was reported to the provider."""

    PHONE = "phone"
    WEB = "web"
    EMAIL = "email"


class TicketKind(StrEnum):
    """What a ticket records: a fault reported (no service, or a total loss), slow speed reported (a speeds code's
    clock), or a provider switch, a move or a number port that was due on the ticket's day."""

    FAULT = "fault"
    SPEED = "speed"
    SWITCH = "switch"
    MOVE = "move"
    PORT = "port"


CONTRACTS = ("residential", "business")
CUSTOMERS = ("consumer", "micro_business", "small_business")


@dataclass(frozen=True)
class Situation:
    """Who the owner is to the claims rules (``[claims] contract``, ``customer``, ``waived``): "" when not stated."""

    contract: str = ""  # one of CONTRACTS, or ""
    customer: str = ""  # one of CUSTOMERS, or ""
    waived: bool = False  # a micro or small business expressly waived the rights the law extends to it


@dataclass(frozen=True)
class Pause:
    """An engineer appointment the owner declined or missed (``at``: the earliest one the provider offered) and
    the one that took its place (``until``; None: not known). Some rules pay nothing in between."""

    at: float
    until: float | None = None


@dataclass(frozen=True)
class Credit:
    """What the provider actually credited or paid for a ticket: ``amount`` in the rule pack's currency, on ``on``
    (a local date)."""

    amount: float
    on: date


@dataclass(frozen=True)
class Ticket:
    """A fault reported to the provider: the clock of every compensation rule starts at ``reported``.

    ``ref`` is the provider's reference (unique in a store); ``fixed`` is when the provider repaired the fault, as
    the owner states it (None while open); ``missed_appointments`` are the instants of engineer appointments the
    provider missed or cancelled late. Instants are Unix seconds (UTC). ``kind`` says what was reported (for a
    switch, a move or a port, ``reported`` is when it was agreed to happen); ``planned``: the provider notified the
    work in advance; ``declined``: appointments the owner declined or missed; ``notice``: when the provider gave
    notice that its compensation payments stop (Ofcom's code); ``credits``: what the provider paid for it.
    """

    ref: str
    reported: float
    channel: Channel | None = None
    note: str = ""
    fixed: float | None = None
    missed_appointments: tuple[float, ...] = ()
    kind: TicketKind = TicketKind.FAULT
    planned: bool = False
    declined: tuple[Pause, ...] = ()
    notice: float | None = None
    credits: tuple[Credit, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.fixed is None

    @property
    def credited(self) -> float:
        """What the provider credited or paid for it so far."""
        return round(float(sum(c.amount for c in self.credits)), 2)


@dataclass(frozen=True)
class Hop:
    """What answered the echo request sent with this TTL: ``address`` None when nothing did within the timeout.
    ``note`` is the ICMP error that ended the path there (e.g. "network unreachable (ICMP code 0)"), else ""."""

    ttl: int
    address: str | None
    rtt_ms: float | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"ttl": self.ttl, "address": self.address, "rtt_ms": self.rtt_ms, "note": self.note}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Hop:
        rtt = data.get("rtt_ms")
        return cls(int(data["ttl"]), data.get("address"), None if rtt is None else float(rtt), data.get("note", ""))


@dataclass(frozen=True)
class Trace:
    """One traceroute. ``hops`` run from TTL 1 to the destination (``reached``), to the router that refused to
    go on (its ``note`` says why), or to the last router that answered followed by one silent hop. ``error`` is
    set when no request could be sent at all (no route from this machine, no permission); ``started_at`` is the
    caller's wall-clock instant (UTC Unix seconds)."""

    destination: str
    started_at: float
    hops: tuple[Hop, ...]
    reached: bool
    error: str = ""

    @property
    def last_answer(self) -> Hop | None:
        """The farthest hop that answered."""
        return next((h for h in reversed(self.hops) if h.address is not None), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "started_at": self.started_at,
            "reached": self.reached,
            "error": self.error,
            "hops": [h.to_dict() for h in self.hops],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trace:
        hops = tuple(Hop.from_dict(h) for h in data.get("hops", ()))
        return cls(str(data["destination"]), float(data["started_at"]), hops, bool(data["reached"]), data["error"])


@dataclass(frozen=True)
class StoredTrace:
    """A traceroute kept as evidence: why it was taken and the incident it belongs to (``incident_kind`` and
    ``incident_start`` identify it as the store does; None when it belongs to none). ``at`` is its start."""

    trace: Trace
    reason: str
    incident_kind: Kind | None = None
    incident_start: float | None = None

    @property
    def at(self) -> float:
        return self.trace.started_at


@dataclass(frozen=True)
class ProbeMethod:
    """How a session probed and decided, recorded when it began: the settings its rounds and incidents were made
    with. A gateway or ISP hop configured as "auto" is recorded as "auto" (the rounds name the address found)."""

    interval: float  # seconds between rounds: the precision of every outage's start and end
    timeout: float  # seconds a reply is waited for
    confirm: int  # consecutive rounds with every anchor failed before an outage is declared
    window: int  # rounds in the degradation window
    loss_percent: float  # degraded above this anchor loss
    latency_ms: float  # degraded above this median round-trip time
    targets: tuple[Target, ...]
    # The resolvers the names were sent to when the session began ([dns] servers, else the system's); () when no
    # name is resolved; None when not recorded (sessions before netwatch recorded them, or today's configuration
    # with the system resolver): a dns outage is claimed from the provider only through its resolvers.
    resolvers: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SessionMethod:
    """A session's span and the method it recorded; ``method`` is None for a session begun before netwatch recorded
    methods (store schema 18)."""

    start: float
    end: float
    method: ProbeMethod | None


@dataclass(frozen=True)
class Coverage:
    """A period netwatch was running and probing: [start, end]. Time outside every Coverage is unmonitored."""

    start: float
    end: float
    clean: bool = True  # False when the session ended by a crash and ``end`` is the last stored round

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class MinuteRollup:
    """Per-minute summary of one target: kept forever, while raw rounds are pruned after the retention period."""

    minute: int  # Unix minute (Unix seconds // 60)
    target: Target
    sent: int
    lost: int
    rtt_min_ms: float | None
    rtt_avg_ms: float | None
    rtt_max_ms: float | None


@dataclass(frozen=True)
class ExportIncident:
    """An incident as an exporter sees it: ``seq`` orders its changes (an export cursor follows it) and
    ``causes`` lists every cause it was saved with, the current one included."""

    seq: int
    incident: Incident
    causes: tuple[Cause, ...]


@dataclass(frozen=True)
class ExportState:
    """Where one replica (sink) stands, as recorded in the store."""

    sink: str  # which replica, e.g. "influxdb v1 http://influxdb.lan:8086 netwatch"
    round_id: int  # the last round exported (round ids only grow)
    incident_seq: int  # the last incident change exported
    behind: int = 0  # rounds committed after round_id
    updated: float | None = None  # when the cursor last moved
    error: str = ""  # the last failure; "" once a write succeeded after it
    error_at: float | None = None
    stopped: bool = False  # a permanent failure stopped the export until the next start
    speed_id: int = 0  # the last speed result exported (ids only grow)


@dataclass(frozen=True)
class Status:
    """What ``netwatch status`` shows: derived from the store, never from the running daemon's memory.

    ``exports`` pairs each configured replica's label with its state (None before its first start).
    """

    last_round: Round | None
    open_incidents: tuple[Incident, ...] = ()
    recent_incidents: tuple[Incident, ...] = ()
    sessions: tuple[Coverage, ...] = field(default_factory=tuple)
    exports: tuple[tuple[str, ExportState | None], ...] = ()
    unsynced: tuple[float, int] | None = None  # an open clock span: (its first provisional stamp, rounds so far)
    seal: tuple[int, str] | None = None  # the evidence chain's newest seal: (id, hex digest)
    open_tickets: tuple[Ticket, ...] = ()  # fault tickets not yet closed


CANCELLED = "cancelled"  # the ``error`` of a speed test stopped by its cancel event (daemon shutdown)


@dataclass(frozen=True)
class SpeedResult:
    """One speed test attempt.

    ``at`` is the wall-clock start (UTC Unix seconds) and ``duration_s`` the monotonic time the attempt took.
    ``ok`` is True only when ``download_mbps`` was measured (upload may be None when not configured); a failed
    attempt has ``ok=False``, the reason in ``error`` and no speeds, so it can never look like a slow line.
    Speeds are megabits per second (10^6 bit/s); latencies milliseconds. ``latency_ms`` is measured on an idle
    line, ``loaded_latency_ms`` while the line is saturated (None when the backend cannot tell). ``bytes_used``
    counts every byte the test moved in both directions, for data budgets. ``raw`` is the tool's own output
    (JSON or text), at most ``RAW_LIMIT`` characters.
    """

    at: float
    backend: str  # the configured backend name: speedtest, ookla, http, iperf3, cloudflare
    tool: str  # what actually measured: "speedtest-cli", "ookla", "netwatch-http", "iperf3"
    tool_version: str = ""
    server: str = ""  # human-readable name and host of the server measured against
    server_id: str = ""
    result_url: str = ""
    download_mbps: float | None = None
    upload_mbps: float | None = None
    latency_ms: float | None = None
    loaded_latency_ms: float | None = None
    jitter_ms: float | None = None
    bytes_used: int = 0
    external_ip: str = ""
    ok: bool = False
    error: str = ""
    raw: str = ""
    duration_s: float = 0.0

    @property
    def cancelled(self) -> bool:
        return not self.ok and self.error == CANCELLED

    def to_dict(self) -> dict[str, Any]:
        """Every field by name, JSON-serialisable."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpeedResult:
        """The inverse of ``to_dict``; unknown keys are ignored (results written by a newer netwatch)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class SpeedProgress:
    """A speed test someone asked for, as it goes: ``backend`` is the one measuring now ("" before the first and
    once it ended), ``attempts`` those finished (every failed fallback too), ``done`` set once it ended, ``error``
    why it could not run at all (another test was running), ``stored`` whether its attempts went into the store.
    ``started`` is when it began (UTC Unix seconds)."""

    started: float
    backend: str = ""
    attempts: tuple[SpeedResult, ...] = ()
    done: bool = False
    error: str = ""
    stored: bool = False

    @property
    def result(self) -> SpeedResult | None:
        """The attempt to report: the last one, once the test ended."""
        return self.attempts[-1] if self.done and self.attempts else None


class EventKind(StrEnum):
    STEP = "step"  # the trusted wall clock jumped; incidents and the session were split there
    UNSYNCED = "unsynced"  # monitoring started with a clock that is not synchronised: stamps are provisional
    BEHIND = "behind"  # the unsynchronised clock was earlier than the store's last record: stamps moved after it
    SYNCED = "synced"  # the clock became synchronised; provisional stamps are re-timed by ``step``
    UNVERIFIED = "unverified"  # not synchronised, but no time service runs that could ever fix it: trusted as set


@dataclass(frozen=True)
class ClockEvent:
    """What the clock did, stamped with the (corrected) instant it was noticed. ``step`` is the jump in seconds
    (STEP), the re-timing applied to provisional stamps (SYNCED) or the shift of provisional stamps (BEHIND)."""

    kind: EventKind
    at: float
    step: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class Message:
    """One notification. ``key`` identifies the event ("outage 2026-03-24T12:25:00.000Z"); ``event`` is one of
    EVENTS; ``data`` holds the facts as JSON-ready values (what a local command receives beside the texts)."""

    key: str
    event: str
    title: str
    text: str
    markdown: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The JSON document a local command reads on its stdin."""
        return {
            "key": self.key,
            "event": self.event,
            "title": self.title,
            "text": self.text,
            "markdown": self.markdown,
            **self.data,
        }

    def to_json(self) -> str:
        return json.dumps(self.payload(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Message:
        doc = json.loads(text)
        head = {name: doc.pop(name) for name in ("key", "event", "title", "text", "markdown")}
        return cls(**head, data=doc)


@dataclass(frozen=True)
class OutboxEntry:
    """One message for one channel. ``channel`` is the channel's id (a hash: the store never holds a URL with
    its secrets), ``label`` how it is shown. ``next_at`` is the earliest next attempt while pending."""

    id: int
    key: str
    channel: str
    label: str
    created: float
    message: Message
    attempts: int = 0
    next_at: float = 0.0
    error: str = ""  # the last failure; "" once sent
    error_at: float | None = None
    sent_at: float | None = None
    given_up_at: float | None = None

    @property
    def pending(self) -> bool:
        return self.sent_at is None and self.given_up_at is None


@dataclass(frozen=True)
class Window:
    """The local time of day measurements may start in, the same every day: ``start`` < ``end``."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Slot:
    """One planned measurement: ``index`` 0-29, its local calendar ``day``, its start ``at`` (UTC Unix seconds)."""

    index: int
    day: date
    at: float


@dataclass(frozen=True)
class Schedule:
    timezone: str
    window: Window
    slots: tuple[Slot, ...]

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(sorted({s.day for s in self.slots}))


class SlotStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"  # measured: ``result`` is the counted measurement
    FAILED = "failed"  # the last attempt failed; retried while attempts are left
    MISSED = "missed"  # given up: ``detail`` says why


@dataclass(frozen=True)
class StoredSlot:
    id: int
    index: int  # 0-29
    planned: float  # UTC Unix seconds
    status: SlotStatus
    attempts: int
    detail: str
    result: SpeedResult | None  # the last attempt linked to the slot (the measurement when done)


@dataclass(frozen=True)
class Campaign:
    id: int
    created: float
    timezone: str
    window: str  # "HH:MM-HH:MM" local
    seed: int
    start: date
    slots: tuple[StoredSlot, ...]
    replaced: float | None = None  # when a newer plan replaced it (UTC Unix seconds); it is then never run

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def done(self) -> tuple[StoredSlot, ...]:
        return tuple(s for s in self.slots if s.status is SlotStatus.DONE)

    @property
    def missed(self) -> tuple[StoredSlot, ...]:
        return tuple(s for s in self.slots if s.status is SlotStatus.MISSED)

    @property
    def open(self) -> tuple[StoredSlot, ...]:
        return tuple(s for s in self.slots if s.status in (SlotStatus.PENDING, SlotStatus.FAILED))


@dataclass(frozen=True)
class Period:
    """A period reported on: [since, until), Unix seconds."""

    since: float
    until: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.until - self.since)


@dataclass(frozen=True)
class SeriesPoint:
    """Anchor rounds of one time bucket [start, start + seconds), summed over every anchor target."""

    start: float
    seconds: float
    sent: int
    lost: int
    rtt_avg_ms: float | None  # over answered rounds; None when none answered
    rtt_max_ms: float | None

    @property
    def loss_percent(self) -> float | None:
        return 100.0 * self.lost / self.sent if self.sent else None


@dataclass(frozen=True)
class Break:
    """One place where the store no longer matches its seals."""

    where: str  # e.g. "seal 5012 (rounds 123450-123459)"
    what: str  # e.g. "its rounds do not match the seal: 1 fewer than sealed (deleted?)"
    at: float | None = None  # the instant it concerns, when known (Unix seconds)


@dataclass(frozen=True)
class Timestamp:
    """A trusted timestamp (RFC 3161) of the chain head: the authority ``tsa`` signed that seal ``seal_id`` with
    digest ``digest`` (hex) existed at ``at``. ``checked`` is True when its signature, certificate chain and
    imprint were verified here, False when they failed (``problem`` says why), None when they could not be checked
    (``problem`` says what is missing)."""

    seal_id: int
    digest: str
    tsa: str
    at: float
    checked: bool | None
    problem: str = ""


@dataclass(frozen=True)
class StoredTimestamp:
    """A trusted timestamp as the store keeps it: the exact ``statement`` stamped (it names the seal and its digest)
    and the authority's ``token`` (a DER TimeStampResp), which anyone can check with the authority's root
    certificate (``openssl ts -verify``)."""

    seal_id: int
    digest: str  # hex
    tsa: str
    at: float
    statement: bytes
    token: bytes


@dataclass(frozen=True)
class Checkpoint:
    """A verification that found the evidence chain intact up to seal ``seal_id`` (digest ``digest``, hex) at
    ``at``, by netwatch ``version``: ``full`` when it re-hashed everything from the first seal, else it went on from
    the checkpoint of seal ``since_seal``. ``seals``, ``rounds`` and ``records`` are what that verification checked.
    Itself chained (``sealed_in``: the seal holding it; 0 until written), so that deleting or editing one shows."""

    seal_id: int
    digest: str
    at: float
    version: str
    full: bool
    since_seal: int = 0
    seals: int = 0
    rounds: int = 0
    records: int = 0
    sealed_in: int = 0


@dataclass(frozen=True)
class Verification:
    """The result of ``verify``. ``ok`` when nothing broke; counts say how much was checked. ``empty``: the store
    holds nothing at all (never recorded, or emptied), which is not evidence of anything. ``flags`` are records
    that verify but deserve a reader's attention (sealed long after the time they describe)."""

    seals: int
    rounds: int
    records: int
    head_seal: int
    head_digest: str  # hex; "" for an empty chain
    breaks: tuple[Break, ...]
    notes: tuple[str, ...] = ()
    first_at: float | None = None  # the earliest and latest round checked
    last_at: float | None = None
    anchor_found: bool | None = None  # whether an expected digest was found (None: none was given)
    empty: bool = False
    flags: tuple[Break, ...] = ()
    timestamps: tuple[Timestamp, ...] = ()
    head_at: float | None = None  # the newest instant sealed in the chain (its rounds' stamps)
    # The owner's statements (tickets and their terms) sealed in more than one version: each version is kept, and
    # ``what`` says which seals hold them (a withdrawn appointment is in the versions before its withdrawal).
    amended: tuple[Break, ...] = ()
    # None: verified in full from the first seal; else the checkpoint it went on from (the seals up to it were
    # verified then, not re-hashed now: counts, first_at and last_at are this verification's own).
    resumed: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return not self.breaks and self.anchor_found is not False and not self.empty


@dataclass(frozen=True)
class Verified:
    """One run of `netwatch verify`: the ``verification``, the checkpoint it left (``written``; None when none), and
    why none was written when one could have been (``unwritten``: e.g. the store was open read-only; "" otherwise:
    written, the chain not intact, or nothing sealed since the checkpoint it went on from)."""

    verification: Verification
    written: Checkpoint | None = None
    unwritten: str = ""


@dataclass(frozen=True)
class Live:
    """The running daemon's state after its last round, as it writes it to RAM each round (``adapters/live``): what
    the store will hold only at the next commit. ``written`` is the wall-clock instant of the write, ``mono`` the
    monotonic one (boot-relative: comparable only on the same boot), ``interval`` the configured seconds between
    rounds, ``failing`` the failed rounds not yet confirmed as an outage, ``trusted`` whether the wall clock is."""

    pid: int
    boot_id: str
    written: float
    mono: float
    interval: float
    session_start: float
    last_round: Round | None
    open_incidents: tuple[Incident, ...] = ()
    failing: int = 0
    trusted: bool = True
    version: str = ""


class LineState(StrEnum):
    """What the line is doing now, as every face shows it."""

    UP = "up"
    FAILING = "failing"  # the last rounds failed; not yet confirmed as an outage
    DOWN = "down"  # an outage is open
    DEGRADED = "degraded"  # up, with a degradation (or a slow speed test) open
    NOT_RUNNING = "not running"  # netwatch is not recording: nothing is known about the line now
    NO_DATA = "no data"  # nothing was ever recorded


@dataclass(frozen=True)
class LineNow:
    """The line's state at ``at``, for `netwatch status`, the dashboard and its JSON feed: from the running daemon's
    live file while it is fresh (at most a few rounds old), else from the store (up to a commit interval behind).
    ``running`` says whether the daemon records now (a fresh live file, or it holds the store's lock); ``live``
    whether the round and incidents come from the live file. ``since`` is when the state began as far as netwatch
    saw it (None when unknown); ``failing`` the failed rounds not yet confirmed as an outage; ``interval`` the
    seconds between rounds."""

    at: float
    state: LineState
    running: bool
    live: bool
    last_round: Round | None
    open_incidents: tuple[Incident, ...] = ()
    since: float | None = None
    failing: int = 0
    session_start: float | None = None
    interval: float = 1.0

    @property
    def outage(self) -> Incident | None:
        """The open outage, if any."""
        return next((i for i in self.open_incidents if i.kind is Kind.OUTAGE), None)


class Plan(Protocol):
    """The terms of the contract the rules read (``[plan]``; ``netwatch.config.records.PlanConfig`` is one).
    Speeds are Mbit/s, 0 when the contract does not state them."""

    @property
    def provider(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def monthly_fee(self) -> float: ...
    @property
    def download_mbps(self) -> float: ...
    @property
    def upload_mbps(self) -> float: ...
    @property
    def minimum_download_mbps(self) -> float: ...
    @property
    def minimum_upload_mbps(self) -> float: ...
    @property
    def normal_download_mbps(self) -> float: ...
    @property
    def normal_upload_mbps(self) -> float: ...
    @property
    def typical_download_mbps(self) -> float: ...
    @property
    def typical_upload_mbps(self) -> float: ...
    @property
    def typical_latency_ms(self) -> float: ...


# --- the neighbourhood pool (issue 18) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    """One record sent to the neighbourhood pool, exactly as it is written there: a point of ``measurement`` with
    ``tags`` and ``fields`` at ``time_ms``. ``key`` names what it publishes ("incident outage 1767603600000",
    "coverage 1767603600000", "member"): a new version of a key overwrites the same point in the pool."""

    key: str
    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, bool | int | float | str]
    time_ms: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "measurement": self.measurement,
            "tags": dict(self.tags),
            "fields": dict(self.fields),
            "time_ms": self.time_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Publication:
        return cls(str(data["key"]), str(data["measurement"]), data["tags"], data["fields"], int(data["time_ms"]))


@dataclass(frozen=True)
class PoolEntry:
    """A publication in the store's pool outbox: ``sent_at`` once the pool confirmed it (None while pending),
    ``next_at`` the earliest next attempt, ``error`` the last failure ("" once sent)."""

    id: int
    publication: Publication
    queued: float
    sent_at: float | None = None
    attempts: int = 0
    next_at: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class PooledIncident:
    """An outage (or degradation) one household published to the pool: ``digest`` is the SHA-256 of the incident's
    sealed record in that household's store, ``head`` its evidence chain's newest seal (id, hex digest) then."""

    household: str
    isp: str
    area: str
    kind: Kind
    cause: Cause
    start: float
    end: float
    digest: str = ""
    seal: int = 0
    head: tuple[int, str] = (0, "")

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class PooledSpan:
    """A stretch of time one household published as monitored: netwatch ran and could see the provider (its own
    equipment's faults, and outages it publishes no cause for, are left out)."""

    household: str
    isp: str
    area: str
    start: float
    end: float


@dataclass(frozen=True)
class Member:
    """A household of the pool as it describes itself: its provider (and ASN, 0 unknown), its area, the name it
    signs a joint letter with ("" = not named), and when it withdrew its records (None while it takes part)."""

    household: str
    isp: str = ""
    asn: int = 0
    area: str = ""
    signature: str = ""
    withdrawn: float | None = None


@dataclass(frozen=True)
class PoolCheck:
    """The result of `netwatch pool verify`: the household's records in the pool against what its sealed store says
    it published. ``checked`` counts the publications compared; ``store`` is the store's own verification."""

    household: str
    database: str
    checked: int
    breaks: tuple[Break, ...]
    store: Verification

    @property
    def ok(self) -> bool:
        return not self.breaks and self.store.ok


class Severity(StrEnum):
    """How much a finding of `netwatch doctor` matters, mildest first."""

    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Finding:
    """One check of `netwatch doctor`: what was seen (one line, with its figure) and, unless ``severity`` is OK,
    the next step in plain words (the exact command or setting)."""

    check: str
    severity: Severity
    seen: str
    fix: str = ""
