"""How a traceroute reads: one line saying where the path ended, the hops as a path, and the table of
`netwatch traceroute`.

Owns the wording of a ``Trace`` in logs, the CLI and the reports. Must not probe: tracing is
``netwatch.adapters.probes.traceroute``'s.
"""

from __future__ import annotations

from netwatch.core.model import StoredTrace, Trace


def summary(trace: Trace) -> str:
    """Where the path ends, in one line, e.g. "reached 192.0.2.1 in 3 hops"."""
    if trace.error:
        return f"traceroute to {trace.destination} failed: {trace.error}"
    last = trace.last_answer
    if trace.reached:
        return f"reached {trace.destination} in {len(trace.hops)} hop{'s' if len(trace.hops) != 1 else ''}"
    if last is None:
        return f"no hop answered on the way to {trace.destination}"
    if last.note:
        return f"the path to {trace.destination} ends at hop {last.ttl} ({last.address}): {last.note}"
    return f"the path to {trace.destination} ends after hop {last.ttl} ({last.address}): nothing answered beyond"


def trace_summary(stored: StoredTrace) -> str:
    """Where the path ended, in one line (see ``summary``)."""
    return summary(stored.trace)


def trace_path(stored: StoredTrace) -> str:
    """The hops as text: "198.18.1.1 0.4 ms → 198.18.2.1 1.2 ms → * → *"."""
    parts = []
    for hop in stored.trace.hops:
        if hop.address is None:
            parts.append("*")
        else:
            rtt = "" if hop.rtt_ms is None else f" {hop.rtt_ms:.1f} ms"
            parts.append(f"{hop.address}{rtt}")
    return " → ".join(parts) if parts else "—"


def trace_table(trace: Trace) -> list[str]:
    """A traceroute as a table (TTL, who answered, RTT, what it said) and a line saying where the path ends."""
    rows = [("TTL", "ADDRESS", "RTT", "NOTE")]
    for i, hop in enumerate(trace.hops):
        reached = trace.reached and i == len(trace.hops) - 1
        rtt = f"{hop.rtt_ms:.1f} ms" if hop.rtt_ms is not None else "-"
        what = "destination" if reached else hop.note or ("no reply" if hop.address is None else "")
        rows.append((str(hop.ttl), hop.address or "*", rtt, what))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{a:>{width[0]}}  {b:<{width[1]}}  {c:>{width[2]}}  {d}".rstrip() for a, b, c, d in rows]
    verdict = summary(trace)
    return [*lines, "", verdict[:1].upper() + verdict[1:]]
