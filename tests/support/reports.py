"""The sample report the rendering tests share: one week of a London home office with an outage of every cause,
a degraded period, an unmonitored gap and a crash, computed by netwatch and rendered with fixed settings.

Owns that week, the business hours, owner, plan and method it is computed with, and rendering a report as HTML
or as the Markdown letter with those settings. Must not check what a rendering contains (the tests do) or build
reports any other way than netwatch's ``compute`` and ``render``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from netwatch.config.records import CostConfig, DetectConfig, OwnerConfig, PlanConfig, ProbeConfig
from netwatch.core.model import Cause, Coverage, Incident, Kind, Period, Role, SeriesPoint, SpeedResult, Target
from netwatch.core.schedule import BusinessHours
from netwatch.report.compute import Report, compute, method_from_config
from netwatch.report.render import Rendered, render
from tests.support.incidents import outage_for
from tests.support.instants import DAY, local, ts
from tests.support.targets import A1, A3, DNS, GW

BUSINESS = BusinessHours.from_config(
    {"timezone": "Europe/London", "week": {d: "09:00-17:30" for d in ("mon", "tue", "wed", "thu", "fri")}}
)
OWNER = OwnerConfig("Smith Design", "Jane Smith", "12 Mill Lane\nAmbridge AB1 2CD", "jane@example.org", "01632 960000")
PLAN = PlanConfig("Example Broadband", "EB-4471", 42.0, 99.9, 80.0, 20.0, 50.0)
TARGETS = (GW, Target(Role.ISP, "81.2.69.142"), A1, A3, DNS)
METHOD = method_from_config(ProbeConfig("", 1.0, 0.8, "auto"), DetectConfig(3, 60, 5.0, 250.0), TARGETS)
ISP_RESOLVERS = ("81.2.69.160", "81.2.69.161")  # public addresses, not the router: the provider's resolvers
ROUTER_RESOLVER = ("192.168.1.1",)  # the router's own address: a home line's usual system resolver
GENERATED = ts("2026-11-30T09:00")
MON = local("2026-11-23T00:00")  # GMT: local time is UTC


def sample_report(
    *,
    detail: str = "gateway answered 60/60 rounds, ISP hop 0/60",
    speeds: Sequence[SpeedResult] = (),
    plan: PlanConfig = PLAN,
    resolvers: tuple[str, ...] | None = ISP_RESOLVERS,
) -> Report:
    """The week from Monday ``MON``: ``detail`` is the ISP outage's evidence; ``speeds`` the speed tests;
    ``resolvers`` the ones the method recorded (None: not recorded)."""
    incidents = [
        outage_for(Cause.ISP, MON + 9.5 * 3600, 3600, detail),
        outage_for(Cause.UPSTREAM, MON + 20 * 3600, 600),
        outage_for(Cause.LOCAL, MON + DAY + 12 * 3600, 45),
        outage_for(Cause.DNS, MON + 2 * DAY + 8.75 * 3600, 1800),
        Incident(Kind.DEGRADED, Cause.UPSTREAM, MON + 2 * DAY + 14 * 3600, MON + 2 * DAY + 15 * 3600, 3600),
        outage_for(Cause.UNKNOWN, MON + 3 * DAY + 23.9 * 3600, 20),
    ]
    gap = (MON + 4 * DAY + 3600, MON + 4 * DAY + 5 * 3600)
    sessions = [Coverage(MON, gap[0]), Coverage(gap[1], MON + 7 * DAY, clean=False)]
    series = [
        SeriesPoint(t, 1800.0, 5400, 30, 14.0 + (t % 7), 40.0)
        for t in range(int(MON), int(MON + 7 * DAY), 1800)
        if not gap[0] <= t < gap[1]
    ]
    return compute(
        Period(MON, MON + 7 * DAY),
        incidents,
        sessions,
        BUSINESS,
        method=replace(METHOD, settings=replace(METHOD.settings, resolvers=resolvers)),
        cost=CostConfig(85.0, "GBP"),
        plan=plan,
        series=series,
        speeds=speeds,
    )


def busy_report(count: int) -> Report:
    """``count`` outages of a minute and a half, one every two hours from Monday ``MON`` (ten past the hour), their
    causes in turn isp, upstream, local, dns: a long period's many incidents."""
    causes = (Cause.ISP, Cause.UPSTREAM, Cause.LOCAL, Cause.DNS)
    incidents = [outage_for(causes[n % 4], MON + n * 7200 + 600, 90) for n in range(count)]
    until = MON + (count // 12 + 1) * DAY
    return compute(Period(MON, until), incidents, [Coverage(MON, until)], BUSINESS, method=METHOD)


def rendered(report: Report, fmt: str, **settings: object) -> Rendered:
    """``report`` rendered as ``fmt`` ("html", "md") with the sample settings; ``settings`` replaces some."""
    args: dict[str, object] = {
        "business": BUSINESS,
        "owner": OWNER,
        "plan": PLAN,
        "title": "Internet outage report",
        "templates": None,
        "generated_at": GENERATED,
        **settings,
    }
    return render(report, fmt, **args)  # type: ignore[arg-type]


def html_of(report: Report, **settings: object) -> str:
    return rendered(report, "html", **settings).text


def letter_of(report: Report, **settings: object) -> Rendered:
    return rendered(report, "md", **settings)


def table_rows(text: str, after: str) -> list[list[str]]:
    """The body rows of the first Markdown table after the heading ``after``, split into cells."""
    lines = text.split(after, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows
