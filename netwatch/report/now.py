"""The line's state now in words and as JSON: what the dashboard's Now page, its "what to tell the ISP" card and
``/api/status`` say.

Owns the headline of each state ("Your internet line is down"), the cause in plain words for the owner ("your ISP's
access network: your router answers, the ISP's first router does not"), what each probed layer did in the last
round, the open incident's business-hours downtime and cost so far, a ticket's deadlines in words, the facts to
read out to the provider, and the ``/api/status`` document (README "Web dashboard" documents its fields). Must not
read the store, the live file or the clock: the caller passes the ``LineNow`` (with its instant), the tickets
and the configuration's parts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from netwatch.core.claims.model import Deadline
from netwatch.core.model import Cause, Incident, Kind, LineNow, LineState, Role, Round, Ticket
from netwatch.core.money import cents
from netwatch.core.nameservice import Resolver
from netwatch.core.schedule import BusinessHours
from netwatch.core.text import duration, iso_utc, recent, weekday_date
from netwatch.report.compute import ISP_CAUSES
from netwatch.report.measured import plain_detail
from netwatch.report.tickets import Standing

HEADLINES = {
    LineState.UP: "Your internet line is up",
    LineState.DOWN: "Your internet line is down",
    LineState.FAILING: "Your internet line is not answering",
    LineState.DEGRADED: "Your internet line is up, but degraded",
    LineState.NOT_RUNNING: "netwatch is not running",
    LineState.NO_DATA: "Nothing recorded yet",
}
NAMES = {
    LineState.UP: "UP",
    LineState.DOWN: "DOWN",
    LineState.FAILING: "FAILING",
    LineState.DEGRADED: "DEGRADED",
    LineState.NOT_RUNNING: "NOT RUNNING",
    LineState.NO_DATA: "NO DATA",
}


@dataclass(frozen=True)
class CauseWords:
    """Where a fault is, in the owner's words: ``where`` ("your ISP's access network"), ``why`` (what the probes
    saw), and what to say to the provider about an outage going on (``tell``) and about one that ended (``told``).
    The owner's own equipment has neither: nothing about it is read out to the provider (``before_calling`` says
    what to check instead)."""

    where: str
    why: str
    tell: str | None
    told: str | None
    was: str  # ``why`` in the past tense, for an incident that ended


CAUSES: dict[Cause, CauseWords] = {
    Cause.ISP: CauseWords(
        "your ISP's access network",
        "your router answers, the ISP's first router does not",
        "The fault is in your access network: my router answers, your first router does not.",
        "The fault was in your access network: my router answered, your first router did not.",
        "your router answered, the ISP's first router did not",
    ),
    Cause.UPSTREAM: CauseWords(
        "your ISP's network beyond its first router",
        "your router and the ISP's first router answer, but nothing on the internet does",
        "The fault is in your network beyond your first router: my router and your first router answer, nothing "
        "on the internet does.",
        "The fault was in your network beyond your first router: my router and your first router answered, nothing "
        "on the internet did.",
        "your router and the ISP's first router answered, but nothing on the internet did",
    ),
    Cause.ISP_OR_UPSTREAM: CauseWords(
        "your ISP's network",
        "your router answers, nothing on the internet does (the ISP's first router is not known yet, so which part "
        "of its network failed is not known)",
        "The fault is in your network: my router answers, nothing on the internet does.",
        "The fault was in your network: my router answered, nothing on the internet did.",
        "your router answered, nothing on the internet did (the ISP's first router was not known, so which part of "
        "its network failed is not known)",
    ),
    Cause.DNS: CauseWords(
        "name resolution (DNS)",
        "the internet answers, but names cannot be looked up",
        "Your name servers fail: addresses on the internet answer, but names cannot be looked up.",
        "Your name servers failed: addresses on the internet answered, but names could not be looked up.",
        "the internet answered, but names could not be looked up",
    ),
    Cause.LOCAL: CauseWords(
        "your own equipment",
        "your router does not answer: check its power and cables (not the ISP's fault)",
        None,
        None,
        "your router did not answer (not the ISP's fault); if it happens again, check its power and cables",
    ),
    Cause.UNKNOWN: CauseWords(
        "an undetermined place",
        "the probes do not show where the fault is",
        "The measurements do not show where the fault is.",
        "The measurements did not show where the fault was.",
        "the probes did not show where the fault was",
    ),
}


def cause_text(cause: Cause) -> str:
    """ "your ISP's access network: your router answers, the ISP's first router does not"."""
    words = CAUSES[cause]
    return f"{words.where}: {words.why}"


def nothing_yet(start: str) -> str:
    """What a page with nothing recorded says; ``start`` is how this installation starts netwatch."""
    return f"Nothing recorded yet: start netwatch ({start})."


def detail(line: LineNow, confirm: int, zone: ZoneInfo, start: str) -> str:
    """The sentence under the headline: since when, and what it means; ``start`` is how this installation starts
    netwatch ("sudo systemctl start netwatch")."""
    now = line.at
    since = f"since {recent(line.since, now, zone)} ({duration(now - line.since)})" if line.since is not None else ""
    outage = line.outage
    if line.state is LineState.DOWN and outage is not None:
        return f"Down {since}. The fault is in {cause_text(outage.cause)}."
    if line.state is LineState.FAILING:
        n = line.failing or 1
        return (
            f"The last {n} round{'s' if n != 1 else ''} failed; netwatch declares an outage after {confirm} failed "
            "rounds in a row (the outage then starts at the first of them)."
        )
    if line.state is LineState.DEGRADED:
        worst = min(line.open_incidents, key=lambda i: i.start)
        kind = "slow speed tests" if worst.kind is Kind.SLOW else "loss or latency above the thresholds"
        return f"Up, with {kind} {since}, in {cause_text(worst.cause)}."
    if line.state is LineState.UP:
        return f"Up {since}." if since else "Up."
    if line.state is LineState.NOT_RUNNING and line.last_round is not None:
        seen = recent(line.last_round.at, now, zone)
        return (
            f"netwatch last saw the line at {seen} ({duration(now - line.last_round.at)} ago): nothing is known about "
            f"it since then, and that time is never counted as up or down. Start netwatch again ({start})."
        )
    return f"netwatch has not recorded a round yet: start it ({start})."


@dataclass(frozen=True)
class Layer:
    """What one probed layer did in a round: ``label`` ("Your router"), ``answered`` of ``probed`` targets, the
    best round-trip time (ms) and the addresses. ``hidden``: it lies beyond a router that did not answer, so its
    silence says nothing about it (nothing beyond the router can be reached to ask)."""

    role: Role
    label: str
    answered: int
    probed: int
    rtt_ms: float | None
    addresses: tuple[str, ...]
    hidden: bool = False

    @property
    def ok(self) -> bool:
        return self.answered > 0 if self.role in (Role.ANCHOR, Role.DNS) else self.answered == self.probed


LAYER_LABELS = {
    Role.GATEWAY: "Your router",
    Role.ISP: "ISP's first router",
    Role.ANCHOR: "Internet",
    Role.DNS: "Name lookups (DNS)",
}


def layers(rnd: Round | None) -> tuple[Layer, ...]:
    """The layers probed in ``rnd``, from the premises outwards; none without a round."""
    if rnd is None:
        return ()
    found: list[Layer] = []
    for role, label in LAYER_LABELS.items():
        samples = rnd.by_role(role)
        if samples:
            rtts = [s.rtt_ms for s in samples if s.rtt_ms is not None]
            behind = any(f.role is Role.GATEWAY and f.answered == 0 for f in found)
            found.append(
                Layer(
                    role,
                    label,
                    len(rtts),
                    len(samples),
                    min(rtts) if rtts else None,
                    tuple(dict.fromkeys(s.target.address for s in samples)),
                    hidden=behind and not rtts,
                )
            )
    return tuple(found)


@dataclass(frozen=True)
class SoFar:
    """An open incident's toll up to now: its seconds, those in business hours, and what they cost (None when no
    hourly cost is configured)."""

    seconds: float
    business_seconds: float
    cost: float | None


def so_far(incident: Incident, now: float, business: BusinessHours, hourly: float) -> SoFar:
    """The toll of ``incident`` from its start to ``now`` (``hourly``: [cost] hourly, 0 = not configured)."""
    end = max(incident.start, now if incident.end is None else incident.end)
    inside = business.seconds_ts(incident.start, end) if end > incident.start else 0.0
    cost = cents(inside / 3600.0 * hourly) if hourly > 0 else None
    return SoFar(end - incident.start, inside, cost)


def deadline_text(found: Deadline, now: float) -> str:
    """A ticket's deadline as the owner reads it, before and once it has passed: "Ofcom automatic compensation starts
    if it is not repaired by Wed 6 Mar 2024 23:59" / "... is due for every day from Thu 7 Mar 2024 it is not
    repaired"; the speeds code's exit right ("... applies if the speed is still below the minimum after Sun 7 Apr
    2024" / "... applies now if ..."); the point a complaint may go to an ombudsman ("... can be asked from Mon 29
    Apr 2024 if the complaint is not resolved" / "... can be asked now ...")."""
    passed = now >= found.at
    after = weekday_date(found.last_day + timedelta(days=1))
    if found.what == "exit":
        if passed:
            return f"{found.rule} applies now if the speed is still below the minimum guaranteed"
        return f"{found.rule} applies if the speed is still below the minimum after {weekday_date(found.last_day)}"
    if found.what == "adr":
        if passed:
            return f"{found.rule} can be asked now if the complaint is not resolved"
        return f"{found.rule} can be asked from {after} if the complaint is not resolved"
    what = "the number is not ported" if found.what == "port" else "it is not repaired"
    if passed:
        return f"{found.rule} is due for every day from {after} {what}"
    return f"{found.rule} starts if {what} by {weekday_date(found.last_day)} 23:59"


