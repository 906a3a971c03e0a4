"""Marks drawn together as one SVG path: the hatching that tells the causes of incidents, and unmonitored time,
apart without colour (a greyscale print), and boxes of one colour.

Owns each cause's hatch (line directions, spacing, stroke) and its geometry: the hatch lines of a set of boxes,
clipped to them, as the data of one SVG path; and the outline of a set of boxes as one path. One path per cause
and picture is what a PDF renderer draws cheaply; an SVG ``<pattern>`` fill is drawn as a tiled picture of its own
for every shape that uses it (WeasyPrint spent a third of a month's PDF on them), and every SVG element is styled
and drawn on its own. Must not know colours of causes (``render.CAUSES``) or where boxes are (``view`` computes
them): it only turns boxes into lines.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Box = tuple[float, float, float, float]  # x, y, width, height in SVG user units


@dataclass(frozen=True)
class Hatch:
    """How one cause's marks are hatched: ``lines`` are directions ("/", "\\", "|", "-") drawn every ``spacing``
    units, stroked ``stroke`` at ``width`` and ``opacity``; ``dash`` (SVG stroke-dasharray) turns lines into dots."""

    key: str
    lines: tuple[str, ...]
    spacing: float
    stroke: str
    width: float
    opacity: float
    dash: str = "none"


# The access network is solid (the darkest grey in print); every other cause has a hatch of its own.
HATCHES: dict[str, Hatch] = {
    h.key: h
    for h in (
        Hatch("upstream", ("/",), 6.0, "#ffffff", 2.2, 0.6),
        Hatch("isp_or_upstream", ("/", "\\"), 6.0, "#ffffff", 1.6, 0.55),
        Hatch("dns", ("-",), 5.0, "#ffffff", 2.0, 0.75, "2 3"),
        Hatch("local", ("|", "-"), 6.0, "#ffffff", 1.6, 0.65),
        Hatch("unknown", ("-",), 5.0, "#ffffff", 1.6, 0.6),
        Hatch("gap", ("\\",), 5.0, "#8a939d", 1.4, 1.0),
    )
}


def _n(x: float) -> str:
    return f"{round(x, 2):g}"


Segment = tuple[float, float, float, float]


def _segments(direction: str, spacing: float, box: Box) -> list[Segment]:
    """The lines of one direction inside ``box``, on a grid shared by every box (neighbours' lines meet); a box
    too small to meet the grid (a mark narrower or thinner than the spacing) gets one line through its middle, so
    that no mark of a hatched cause looks solid."""
    x0, y0, w, h = box
    x1, y1 = x0 + w, y0 + h
    found = list(_grid(direction, spacing, box))
    if found:
        return found
    middle: dict[str, Segment] = {
        "|": (x0 + w / 2, y0, x0 + w / 2, y1),
        "-": (x0, y0 + h / 2, x1, y0 + h / 2),
        "/": (x0, y1, x1, y0),
        "\\": (x0, y0, x1, y1),
    }
    return [middle[direction]]


def _grid(direction: str, spacing: float, box: Box) -> Iterable[Segment]:
    x0, y0, w, h = box
    x1, y1 = x0 + w, y0 + h
    if direction == "|":
        for k in range(math.ceil(x0 / spacing), math.floor(x1 / spacing) + 1):
            if x0 < k * spacing < x1:
                yield k * spacing, y0, k * spacing, y1
    elif direction == "-":
        for k in range(math.floor(y0 / spacing), math.ceil(y1 / spacing) + 1):
            y = (k + 0.5) * spacing  # midway: a band as high as the spacing shows a line in its middle
            if y0 < y < y1:
                yield x0, y, x1, y
    elif direction == "/":  # x + y = c
        for k in range(math.ceil((x0 + y0) / spacing), math.floor((x1 + y1) / spacing) + 1):
            c = k * spacing
            lo, hi = max(x0, c - y1), min(x1, c - y0)
            if hi > lo:
                yield lo, c - lo, hi, c - hi
    else:  # "\": x - y = c
        for k in range(math.ceil((x0 - y1) / spacing), math.floor((x1 - y0) / spacing) + 1):
            c = k * spacing
            lo, hi = max(x0, y0 + c), min(x1, y1 + c)
            if hi > lo:
                yield lo, lo - c, hi, hi - c


def path(key: str, boxes: Iterable[Box]) -> str:
    """The SVG path data of ``key``'s hatch over ``boxes`` (each line clipped to its box); "" for a cause drawn
    solid or an unknown key. A box thinner than half the hatch's stroke (a gap of seconds on a month's chart) is
    left plain, as a pattern fill would leave it: its lines would be wider than the box itself."""
    hatch = HATCHES.get(key)
    if hatch is None:
        return ""
    parts = [
        f"M{_n(a)} {_n(b)}L{_n(c)} {_n(d)}"
        for box in boxes
        if min(box[2], box[3]) >= hatch.width / 2
        for direction in hatch.lines
        for a, b, c, d in _segments(direction, hatch.spacing, box)
    ]
    return "".join(parts)


def outline(boxes: Iterable[Box]) -> str:
    """The SVG path data of ``boxes`` (each a closed rectangle), to be filled and stroked as one shape."""
    return "".join(f"M{_n(x)} {_n(y)}h{_n(w)}v{_n(h)}h{_n(-w)}z" for x, y, w, h in boxes)
