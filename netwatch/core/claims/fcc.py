"""us-fcc: measurements against the FCC broadband consumer label (47 CFR § 8.1(a)): median download, upload and
latency against the label's typical values, and the text of a complaint for the FCC's consumer complaint portal.

Owns the comparison and the complaint's wording. Must not ask for money (the label promises typical values, not
a refund), read a clock or do I/O.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from netwatch.core.claims.loader import Pack
from netwatch.core.claims.model import Check, Verdict
from netwatch.core.model import Incident, Plan, SpeedResult
from netwatch.core.text import when

# (check title, label value in [plan], measurement, unit, higher is better)
_MEASURES: tuple[tuple[str, str, Callable[[SpeedResult], float | None], str, bool], ...] = (
    ("Typical download speed", "typical_download_mbps", lambda s: s.download_mbps, "Mbps", True),
    ("Typical upload speed", "typical_upload_mbps", lambda s: s.upload_mbps, "Mbps", True),
    ("Typical latency", "typical_latency_ms", lambda s: s.latency_ms, "ms", False),
)


def label_checks(pack: Pack, tests: Sequence[SpeedResult], plan: Plan) -> list[Check]:
    section = pack.section("label")
    source = pack.source_of("label")
    checks: list[Check] = []
    for title, field, measure, unit, higher in _MEASURES:
        label = float(getattr(plan, field))
        values = [v for v in map(measure, tests) if v is not None]
        figures: list[tuple[str, str]] = [("tests", str(len(values)))]
        advice = ""
        if label <= 0:
            verdict, text = Verdict.NOT_STATED, "The label's value was not given, so it was not compared."
            advice = f"set [plan] {field} (from your broadband label) to compare the speed tests with it"
        elif not values:
            figures.append(("label", f"{label:g} {unit}"))
            verdict, text = Verdict.NOT_ENOUGH_DATA, f"No speed test measured the {title.lower()[8:]}."
        else:
            median = round(statistics.median(values), 3)
            worse = sum(1 for v in values if (v < label if higher else v > label))
            met = median >= label if higher else median <= label
            figures += [
                ("label", f"{label:g} {unit}"),
                ("median measured", f"{median:g} {unit}"),
                ("tests " + ("below" if higher else "above") + " the label", str(worse)),
            ]
            verdict = Verdict.MET if met else Verdict.NOT_MET
            text = (
                f"Median of {len(values)} test(s): {median:g} {unit} against the label's {label:g} {unit}; "
                f"{worse} test(s) {'below' if higher else 'above'} it."
            )
        checks.append(Check(section["title"], pack.id, source, title, verdict, tuple(figures), text, advice))
    return checks


def complaint(
    pack: Pack,
    checks: Sequence[Check],
    *,
    since: float,
    until: float,
    tests: Sequence[SpeedResult],
    outages: Sequence[Incident],
    plan: Plan,
    zone: ZoneInfo,
) -> str:
    """The complaint text for the FCC portal; "" when every stated label value was met and nothing was lost.
    ``outages`` count only for their part inside [since, until)."""
    failed = [c for c in checks if c.verdict is Verdict.NOT_MET]
    if not failed:
        return ""
    provider = plan.provider or "my internet service provider"
    account = f" (account {plan.account})" if plan.account else ""
    period = f"{when(since, zone)} to {when(until, zone)} ({zone.key})"
    lines = [
        f"I am filing a complaint about the broadband service {provider} provides me{account}. The broadband "
        "consumer label of my plan (47 CFR § 8.1(a)) states:"
    ]
    for check in checks:
        value = dict(check.figures).get("label")
        if value:
            lines.append(f"- {check.title.lower()}: {value}")
    lines.append(f"From {period} I measured with {len(tests)} speed test(s):")
    for check in checks:
        if check.verdict in (Verdict.MET, Verdict.NOT_MET):
            lines.append(f"- {check.title.lower()}: {check.explanation}")
    if outages:
        inside = (min(o.end if o.end is not None else until, until) - max(o.start, since) for o in outages)
        hours = sum(max(0.0, seconds) for seconds in inside) / 3600
        counted = f"{len(outages)} outage{'' if len(outages) == 1 else 's'}"
        lines.append(f"I also recorded {counted} on the provider's side, {hours:.1f} hours in total.")
    names = " and ".join(c.title.lower() for c in failed)
    lines.append(
        f"The measured {names} fall short of what the label states. I ask {provider} to deliver the "
        "service described on its label, or to adjust my plan or my bill accordingly. The measurements "
        "(times, servers and raw results) are available on request."
    )
    return "\n".join(lines)
