"""What `netwatch doctor` finds: each check's rule (ok, warning or problem) and its words, from the figures seen.

Owns the thresholds (free disk, the card's daily writes against what netwatch writes at its defaults, the store
size a quick check verifies), one function per check returning a ``Finding`` (a line of what was seen, with its
figure, and for anything not ok one line with the next step: the exact command or setting), the worst severity and
its lines on screen. Pure: every figure comes in as an argument. Must not look at the machine, the store or the
network (``netwatch.app.doctor`` gathers the figures) nor choose colours or exit codes (the command line does).
"""

from __future__ import annotations

from collections.abc import Sequence

from netwatch.config.records import MAX_COMMIT_INTERVAL, StoreConfig
from netwatch.core.model import Finding, Severity, Verification
from netwatch.core.text import span

# Bytes a day the daemon makes the card receive at its defaults (the round log's sectors every 10 s, a seal's WAL
# pages, shared-memory index and checkpoint every 300 s): 30-33 MB measured on a running daemon over 10-20 minutes.
# Doctor warns at twice that.
USUAL_WRITES = 30e6
DEFAULT_COMMIT, DEFAULT_SEAL = StoreConfig().commit_interval, StoreConfig().seal_interval
SETTLED = 3600.0  # seconds a daemon runs before its daily write rate means something (start-up writes dominate)
FREE_PROBLEM, FREE_WARNING = 100e6, 500e6  # bytes left on the disk
DAYS_PROBLEM, DAYS_WARNING = 14.0, 90.0  # days left at the store's growth
SYSCTL = 'sudo sysctl -w net.ipv4.ping_group_range="0 2147483647"'
START = "start monitoring: sudo systemctl start netwatch (or netwatch run)"
RANK = {Severity.OK: 0, Severity.WARNING: 1, Severity.PROBLEM: 2}


