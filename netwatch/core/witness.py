"""A second witness: did another probe, on another line, reach this probe's anchors while this line was down?

Owns the ``[report] witness`` verdicts: the records (``Witness`` per outage, ``WitnessFigures`` per report), the
rule that turns the witness's round counts during an outage into a verdict, and the sentences the report and the
letter print about it. Must not query InfluxDB or read a clock: reading the counts from the InfluxDB both probes
export to is ``netwatch.adapters.influx.witness``'s, asking on behalf of a report ``netwatch.app.reports``'s. A
witness that cannot be asked never loses the report: the report says "witness not asked" and why.

Rule: a round of the witness counts for an outage when it probed at least one of the same anchors (this probe's
anchor addresses) between the outage's start and end, and as reaching them when at least one of them answered.
Reached in at least ``THRESHOLD_PERCENT`` % of those rounds: the anchors were up and the fault was on this line.
Lost in at least that share: the witness's own round causes (its ``netwatch_status`` points over the same window)
decide what that means. When at least ``OWN_LINE_PERCENT`` % of the rounds in which it lost them had cause local or
isp (its own router or access line was down), the witness could not see and nothing is concluded about the
anchors (witness down); otherwise its gateway and ISP hop mostly answered while the anchors did not, so the fault
was shared or upstream of both lines (or the anchors were down). In between: no conclusion. No such round: no data (the
witness was not running, or its export has not caught up).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from netwatch.core.model import Cause, Incident, Kind

__all__ = [
    "MAX_ASKED",
    "NO_WITNESS",
    "OWN_LINE_PERCENT",
    "THRESHOLD_PERCENT",
    "AnchorCount",
    "Counts",
    "Verdict",
    "Witness",
    "WitnessFigures",
    "judge",
    "verdict",
    "witness_figures",
]

THRESHOLD_PERCENT = 90  # share of the witness's rounds that decides either way
OWN_LINE_PERCENT = 50  # share of its lost rounds with its own line down (local, isp) that makes it blind
MAX_ASKED = 500  # outages asked about per report (the longest): 6 statements each


class Verdict(StrEnum):
    REACHED = "reached"  # the witness reached the same anchors: they were up, the fault was on this line
    LOST = "lost"  # the witness lost them too, its own line up: shared or upstream fault, or the anchors were down
    WITNESS_DOWN = "witness_down"  # the witness lost them with its own line down: it could not tell
    MIXED = "mixed"  # neither clearly: no conclusion
    NO_DATA = "no_data"  # no round of the witness probing the same anchors during the outage
    NO_COMMON = "no_common"  # the witness probes none of the same anchors
    NOT_ASKED = "not_asked"  # InfluxDB could not be asked (``Witness.reason`` says why)


@dataclass(frozen=True)
class AnchorCount:
    """One of the same anchors during one outage: the witness's rounds that probed it, and those it answered."""

    address: str
    probed: int
    reached: int


@dataclass(frozen=True)
class Counts:
    """What the witness did during one outage: its rounds that probed at least one of the same anchors, those in
    which at least one of them answered, the count per anchor, and its rounds whose own cause was local or isp."""

    rounds: int = 0
    reached_rounds: int = 0
    anchors: tuple[AnchorCount, ...] = ()
    local_rounds: int = 0
    isp_rounds: int = 0

    @property
    def lost_rounds(self) -> int:
        return self.rounds - self.reached_rounds

    @property
    def own_line_down_rounds(self) -> int:
        """Lost rounds in which the witness's own line was down. A round with cause local or isp lost every anchor
        it probed, but status and ping points are counted apart, so the sum is capped at the lost rounds."""
        return max(0, min(self.local_rounds + self.isp_rounds, self.lost_rounds))

    @property
    def own_causes(self) -> str:
        """The causes of its own faults: "cause isp", "cause local", or "cause local in 10, isp in 70" (local
        first); "" for neither."""
        found = [(c, n) for c, n in ((Cause.LOCAL, self.local_rounds), (Cause.ISP, self.isp_rounds)) if n > 0]
        if len(found) <= 1:
            return "".join(f"cause {c.value}" for c, _ in found)
        return "cause " + ", ".join(f"{c.value} in {n}" for c, n in found)


