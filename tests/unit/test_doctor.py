"""`netwatch doctor`'s rules and words (netwatch.report.doctor): each check's severity at the edges of its
thresholds, and the exact line it prints with its next step."""

from __future__ import annotations

import pytest

from netwatch.core.model import Break, Finding, Severity, Verification
from netwatch.report import doctor as rules

OK, WARNING, PROBLEM = Severity.OK, Severity.WARNING, Severity.PROBLEM
START = "start monitoring: sudo systemctl start netwatch (or netwatch run)"
GB = 1_000_000_000
DAY = 86400.0


def said(finding: Finding) -> tuple[Severity, str, str]:
    return finding.severity, finding.seen, finding.fix


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (820_000, "820 kB"), (4_870_000, "4.9 MB"), (1.2e9, "1.2 GB")],
)
def test_sizes_read_in_decimal_units(n: float, text: str) -> None:
    assert rules.size(n) == text


# --- ICMP ---------------------------------------------------------------------------------------------------------


def test_icmp_ping_sockets() -> None:
    assert said(rules.icmp("auto", True, False, "0 2147483647")) == (
        OK,
        'ICMP: ping sockets allowed (net.ipv4.ping_group_range "0 2147483647")',
        "",
    )


def test_icmp_raw_sockets_when_ping_sockets_are_refused() -> None:
    assert said(rules.icmp("auto", False, True, "1 0")) == (
        OK,
        "ICMP: raw sockets allowed (this process has CAP_NET_RAW)",
        "",
    )


def test_icmp_neither() -> None:
    assert said(rules.icmp("auto", False, False, "1 0")) == (
        PROBLEM,
        'ICMP: this user may not open ICMP sockets (net.ipv4.ping_group_range "1 0", no CAP_NET_RAW)',
        'sudo sysctl -w net.ipv4.ping_group_range="0 2147483647", and copy systemd/99-netwatch-ping.conf to'
        " /etc/sysctl.d/ to keep it after a reboot",
    )


def test_icmp_modes_ask_for_their_own_socket() -> None:
    assert rules.icmp("unprivileged", False, True, "1 0").severity is PROBLEM
    assert rules.icmp("privileged", True, False, "0 2147483647") == Finding(
        "icmp",
        PROBLEM,
        'ICMP: probe.mode is "privileged" but this process has no CAP_NET_RAW',
        'run as root (sudo netwatch doctor shows what the service sees), or set probe.mode = "auto"',
    )
    assert rules.icmp("privileged", False, True, "1 0").severity is OK


# --- the clock ----------------------------------------------------------------------------------------------------


def test_clock_synchronised_with_its_error() -> None:
    assert said(rules.clock(True, "chrony", False, 0.0125, provisional=False)) == (
        OK,
        "clock: synchronised by chrony; maximum error 12 ms",
        "",
    )
    assert rules.clock(True, "", True, None, provisional=False).seen == "clock: synchronised"


def test_clock_waiting_for_its_service() -> None:
    fix = "it needs the line up to reach a time server; journalctl -u systemd-timesyncd says why it has not"
    assert said(rules.clock(False, "systemd-timesyncd", False, 16.0, provisional=True)) == (
        WARNING,
        "clock: not synchronised yet (systemd-timesyncd runs): times are provisional until it is",
        fix,
    )
    assert said(rules.clock(False, "systemd-timesyncd", True, 16.0, provisional=False)) == (
        WARNING,
        "clock: not synchronised yet (systemd-timesyncd runs): times are the clock's as set until it is",
        fix,
    )


def test_clock_without_a_time_service() -> None:
    fix = "sudo apt install systemd-timesyncd && sudo systemctl enable --now systemd-timesyncd"
    assert said(rules.clock(False, "", False, None, provisional=False)) == (
        PROBLEM,
        "clock: not synchronised, no time service, no real-time clock: times are the clock's as set, never checked",
        fix,
    )
    assert said(rules.clock(False, "", True, None, provisional=False)) == (
        WARNING,
        "clock: not synchronised, no time service: times are the clock's as set, never checked",
        fix,
    )
    assert rules.clock(False, "", False, None, provisional=True).seen == (
        "clock: not synchronised, no time service, no real-time clock: times are provisional"
    )


