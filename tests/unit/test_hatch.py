"""Hatches: every cause but the access network (solid) and unmonitored time has a hatch of its own, told apart
without colour, whose lines stay inside the marks they hatch; and a set of boxes as one path."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from netwatch.core.model import Cause
from netwatch.report import hatch, view
from netwatch.report.render import CAUSES


def segments(d: str) -> list[tuple[float, ...]]:
    numbers = [float(n) for n in re.findall(r"-?[\d.]+(?:e-?\d+)?", d)]
    assert len(numbers) % 4 == 0 and d.count("M") == d.count("L") == len(numbers) // 4
    return [tuple(numbers[i : i + 4]) for i in range(0, len(numbers), 4)]


def test_every_cause_but_the_access_network_and_the_gaps_have_a_hatch_of_their_own() -> None:
    keys = {info.key for info in CAUSES.values()}
    assert set(hatch.HATCHES) == keys - {"isp"} | {"gap"}
    assert {c.value for c in view.CAUSES} == keys
    # What a greyscale print shows of a hatch: its lines' directions, spacing and dashes (not the colour).
    looks = {(h.lines, h.spacing, h.dash) for h in hatch.HATCHES.values()}
    assert len(looks) == len(hatch.HATCHES)
    assert hatch.path("isp", [(0, 0, 28, 13)]) == ""  # solid
    assert CAUSES[Cause.ISP].key == "isp"


boxes = st.tuples(
    st.floats(0, 950, allow_nan=False),
    st.floats(0, 20, allow_nan=False),
    st.floats(0.01, 300, allow_nan=False),
    st.floats(1.0, 24, allow_nan=False),
)


@given(key=st.sampled_from(sorted(hatch.HATCHES)), box=boxes)
def test_the_lines_of_a_hatch_stay_inside_their_box_and_every_box_gets_one(
    key: str, box: tuple[float, float, float, float]
) -> None:
    x, y, w, h = box
    lines = segments(hatch.path(key, [box]))
    # A mark narrower or thinner than the spacing still shows its hatch; one thinner than half the stroke is plain.
    assert bool(lines) == (min(w, h) >= hatch.HATCHES[key].width / 2)
    for x1, y1, x2, y2 in lines:
        for px, py in ((x1, y1), (x2, y2)):
            assert x - 0.01 <= px <= x + w + 0.01 and y - 0.01 <= py <= y + h + 0.01


def test_the_lines_of_a_cause_follow_its_directions() -> None:
    for key, expected in (("upstream", {"/"}), ("isp_or_upstream", {"/", "\\"}), ("local", {"|", "-"})):
        found = set()
        for x1, y1, x2, y2 in segments(hatch.path(key, [(0, 0, 60, 24)])):
            dx, dy = x2 - x1, y2 - y1
            found.add("|" if dx == 0 else "-" if dy == 0 else "/" if dx * dy < 0 else "\\")
        assert found == expected, key


def test_neighbouring_boxes_share_one_grid_of_lines() -> None:
    """Two marks side by side read as one hatched area: their diagonals meet at the shared edge."""
    left = segments(hatch.path("upstream", [(0, 0, 30, 24)]))
    right = segments(hatch.path("upstream", [(30, 0, 30, 24)]))
    on_edge = {round(y, 2) for _, _, x, y in left if x == 30 and 0 < y < 24}
    on_edge_too = {round(y, 2) for x, y, *_ in right if x == 30 and 0 < y < 24}
    assert on_edge and on_edge == on_edge_too


def test_boxes_as_one_path() -> None:
    assert hatch.outline([(1, 2, 3, 4), (10.005, 0, 2.5, 24)]) == "M1 2h3v4h-3zM10.01 0h2.5v24h-2.5z"
    assert hatch.outline([]) == ""


def test_a_gap_of_seconds_on_a_months_chart_is_left_plain_and_the_narrowest_mark_is_hatched() -> None:
    assert hatch.path("gap", [(100.0, 18.0, 0.07, 140.0)]) == ""  # 10 s of 30 days on 654 units
    assert hatch.path("gap", [(100.0, 18.0, 0.7, 140.0)])
    assert all(hatch.path(key, [(0.0, 22.0, view.MIN_MARK, 2.0)]) for key in hatch.HATCHES)  # a third of a band