NO_COUNTS = Counts()


@dataclass(frozen=True)
class Witness:
    """The witness's verdict on one outage, asked for [start, end) (the outage as the report clips it)."""

    probe: str
    start: float
    end: float
    verdict: Verdict
    counts: Counts = NO_COUNTS
    reason: str = ""  # why the witness was not asked (NOT_ASKED only)

    @property
    def reached_percent(self) -> float | None:
        c = self.counts
        return 100.0 * c.reached_rounds / c.rounds if c.rounds else None

    @property
    def finding(self) -> str:
        """What the witness saw, with its figures: "witness office-2 reached 3 of the 3 same anchors in 118 of
        120 rounds during the outage"."""
        c, who = self.counts, f"witness {self.probe}"
        if self.verdict is Verdict.NOT_ASKED:
            return f"{who} not asked: {self.reason}"
        if self.verdict is Verdict.NO_COMMON:
            return f"{who} probes none of the same anchors"
        if self.verdict is Verdict.NO_DATA:
            return f"{who} has no data for this time"
        reached = sum(1 for a in c.anchors if a.reached)
        probed = sum(1 for a in c.anchors if a.probed)
        return (
            f"{who} reached {reached} of the {probed} same anchor{_s(probed)} in {c.reached_rounds} of {c.rounds}"
            f" round{_s(c.rounds)} during the outage"
        )

    @property
    def conclusion(self) -> str:
        """What the finding means for this outage ("" when it means nothing more than it says)."""
        c = self.counts
        return {
            Verdict.REACHED: "the anchors were up, so the fault was on this line",
            Verdict.LOST: "it lost them too, so the fault was shared by both lines or upstream of them (or the"
            " anchors were down)",
            Verdict.WITNESS_DOWN: f"its own line was down in {c.own_line_down_rounds} of its {c.rounds}"
            f" round{_s(c.rounds)} ({c.own_causes}), so it could not tell whether the anchors were up",
            Verdict.MIXED: f"that is neither {THRESHOLD_PERCENT}% of its rounds or more (up) nor"
            f" {100 - THRESHOLD_PERCENT}% or less (lost), so no conclusion is drawn",
            Verdict.NO_DATA: "it was not running, or its export to InfluxDB has not caught up",
            Verdict.NO_COMMON: "so it cannot tell whether they were up",
            Verdict.NOT_ASKED: "",
        }[self.verdict]

    @property
    def sentence(self) -> str:
        """The finding and its conclusion, as the report prints them."""
        return f"{self.finding}: {self.conclusion}" if self.conclusion else self.finding

    @property
    def letter(self) -> str:
        """The verdict for the complaint letter, where the anchors are "the same public hosts"."""
        c = self.counts
        figures = f"in {c.reached_rounds} of its {c.rounds} round{_s(c.rounds)}"
        every = c.reached_rounds == c.rounds
        throughout = f"throughout this outage (in all {c.rounds} of its rounds)" if every else figures
        return {
            Verdict.REACHED: (
                f"the second probe reached the same public hosts {throughout}: they were up, so the fault was on this"
                " line"
            ),
            Verdict.LOST: (
                f"the second probe lost the same public hosts too (it reached them {figures}): the fault lay beyond"
                " both lines, or the hosts themselves were down"
            ),
            Verdict.WITNESS_DOWN: (
                f"the second probe could not tell: its own line was down in {c.own_line_down_rounds} of its"
                f" {c.rounds} round{_s(c.rounds)}, so it says nothing about whether the same public hosts were up"
            ),
            Verdict.MIXED: f"the second probe reached the same public hosts {figures}, which settles neither way",
            Verdict.NO_DATA: "the second probe has no records of this time",
            Verdict.NO_COMMON: "the second probe does not watch the same public hosts",
            Verdict.NOT_ASKED: f"the second probe could not be consulted (witness not asked: {self.reason})",
        }[self.verdict]


