"""Outage and degradation detection: a pure state machine over probe rounds.

Owns the domain rules of DESIGN.md: an outage starts at the first of ``confirm`` consecutive failed rounds
(backdated) and ends at the first successful round; shorter blips are loss, not outages; a total loss of
connectivity is an outage of its own, never a phase of a DNS outage (nor the reverse); the link is degraded
when anchor loss or latency over a sliding window of up-rounds passes its threshold, and the degradation is blamed
on the nearest layer (gateway, ISP hop) degraded itself by the figure that crossed. ``step`` is
``(state, round) -> (state, events)``; the state is a frozen value.

Must not do I/O or read any clock: every instant comes from the rounds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from netwatch.core.classify import add_count, majority_cause, round_cause
from netwatch.core.model import Cause, Incident, Kind, Role, Round, Sample

# A degraded incident ends only when loss and latency stay at or below this share of their thresholds for a whole
# window of rounds (the end is backdated to the first of them), so a line that hovers around a threshold, or a
# lucky stretch of random loss, yields one incident rather than a flapping series.
CLEAR_RATIO = 0.8
# Up-round probes of the ISP hop needed before its answer rate decides whether its silence is evidence.
WITNESS_MIN_PROBES = 5


@dataclass(frozen=True)
class Rules:
    """Detection thresholds (from the ``[detect]`` table), and whether an ISP hop is looked for (``targets.isp =
    "auto"``: a round without one then means it is not known yet, rather than not wanted)."""

    confirm: int = 3
    window: int = 60
    loss_percent: float = 5.0
    latency_ms: float = 250.0
    isp_sought: bool = True


@dataclass(frozen=True)
class Tally:
    """Per-role evidence of one round (or a sum of rounds): probes sent, answered, and the best RTT."""

    sent: int = 0
    ok: int = 0
    best_ms: float | None = None

    @classmethod
    def of(cls, samples: tuple[Sample, ...]) -> Tally:
        rtts = [s.rtt_ms for s in samples if s.rtt_ms is not None]
        return cls(sent=len(samples), ok=len(rtts), best_ms=min(rtts) if rtts else None)

    def lost(self) -> int:
        return self.sent - self.ok

    def plus(self, other: Tally) -> Tally:
        """Counts added; the best RTT of a sum is not kept (medians come from the window)."""
        return Tally(self.sent + other.sent, self.ok + other.ok)


@dataclass(frozen=True)
class Entry:
    """One up-round in the degradation window."""

    anchor: Tally
    gateway: Tally
    isp: Tally

    def plus(self, other: Entry) -> Entry:
        return Entry(self.anchor.plus(other.anchor), self.gateway.plus(other.gateway), self.isp.plus(other.isp))


NO_ENTRY = Entry(Tally(), Tally(), Tally())


@dataclass(frozen=True)
class Failed:
    """One failed round awaiting confirmation."""

    at: float
    cause: Cause
    entry: Entry


@dataclass(frozen=True)
class Evidence:
    """What answered during an open outage: the basis of its ``detail``."""

    gateway_ok: int = 0
    gateway_sent: int = 0
    isp_ok: int = 0
    isp_sent: int = 0

    def add(self, entry: Entry) -> Evidence:
        return Evidence(
            self.gateway_ok + entry.gateway.ok,
            self.gateway_sent + entry.gateway.sent,
            self.isp_ok + entry.isp.ok,
            self.isp_sent + entry.isp.sent,
        )


@dataclass(frozen=True)
class Crossed:
    """Which of the anchors' figures crossed its threshold during a degradation (at any time since it opened)."""

    loss: bool = False
    latency: bool = False

    def plus(self, other: Crossed) -> Crossed:
        return Crossed(self.loss or other.loss, self.latency or other.latency)

    def words(self) -> str:
        return " and ".join(w for w, on in (("loss", self.loss), ("latency", self.latency)) if on) or "nothing"


@dataclass(frozen=True)
class State:
    pending: tuple[Failed, ...] = ()
    outage: Incident | None = None
    evidence: Evidence = Evidence()
    other: tuple[Failed, ...] = ()  # while an outage is open: the latest failed rounds of the other kind, uncounted
    degraded: Incident | None = None
    degraded_sum: Entry = NO_ENTRY  # everything seen while degraded: localises the loss better as it grows
    degraded_by: Crossed = Crossed()  # the figures that crossed their threshold while degraded
    clearing: tuple[float, int] | None = None  # while degraded: (first round back under the clear ratio, rounds since)
    window: tuple[Entry, ...] = ()
    last_at: float | None = None


@dataclass(frozen=True)
class Opened:
    incident: Incident


@dataclass(frozen=True)
class Updated:
    """An open incident changed in a way worth persisting (its cause)."""

    incident: Incident


@dataclass(frozen=True)
class Closed:
    incident: Incident


Event = Opened | Updated | Closed


def _entry(rnd: Round) -> Entry:
    return Entry(
        anchor=Tally.of(rnd.by_role(Role.ANCHOR)),
        gateway=Tally.of(rnd.by_role(Role.GATEWAY)),
        isp=Tally.of(rnd.by_role(Role.ISP)),
    )


def is_total_loss(cause: Cause) -> bool:
    """Whether a failed round's cause is a total loss of connectivity (no anchor answered), as opposed to name
    resolution failing while the anchors answer."""
    return cause is not Cause.DNS


def _rounds(n: int) -> str:
    return f"{n} round{'s' if n != 1 else ''}"


def _outage_detail(incident: Incident, ev: Evidence, rules: Rules) -> str:
    lost = sum(n for c, n in incident.cause_rounds if is_total_loss(c))
    unresolved = incident.rounds - lost
    if is_total_loss(incident.cause):
        parts = [f"{lost} failed round{'s' if lost != 1 else ''}, no anchor answered"]
        if unresolved:
            parts.append(f"{_rounds(unresolved)} with anchors answering but every DNS name failing")
    else:
        parts = [f"{_rounds(unresolved)} with anchors answering but every DNS name failing"]
        if lost:
            parts.append(f"{_rounds(lost)} with no anchor answering")
    if ev.gateway_sent:
        parts.append(f"gateway answered {ev.gateway_ok}/{ev.gateway_sent}")
    else:
        parts.append("no gateway target")
    if ev.isp_sent:
        parts.append(f"ISP hop answered {ev.isp_ok}/{ev.isp_sent}")
        if incident.cause is Cause.ISP_OR_UPSTREAM:
            parts[-1] += " (it answers too few echoes while the line is up for its silence to tell isp from upstream)"
    else:
        parts.append("ISP hop not yet known" if rules.isp_sought else "no ISP hop target (targets.isp is off)")
    return "; ".join(parts)


def _own_rounds(outage: Incident) -> int:
    """The rounds of an outage of its own kind: total loss, or names failing."""
    loss = is_total_loss(outage.cause)
    return sum(n for c, n in outage.cause_rounds if is_total_loss(c) == loss)


def _grown(
    outage: Incident, ev: Evidence, failed: Iterable[Failed], loss: bool, rules: Rules
) -> tuple[Incident, Evidence]:
    """The outage with ``failed`` rounds counted in it, as an outage of total loss (``loss``) or of names failing:
    its cause is the layer seen in most of its total-loss rounds, or dns."""
    counts, rounds = outage.cause_rounds, outage.rounds
    for f in failed:
        counts, rounds, ev = add_count(counts, f.cause), rounds + 1, ev.add(f.entry)
    cause = majority_cause(tuple((c, n) for c, n in counts if is_total_loss(c))) if loss else Cause.DNS
    grown = replace(outage, rounds=rounds, cause_rounds=counts, cause=cause)
    return replace(grown, detail=_outage_detail(grown, ev, rules)), ev


def _sum(tallies: Iterable[Tally]) -> tuple[int, int, float | None]:
    """(sent, lost, median best RTT) over tallies."""
    sent = lost = 0
    best: list[float] = []
    for t in tallies:
        sent += t.sent
        lost += t.lost()
        if t.best_ms is not None:
            best.append(t.best_ms)
    return sent, lost, _median(best) if best else None


