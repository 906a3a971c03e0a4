"""Outages minutes apart each stay visible on the day-by-day timeline (review 1, N6): every incident is drawn at
least ``MIN_MARK`` wide (4.5 minutes of a day), so three outages 1-2 minutes apart overlapped and the last one's
colour hid the others. Marks that would overlap are stacked in lanes of their band, in the report and on the
dashboard's Day page alike (both draw ``netwatch.report.view``'s rows)."""

from __future__ import annotations

import itertools

from netwatch.core.model import Cause, Coverage, Period
from netwatch.report import view
from netwatch.report.compute import compute
from tests.support.html import parse
from tests.support.incidents import degraded, outage_for
from tests.support.instants import DAY, H, local
from tests.support.reports import BUSINESS, html_of

DAY_START = local("2026-12-07T00:00")
CLOSE = [  # the reviewer's afternoon: an ISP outage, the router's own, a DNS one, 1-2 minutes apart
    outage_for(Cause.ISP, DAY_START + 15 * H + 38 * 60 + 7, 73),
    outage_for(Cause.LOCAL, DAY_START + 15 * H + 39 * 60 + 34, 36),
    outage_for(Cause.DNS, DAY_START + 15 * H + 40 * 60 + 22, 20),
]
ALONE = outage_for(Cause.UPSTREAM, DAY_START + 9 * H, 60)


def day_of(*incidents: object) -> view.DayRow:
    report = compute(Period(DAY_START, DAY_START + DAY), incidents, [Coverage(DAY_START, DAY_START + DAY)], BUSINESS)  # type: ignore[arg-type]
    (row,) = view.timeline(report, BUSINESS)
    return row


def test_outages_minutes_apart_are_stacked_each_in_its_own_lane() -> None:
    row = day_of(ALONE, *CLOSE)
    marks = {m.cause: m for m in row.marks}
    assert (marks["upstream"].lane, marks["upstream"].lanes) == (0, 1)  # alone: the whole band
    close = [marks[c] for c in ("isp", "local", "dns")]
    assert all(m.w >= view.MIN_MARK for m in close)
    assert [(m.lane, m.lanes) for m in close] == [(0, 3), (1, 3), (2, 3)]


def test_marks_of_one_lane_never_overlap() -> None:
    spaced = [outage_for(Cause.ISP, DAY_START + 10 * H + k * 200, 30) for k in range(6)]  # 3.3 minutes apart
    row = day_of(*spaced, degraded(DAY_START + 10 * H, DAY_START + 10.1 * H))
    outages = [m for m in row.marks if m.kind == "outage"]
    for lane in {m.lane for m in outages}:
        edges = sorted((m.x, m.x + m.w) for m in outages if m.lane == lane)
        assert all(end <= start for (_, end), (start, _) in itertools.pairwise(edges))
    assert max(m.lanes for m in outages) == 2  # each overlaps only the one before it: two lanes are enough
    assert [(m.lane, m.lanes) for m in row.marks if m.kind == "degraded"] == [(0, 1)]  # its own band, alone


def test_the_drawn_rows_keep_each_outage_in_sight() -> None:
    report = compute(
        Period(DAY_START, DAY_START + DAY), [ALONE, *CLOSE], [Coverage(DAY_START, DAY_START + DAY)], BUSINESS
    )
    page = parse(html_of(report))
    rects = {r.attrs["class"].split()[-1]: r for r in page.find("rect") if "incident" in r.attrs.get("class", "")}
    heights = {cause: float(r.attrs["height"]) for cause, r in rects.items()}
    tops = {cause: float(r.attrs["y"]) for cause, r in rects.items()}
    assert heights["cause-upstream"] == 22.0  # the whole outage band of a 26-unit row
    assert [heights[f"cause-{c}"] for c in ("isp", "local", "dns")] == [7.33, 7.33, 7.33]
    assert [tops[f"cause-{c}"] for c in ("isp", "local", "dns")] == [2.0, 9.33, 16.67]