def size(n: float) -> str:
    """Bytes for people, in decimal units: "820 kB", "4.9 MB", "1.2 GB", "29 GB"."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{n:.0f} B"


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}".replace(",", " ")


def worst(findings: Sequence[Finding]) -> Severity:
    """The most serious severity among ``findings`` (OK when there are none)."""
    return max((f.severity for f in findings), key=RANK.__getitem__, default=Severity.OK)


def lines(finding: Finding) -> tuple[str, ...]:
    """A finding on screen: its severity and what was seen, then, when it is not ok, the next step under it."""
    head = f"{finding.severity.value:<8} {finding.seen}"
    return (head,) if not finding.fix else (head, f"{'':<8} → {finding.fix}")


def summary(findings: Sequence[Finding]) -> str:
    """The last line: how many checks found what."""
    problems = sum(f.severity is Severity.PROBLEM for f in findings)
    warnings = sum(f.severity is Severity.WARNING for f in findings)
    if not problems and not warnings:
        return f"all {_count(len(findings), 'check', 'checks')} ok"
    found = [_count(problems, "problem", "problems")] * bool(problems) + [_count(warnings, "warning", "warnings")] * (
        bool(warnings)
    )
    return f"{' and '.join(found)} in {_count(len(findings), 'check', 'checks')}"


# --- ICMP and the clock -------------------------------------------------------------------------------------------


def icmp(mode: str, unprivileged: bool, raw: bool, group_range: str) -> Finding:
    """Whether this user may open the ICMP sockets ``probe.mode`` asks for."""
    sysctl = f'net.ipv4.ping_group_range "{group_range}"'
    if mode != "privileged" and unprivileged:
        return Finding("icmp", Severity.OK, f"ICMP: ping sockets allowed ({sysctl})")
    if mode != "unprivileged" and raw:
        return Finding("icmp", Severity.OK, "ICMP: raw sockets allowed (this process has CAP_NET_RAW)")
    if mode == "privileged":
        return Finding(
            "icmp",
            Severity.PROBLEM,
            'ICMP: probe.mode is "privileged" but this process has no CAP_NET_RAW',
            'run as root (sudo netwatch doctor shows what the service sees), or set probe.mode = "auto"',
        )
    return Finding(
        "icmp",
        Severity.PROBLEM,
        f"ICMP: this user may not open ICMP sockets ({sysctl}, no CAP_NET_RAW)",
        f"{SYSCTL}, and copy systemd/99-netwatch-ping.conf to /etc/sysctl.d/ to keep it after a reboot",
    )


def clock(synced: bool | None, service: str, rtc: bool, max_error: float | None, provisional: bool) -> Finding:
    """Whether the wall clock is synchronised (adjtimex), by which time service, and how far off it may be;
    ``provisional``: whether a daemon starting now stamps its rounds provisionally (``[clock] sync``'s policy)."""
    if synced:
        by = f" by {service}" if service else ""
        error = f"; maximum error {max_error * 1000:.0f} ms" if max_error is not None else ""
        return Finding("clock", Severity.OK, f"clock: synchronised{by}{error}")
    if synced is None:
        return Finding(
            "clock",
            Severity.WARNING,
            "clock: whether it is synchronised is unknown (the kernel's adjtimex could not be read)",
            "install a time service: sudo apt install systemd-timesyncd",
        )
    if service:
        times = "provisional" if provisional else "the clock's as set"
        return Finding(
            "clock",
            Severity.WARNING,
            f"clock: not synchronised yet ({service} runs): times are {times} until it is",
            f"it needs the line up to reach a time server; journalctl -u {service} says why it has not",
        )
    times = "provisional" if provisional else "the clock's as set, never checked"
    without = "" if rtc else ", no real-time clock"
    return Finding(
        "clock",
        Severity.WARNING if rtc else Severity.PROBLEM,
        f"clock: not synchronised, no time service{without}: times are {times}",
        "sudo apt install systemd-timesyncd && sudo systemctl enable --now systemd-timesyncd",
    )


# --- the disk and the card ----------------------------------------------------------------------------------------


def disk(free: int, total: int, growth: float | None, retention_days: int) -> Finding:
    """Free space where the store is; ``growth`` is the store's bytes a day so far (None: not known yet)."""
    seen = f"free disk: {size(free)} of {size(total)} ({free / total * 100 if total else 0:.0f} %)"
    days = free / growth if growth else None
    if days is not None:
        about = f"{days:,.0f}".replace(",", " ")
        seen += f", about {about} days at the store's growth of {size(growth or 0)} a day"
    if free < FREE_PROBLEM or (days is not None and days < DAYS_PROBLEM):
        severity = Severity.PROBLEM
    elif free < FREE_WARNING or (days is not None and days < DAYS_WARNING):
        severity = Severity.WARNING
    else:
        return Finding("disk", Severity.OK, seen)
    fix = (
        "free space: sudo apt clean; sudo journalctl --vacuum-size=100M; or keep fewer days of rounds with "
        f"[store] retention_days (now {retention_days})"
    )
    return Finding("disk", severity, seen, fix)


def writes(written: int, seconds: float, commit_interval: float, seal_interval: float) -> Finding:
    """The card's wear: what the running daemon wrote to storage since it started, beside what it writes at the
    defaults; a warning only at twice that, with the setting that writes less."""
    if seconds < SETTLED:
        return Finding(
            "writes",
            Severity.OK,
            f"card writes: {size(written)} since netwatch started {span(seconds)} ago (too soon for a daily rate)",
        )
    per_day = written / seconds * 86400
    seen = (
        f"card writes: {size(per_day)} a day by netwatch (over {span(seconds)} since it started; about "
        f"{size(USUAL_WRITES)} a day at the default settings)"
    )
    if per_day <= 2 * USUAL_WRITES:
        return Finding("writes", Severity.OK, seen)
    shorter = [
        f"{name} = {default:g}, the default (now {now:g})"
        for name, now, default in (
            ("commit_interval", commit_interval, DEFAULT_COMMIT),
            ("seal_interval", seal_interval, DEFAULT_SEAL),
        )
        if now < default
    ]
    if shorter:
        fix = f"write less often: set [store] {' and '.join(shorter)}"
    elif commit_interval < MAX_COMMIT_INTERVAL:
        longer = min(MAX_COMMIT_INTERVAL, 3 * commit_interval)
        fix = (
            f"netwatch writes more here than on a Raspberry Pi's SD card: check that /run is in RAM (findmnt /run"
            f" says tmpfs); to write less, set [store] commit_interval = {longer:g} (now {commit_interval:g}): the"
            f" rounds are then saved every {longer:g} seconds, and a power cut can lose up to {longer:g} seconds"
            " of them"
        )
    else:
        fix = (
            "netwatch writes more here than it should at these settings: check that /run is in RAM (findmnt /run"
            " says tmpfs); if it is, report this line to the project"
        )
    return Finding("writes", Severity.WARNING, seen, fix)


def writes_unmeasured(running: bool | None) -> Finding:
    """The card's wear when the daemon's own account cannot be read: it is not running, it runs as another user,
    or (None) this user may not even see whether it runs (its lock file is out of reach)."""
    if running is False:
        return Finding("writes", Severity.WARNING, "card writes: not measured (netwatch is not running)", START)
    if running:
        why = "the daemon runs as another user; its /proc account is theirs"
    else:
        why = "this user may not see whether netwatch runs"
    return Finding("writes", Severity.WARNING, f"card writes: not measured ({why})", "sudo netwatch doctor")


# --- the store ----------------------------------------------------------------------------------------------------


def store(name: str, stored: int, found: Verification, seconds: float) -> Finding:
    """The evidence chain of the store ``name`` (``stored`` bytes with its WAL), verified in ``seconds``."""
    if found.empty:
        return Finding("store", Severity.WARNING, f"store: {name} is empty (nothing recorded yet)", START)
    if found.breaks:
        return Finding(
            "store",
            Severity.PROBLEM,
            f"store: the evidence chain of {name} is broken at {_count(len(found.breaks), 'place', 'places')}",
            "keep a copy of the store as it is, and run netwatch verify to see each place",
        )
    checked = f"{_count(found.seals, 'seal', 'seals')}, {_count(found.rounds, 'round', 'rounds')}"
    seen = f"store: {name} intact ({checked} verified in {seconds:.1f} s; {size(stored)})"
    return Finding("store", Severity.OK, seen)


def store_too_large(name: str, waiting: int) -> Finding:
    """A store with more rounds not yet covered by a checkpoint than a quick check verifies: left to `netwatch
    verify`, whose checkpoint makes the next check quick."""
    return Finding(
        "store",
        Severity.WARNING,
        f"store: {name} has {waiting:,} rounds not verified yet, too many for a quick check",
        "run netwatch verify once (it leaves a checkpoint; doctor then checks only what is new)",
    )


def store_missing(path: str) -> Finding:
    """No store where the configuration leads."""
    return Finding(
        "store",
        Severity.PROBLEM,
        f"store: none at {path} (netwatch has not recorded anything there)",
        f"{START}; or give doctor the --config the daemon runs with",
    )


def store_unreadable(reason: str) -> Finding:
    """A store that cannot be opened; ``reason`` is the store's own one-line error (it says what to do)."""
    return Finding("store", Severity.PROBLEM, "store: cannot be read", reason)


# --- InfluxDB and notifications -----------------------------------------------------------------------------------


def influx_off() -> Finding:
    return Finding("influxdb", Severity.OK, "InfluxDB: not configured (nothing is exported)")


def influx_ok(where: str, seconds: float) -> Finding:
    return Finding("influxdb", Severity.OK, f"InfluxDB: {where} accepted a test point in {seconds * 1000:.0f} ms")


def influx_failed(error: str, permanent: bool) -> Finding:
    """The test point was not written: ``permanent`` when InfluxDB refused it (exports stop until fixed), else it
    could not be reached (the daemon keeps the backlog and sends it later)."""
    if permanent:
        return Finding(
            "influxdb", Severity.PROBLEM, f"InfluxDB: {error}", "fix [influxdb], then run netwatch influx check"
        )
    return Finding(
        "influxdb",
        Severity.WARNING,
        f"InfluxDB: {error}",
        "nothing is lost (the backlog is sent once it answers); netwatch influx check tries again",
    )


def influx_silent(where: str, timeout: float) -> Finding:
    """No answer at all within the doctor's deadline (a name that does not resolve in time, a black hole)."""
    return influx_failed(f"{where}: {waited(timeout)}", permanent=False)


def waited(deadline: float) -> str:
    """Why a network check found nothing: the doctor stopped waiting (``deadline`` seconds after it started)."""
    return f"no answer in the {deadline:g} s netwatch doctor waits"


def notify_off() -> Finding:
    return Finding("notify", Severity.OK, "notifications: none configured")


def notify_silent(timeout: float) -> Finding:
    """The channels could not even be looked at in time (loading apprise took longer than the doctor waits)."""
    return Finding(
        "notify",
        Severity.WARNING,
        f"notifications: not checked within {timeout:g} s",
        "netwatch notify test sends a test message through every channel",
    )


def notify_unbuildable(key: str, message: str, fix: str) -> Finding:
    """A channel of ``[notify]`` that cannot be built (a bad URL, apprise missing, no such program)."""
    return Finding("notify", Severity.PROBLEM, f"notifications: {key} {message}", fix)


def notify_reached(label: str, host: str, port: int, seconds: float) -> Finding:
    return Finding(
        "notify",
        Severity.OK,
        f"notifications: {label} reachable ({host}:{port} answered in {seconds * 1000:.0f} ms)",
    )


def notify_unreached(label: str, host: str, port: int, reason: str) -> Finding:
    """Where a channel delivers did not accept a connection; messages wait in the outbox meanwhile."""
    return Finding(
        "notify",
        Severity.WARNING,
        f"notifications: {label} unreachable ({host}:{port}: {reason})",
        "check the URL and that the service is up, then netwatch notify test (messages wait in the outbox)",
    )


def notify_untried(label: str) -> Finding:
    """A channel with no address to look at (a command, a service apprise names no host for)."""
    return Finding("notify", Severity.OK, f"notifications: {label} (not contacted; netwatch notify test sends one)")


# --- extras -------------------------------------------------------------------------------------------------------


def extras(present: Sequence[tuple[str, bool]], needed: Sequence[tuple[str, str]]) -> Finding:
    """Which extras are installed (``present``: name, installed) and, in ``needed``, each part the configuration
    uses but this machine lacks (the setting, what is missing and how to install it)."""
    have = [name for name, ok in present if ok]
    lack = [name for name, ok in present if not ok]
    seen = f"extras: {', '.join(have) or 'none'} installed" + (f"; not installed: {', '.join(lack)}" if lack else "")
    if not needed:
        return Finding("extras", Severity.OK, seen)
    uses = "; ".join(f"{what}: {how}" for what, how in needed)
    return Finding("extras", Severity.WARNING, seen, uses)