def told_outage(
    line: LineNow, recent: Sequence[Incident], resolver_of: Callable[[Incident], Resolver | None] = lambda _: None
) -> Incident | None:
    """The outage "what to tell the ISP" describes: the open one unless it is the owner's own, else the latest
    ended one of a provider's cause among ``recent``; None when there is none. The owner's own is a ``local`` one,
    or a ``dns`` one whose names failed on resolvers other than the provider's (``resolver_of`` says whose; by
    default nobody's, so no dns outage is told): an earlier outage of the provider's is told instead."""

    def providers(incident: Incident) -> bool:
        return incident.cause is not Cause.DNS or resolver_of(incident) is Resolver.PROVIDER

    outage = line.outage
    if outage is not None and outage.cause is not Cause.LOCAL and providers(outage):
        return outage
    ended = (i for i in recent if i.kind is Kind.OUTAGE and i.end is not None and i.cause in ISP_CAUSES)
    return next((i for i in sorted(ended, key=lambda i: i.start, reverse=True) if providers(i)), None)


def isp_facts(
    line: LineNow,
    outage: Incident | None,
    tickets: Sequence[Ticket],
    interval: float,
    zone: ZoneInfo,
    resolver: Resolver | None = None,
) -> list[str]:
    """What to read out to the provider about ``outage`` (``told_outage``), in the first person: when the line went
    down, where the fault is, what the router, the ISP's first router and the internet did, and the fault
    references of ``tickets`` that cover it (only for an outage of a provider's cause). [] without an outage, and
    for the owner's own (``before_calling`` is for that), which a dns outage is unless ``resolver`` (whose resolvers
    its names failed on) is the provider's."""
    now = line.at
    words = CAUSES[outage.cause] if outage is not None else None
    if outage is None or words is None or words.tell is None or words.told is None:
        return []
    if outage.cause is Cause.DNS and resolver is not Resolver.PROVIDER:
        return []
    start = recent(outage.start, now, zone)
    if outage.end is None:
        facts = [f"My line has been down since {start} ({duration(now - outage.start)}).", words.tell]
    else:
        end = recent(outage.end, now, zone)
        facts = [f"My line was down from {start} to {end} ({duration(outage.end - outage.start)}).", words.told]
    if outage.end is None and line.last_round is not None:
        for layer in layers(line.last_round):
            addresses = ", ".join(layer.addresses)
            if layer.role is Role.ANCHOR:
                facts.append(f"{layer.answered} of {layer.probed} public test addresses answer ({addresses}).")
            elif layer.role is Role.GATEWAY:
                facts.append(f"My router ({addresses}) {'answers' if layer.ok else 'does not answer'}.")
            elif layer.role is Role.ISP:
                facts.append(f"Your first router ({addresses}) {'answers' if layer.ok else 'does not answer'}.")
    elif outage.detail:
        facts.append(f"Measured: {plain_detail(outage.detail)}.")
    facts.append(f"I measure the line every {interval:g} s with netwatch, which keeps sealed evidence of every outage.")
    reported = [
        t
        for t in tickets
        if outage.cause in ISP_CAUSES and t.reported <= now and (t.fixed is None or t.fixed >= outage.start)
    ]
    if reported:
        refs = ", ".join(f"{t.ref} (reported {recent(t.reported, now, zone)})" for t in reported)
        facts.append(f"Fault reference: {refs}.")
    return facts