def _median(values: list[float]) -> float:
    """statistics.median, without the module: it loads decimal and fractions into the daemon for one sort."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _loss_pct(sent: int, lost: int) -> float:
    return 100.0 * lost / sent if sent else 0.0


@dataclass(frozen=True)
class _WindowView:
    loss: float
    latency: float | None
    gateway_loss: float
    gateway_latency: float | None
    isp_loss: float
    isp_latency: float | None


def _view(window: tuple[Entry, ...]) -> _WindowView:
    a_sent, a_lost, a_lat = _sum(e.anchor for e in window)
    g_sent, g_lost, g_lat = _sum(e.gateway for e in window)
    i_sent, i_lost, i_lat = _sum(e.isp for e in window)
    return _WindowView(
        _loss_pct(a_sent, a_lost), a_lat, _loss_pct(g_sent, g_lost), g_lat, _loss_pct(i_sent, i_lost), i_lat
    )


def _over(loss: float, latency: float | None, rules: Rules, ratio: float = 1.0) -> bool:
    return loss > rules.loss_percent * ratio or (latency is not None and latency > rules.latency_ms * ratio)


def _crossed(v: _WindowView, rules: Rules) -> Crossed:
    """Which of the anchors' figures is over its threshold in this window."""
    return Crossed(loss=v.loss > rules.loss_percent, latency=_over(0.0, v.latency, rules))


def _shows(hop: Tally, latency: float | None, by: Crossed, rules: Rules) -> bool:
    """Whether a hop is degraded itself, by a figure that degraded the anchors: its median best RTT over the
    latency threshold (in the window), or its loss over the loss threshold (over everything seen while degraded,
    so that the verdict firms up as the degradation lasts). A hop's loss says nothing about a degradation by
    latency alone, nor its latency about one by loss: a router dropping a probe or two to ordinary background loss
    is not why the anchors are slow, and a hop losing less than the threshold is not where the loss begins."""
    if by.latency and _over(0.0, latency, rules):
        return True
    return by.loss and _loss_pct(hop.sent, hop.lost()) > rules.loss_percent


def _degraded_cause(v: _WindowView, total: Entry, by: Crossed, rules: Rules) -> Cause:
    """The nearest hop that is degraded itself: the gateway (local), the ISP hop, else upstream."""
    if _shows(total.gateway, v.gateway_latency, by, rules):
        return Cause.LOCAL
    if _shows(total.isp, v.isp_latency, by, rules):
        return Cause.ISP
    return Cause.UPSTREAM


def _ms(value: float | None) -> str:
    return f"{value:.1f} ms" if value is not None else "n/a"


def _degraded_detail(v: _WindowView, total: Entry, by: Crossed, rules: Rules) -> str:
    parts = [
        f"over the last {rules.window} rounds: anchor loss {v.loss:.1f} % (threshold {rules.loss_percent:g} %), "
        f"median best RTT {_ms(v.latency)} (threshold {rules.latency_ms:g} ms)",
        f"degraded by {by.words()}",
        f"while degraded: anchors lost {total.anchor.lost()}/{total.anchor.sent}",
    ]
    if total.gateway.sent:
        parts.append(f"gateway lost {total.gateway.lost()}/{total.gateway.sent}")
        if by.latency:
            parts.append(f"gateway median best RTT {_ms(v.gateway_latency)}")
    if total.isp.sent:
        parts.append(f"ISP hop lost {total.isp.lost()}/{total.isp.sent}")
        if by.latency:
            parts.append(f"ISP hop median best RTT {_ms(v.isp_latency)}")
    return "; ".join(parts)


