"""What a report says about the evidence behind its figures: clock events, rounds timed before the clock was
synchronised, traceroutes taken when incidents began, the seal of the evidence chain, and whether the chain was
verified for this document (only an evidence bundle verifies: a plain report is not checked, and must not say so).

Owns ``EvidenceFigures`` and building it for a period (pure: the caller reads the store), the sentences a reader
is shown about each clock event, and the one-line summary of a traceroute as a list of hops.
Must not read the store, the clock or files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from netwatch.core.model import ClockEvent, EventKind, Incident, StoredTrace
from netwatch.core.text import local_time

# What each kind of clock event means for the figures, for the method section.
CLOCK_MEANING = {
    EventKind.STEP: "the system clock jumped; incidents open at that moment were closed at the last round before it",
    EventKind.UNSYNCED: "monitoring started before the clock was synchronised: rounds were timed provisionally",
    EventKind.BEHIND: "the unsynchronised clock read earlier than the last record: provisional times were moved"
    " after it",
    EventKind.SYNCED: "the clock was synchronised: the provisional times were corrected by the amount shown",
    EventKind.UNVERIFIED: "no time service was running to confirm the system clock",
}


@dataclass(frozen=True)
class Unsynced:
    """Rounds timed provisionally. ``retimed`` when they were corrected once the clock was synchronised (their
    times are then exact); otherwise their times are only as good as the clock was (it never synchronised in
    that boot)."""

    start: float
    end: float
    rounds: int
    retimed: bool
    delta: float | None  # seconds added when re-timed


@dataclass(frozen=True)
class Seal:
    """The newest seal of the evidence chain when the report was made: anyone can check later that the store
    still holds what it held then (`netwatch verify --expect DIGEST`)."""

    seal_id: int
    digest: str  # hex SHA-256


@dataclass(frozen=True)
class Checked:
    """The evidence chain verified at ``at`` for the document (an evidence bundle): ``ok`` when every record still
    matched its seal. A document without one was not checked, and says how to check it (`netwatch verify`)."""

    ok: bool
    at: float


@dataclass(frozen=True)
class EvidenceFigures:
    clock_events: tuple[ClockEvent, ...] = ()
    unsynced: tuple[Unsynced, ...] = ()
    traces: tuple[StoredTrace, ...] = ()
    seal: Seal | None = None
    checked: Checked | None = None

    @property
    def failed(self) -> bool:
        """The chain was verified for this document and did not hold: its figures may not be what was measured."""
        return self.checked is not None and not self.checked.ok

    def traces_of(self, incident: Incident) -> tuple[StoredTrace, ...]:
        """The traceroutes taken for ``incident`` (matched on kind and start, as the store links them)."""
        return tuple(
            t
            for t in self.traces
            if t.incident_kind is incident.kind
            and t.incident_start is not None
            and abs(t.incident_start - incident.start) < 0.0005
        )


NO_EVIDENCE = EvidenceFigures()


def evidence_figures(
    since: float,
    until: float,
    clock_events: Sequence[ClockEvent],
    unsynced: Sequence[Unsynced],
    traces: Sequence[StoredTrace],
    seal: Seal | None,
) -> EvidenceFigures:
    """The evidence of [since, until): events and traceroutes inside it, spans overlapping it (kept whole)."""
    return EvidenceFigures(
        clock_events=tuple(sorted((e for e in clock_events if since <= e.at < until), key=lambda e: e.at)),
        unsynced=tuple(u for u in unsynced if u.start < until and u.end >= since),
        traces=tuple(sorted((t for t in traces if since <= t.at < until), key=lambda t: t.at)),
        seal=seal,
    )


def failed_notice(evidence: EvidenceFigures, zone: ZoneInfo) -> str | None:
    """The first sentence of every document of a bundle whose chain failed verification (None otherwise): the
    reader must know before any figure that the records may have been changed after they were sealed."""
    if evidence.checked is None or evidence.checked.ok:
        return None
    return (
        f"This store FAILED verification on {local_time(evidence.checked.at, zone, 'long')}: the records below may"
        " have been changed after they were sealed; see verification.txt"
    )