def before_calling(line: LineNow, zone: ZoneInfo, resolver: Resolver | None = None) -> list[str]:
    """What to check before calling the provider while the line is down because the owner's own router does not
    answer (cause local): nothing beyond the router can be seen then, so nothing about the provider's network is
    said; or because names fail through a resolver that is not the provider's (cause dns, ``resolver``). [] in any
    other state."""
    outage = line.outage
    if line.state is not LineState.DOWN or outage is None:
        return []
    now = line.at
    if outage.cause is Cause.DNS and resolver is not Resolver.PROVIDER:
        since = f"since {recent(outage.start, now, zone)} ({duration(now - outage.start)})"
        if resolver is Resolver.PUBLIC:
            return [
                f"Names cannot be looked up {since}, though the internet answers. The resolvers netwatch asks are a "
                "public service of another company (set in [dns] servers), not your ISP's: their failure is that "
                "company's.",
                "Meanwhile, use your router's or your ISP's resolvers on your computers.",
            ]
        return [
            f"Names cannot be looked up {since}, though the internet answers. The resolver asked is your own "
            "router's (or one netwatch did not record), so the fault is most likely there, not in the ISP's network.",
            "Switch the router off, wait ten seconds and switch it on again.",
            "If it happens again, ask your ISP for its resolvers' addresses and set them in [dns] servers: netwatch "
            "then shows whether their name service fails.",
        ]
    if outage.cause is not Cause.LOCAL:
        return []
    gateway = next((layer for layer in layers(line.last_round) if layer.role is Role.GATEWAY), None)
    router = f"Your router ({', '.join(gateway.addresses)})" if gateway is not None else "Your router"
    return [
        f"{router} has not answered since {recent(outage.start, now, zone)} ({duration(now - outage.start)}). That is "
        "all netwatch can see: the ISP's network lies behind the router.",
        "Check that the router is switched on and its lights look as usual; if they do not, switch it off, wait ten "
        "seconds and switch it on again.",
        "Check the cables: from the router to the wall socket, and from the device netwatch runs on to the router.",
        "If the router answers again and the line is still down, this page tells you what to say to the ISP.",
    ]