def test_clock_unknown() -> None:
    assert said(rules.clock(None, "", False, None, provisional=False)) == (
        WARNING,
        "clock: whether it is synchronised is unknown (the kernel's adjtimex could not be read)",
        "install a time service: sudo apt install systemd-timesyncd",
    )


# --- free disk ----------------------------------------------------------------------------------------------------

FREE_FIX = (
    "free space: sudo apt clean; sudo journalctl --vacuum-size=100M; or keep fewer days of rounds with"
    " [store] retention_days (now 90)"
)


def test_free_disk_with_days_left_at_the_store_growth() -> None:
    assert said(rules.disk(int(1.2 * GB), 29 * GB, 4e6, 90)) == (
        OK,
        "free disk: 1.2 GB of 29 GB (4 %), about 300 days at the store's growth of 4.0 MB a day",
        "",
    )
    assert "about 3 000 days" in rules.disk(int(12 * GB), 29 * GB, 4e6, 90).seen


def test_free_disk_without_a_growth_yet() -> None:
    assert said(rules.disk(20 * GB, 29 * GB, None, 90)) == (OK, "free disk: 20 GB of 29 GB (69 %)", "")


@pytest.mark.parametrize(
    ("free", "growth", "severity"),
    [
        (int(rules.FREE_WARNING), None, OK),
        (int(rules.FREE_WARNING) - 1, None, WARNING),
        (int(rules.FREE_PROBLEM), None, WARNING),
        (int(rules.FREE_PROBLEM) - 1, None, PROBLEM),
        (int(90 * 1e7), 1e7, OK),  # exactly 90 days left
        (int(90 * 1e7) - 1, 1e7, WARNING),
        (int(14 * 5e7), 5e7, WARNING),  # exactly 14 days left
        (int(14 * 5e7) - 1, 5e7, PROBLEM),
    ],
)
def test_free_disk_thresholds(free: int, growth: float | None, severity: Severity) -> None:
    found = rules.disk(free, 29 * GB, growth, 90)
    assert found.severity is severity
    assert found.fix == ("" if severity is OK else FREE_FIX)


# --- the card's writes --------------------------------------------------------------------------------------------


def test_card_writes_as_at_the_defaults() -> None:
    assert said(rules.writes(int(21e6 * 2), 2 * DAY, 10.0, 300.0)) == (
        OK,
        "card writes: 21 MB a day by netwatch (over 48 h since it started; about 30 MB a day at the default settings)",
        "",
    )


def test_card_writes_over_twice_the_defaults_with_shorter_intervals_name_those() -> None:
    assert said(rules.writes(int(89e6 / 24 * 3), 3 * 3600, 5.0, 300.0)) == (
        WARNING,
        "card writes: 89 MB a day by netwatch (over 3 h since it started; about 30 MB a day at the default settings)",
        "write less often: set [store] commit_interval = 10, the default (now 5)",
    )
    assert rules.writes(int(89e6), DAY, 5.0, 60.0).fix == (
        "write less often: set [store] commit_interval = 10, the default (now 5) and seal_interval = 300, the default"
        " (now 60)"
    )
    # A longer interval than the default is never undone: only the shorter one is named.
    assert rules.writes(int(89e6), DAY, 60.0, 120.0).fix == (
        "write less often: set [store] seal_interval = 300, the default (now 120)"
    )


def test_card_writes_over_twice_the_defaults_at_the_defaults_or_longer_say_what_writes_less() -> None:
    """At the defaults the rounds cost more on this file system than on a Pi's card: a longer commit interval is
    what writes less, up to its longest."""
    assert rules.writes(int(89e6), DAY, 10.0, 300.0).fix == (
        "netwatch writes more here than on a Raspberry Pi's SD card: check that /run is in RAM (findmnt /run says"
        " tmpfs); to write less, set [store] commit_interval = 30 (now 10): the rounds are then saved every 30"
        " seconds, and a power cut can lose up to 30 seconds of them"
    )
    assert "set [store] commit_interval = 60 (now 30): " in rules.writes(int(89e6), DAY, 30.0, 1800.0).fix
    assert rules.writes(int(89e6), DAY, 60.0, 300.0).fix == (
        "netwatch writes more here than it should at these settings: check that /run is in RAM (findmnt /run says"
        " tmpfs); if it is, report this line to the project"
    )