def _s(n: int) -> str:
    return "" if n == 1 else "s"


class Figures(Protocol):
    """An incident of a report with its clipped start and end (``netwatch.report.compute.IncidentFigures``)."""

    @property
    def incident(self) -> Incident: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


@dataclass(frozen=True)
class WitnessFigures:
    """The witness of a report: its probe name ("" = none configured), whether InfluxDB could be asked (and why
    not), the same anchors it probes, and one ``Witness`` per outage of the report, in the report's order."""

    probe: str = ""
    asked: bool = False
    reason: str = ""
    anchors: tuple[str, ...] = ()
    outages: tuple[Witness, ...] = ()

    @property
    def configured(self) -> bool:
        return bool(self.probe)

    @property
    def threshold_percent(self) -> int:
        return THRESHOLD_PERCENT

    @property
    def own_line_percent(self) -> int:
        return OWN_LINE_PERCENT

    def of(self, figures: Figures) -> Witness | None:
        """The verdict on one outage of the report (None for other incidents, or without a witness)."""
        if figures.incident.kind is not Kind.OUTAGE:
            return None
        return next(
            (w for w in self.outages if abs(w.start - figures.start) < 0.0005 and abs(w.end - figures.end) < 0.0005),
            None,
        )

    def count(self, verdict: Verdict) -> int:
        return sum(1 for w in self.outages if w.verdict is verdict)


NO_WITNESS = WitnessFigures()


def verdict(counts: Counts, common: bool) -> Verdict:
    """The rule of the module docstring. Integer arithmetic: exactly at the threshold decides."""
    if not common:
        return Verdict.NO_COMMON
    if counts.rounds <= 0:
        return Verdict.NO_DATA
    if 100 * counts.reached_rounds >= THRESHOLD_PERCENT * counts.rounds:
        return Verdict.REACHED
    if 100 * counts.lost_rounds >= THRESHOLD_PERCENT * counts.rounds:
        if 100 * counts.own_line_down_rounds >= OWN_LINE_PERCENT * counts.lost_rounds:
            return Verdict.WITNESS_DOWN
        return Verdict.LOST
    return Verdict.MIXED


def judge(probe: str, window: tuple[float, float], counts: Counts, common: Sequence[str]) -> Witness:
    """The verdict on one outage ``window`` from the witness's ``counts`` there; ``common`` are the same anchors."""
    found = verdict(counts, bool(common))
    kept = counts if found in (Verdict.REACHED, Verdict.LOST, Verdict.WITNESS_DOWN, Verdict.MIXED) else NO_COUNTS
    return Witness(probe, window[0], window[1], found, kept)


def witness_figures(
    probe: str,
    anchors: Iterable[str],
    witness_targets: Iterable[str],
    windows: Sequence[tuple[float, float]],
    counts: Sequence[Counts | None],
) -> WitnessFigures:
    """A report's witness from what InfluxDB said: ``anchors`` are this probe's, ``witness_targets`` every target
    the witness probes, ``counts[k]`` its counts during ``windows[k]`` (None: that outage was not asked, beyond
    MAX_ASKED)."""
    theirs = set(witness_targets)
    common = tuple(a for a in dict.fromkeys(anchors) if a in theirs)
    out = []
    for window, c in zip(windows, counts, strict=True):
        if c is None:
            reason = f"only the {MAX_ASKED} longest outages of a report are asked about"
            out.append(Witness(probe, window[0], window[1], Verdict.NOT_ASKED, reason=reason))
        else:
            out.append(judge(probe, window, c, common))
    return WitnessFigures(probe, True, "", common, tuple(out))


def not_asked(probe: str, reason: str, windows: Sequence[tuple[float, float]]) -> WitnessFigures:
    """A report's witness when InfluxDB could not be asked: every outage says so, with ``reason``."""
    outages = tuple(Witness(probe, a, b, Verdict.NOT_ASKED, reason=reason) for a, b in windows)
    return WitnessFigures(probe, False, reason, (), outages)