def _feed_window(state: State, fed: Iterable[Entry], at: float, rules: Rules) -> tuple[State, list[Event]]:
    entries = tuple(fed)
    window = (*state.window, *entries)[-rules.window :]
    state = replace(state, window=window)
    if len(window) < rules.window:
        return state, []
    view = _view(window)
    degraded = state.degraded
    if degraded is None:
        if _over(view.loss, view.latency, rules):
            total = NO_ENTRY
            for e in window:
                total = total.plus(e)
            by = _crossed(view, rules)
            cause = _degraded_cause(view, total, by, rules)
            detail = _degraded_detail(view, total, by, rules)
            opened = Incident(Kind.DEGRADED, cause, start=at, rounds=1, detail=detail)
            state = replace(state, degraded=opened, degraded_sum=total, degraded_by=by, clearing=None)
            return state, [Opened(opened)]
        return state, []
    clearing = None
    if not _over(view.loss, view.latency, rules, CLEAR_RATIO):
        since, rounds = state.clearing or (at, 0)
        if rounds + len(entries) >= rules.window:
            closed = degraded.closed_at(since)
            return replace(state, degraded=None, degraded_sum=NO_ENTRY, degraded_by=Crossed(), clearing=None), [
                Closed(closed)
            ]
        clearing = (since, rounds + len(entries))
    total = state.degraded_sum
    for e in entries:
        total = total.plus(e)
    by = state.degraded_by.plus(_crossed(view, rules))
    cause = _degraded_cause(view, total, by, rules)
    detail = _degraded_detail(view, total, by, rules)
    grown = replace(degraded, rounds=degraded.rounds + len(entries), cause=cause, detail=detail)
    events: list[Event] = [Updated(grown)] if cause is not degraded.cause else []
    return replace(state, degraded=grown, degraded_sum=total, degraded_by=by, clearing=clearing), events


def _isp_hop_is_a_witness(window: tuple[Entry, ...]) -> bool:
    """Many ISP edge routers answer TTL-expired probes but drop or rate-limit echoes to themselves. Such a hop
    says nothing when it is silent, so its silence counts against the ISP only if it answered most of its
    probes while the line was up (or there is no such history yet, e.g. a start during an outage)."""
    sent = ok = 0
    for e in window:
        sent += e.isp.sent
        ok += e.isp.ok
    return sent < WITNESS_MIN_PROBES or ok >= 0.5 * sent


def _open(failed: tuple[Failed, ...], rules: Rules) -> tuple[Incident, Evidence, tuple[Failed, ...]]:
    """An outage of ``failed`` rounds, backdated to the first: of total loss unless most of them were names failing.
    The rounds of the other kind it ends with are returned, not counted: they may be the start of a run of their own
    (``_in_outage`` decides once it knows its length)."""
    loss = 2 * sum(is_total_loss(f.cause) for f in failed) >= len(failed)
    cut = len(failed)
    while cut > 1 and is_total_loss(failed[cut - 1].cause) != loss:
        cut -= 1
    opened = Incident(Kind.OUTAGE, Cause.UNKNOWN, start=failed[0].at)
    outage, evidence = _grown(opened, Evidence(), failed[:cut], loss, rules)
    return outage, evidence, failed[cut:]


def _in_outage(state: State, failed: Failed, rules: Rules) -> tuple[State, list[Event]]:
    """A failed round while an outage is open. A total loss is an outage of its own, and so are names failing: a
    run of ``confirm`` rounds of the other kind ends the open outage where the run began and opens one of that
    kind there, unless the open one has fewer than ``confirm`` rounds of its own kind (it then changes kind:
    a few rounds of one kind next to a long run of the other are not an outage of their own). Shorter runs are
    counted in the open outage once it is clear they stay short."""
    outage = state.outage
    assert outage is not None
    loss = is_total_loss(outage.cause)
    if is_total_loss(failed.cause) == loss:
        grown, evidence = _grown(outage, state.evidence, (*state.other, failed), loss, rules)
        events: list[Event] = [Updated(grown)] if grown.cause is not outage.cause else []
        return replace(state, outage=grown, evidence=evidence, other=()), events
    other = (*state.other, failed)
    if len(other) < rules.confirm:
        return replace(state, other=other), []
    if _own_rounds(outage) >= rules.confirm:
        opened, evidence, _ = _open(other, rules)
        return replace(state, outage=opened, evidence=evidence, other=()), [
            Closed(outage.closed_at(other[0].at)),
            Opened(opened),
        ]
    grown, evidence = _grown(outage, state.evidence, other, not loss, rules)
    return replace(state, outage=grown, evidence=evidence, other=()), [Updated(grown)]