def test_card_writes_up_to_twice_the_defaults_are_ok() -> None:
    assert rules.writes(int(2 * rules.USUAL_WRITES), DAY, 10.0, 300.0).severity is OK
    assert rules.writes(int(2 * rules.USUAL_WRITES) + 1, DAY, 10.0, 300.0).severity is WARNING


def test_card_writes_too_soon_for_a_rate() -> None:
    assert said(rules.writes(2_100_000, rules.SETTLED - 1, 10.0, 300.0)) == (
        OK,
        "card writes: 2.1 MB since netwatch started 59 min 59 s ago (too soon for a daily rate)",
        "",
    )


def test_card_writes_not_measured() -> None:
    assert said(rules.writes_unmeasured(running=False)) == (
        WARNING,
        "card writes: not measured (netwatch is not running)",
        START,
    )
    assert said(rules.writes_unmeasured(running=True)) == (
        WARNING,
        "card writes: not measured (the daemon runs as another user; its /proc account is theirs)",
        "sudo netwatch doctor",
    )
    assert said(rules.writes_unmeasured(running=None)) == (
        WARNING,
        "card writes: not measured (this user may not see whether netwatch runs)",
        "sudo netwatch doctor",
    )


# --- the store ----------------------------------------------------------------------------------------------------


def verification(seals: int, rounds: int, breaks: int = 0, empty: bool = False) -> Verification:
    found = tuple(Break(f"seal {i}", "its rounds do not match the seal") for i in range(breaks))
    return Verification(seals, rounds, 0, seals, "ab" * 32, found, empty=empty)


def test_store_intact() -> None:
    assert said(rules.store("netwatch.db", 4_870_000, verification(8641, 86410), 0.84)) == (
        OK,
        "store: netwatch.db intact (8 641 seals, 86 410 rounds verified in 0.8 s; 4.9 MB)",
        "",
    )
    assert rules.store("n.db", 5000, verification(1, 1), 0.01).seen == (
        "store: n.db intact (1 seal, 1 round verified in 0.0 s; 5.0 kB)"
    )


def test_store_broken() -> None:
    assert said(rules.store("netwatch.db", 4_850_000, verification(10, 100, breaks=3), 0.1)) == (
        PROBLEM,
        "store: the evidence chain of netwatch.db is broken at 3 places",
        "keep a copy of the store as it is, and run netwatch verify to see each place",
    )
    assert "broken at 1 place" in rules.store("n.db", 1, verification(10, 100, breaks=1), 0.1).seen


def test_store_empty() -> None:
    assert said(rules.store("netwatch.db", 4096, verification(0, 0, empty=True), 0.0)) == (
        WARNING,
        "store: netwatch.db is empty (nothing recorded yet)",
        START,
    )


def test_store_too_large_for_a_quick_check() -> None:
    assert said(rules.store_too_large("netwatch.db", 7_776_000)) == (
        WARNING,
        "store: netwatch.db has 7,776,000 rounds not verified yet, too many for a quick check",
        "run netwatch verify once (it leaves a checkpoint; doctor then checks only what is new)",
    )


def test_store_missing_or_unreadable() -> None:
    assert said(rules.store_missing("/var/lib/netwatch/netwatch.db")) == (
        PROBLEM,
        "store: none at /var/lib/netwatch/netwatch.db (netwatch has not recorded anything there)",
        f"{START}; or give doctor the --config the daemon runs with",
    )
    assert said(rules.store_unreadable("cannot read store x: use sudo")) == (
        PROBLEM,
        "store: cannot be read",
        "cannot read store x: use sudo",
    )


# --- InfluxDB and notifications -----------------------------------------------------------------------------------


