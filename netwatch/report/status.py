"""What `netwatch status`, `netwatch probe` and `netwatch speedtest` print: pure formatting of a Status, a Round or
a speed test.

Owns the wording of the state line ("UP", "DOWN", "NOT RUNNING"), of the probe table and of a speed test's summary
and figures (the daemon logs the same summary). Must not read the store, the clock or the network: the caller passes
the Status, the line's state now (``LineNow``, with its instant) and the timezone to show times in.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from netwatch.core.classify import round_cause
from netwatch.core.model import Cause, ExportState, Incident, LineNow, LineState, Role, Round, SpeedResult, Status
from netwatch.core.text import duration, local
from netwatch.report.now import deadline_text
from netwatch.report.tickets import Standing

_ROLE_ORDER = {Role.GATEWAY: 0, Role.ISP: 1, Role.ANCHOR: 2, Role.DNS: 3}


@dataclass(frozen=True)
class Freshness:
    """How old the last stored round may be while the daemon is still considered running: the time rounds take
    to reach the store (``commit_interval``: the seal interval, or the commit interval when that is longer) plus a
    few intervals of slack."""

    interval: float
    commit_interval: float

    @property
    def limit(self) -> float:
        return self.commit_interval + 3 * self.interval + 5.0

    @property
    def export_lag(self) -> int:
        """Rounds an exporter that keeps up may still be behind: a running one's cursor reaches the store with
        the commit after the one that made the rounds readable, so up to two batches, plus a round of slack."""
        return math.ceil(2 * self.commit_interval / self.interval) + 2


def export_line(label: str, state: ExportState | None, fresh: Freshness, tz: ZoneInfo) -> str:
    """One line about a replica: up to date, N rounds behind (and the error it is retrying after), or stopped
    by a permanent error, e.g. "InfluxDB export stopped: <error>"."""
    if state is None:
        return f"{label}: not started yet (the daemon starts the export)"
    if state.stopped:
        return f"{label} export stopped: {state.error}"
    progress = f"{state.behind} rounds behind" if state.behind > fresh.export_lag else "up to date"
    if state.error:
        since = f" since {local(state.error_at, tz)}" if state.error_at is not None else ""
        return f"{label}: {progress}; retrying{since}: {state.error}"
    return f"{label}: {progress}"


def _round_summary(rnd: Round) -> str:
    parts = []
    for role, label in ((Role.GATEWAY, "gateway"), (Role.ISP, "ISP hop"), (Role.ANCHOR, "anchors"), (Role.DNS, "DNS")):
        samples = rnd.by_role(role)
        if samples:
            parts.append(f"{label} {sum(s.ok for s in samples)}/{len(samples)}")
    return ", ".join(parts) or "no targets"


_CAUSE_WIDTH = max(len(c.value) for c in Cause)  # the causes line up in a column


def _incident_line(inc: Incident, now: float, tz: ZoneInfo) -> str:
    span = duration(inc.duration(now))
    end = "ongoing" if inc.end is None else local(inc.end, tz)
    cause = f"{inc.cause.value:<{_CAUSE_WIDTH}}"
    return f"{local(inc.start, tz)} → {end}  {inc.kind.value:<8} {cause} {span:>12}  {inc.detail}"


def round_words(cause: Cause) -> str:
    """A round's cause as a command prints it: a round points at ``isp_or_upstream`` only when no ISP hop was
    probed, and says so."""
    return "isp or upstream (ISP hop not yet known)" if cause is Cause.ISP_OR_UPSTREAM else cause.value


def state_line(line: LineNow) -> str:
    """The state as `netwatch status` names it: "UP", "DOWN", "NOT RUNNING: the last round is 12s old", …"""
    rnd = line.last_round
    if line.state is LineState.NO_DATA or rnd is None:
        return "no round recorded yet"
    if line.state is LineState.NOT_RUNNING:
        return f"NOT RUNNING: the last round is {duration(line.at - rnd.at)} old"
    if line.state is LineState.FAILING:
        cause = round_cause(rnd)
        points = f"last round points at {round_words(cause)}; " if cause is not None else ""
        return f"FAILING ({points}not yet confirmed as an outage)"
    return line.state.value.upper()


def status_lines(
    status: Status,
    line: LineNow,
    tz: ZoneInfo,
    fresh: Freshness,
    standing: Sequence[Standing] = (),
) -> list[str]:
    """The lines of `netwatch status`: the state now (``line``: from the running daemon's live file, else the
    store), the last round and its age, the session, open incidents, and the store's last incidents, tickets with
    their ``deadlines`` (by reference), clock and replicas (``status``)."""
    now = line.at
    lines: list[str] = [f"State:     {state_line(line)}"]
    rnd = line.last_round
    running = status.sessions[-1] if status.sessions else None
    if rnd is not None:
        lines.append(f"Last round: {local(rnd.at, tz)} ({duration(now - rnd.at)} ago): {_round_summary(rnd)}")
    if line.running and line.session_start is not None:
        lines.append(f"Session:   monitoring since {local(line.session_start, tz)}")
    elif running is not None:
        lines.append(f"Session:   the last one ran {local(running.start, tz)} to {local(running.end, tz)}")
    if line.open_incidents:
        lines.append("Open incidents:" if line.running else "Open when netwatch stopped:")
        lines.extend(f"  {_incident_line(i, now, tz)}" for i in line.open_incidents)
    else:
        lines.append("Open incidents: none")
    if status.recent_incidents:
        lines.append("Last incidents:")
        lines.extend(f"  {_incident_line(i, now, tz)}" for i in status.recent_incidents)
    else:
        lines.append("Last incidents: none recorded")
    for ticket in status.open_tickets:
        lines.append(
            f"Ticket:    {ticket.ref} open, reported {local(ticket.reported, tz)} ({duration(now - ticket.reported)}"
            f" ago); `netwatch ticket close {shlex.quote(ticket.ref)} --fixed WHEN` once repaired"
        )
        for found in (s for s in standing if s.ticket.ref == ticket.ref):
            if found.back:
                lines.append(f"           {found.back[:1].upper()}{found.back[1:]}: close the ticket")
            lines.extend(f"           {deadline_text(d, now)}" for d in found.deadlines)
    if status.unsynced is not None:
        since, rounds = status.unsynced
        lines.append(
            f"Clock:     not synchronised yet: {rounds} rounds since {local(since, tz)} timed provisionally (re-timed"
            " when NTP sets the clock; exports wait)"
        )
    if status.seal is not None:
        lines.append(f"Evidence:  seal {status.seal[0]} sha256:{status.seal[1][:16]} (`netwatch verify` checks it all)")
    lines.extend(export_line(label, state, fresh, tz) for label, state in status.exports)
    return lines


def probe_table(rnd: Round) -> list[str]:
    """One round as a table (target, role, RTT or the reason it was lost) and a verdict line."""
    rows = [("TARGET", "ROLE", "RESULT")]
    for s in sorted(rnd.samples, key=lambda s: _ROLE_ORDER[s.target.role]):
        result = f"{s.rtt_ms:.1f} ms" if s.rtt_ms is not None else f"lost ({s.error or 'no reply'})"
        rows.append((s.target.address, s.target.role.value, result))
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = [f"{a:<{width[0]}}  {b:<{width[1]}}  {c}" for a, b, c in rows]
    cause = round_cause(rnd)
    lines.append("")
    lines.append(
        "Verdict: the line is up" if cause is None else f"Verdict: the line looks down, cause {round_words(cause)}"
    )
    return lines


def speed_summary(result: SpeedResult) -> str:
    """One line: "speed test via speedtest (server X): 18.2/4.9 Mbit/s, 23 ms", or why it failed."""
    where = f" (server {result.server})" if result.server else ""
    if not result.ok:
        return f"speed test via {result.backend}{where} failed: {result.error}"
    up = "-" if result.upload_mbps is None else f"{result.upload_mbps:.1f}"
    latency = "" if result.latency_ms is None else f", {result.latency_ms:.0f} ms"
    return f"speed test via {result.backend}{where}: {result.download_mbps or 0.0:.1f}/{up} Mbit/s{latency}"


def speed_details(r: SpeedResult) -> list[str]:
    """The figures of a successful test, one per line, as `netwatch speedtest` prints them."""

    def num(value: float | None, unit: str) -> str:
        return "-" if value is None else f"{value:.1f} {unit}"

    rows = [
        ("Tool", f"{r.tool} {r.tool_version}".strip()),
        ("Server", f"{r.server} (id {r.server_id})" if r.server_id else r.server or "-"),
        ("Download", num(r.download_mbps, "Mbit/s")),
        ("Upload", num(r.upload_mbps, "Mbit/s")),
        ("Latency", f"{num(r.latency_ms, 'ms')} idle, {num(r.loaded_latency_ms, 'ms')} loaded"),
        ("Jitter", num(r.jitter_ms, "ms")),
        ("Data used", f"{r.bytes_used / 1e6:.1f} MB in {r.duration_s:.1f} s"),
        ("External IP", r.external_ip or "-"),
        ("Result", r.result_url or "-"),
    ]
    return [f"  {name + ':':<12} {value}" for name, value in rows]