def _ended(state: State, at: float, rules: Rules) -> tuple[State, list[Event]]:
    """The open outage, with the rounds of the other kind still waiting counted in it, closed at ``at``."""
    outage = state.outage
    assert outage is not None
    grown, _ = _grown(outage, state.evidence, state.other, is_total_loss(outage.cause), rules)
    return replace(state, outage=None, evidence=Evidence(), other=()), [Closed(grown.closed_at(at))]


def step(state: State, rnd: Round, rules: Rules) -> tuple[State, list[Event]]:
    """Advance the detector by one round; returns the new state and the incidents opened, updated or closed."""
    cause = round_cause(rnd)
    if cause is Cause.ISP and not _isp_hop_is_a_witness(state.window):
        cause = Cause.ISP_OR_UPSTREAM
    entry = _entry(rnd)
    state = replace(state, last_at=rnd.at)
    events: list[Event] = []
    if cause is not None:
        failed = Failed(rnd.at, cause, entry)
        if state.outage is not None:
            return _in_outage(state, failed, rules)
        pending = (*state.pending, failed)
        if len(pending) < rules.confirm:
            return replace(state, pending=pending), events
        if state.degraded is not None:
            events.append(Closed(state.degraded.closed_at(pending[0].at)))
        outage, evidence, waiting = _open(pending, rules)
        events.append(Opened(outage))
        # The window restarts after an outage: pre-outage loss says nothing about the recovered line.
        state = replace(
            state,
            pending=(),
            outage=outage,
            evidence=evidence,
            other=waiting,
            degraded=None,
            degraded_sum=NO_ENTRY,
            degraded_by=Crossed(),
            window=(),
        )
        return state, events
    if state.outage is not None:
        state, events = _ended(state, rnd.at, rules)
    # A blip shorter than `confirm` rounds is recorded as loss in the window, not as an outage.
    blip = tuple(f.entry for f in state.pending)
    state, window_events = _feed_window(replace(state, pending=()), (*blip, entry), rnd.at, rules)
    return state, events + window_events


def close_all(state: State, at: float | None = None, rules: Rules = Rules()) -> tuple[State, list[Event]]:
    """Close every open incident at ``at`` (default: the last round seen), e.g. at shutdown; ``rules`` word the
    evidence of rounds still waiting to be counted in the outage."""
    end = at if at is not None else state.last_at
    events: list[Event] = []
    if end is None:
        return State(), events
    if state.degraded is not None:
        events.append(Closed(state.degraded.closed_at(end)))
    if state.outage is not None:
        state, ended = _ended(state, end, rules)
        events += ended
    closed = replace(state, pending=(), degraded=None, degraded_sum=NO_ENTRY, degraded_by=Crossed())
    return closed, events


def _moved(inc: Incident | None, delta: float) -> Incident | None:
    if inc is None:
        return None
    return replace(inc, start=inc.start + delta, end=None if inc.end is None else inc.end + delta)


def shifted(state: State, delta: float) -> State:
    """The state with every instant moved by ``delta`` seconds: the rounds it saw were re-timed (their clock was
    synchronised), and the next rounds carry true times. Counts and windows are untouched."""
    return replace(
        state,
        pending=tuple(replace(f, at=f.at + delta) for f in state.pending),
        other=tuple(replace(f, at=f.at + delta) for f in state.other),
        outage=_moved(state.outage, delta),
        degraded=_moved(state.degraded, delta),
        clearing=None if state.clearing is None else (state.clearing[0] + delta, state.clearing[1]),
        last_at=None if state.last_at is None else state.last_at + delta,
    )


def line_ok(rnd: Round | None) -> bool:
    """``rnd`` saw the gateway (or has none configured) and at least one anchor answering."""
    if rnd is None:
        return False
    return all(s.ok for s in rnd.by_role(Role.GATEWAY)) and any(s.ok for s in rnd.by_role(Role.ANCHOR))


def current_outage(state: State) -> Incident | None:
    """The open outage, or the failed rounds awaiting confirmation as a provisional one (the line is down now)."""
    if state.outage is not None:
        return state.outage
    if state.pending:
        return Incident(Kind.OUTAGE, Cause.UNKNOWN, state.pending[0].at)
    return None