def test_influx() -> None:
    assert said(rules.influx_off()) == (OK, "InfluxDB: not configured (nothing is exported)", "")
    assert said(rules.influx_ok("http://influx.lan:8086 (v1, database netwatch)", 0.0123)) == (
        OK,
        "InfluxDB: http://influx.lan:8086 (v1, database netwatch) accepted a test point in 12 ms",
        "",
    )
    assert said(rules.influx_failed("connection to x refused: is InfluxDB running there?", permanent=False)) == (
        WARNING,
        "InfluxDB: connection to x refused: is InfluxDB running there?",
        "nothing is lost (the backlog is sent once it answers); netwatch influx check tries again",
    )
    assert said(rules.influx_failed("401 unauthorized", permanent=True)) == (
        PROBLEM,
        "InfluxDB: 401 unauthorized",
        "fix [influxdb], then run netwatch influx check",
    )
    assert said(rules.influx_silent("http://influx.lan:8086", 3.0))[:2] == (
        WARNING,
        "InfluxDB: http://influx.lan:8086: no answer in the 3 s netwatch doctor waits",
    )


def test_notifications() -> None:
    assert said(rules.notify_off()) == (OK, "notifications: none configured", "")
    assert said(rules.notify_reached("ntfy://ntfy.sh/t", "ntfy.sh", 443, 0.031)) == (
        OK,
        "notifications: ntfy://ntfy.sh/t reachable (ntfy.sh:443 answered in 31 ms)",
        "",
    )
    assert said(rules.notify_unreached("json://127.0.0.1:9/", "127.0.0.1", 9, "connection refused")) == (
        WARNING,
        "notifications: json://127.0.0.1:9/ unreachable (127.0.0.1:9: connection refused)",
        "check the URL and that the service is up, then netwatch notify test (messages wait in the outbox)",
    )
    assert said(rules.notify_untried("command /usr/local/bin/alert")) == (
        OK,
        "notifications: command /usr/local/bin/alert (not contacted; netwatch notify test sends one)",
        "",
    )
    assert said(rules.notify_silent(3.0)) == (
        WARNING,
        "notifications: not checked within 3 s",
        "netwatch notify test sends a test message through every channel",
    )
    assert said(rules.notify_unbuildable("notify.command", 'the program "x" is not found on PATH', "give it")) == (
        PROBLEM,
        'notifications: notify.command the program "x" is not found on PATH',
        "give it",
    )


# --- extras -------------------------------------------------------------------------------------------------------


def test_extras_listed() -> None:
    assert said(rules.extras([("pdf", True), ("web", True)], [])) == (OK, "extras: pdf, web installed", "")
    assert said(rules.extras([("pdf", False), ("web", True)], [])) == (
        OK,
        "extras: web installed; not installed: pdf",
        "",
    )
    assert rules.extras([("pdf", False)], []).seen == "extras: none installed; not installed: pdf"


def test_extras_the_configuration_needs() -> None:
    needed = [
        ("[metrics]", "needs the prometheus extra: .venv/bin/pip install '.[prometheus]'"),
        ("speed test backend ookla", "Ookla speedtest CLI 'speedtest' not found"),
    ]
    assert said(rules.extras([("prometheus", False)], needed)) == (
        WARNING,
        "extras: none installed; not installed: prometheus",
        "[metrics]: needs the prometheus extra: .venv/bin/pip install '.[prometheus]'; speed test backend ookla: Ookla"
        " speedtest CLI 'speedtest' not found",
    )


# --- the screen ---------------------------------------------------------------------------------------------------


def test_lines_worst_and_summary() -> None:
    ok = rules.influx_off()
    warning = rules.writes_unmeasured(running=False)
    problem = rules.store_missing("/x/netwatch.db")
    assert rules.lines(ok) == ("ok       InfluxDB: not configured (nothing is exported)",)
    assert rules.lines(warning) == (
        "warning  card writes: not measured (netwatch is not running)",
        f"         → {START}",
    )
    assert rules.worst([]) is OK
    assert rules.worst([ok, warning]) is WARNING
    assert rules.worst([problem, ok, warning]) is PROBLEM
    assert rules.summary([ok]) == "all 1 check ok"
    assert rules.summary([ok, ok]) == "all 2 checks ok"
    assert rules.summary([ok, warning]) == "1 warning in 2 checks"
    assert rules.summary([problem, problem, warning, warning, ok]) == "2 problems and 2 warnings in 5 checks"
