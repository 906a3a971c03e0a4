"""The records of the claims rules: what a rule pack gives, and what it says about a period.

Owns the frozen dataclasses that leave ``netwatch.core.claims``: ``Source``, ``Situation`` (who the owner is to the
rules: their contract and their business), ``ClaimItem`` (one money line), ``Check`` (a finding without money),
``Verdict``, ``Claims`` (everything one pack says about a period), ``PackAmount`` (one amount of a pack, for
``netwatch claims rules``), ``Deadline`` (when a rule's clock runs out for a ticket) and ``DayTest`` (which days a
rule pays in full). Must not do I/O or read a clock: pure data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# Who the owner is: a record the configuration holds too, so it lives with the shared records (the configuration
# must not load the rules to declare its keys).
from netwatch.core.model import CONTRACTS as CONTRACTS
from netwatch.core.model import CUSTOMERS as CUSTOMERS
from netwatch.core.model import Situation as Situation


@dataclass(frozen=True)
class Source:
    """Where a rule or a figure is published."""

    title: str
    url: str


@dataclass(frozen=True)
class DayTest:
    """Which days a rule pays in full: "whole" (every measured second of the fault's part of the day was a loss of
    service), "hours" (at least ``hours`` of it), or "any" (any second). The other days are contestable."""

    kind: str = "any"
    hours: int = 0

    def meets(self, counted: float, other: float) -> bool:
        """Whether a day with ``counted`` seconds of counted loss and ``other`` measured seconds that were not
        one passes."""
        if counted <= 0:
            return False
        if self.kind == "whole":
            return other <= 0
        if self.kind == "hours":
            return counted >= self.hours * 3600
        return True

    def words(self) -> str:
        """What a day needs, for a note: "a day of complete loss"."""
        if self.kind == "whole":
            return "a day of complete loss"
        if self.kind == "hours":
            return f"a day down for at least {self.hours} hours"
        return "a day down at some time"


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
    "Delayed repair, ticket ABC123: 3 calendar days \u00d7 £9.76 = £29.28 (...)". ``down_seconds``: the loss
    measured in what the line covers (a contestable day's, or an interruption's); ``rate_status`` says where the
    rate comes from: "published", "computed" (by the pack's uprating rule, not yet published) or "stale" (the last
    published figure, used after a later one should have taken effect).
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
    down_seconds: float = 0.0
    rate_status: str = "published"


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
    nothing to ask for. ``advice`` is for the owner only (what to configure), never shown in a document.
    ``contestable`` are the days (or interruptions) the rule's own test does not clearly cover (a partial loss),
    with what they would pay: shown beside the total, never in it. ``basis`` are the letter's sentences stating the
    legal basis in the owner's situation; ``status`` says plainly when the rules themselves may not be in force
    ("" when they are)."""

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
    contestable: tuple[ClaimItem, ...] = ()
    contestable_total: float = 0.0
    basis: tuple[str, ...] = ()
    status: str = ""


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
    computed: bool = False  # ``amount`` is computed by the pack's uprating rule, not (yet) published
    basis: str = ""  # how a computed amount was computed, e.g. "£9.98 x (1 + 3.6 %) = £10.34"


@dataclass(frozen=True)
class Deadline:
    """When a rule's clock runs out for ticket ``ticket``: from ``at`` (Unix seconds, UTC; the start of a local
    day) the rule gives ``what`` if the fault (or the switch, the port, the slow speed) is still not put right.
    ``last_day`` is the last local day the provider has (its 23:59 is the deadline as people say it); ``rule``
    names the rule ("Ofcom automatic compensation") and ``basis`` says how the days were counted ("two full
    working days: Tue 5 and Wed 6 March 2024"). ``what`` is one of ``WHATS``: "compensation" (due for every day
    from ``at``), "port" (the same for a number not ported), "exit" (the right to leave the contract), "adr" (the
    complaint may go to an ombudsman)."""

    ticket: str
    what: str
    rule: str
    at: float
    last_day: date
    basis: str


WHATS = ("compensation", "port", "exit", "adr")