def status_json(
    line: LineNow,
    *,
    business: BusinessHours,
    hourly: float,
    currency: str,
    tickets: Sequence[Standing],
    seal: tuple[int, str] | None,
) -> dict[str, Any]:
    """``/api/status``: the state now, for Home Assistant, homepage widgets and scripts (README "Web dashboard")."""
    now = line.at
    rnd = line.last_round
    return {
        "state": line.state.value,
        "up": None
        if line.state in (LineState.NOT_RUNNING, LineState.NO_DATA)
        else line.state in (LineState.UP, LineState.DEGRADED),
        "running": line.running,
        "since": None if line.since is None else iso_utc(line.since),
        "since_seconds": None if line.since is None else round(now - line.since, 3),
        "cause": line.outage.cause.value if line.outage is not None else None,
        "cause_text": cause_text(line.outage.cause) if line.outage is not None else None,
        "headline": HEADLINES[line.state],
        "last_round": None
        if rnd is None
        else {
            "at": iso_utc(rnd.at),
            "age_seconds": round(now - rnd.at, 3),
            "layers": {
                layer.role.value: {"answered": layer.answered, "probed": layer.probed, "rtt_ms": layer.rtt_ms}
                for layer in layers(rnd)
            },
        },
        "open_incidents": [
            {
                "kind": i.kind.value,
                "cause": i.cause.value,
                "start": iso_utc(i.start),
                "duration_seconds": round(toll.seconds, 3),
                "business_seconds": round(toll.business_seconds, 3),
                "cost": toll.cost,
            }
            for i in line.open_incidents
            for toll in (so_far(i, now, business, hourly),)
        ],
        "currency": currency,
        "open_tickets": [
            {
                "ref": s.ticket.ref,
                "reported": iso_utc(s.ticket.reported),
                "deadlines": [
                    {"rule": d.rule, "what": d.what, "from": iso_utc(d.at), "last_day": d.last_day.isoformat()}
                    for d in s.deadlines
                ],
                "back": s.back,
            }
            for s in tickets
        ],
        "seal": None if seal is None else {"seal": seal[0], "sha256": seal[1]},
        "generated_at": iso_utc(now),
    }
