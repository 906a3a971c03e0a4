"""What a document says first when netwatch was not running for part of its period.

Owns that one phrase ("netwatch was not running for 12.1% of the period (3d 14h 20m 16s in 3 gaps)"), which the
report, the letter, the evidence bundle and the command line all begin with, and its share: rounded to a tenth
but never to 0% or 100% when some time was, or was not, monitored. Must not compute coverage (``compute`` does).
Pure.
"""

from __future__ import annotations

from netwatch.core.text import duration
from netwatch.report.compute import Report


def share(unmonitored: float, whole: float) -> str:
    """``unmonitored`` seconds of ``whole`` as a percentage to a tenth: "12.1%", "less than 0.1%", "more than
    99.9%", "100%"."""
    if whole <= 0 or unmonitored >= whole:
        return "100%"
    value = 100.0 * unmonitored / whole
    if value < 0.05:
        return "less than 0.1%"
    if value >= 99.95:
        return "more than 99.9%"
    return f"{value:.1f}%"


def not_running(report: Report) -> str:
    """The phrase for ``report``'s period; "" when netwatch ran throughout it."""
    gone, whole = report.unmonitored_seconds, report.period.seconds
    if gone <= 0:
        return ""
    if report.monitored_seconds <= 0:
        return f"netwatch was not running for 100% of the period ({duration(whole)})"
    gaps = len(report.gaps)
    return (
        f"netwatch was not running for {share(gone, whole)} of the period ({duration(gone)} in {gaps} "
        f"gap{'' if gaps == 1 else 's'})"
    )
