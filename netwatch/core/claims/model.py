"""The records of the claims rules: what a rule pack gives, and what it says about a period.

Owns the frozen dataclasses that leave ``netwatch.core.claims``: ``Source``, ``ClaimItem`` (one money line),
``Check`` (a finding without money), ``Verdict``, ``Claims`` (everything one pack says about a period),
``PackAmount`` (one amount of a pack, for ``netwatch claims rules``) and ``Deadline`` (when a rule's clock runs out
for a ticket). Must not do I/O or read a clock: pure data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


@dataclass(frozen=True)
class Source:
    """Where a rule or a figure is published."""

    title: str
    url: str


class Verdict(StrEnum):
    MET = "met"
    NOT_MET = "not met"
    NOT_ENOUGH_DATA = "not enough data"
    NOT_STATED = "not stated in [plan]"


@dataclass(frozen=True)
class ClaimItem:
    """One money line: ``quantity`` times ``rate`` = ``amount`` in ``currency`` under ``rule`` (its title).

    ``item`` is the pack's amount key (the one ``[claims.amounts]`` overrides); ``ticket`` the provider's reference
    ("" for none); [``start``, ``end``) the instants (Unix seconds, UTC) the line covers: the counted days, or the
    missed appointment itself (``start == end``). ``explanation`` is the sentence a letter can show, e.g.
    "Delayed repair, ticket ABC123: 3 calendar days \u00d7 £9.76 = £29.28 (...)".
    """

    rule: str
    item: str
    pack: str
    source: Source
    ticket: str
    start: float
    end: float
    quantity: int
    rate: float
    amount: float
    currency: str
    explanation: str
    overridden: bool = False


@dataclass(frozen=True)
class Check:
    """A finding without money (a speed code, the FCC label): ``figures`` are (label, value) pairs to show.
    ``explanation`` is said to the provider; ``advice`` (for the owner only, never in a document) says what to
    configure for the check to be made ("" when nothing is missing)."""

    rule: str
    pack: str
    source: Source
    title: str
    verdict: Verdict
    figures: tuple[tuple[str, str], ...]
    explanation: str
    advice: str = ""


@dataclass(frozen=True)
class Claims:
    """What one rule pack says about a period: the money lines, the checks, their total, notes the owner should
    read (caveats of the rules, data that disagrees), and ``request``: the sentences a complaint letter uses to ask
    for the total (for us-fcc, the text of a complaint to the FCC's consumer complaint portal); "" when there is
    nothing to ask for. ``advice`` is for the owner only (what to configure), never shown in a document."""

    pack: str
    name: str
    version: str
    jurisdiction: str
    currency: str
    items: tuple[ClaimItem, ...]
    checks: tuple[Check, ...]
    total: float
    notes: tuple[str, ...]
    request: str
    advice: tuple[str, ...] = ()


@dataclass(frozen=True)
class PackAmount:
    """One amount of a pack as in force on a date (``amount`` None when the pack has none in force then)."""

    item: str
    description: str
    amount: float | None
    currency: str
    effective_from: date | None
    source: Source
    overridden: bool = False
    unit: str = ""
    percent_of_fee: float = 0.0  # the amount is the larger of ``amount`` and this share of the monthly fee
    unverified: bool = False  # no published figure for ``on`` was verified: ``amount`` is the last verified one


@dataclass(frozen=True)
class Deadline:
    """When a rule's clock runs out for ticket ``ticket``: from ``at`` (Unix seconds, UTC; the start of a local
    day) the rule gives ``what`` for every day the fault is still not repaired. ``last_day`` is the last local day
    the provider has (its 23:59 is the deadline as people say it); ``rule`` names the rule ("Ofcom automatic
    compensation") and ``basis`` says how the days were counted ("two full working days: Tue 5 and Wed 6 March
    2024")."""

    ticket: str
    what: str
    rule: str
    at: float
    last_day: date
    basis: str
