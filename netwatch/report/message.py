"""What a notification says: the summary of a closed incident, a digest of a period, a ticket's deadline that
passed, a test message.

Owns the ``Message`` record (a title, a plain-text body, the same body in Markdown for channels that render it,
and the facts as JSON for a local command), which incidents notify (``wanted``), the plain words for causes,
and the stable ``key`` of every message (the outbox stores one row per key and channel, so queueing the same
event twice sends it once). Must not read a clock, do I/O or recompute a figure: a digest's figures come from
``report.compute`` and its money from ``report.cost``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from netwatch.config.records import CostConfig, NotifyConfig
from netwatch.core.claims.model import Deadline
from netwatch.core.model import Cause, Incident, Kind, Message, Ticket
from netwatch.core.schedule import BusinessHours
from netwatch.core.text import duration, iso_local, iso_utc, local_time, percent, period_text, recent, utc
from netwatch.core.text import money as money_text
from netwatch.report.compute import Report
from netwatch.report.cost import money
from netwatch.report.escape import md_escape
from netwatch.report.jsonout import to_json
from netwatch.report.now import deadline_text

EVENTS = ("outage", "degraded", "slow", "digest", "deadline", "test")
DIGEST_LISTED = 20  # incidents listed one by one in a digest; the rest are counted

# Short enough for a phone's lock screen, precise enough to act on.
CAUSES: dict[Cause, str] = {
    Cause.ISP: "ISP (your router answered, the ISP's first hop did not)",
    Cause.UPSTREAM: "ISP upstream (your router and the ISP's first hop answered, no public host did)",
    Cause.ISP_OR_UPSTREAM: "ISP access or upstream (your router answered, no public host did; the ISP's first hop "
    "was not known yet, or silent to pings, so which part of the ISP's network failed is not known)",
    Cause.DNS: "DNS (public hosts answered pings, names could not be resolved)",
    Cause.LOCAL: "local network (your router did not answer either)",
    Cause.UNKNOWN: "undetermined (the evidence does not place the fault)",
}
SHORT_CAUSES: dict[Cause, str] = {
    Cause.ISP: "ISP",
    Cause.UPSTREAM: "ISP upstream",
    Cause.ISP_OR_UPSTREAM: "ISP access or upstream",
    Cause.DNS: "DNS",
    Cause.LOCAL: "local network",
    Cause.UNKNOWN: "cause undetermined",
}
_HEADLINES: dict[Kind, tuple[str, str]] = {  # (title, body) of a closed incident; {d} is its duration
    Kind.OUTAGE: ("Outage of {d} ended", "The internet line is back: it was down for {d}."),
    Kind.DEGRADED: ("Degraded line for {d}", "The internet line is no longer degraded: it was degraded for {d}."),
    Kind.SLOW: ("Slow speed for {d}", "Speed tests are back to normal: they were slow for {d}."),
}


def wanted(inc: Incident, cfg: NotifyConfig) -> bool:
    """A closed incident of a kind in ``notify.kinds`` that lasted at least ``notify.min_duration``."""
    return inc.end is not None and inc.kind.value in cfg.kinds and inc.duration() >= cfg.min_duration


def incident_key(inc: Incident) -> str:
    """ "outage 2026-03-24T12:25:00.250Z": the store keys incidents by (kind, start to the millisecond), and so
    does the outbox."""
    start = datetime.fromtimestamp(round(inc.start * 1000) / 1000, UTC).isoformat(timespec="milliseconds")
    return f"{inc.kind.value} {start.replace('+00:00', 'Z')}"


def incident_message(inc: Incident, *, business: BusinessHours, cost: CostConfig, probe: str, prefix: str) -> Message:
    """The summary of a closed incident: kind, cause in plain words, start and end in local time and UTC,
    duration, business-hours seconds, the cost of an outage when ``cost.hourly`` is set, the evidence."""
    assert inc.end is not None, "only closed incidents are summarised"
    zone = business.timezone
    d = duration(inc.duration())
    business_seconds = business.seconds_ts(inc.start, inc.end)
    title, headline = (part.format(d=d) for part in _HEADLINES[inc.kind])
    figures = money(
        cost=cost, plan=None, business_downtime_seconds=business_seconds, isp_seconds_by_month=(), monitored_seconds=0.0
    )
    rows = [
        ("Cause", CAUSES[inc.cause]),
        ("Start", f"{local_time(inc.start, zone, 'full')} ({utc(inc.start)})"),
        ("End", f"{local_time(inc.end, zone, 'full')} ({utc(inc.end)})"),
        ("Duration", d),
        ("Business hours", f"{duration(business_seconds)} of it inside business hours ({zone.key})"),
    ]
    cost_value = figures.business_downtime_cost if inc.kind is Kind.OUTAGE else None
    if cost_value is not None and figures.hourly is not None:
        rate = money_text(figures.hourly, figures.currency)
        rows.append(("Cost", f"{money_text(cost_value, figures.currency)} at {rate} an hour of business downtime"))
    if inc.detail:
        rows.append(("Evidence", inc.detail))
    rows.append(("Probe", probe))
    data = {
        "probe": probe,
        "incident": {
            "kind": inc.kind.value,
            "cause": inc.cause.value,
            "cause_text": CAUSES[inc.cause],
            "start": iso_utc(inc.start),
            "end": iso_utc(inc.end),
            "start_local": iso_local(inc.start, zone.key),
            "end_local": iso_local(inc.end, zone.key),
            "duration_seconds": round(inc.duration(), 3),
            "business_seconds": round(business_seconds, 3),
            "cost": cost_value,
            "currency": figures.currency if cost_value is not None else None,
            "rounds": inc.rounds,
            "detail": inc.detail,
        },
    }
    return Message(
        key=incident_key(inc),
        event=inc.kind.value,
        title=f"{prefix}{title} on {probe} ({SHORT_CAUSES[inc.cause]})",
        text=_text(headline, rows),
        markdown=_markdown(headline, rows),
        data=data,
    )


def digest_key(digest: str, since: float, zone: ZoneInfo) -> str:
    return f"digest {digest} {datetime.fromtimestamp(since, zone).date().isoformat()}"


def digest_message(
    report: Report,
    *,
    digest: str,
    business: BusinessHours,
    probe: str,
    prefix: str,
    seal: tuple[int, str] | None = None,
) -> Message:
    """The digest of ``report``'s period ("daily" or "weekly"): outage count, downtime, business downtime,
    availability, longest outage, cost, and every incident listed (at most DIGEST_LISTED of them). ``seal`` is the
    evidence chain's newest seal (id, hex digest): a copy of it outside the machine is what later shows, with
    `netwatch verify --expect`, that nothing recorded up to it was changed."""
    zone = business.timezone
    period = period_text(report.period.since, report.period.until, zone)
    name = "Daily" if digest == "daily" else "Weekly"
    outages = report.outages
    count = f"{len(outages)} outage{'s' if len(outages) != 1 else ''}"
    headline = f"{name} digest for {probe}: {period} ({zone.key})."
    rows = [
        (
            "Outages",
            f"{count}, down {duration(report.downtime_seconds)} in total "
            f"({duration(report.business_downtime_seconds)} inside business hours)",
        ),
        ("Longest outage", duration(report.longest_outage_seconds) if outages else "—"),
        (
            "Availability",
            f"{percent(report.availability_percent)} of the monitored time"
            if report.availability_percent is not None
            else "— (nothing was monitored)",
        ),
        ("Monitored", f"{duration(report.monitored_seconds)} ({duration(report.unmonitored_seconds)} not monitored)"),
    ]
    m = report.money
    if m.business_downtime_cost is not None:
        rows.append(("Cost", f"{money_text(m.business_downtime_cost, m.currency)} of business downtime"))
    degraded = report.of_kind(Kind.DEGRADED)
    if degraded:
        rows.append(
            (
                "Degraded",
                f"{len(degraded)} period{'s' if len(degraded) != 1 else ''}, {duration(report.degraded_seconds)}",
            )
        )
    slow = report.of_kind(Kind.SLOW)
    if slow:
        rows.append(("Slow speed", f"{len(slow)} period{'s' if len(slow) != 1 else ''}"))
    items = [
        _digest_item(f.incident.kind, f.incident.cause, f.start, f.end, f.business_seconds, zone)
        for f in report.incidents[:DIGEST_LISTED]
    ]
    if len(report.incidents) > DIGEST_LISTED:
        items.append(f"… and {len(report.incidents) - DIGEST_LISTED} more (netwatch report has them all)")
    if seal is not None:
        rows.append(("Evidence seal", f"{seal[0]} sha256:{seal[1]} (keep it: netwatch verify --expect checks it)"))
    doc = to_json(report)
    data = {
        "probe": probe,
        "digest": {"kind": digest, **{k: doc[k] for k in ("period", "coverage", "summary", "incidents", "money")}},
    }
    if seal is not None:
        data["seal"] = {"seal": seal[0], "sha256": seal[1]}
    title = f"{prefix}{name} digest for {probe}: {count}, {duration(report.downtime_seconds)} down"
    text = _text(headline, rows) + ("\n\nIncidents:\n" + "\n".join(f"- {i}" for i in items) if items else "")
    markdown = _markdown(headline, rows)
    if items:
        markdown += "\n\n**Incidents:**\n\n" + "\n".join(f"- {_md(i)}" for i in items)
    key = digest_key(digest, report.period.since, zone)
    return Message(key=key, event="digest", title=title, text=text, markdown=markdown, data=data)


def _digest_item(kind: Kind, cause: Cause, start: float, end: float, business_seconds: float, zone: ZoneInfo) -> str:
    first, until = local_time(start, zone, "day_clock"), recent(end, start, zone, other_day="day")
    return (
        f"{kind.value}, {SHORT_CAUSES[cause]}: {first} to {until} "
        f"({duration(end - start)}; {duration(business_seconds)} in business hours)"
    )


def deadline_key(found: Deadline) -> str:
    """ "deadline A-1 compensation 2024-03-07T00:00:00Z": one message per ticket, deadline and instant."""
    return f"deadline {found.ticket} {found.what} {iso_utc(found.at)}"


def deadline_message(ticket: Ticket, found: Deadline, *, at: float, probe: str, prefix: str, zone: ZoneInfo) -> Message:
    """A deadline of an open ticket that has passed (``at``: now): what it means now, how it was counted, and
    what to do."""
    headline = f"{deadline_text(found, at)}."
    todo = {
        "compensation": "keep the ticket open until the fault is repaired, then close it with the time of the repair",
        "port": "close the ticket with the time the number was ported",
        "exit": "if the speed is still below the minimum, you may leave the contract without a penalty: tell the "
        "provider in writing",
        "adr": "if the provider has not resolved the complaint, take it to the ombudsman, with the report",
    }[found.what]
    rows = [
        (
            "Ticket",
            f"{ticket.ref}, {'agreed for' if ticket.kind.value in ('switch', 'move', 'port') else 'reported'} "
            f"{local_time(ticket.reported, zone, 'full')}",
        ),
        ("Counted", found.basis),
        ("From", f"{local_time(found.at, zone, 'full')} ({utc(found.at)})"),
        ("What to do", todo),
        ("Probe", probe),
    ]
    data = {
        "probe": probe,
        "deadline": {
            "ticket": found.ticket,
            "rule": found.rule,
            "what": found.what,
            "from": iso_utc(found.at),
            "last_day": found.last_day.isoformat(),
            "basis": found.basis,
        },
    }
    return Message(
        key=deadline_key(found),
        event="deadline",
        title=f"{prefix}Deadline passed, ticket {ticket.ref}: {found.rule}",
        text=_text(headline, rows),
        markdown=_markdown(headline, rows),
        data=data,
    )


def message_for_test(*, at: float, probe: str, prefix: str, zone: ZoneInfo) -> Message:
    """What `netwatch notify test` sends."""
    headline = f"This is a test notification from netwatch on {probe}."
    rows = [("Sent", f"{local_time(at, zone, 'full')} ({utc(at)})"), ("Probe", probe)]
    return Message(
        key=f"test {iso_utc(at)}",
        event="test",
        title=f"{prefix}Test notification from {probe}",
        text=_text(headline, rows),
        markdown=_markdown(headline, rows),
        data={"probe": probe},
    )


def _text(headline: str, rows: list[tuple[str, str]]) -> str:
    return headline + "\n\n" + "\n".join(f"{name}: {value}" for name, value in rows)


def _md(text: str) -> str:
    return str(md_escape(text))  # a plain str: adding Markup to text would HTML-escape the text


def _markdown(headline: str, rows: list[tuple[str, str]]) -> str:
    return _md(headline) + "\n\n" + "\n".join(f"- **{name}:** {_md(value)}" for name, value in rows)
