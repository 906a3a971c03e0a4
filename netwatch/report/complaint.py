"""What the complaint letter complains about and asks for, from a report's figures.

Owns the rules of a letter to the provider: it lists and counts the outages the provider may answer for (every
outage but the owner's own: cause local, and dns outages of a resolver on the owner's side or not recorded, are each
set apart in one plainly worded line and never claimed); it
asks for a credit or compensation only from ``minimum`` up (below it, it asks for none and says why); it is never
written for a period in which netwatch measured nothing. Must not word the letter (its template does) or
compute a report's figures (``compute`` and ``cost`` do). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from netwatch.core.model import Cause
from netwatch.core.money import cents
from netwatch.core.text import local_time, money
from netwatch.errors import NothingMeasured
from netwatch.report.compute import IncidentFigures, Report


@dataclass(frozen=True)
class Ask:
    """One amount the letter could ask for: asked when at least the minimum; else ``why`` says why not."""

    amount: float
    asked: bool
    why: str  # "" when asked


@dataclass(frozen=True)
class Complaint:
    """The outages a letter lists (``outages``) and the owner's own it sets apart (``own``: the router did not
    answer; ``own_dns``: names failed through the owner's own resolver, or one not recorded), their figures, and
    what it asks for: the pro-rata ``credit`` and the rule pack's ``compensation`` (None: nothing to ask for)."""

    outages: tuple[IncidentFigures, ...]
    own: tuple[IncidentFigures, ...]
    credit: Ask | None
    compensation: Ask | None
    cost: float | None  # what the listed outages' business hours cost, at [cost] hourly
    own_dns: tuple[IncidentFigures, ...] = ()

    @property
    def downtime_seconds(self) -> float:
        return sum(f.seconds for f in self.outages)

    @property
    def business_seconds(self) -> float:
        return sum(f.business_seconds for f in self.outages)

    @property
    def longest_seconds(self) -> float:
        return max((f.seconds for f in self.outages), default=0.0)

    @property
    def own_seconds(self) -> float:
        return sum(f.seconds for f in self.own)

    @property
    def own_dns_seconds(self) -> float:
        return sum(f.seconds for f in self.own_dns)

    @property
    def asks(self) -> bool:
        """Whether the letter asks for any money."""
        return any(a is not None and a.asked for a in (self.credit, self.compensation))


def _ask(amount: float, shown: float, due: bool, currency: str, minimum: float, what: str) -> Ask:
    """Decided on ``amount`` before rounding: a credit that shows as £0.00 is still due when the provider caused any
    downtime, and "not due" is said only when ``due`` is false (nothing the provider answers for)."""
    if not due or amount <= 0:
        return Ask(shown, False, f"no {what} is due for this period")
    if amount >= minimum and shown > 0:
        return Ask(shown, True, "")
    if shown <= 0:  # under half a cent: nothing that can be paid, even with no minimum
        below = f", below {money(minimum, currency)}" if minimum > 0 else ""
        comes = f"less than {money(0.01, currency)}{below}"
    elif shown >= minimum:  # rounds up to the minimum without reaching it
        comes = f"less than {money(minimum, currency)}"
    else:
        comes = f"{money(shown, currency)}, less than {money(minimum, currency)}"
    return Ask(shown, False, f"the {what} for this period comes to {comes}, so I am not asking for it")


def measured_nothing(report: Report) -> bool:
    """Whether netwatch measured nothing in ``report``'s period: it was not running at any time, no speed test ran
    and no speed campaign covers it."""
    return report.monitored_seconds <= 0 and not report.speed.tests and report.claims.campaign is None


def not_running_said(report: Report) -> str:
    """ "netwatch was not running at any time from <since> to <until>", in the report's time zone."""
    zone = ZoneInfo(report.timezone)
    since, until = (local_time(at, zone, "minute") for at in (report.period.since, report.period.until))
    return f"netwatch was not running at any time from {since} to {until}"


def complaint(report: Report, minimum: float) -> Complaint:
    """What a letter about ``report`` lists and asks for, asking for nothing below ``minimum`` (in each amount's
    currency). Raises NothingMeasured (an InputError) for a period in which netwatch measured nothing (it was not
    running at any time, and no speed test ran): there is nothing to complain about."""
    if measured_nothing(report):
        raise NothingMeasured(
            f"{not_running_said(report)}, so there is nothing measured to put in a letter; choose a period it was "
            "running in"
        )
    outages = tuple(f for f in report.outages if f.incident.cause is not Cause.LOCAL and not f.own_dns)
    own = tuple(f for f in report.outages if f.incident.cause is Cause.LOCAL)
    figures = report.money
    cost = None
    if figures.hourly is not None:
        cost = cents(sum(f.business_seconds for f in outages) / 3600.0 * figures.hourly)
    credit = None
    if figures.credit is not None:
        unrounded = figures.credit if figures.credit_unrounded is None else figures.credit_unrounded
        due = report.isp_attributable_seconds > 0
        credit = _ask(unrounded, figures.credit, due, figures.currency, minimum, "pro-rata credit")
    found = report.claims.claims
    compensation = None
    if found is not None and found.items:
        compensation = _ask(found.total, found.total, found.total > 0, found.currency, minimum, "compensation")
    return Complaint(outages, own, credit, compensation, cost, report.own_dns)
