"""The area timeline as it is drawn: one row per household, where its monitored time and outages sit on the period.

Owns the rows' geometry (left and width in percent of the period, this household first, at most ``MAX_ROWS``). Must
not compute a figure (they come from ``netwatch.report.area``) or draw: the templates draw the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from netwatch.report.area import AreaFigures, clip

MAX_ROWS = 60  # households drawn on the timeline (this one first)


@dataclass(frozen=True)
class Row:
    """One household on the area timeline: (left %, width %) of its monitored stretches and of its outages."""

    household: str
    label: str
    mine: bool
    watched: tuple[tuple[float, float], ...]
    down: tuple[tuple[float, float], ...]
    outages: int


def timeline(area: AreaFigures) -> list[Row]:
    lo, hi = area.period.since, area.period.until
    width = hi - lo
    if width <= 0:
        return []

    def place(pieces: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
        return tuple(
            (round(100 * (a - lo) / width, 3), round(100 * (b - a) / width, 3)) for a, b in clip(pieces, lo, hi)
        )

    return [
        Row(h.household, h.label, h.mine, place(h.monitored), place(h.down), len(h.outages))
        for h in area.households[:MAX_ROWS]
    ]
