"""uk-ofcom: Ofcom's voluntary codes of practice on broadband speeds: speed tests at the business peak and the
residential peak against the minimum guaranteed download speed, and the 30-day clock of the right to exit.

Owns which tests fall in a peak (local wall-clock time, so DST-correct) and the verdicts. The codes' right to exit
depends on the download minimum alone: a minimum upload speed, when given, is shown as information and never fails a
check. Must not price anything (its findings are checks, without money), read a clock or do I/O.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from netwatch.core.calendar import day_start, local_date
from netwatch.core.claims.loader import Pack
from netwatch.core.claims.model import Check, Verdict
from netwatch.core.model import Plan, SpeedResult, Ticket, TicketKind
from netwatch.core.text import when


def measured(speeds: Sequence[SpeedResult], since: float, until: float) -> list[SpeedResult]:
    """The successful tests of [since, until), in time order."""
    return sorted(
        (s for s in speeds if s.ok and s.download_mbps is not None and since <= s.at < until), key=lambda s: s.at
    )


def in_peak(result: SpeedResult, peak: tuple[int, int], zone: ZoneInfo) -> bool:
    local = datetime.fromtimestamp(result.at, zone)
    minute = local.hour * 60 + local.minute
    return peak[0] <= minute < peak[1]


NO_MINIMUM = "No minimum guaranteed download speed was given for this contract, so it was not checked."
MINIMUM_ADVICE = (
    "set [plan] minimum_download_mbps (the minimum guaranteed download speed your provider gave you) to check the "
    "speeds code"
)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _mbps(value: float) -> str:
    return f"{value:g} Mbit/s"


def peak_check(
    pack: Pack, label: str, peak: tuple[int, int], tests: Sequence[SpeedResult], plan: Plan, zone: ZoneInfo
) -> Check:
    section = pack.section("speeds")
    title = f"{label} peak {_clock(peak[0])}-{_clock(peak[1])}"
    chosen = [t for t in tests if in_peak(t, peak, zone)]
    minimum, minimum_up = plan.minimum_download_mbps, plan.minimum_upload_mbps
    figures: list[tuple[str, str]] = [("tests", str(len(chosen)))]
    if minimum <= 0:
        return Check(
            section["title"],
            pack.id,
            pack.source_of("speeds"),
            title,
            Verdict.NOT_STATED,
            tuple(figures),
            NO_MINIMUM,
            MINIMUM_ADVICE,
        )
    figures.append(("minimum guaranteed download", _mbps(minimum)))
    if not chosen:
        explanation = f"No speed test ran between {_clock(peak[0])} and {_clock(peak[1])} ({zone.key})."
        return Check(
            section["title"],
            pack.id,
            pack.source_of("speeds"),
            title,
            Verdict.NOT_ENOUGH_DATA,
            tuple(figures),
            explanation,
        )
    downs = [t.download_mbps for t in chosen if t.download_mbps is not None]
    median = statistics.median(downs)
    below = sum(1 for v in downs if v < minimum)
    figures += [("median download", _mbps(round(median, 3))), ("tests below the minimum", str(below))]
    failed = median < minimum
    parts = [
        f"{len(chosen)} test(s), median download {_mbps(round(median, 3))}, {below} below the minimum "
        f"guaranteed {_mbps(minimum)}"
    ]
    ups = [t.upload_mbps for t in chosen if t.upload_mbps is not None]
    if minimum_up > 0 and ups:
        median_up = statistics.median(ups)
        below_up = sum(1 for v in ups if v < minimum_up)
        figures += [
            ("minimum upload (information)", _mbps(minimum_up)),
            ("median upload", _mbps(round(median_up, 3))),
            ("tests below the upload minimum", str(below_up)),
        ]
        parts.append(
            f"median upload {_mbps(round(median_up, 3))}, {below_up} below {_mbps(minimum_up)} (information only: "
            "the code's right to exit depends on the download minimum)"
        )
    verdict = Verdict.NOT_MET if failed else Verdict.MET
    return Check(
        section["title"], pack.id, pack.source_of("speeds"), title, verdict, tuple(figures), "; ".join(parts) + "."
    )


def exit_check(
    pack: Pack, tests: Sequence[SpeedResult], tickets: Sequence[Ticket], plan: Plan, zone: ZoneInfo
) -> Check:
    section = pack.section("speeds")
    days = section["exit_after_days"]
    title = f"Right to exit: {days}-day clock"

    def check(verdict: Verdict, figures: list[tuple[str, str]], text: str, advice: str = "") -> Check:
        return Check(section["title"], pack.id, pack.source_of("speeds"), title, verdict, tuple(figures), text, advice)

    minimum = plan.minimum_download_mbps
    if minimum <= 0:
        return check(Verdict.NOT_STATED, [], NO_MINIMUM, MINIMUM_ADVICE)
    first_bad = next((t for t in tests if t.download_mbps is not None and t.download_mbps < minimum), None)
    if first_bad is None:
        return check(
            Verdict.MET,
            [("tests", str(len(tests)))],
            f"No test measured a download speed below the minimum guaranteed {_mbps(minimum)}.",
        )
    figures = [("first test below the minimum", when(first_bad.at, zone))]
    reported = sorted((t for t in tickets if t.kind in (TicketKind.FAULT, TicketKind.SPEED)), key=lambda t: t.reported)
    ticket = next((t for t in reported if t.reported >= first_bad.at), None)
    if ticket is None:
        return check(
            Verdict.NOT_ENOUGH_DATA,
            figures,
            f"A test measured {_mbps(first_bad.download_mbps or 0)} on "
            f"{when(first_bad.at, zone)}, below the minimum guaranteed {_mbps(minimum)}, but no ticket "
            f"was reported since: report the slow speed to start the code's {days}-day clock.",
        )
    clock_end = day_start(local_date(ticket.reported, zone) + timedelta(days=days + 1), zone)
    later = [t.download_mbps for t in tests if t.at >= clock_end and t.download_mbps is not None]
    figures += [
        ("clock started (ticket " + ticket.ref + ")", when(ticket.reported, zone)),
        (f"tests after {days} days", str(len(later))),
    ]
    if not later:
        return check(
            Verdict.NOT_ENOUGH_DATA,
            figures,
            f"The clock started with ticket {ticket.ref} on "
            f"{when(ticket.reported, zone)}; no test ran from {when(clock_end, zone)}, more than {days} "
            f"calendar days later, yet.",
        )
    median = statistics.median(later)
    figures.append((f"median download after {days} days", _mbps(round(median, 3))))
    if median < minimum:
        return check(
            Verdict.NOT_MET,
            figures,
            f"More than {days} calendar days after ticket {ticket.ref} "
            f"({when(ticket.reported, zone)}) the median download speed of {len(later)} test(s) is still "
            f"{_mbps(round(median, 3))}, below the minimum guaranteed {_mbps(minimum)}: under the code "
            "the owner may exit the contract (and bundled services) without penalty.",
        )
    return check(
        Verdict.MET,
        figures,
        f"After {days} calendar days the median download speed of {len(later)} "
        f"test(s) is {_mbps(round(median, 3))}, at or above the minimum guaranteed {_mbps(minimum)}.",
    )
