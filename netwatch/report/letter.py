"""The complaint letter's details: the owner's and the plan's, each the configured value or a placeholder, and the
money it states (from ``complaint``: the cost of the outages it lists, the credit it asks for).

Owns the rule "nothing invented": a detail the configuration leaves empty (or 0) is shown as a visible placeholder
such as "[your account number]", and a warning names the key to set. Must not read the configuration or
anything else itself: values come from the arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from netwatch.config.records import OwnerConfig, PlanConfig
from netwatch.core.text import mbps, money
from netwatch.report.complaint import Complaint
from netwatch.report.compute import Report

# A value shown as it is (the letter's environment escapes it) or a placeholder (Markup: shown verbatim).
Detail = str | Markup


@dataclass(frozen=True)
class Letter:
    """What the letter says about its sender, the plan and the money, ready to print."""

    business: Detail
    name: Detail
    address_lines: tuple[Detail, ...]
    email: Detail
    phone: Detail
    provider: Detail
    account: Detail
    monthly_fee: Detail
    contracted_availability: Detail
    hourly: Detail
    cost: Detail
    credit: Detail
    warnings: tuple[str, ...]
    plan_download: Detail  # printed only when a speed test completed


def letter(report: Report, owner: OwnerConfig, plan: PlanConfig, complaint: Complaint) -> Letter:
    """The letter's details and a warning for every placeholder among them."""
    warnings: list[str] = []
    currency = report.money.currency

    def detail(table: str, key: str, value: str | float, placeholder: str, shown: str | None = None) -> Detail:
        if value.strip() if isinstance(value, str) else value > 0:
            return shown if shown is not None else str(value).strip()
        warnings.append(f"{table}.{key} is not set: the letter shows [{placeholder}]; set it in [{table}]")
        return Markup(f"[{placeholder}]")

    business = detail("owner", "business", owner.business, "your business name")
    name = detail("owner", "name", owner.name, "your name")
    lines = [line.strip() for line in owner.address.splitlines() if line.strip()]
    address = detail("owner", "address", owner.address, "your postal address")
    email = detail("owner", "email", owner.email, "your e-mail address")
    phone = detail("owner", "phone", owner.phone, "your phone number")
    provider = detail("plan", "provider", plan.provider, "your provider")
    account = detail("plan", "account", plan.account, "your account number")
    fee = detail("plan", "monthly_fee", plan.monthly_fee, "your monthly fee", money(plan.monthly_fee, currency))
    contracted = detail(
        "plan",
        "contracted_availability",
        plan.contracted_availability,
        "the contracted availability",
        f"{plan.contracted_availability:g}%",
    )
    figures = report.money
    hourly = detail("cost", "hourly", figures.hourly or 0.0, "hourly cost", money(figures.hourly, currency))
    cost: Detail = (
        money(complaint.cost, currency)
        if complaint.cost is not None
        else Markup("[cost of the business-hours downtime]")  # the missing hourly cost is already a warning
    )
    asked = complaint.credit
    credit: Detail = money(asked.amount, currency) if asked is not None else Markup("[credit requested]")
    if asked is None:
        warnings.append(
            "no credit could be computed: the letter shows [credit requested]; set plan.monthly_fee and "
            "plan.contracted_availability in [plan]"
        )
    plan_download: Detail = Markup("[the plan's download speed]")
    if report.speed.ok:  # the speed paragraph is printed: its plan speed is needed
        plan_download = detail(
            "plan", "download_mbps", plan.download_mbps, "the plan's download speed", mbps(plan.download_mbps)
        )
    if complaint.own and not complaint.outages:
        warnings.append(
            "only outages of your own equipment (cause local) were recorded in the period, and the letter claims "
            "none of them: it has no incident to complain about"
        )
    elif not complaint.outages:
        warnings.append("no outage was recorded in the period: the letter has no incident to complain about")
    return Letter(
        business=business,
        name=name,
        address_lines=tuple(lines) if lines else (address,),
        email=email,
        phone=phone,
        provider=provider,
        account=account,
        monthly_fee=fee,
        contracted_availability=contracted,
        hourly=hourly,
        cost=cost,
        credit=credit,
        warnings=tuple(warnings),
        plan_download=plan_download,
    )
