"""Evaluating a speed campaign: the regulator's three criteria, separately for download and upload.

Owns the criteria of a significant deviation from the contract (BNetzA Allgemeinverfügung of 8 December 2021 on
the procedure for fixed networks): (1) 90 % of the maximum speed is not reached at least once on at least two of
the three measurement days; (2) the normally available speed is not reached in 90 % of the measurements; (3) the
minimum speed is undercut at least once on at least two of the three measurement days; and the figures behind
each verdict. A speed the contract does not state (0) makes its criterion "not stated". A reading exactly at a
threshold reaches it (90 % of the maximum, the normal speed) and does not undercut it (the minimum). Must not
give a verdict for an incomplete campaign (fewer than 30 measurements following the procedure: the figures are
shown as they stand), read a clock or the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from netwatch.core.campaign.planner import DAYS, MEASUREMENTS, PER_DAY
from netwatch.core.text import mbps, share

MAX_SHARE = 0.9  # of the maximum speed, reached once a day
NORMAL_SHARE = 0.9  # of the measurements reaching the normally available speed
DAYS_NEEDED = 2  # of the three measurement days
EPSILON = 1e-9  # Mbit/s: 0.9 x the maximum is not always exact in binary floating point


@dataclass(frozen=True)
class Measurement:
    """One counted measurement: its local calendar day and start, and its figures (None: not measured)."""

    day: date
    at: float
    download_mbps: float | None
    upload_mbps: float | None


@dataclass(frozen=True)
class Contract:
    """One direction's contractual speeds in Mbit/s; 0 = not stated."""

    maximum: float
    normal: float
    minimum: float


@dataclass(frozen=True)
class DayFigures:
    """One measurement day of one direction. The counts are None when the speed they compare with is not stated."""

    day: date
    count: int
    highest: float | None
    reaching_90_percent: int | None  # measurements at or above 90 % of the maximum
    below_minimum: int | None
    reaching_normal: int | None


@dataclass(frozen=True)
class Criterion:
    """One criterion's verdict: ``deviation`` True/False, or None when not stated or not decided yet. ``advice``
    says what to configure when the speed is not stated: for the owner, never in a document for the provider."""

    name: str  # "maximum", "normal", "minimum"
    threshold: float  # Mbit/s compared with (90 % of the maximum for "maximum"); 0 when not stated
    deviation: bool | None
    explanation: str
    advice: str = ""


@dataclass(frozen=True)
class Direction:
    name: str  # "download" or "upload"
    contract: Contract
    days: tuple[DayFigures, ...]
    measurements: int
    reaching_normal: int | None  # over the whole campaign
    criteria: tuple[Criterion, ...]
    complete: bool  # 10 figures on each of 3 days

    @property
    def deviation(self) -> bool | None:
        """True when any criterion found a deviation, False when every stated one was decided without one, None
        when nothing was decided (incomplete, or no speed stated)."""
        verdicts = [c.deviation for c in self.criteria if c.deviation is not None]
        if any(verdicts):
            return True
        return False if verdicts and self.complete else None


@dataclass(frozen=True)
class Evaluation:
    download: Direction
    upload: Direction
    procedure: tuple[str, ...]  # the rules the measurements broke (planner.check); empty: followed
    measured: int

    @property
    def complete(self) -> bool:
        return self.measured == MEASUREMENTS and not self.procedure

    @property
    def deviation(self) -> bool | None:
        """True: a significant deviation in either direction; False: none; None: not decided."""
        found = [d.deviation for d in (self.download, self.upload)]
        if True in found:
            return True
        return False if self.complete and False in found else None

    @property
    def verdict(self) -> str:
        if not self.complete:
            why = "; ".join(self.procedure) if self.procedure else f"{self.measured} of {MEASUREMENTS} measurements"
            return f"not decided: the campaign is not complete ({why})"
        both = (self.download, self.upload)
        found = [f"{d.name} ({', '.join(c.name for c in d.criteria if c.deviation)})" for d in both if d.deviation]
        if found:
            text = f"significant deviation from the contract: {'; '.join(found)}"
        elif self.deviation is False:
            text = "no significant deviation from the contract"
        else:
            return "not decided: no contract speed was given"
        for d in both:
            if d.deviation is None:
                why = "no contract speed given" if d.complete else f"{d.measurements} of {MEASUREMENTS} measured"
                text += f"; {d.name} not decided ({why})"
        return text


def direction(name: str, contract: Contract, by_day: dict[date, list[float]], complete: bool) -> Direction:
    """The figures and the three criteria of one direction from its readings per local day."""
    threshold = MAX_SHARE * contract.maximum
    figures = []
    for day in sorted(by_day):
        values = by_day[day]
        figures.append(
            DayFigures(
                day=day,
                count=len(values),
                highest=max(values) if values else None,
                reaching_90_percent=sum(v >= threshold - EPSILON for v in values) if contract.maximum else None,
                below_minimum=sum(v < contract.minimum - EPSILON for v in values) if contract.minimum else None,
                reaching_normal=sum(v >= contract.normal - EPSILON for v in values) if contract.normal else None,
            )
        )
    total = sum(f.count for f in figures)
    normal_count = sum(f.reaching_normal or 0 for f in figures) if contract.normal else None
    so_far = "" if complete else " so far"

    def undecided(deviation: bool) -> bool | None:
        return deviation if complete else None

    if not contract.maximum:
        maximum = Criterion("maximum", 0.0, None, "maximum speed: not given", f"set [plan] {name}_mbps")
    else:
        days_reached = sum(1 for f in figures if f.reaching_90_percent)
        verdict = days_reached < DAYS_NEEDED
        maximum = Criterion(
            "maximum",
            threshold,
            undecided(verdict),
            f"90 % of the maximum speed ({mbps(threshold)} of {mbps(contract.maximum)}) reached at least once on "
            f"{days_reached} of {len(figures)} days{so_far} (needed: at least {DAYS_NEEDED} of {DAYS})",
        )
    if not contract.normal or normal_count is None:
        normal = Criterion("normal", 0.0, None, "normally available speed: not given", f"set [plan] normal_{name}_mbps")
    else:
        verdict = normal_count * 10 < total * 9  # NORMAL_SHARE, exactly: 27 of 30 reaches it
        normal = Criterion(
            "normal",
            contract.normal,
            undecided(verdict),
            f"normally available speed ({mbps(contract.normal)}) reached in {normal_count} of {total} "
            f"measurements{so_far} ({share(normal_count, total)}; needed: 90 %)",
        )
    if not contract.minimum:
        minimum = Criterion("minimum", 0.0, None, "minimum speed: not given", f"set [plan] minimum_{name}_mbps")
    else:
        days_under = sum(1 for f in figures if f.below_minimum)
        verdict = days_under >= DAYS_NEEDED
        minimum = Criterion(
            "minimum",
            contract.minimum,
            undecided(verdict),
            f"minimum speed ({mbps(contract.minimum)}) undercut at least once on {days_under} of {len(figures)} "
            f"days{so_far} (a deviation from {DAYS_NEEDED} of {DAYS})",
        )
    return Direction(name, contract, tuple(figures), total, normal_count, (maximum, normal, minimum), complete)


def evaluate(
    measurements: Sequence[Measurement], download: Contract, upload: Contract, procedure: Sequence[str] = ()
) -> Evaluation:
    """Both directions of the counted ``measurements``; ``procedure`` is what ``planner.check`` said of their
    instants. A direction is complete when each of 3 days has 10 readings and the procedure was followed."""
    days = sorted({m.day for m in measurements})
    down: dict[date, list[float]] = {d: [] for d in days}
    up: dict[date, list[float]] = {d: [] for d in days}
    for m in measurements:
        if m.download_mbps is not None:
            down[m.day].append(m.download_mbps)
        if m.upload_mbps is not None:
            up[m.day].append(m.upload_mbps)
    followed = len(measurements) == MEASUREMENTS and not procedure

    def full(by_day: dict[date, list[float]]) -> bool:
        return followed and len(by_day) == DAYS and all(len(v) == PER_DAY for v in by_day.values())

    return Evaluation(
        direction("download", download, down, full(down)),
        direction("upload", upload, up, full(up)),
        tuple(procedure),
        len(measurements),
    )
