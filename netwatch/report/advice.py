"""What the owner could configure or record for a fuller report: the advice a face shows beside a document.

Owns gathering it from a report: the claims rules' (a speed the contract states but the configuration does not),
a speed campaign's unstated speeds, the provider's outages without rules or without a fault ticket, speed tests
without the plan's speeds. Must not put any of it in a document: the report, the letter and the evidence bundle
are for the provider and say only what was measured; the command line shows this as warnings. Pure.
"""

from __future__ import annotations

from netwatch.report.compute import Report
from netwatch.report.rules import NONE_CHOSEN

NO_TICKET = (
    "the provider's outages have no fault ticket: if you reported the fault, record it with "
    "`netwatch ticket open --reported WHEN --ref REF` (compensation counts from the report)"
)
NO_PLAN_SPEED = (
    "set [plan] download_mbps and upload_mbps (the speeds your plan is sold with) to compare the speed tests with them"
)


def advice(report: Report) -> tuple[str, ...]:
    """Every piece of advice for ``report``, once each, in the order of the report's sections."""
    found: list[str] = []
    speed = report.speed
    if speed.tests and speed.slow is None:
        found.append(NO_PLAN_SPEED)
    provider = any(f.provider for f in report.outages)
    claims = report.claims
    if provider and not claims.tickets:
        found.append(NO_TICKET)
    if claims.claims is None:
        if provider:
            found.append(f"{NONE_CHOSEN} to see what the rules of your country give for the provider's outages")
    else:
        found += claims.claims.advice
        found += (k.advice for k in claims.claims.checks if k.advice)
    if claims.campaign is not None:
        ev = claims.campaign.evaluation
        keys = [c.advice.removeprefix("set [plan] ") for d in (ev.download, ev.upload) for c in d.criteria if c.advice]
        if keys:
            found.append(f"set [plan] {', '.join(keys)} for the speed campaign to judge every criterion")
    return tuple(dict.fromkeys(found))
