"""The report on paper (the HTML a PDF is laid out from) draws the same marks as the screen's, with fewer shapes:
the incidents of one cause on a day are one shape in their cause's colour under their cause's hatch, unmonitored
time and the loss bars one shape each, and no tooltip (paper has none). WeasyPrint styles and draws every SVG
element on its own, so a month's PDF took seconds more with one shape per mark. The screen keeps a shape per mark,
with its tooltip and its row in the incident table (data-ref)."""

from __future__ import annotations

import re

import pytest

from netwatch.core.model import Cause, Coverage, Kind, Period
from netwatch.core.text import iso_utc
from netwatch.report import view
from netwatch.report.compute import Report, compute
from netwatch.report.render import CAUSES
from tests.support.html import Node, parse, pictures_inline
from tests.support.reports import BUSINESS, html_of, sample_report

H = 26  # a timeline row's height in user units (_timeline.html.j2)


@pytest.fixture(scope="module")
def report() -> Report:
    return sample_report()


@pytest.fixture(scope="module")
def paper(report: Report) -> Node:
    return parse(pictures_inline(html_of(report, pdf=True)))


@pytest.fixture(scope="module")
def screen(report: Report) -> Node:
    return parse(html_of(report))


def rectangles(d: str) -> list[tuple[float, float, float, float]]:
    """The boxes of a path made of "M x y h w v h h -w z" rectangles."""
    found = re.findall(r"M(-?[\d.]+) (-?[\d.]+)h(-?[\d.]+)v(-?[\d.]+)h-?[\d.]+z", d)
    assert "".join(f"M{x} {y}h{w}v{h}h-{w}z" for x, y, w, h in found) == d
    return [(float(x), float(y), float(w), float(h)) for x, y, w, h in found]


def test_on_paper_the_marks_of_a_cause_are_one_shape_in_its_colour_and_hatch(paper: Node, report: Report) -> None:
    assert not paper.one("body").find("title") and not paper.find("pattern")  # the head keeps the document's title
    assert not paper.find("rect", class_="incident")
    rows = [n for n in paper.find(class_="tl-row") if "data-day" in n.attrs]
    drawn = 0
    for row, day in zip(rows, view.timeline(report, BUSINESS), strict=True):
        assert row.attrs["data-day"] == day.day.isoformat()
        for kind in Kind:
            for cause, boxes in day.hatched(kind.value, H):
                (shape,) = [
                    p for p in row.find("path", class_="incidents") if {kind.value, f"cause-{cause}"} <= set(p.classes)
                ]
                assert shape.attrs["fill"] == CAUSES[Cause(cause)].colour
                assert rectangles(shape.attrs["d"]) == list(boxes)
                assert bool(row.find("path", class_=f"hatch-{cause}")) == (
                    cause != "isp"
                )  # the access network is solid: darkest grey in print
                drawn += len(boxes)
    assert drawn == len(report.incidents)  # every incident of the sample falls on one day


def test_on_paper_the_loss_bars_and_the_gaps_are_one_shape_each(paper: Node, screen: Node) -> None:
    loss = paper.one("path", class_="loss")
    bars = screen.find("rect", class_="loss")
    assert rectangles(loss.attrs["d"]) == [
        (float(b.attrs["x"]), float(b.attrs["y"]), float(b.attrs["width"]), float(b.attrs["height"])) for b in bars
    ]
    friday = paper.one(data_day="2026-11-27")
    (gap,) = friday.find("path", class_="gap")
    ((x, _, w, h),) = rectangles(gap.attrs["d"])
    assert (x, w, h) == (pytest.approx(view.ROW_WIDTH / 24, abs=0.01), pytest.approx(view.ROW_WIDTH / 6, abs=0.01), H)
    assert friday.find("path", class_="hatch-gap")


def test_on_screen_every_mark_keeps_its_tooltip_and_its_row(screen: Node, report: Report) -> None:
    marks = screen.find("rect", class_="incident")
    assert len(marks) == len(report.incidents)
    assert all(m.one("title").all_text.startswith(f"#{m.attrs['data-ref'][1:]} ") for m in marks)


def test_the_gaps_are_listed_in_two_halves_numbered_on(report: Report) -> None:
    """Side by side as lists (not CSS columns, which WeasyPrint lays out several times over): each continues the
    one before's numbers, by its start (browsers) and its list-item counter (WeasyPrint)."""
    day = 86400.0
    since = report.period.since
    sessions = [Coverage(since + n * day, since + n * day + day - 600) for n in range(5)]  # 5 gaps of 10 minutes
    gapped = compute(Period(since, since + 5 * day), [], sessions, BUSINESS)
    assert len(gapped.gaps) == 5
    for doc in (parse(html_of(gapped, pdf=True)), parse(html_of(gapped))):
        first, second = doc.one(class_="gaps").find("ol")
        assert (first.attrs["start"], second.attrs["start"]) == ("1", "4")
        assert second.attrs["style"] == "counter-reset: list-item 3"
        listed = [li.attrs["data-start"] for ol in (first, second) for li in ol.find("li", class_="gap")]
        assert listed == [iso_utc(a) for a, _ in gapped.gaps]
    (single,) = parse(html_of(report, pdf=True)).one(class_="gaps").find("ol")  # no empty second list
    assert single.attrs["start"] == "1"
    # A long list (a year's) in blocks of 30, two lists of 15 each, so that a page shows whole rows of them.
    sessions = [Coverage(since + n * day, since + n * day + day - 600) for n in range(65)]
    many = compute(Period(since, since + 65 * day), [], sessions, BUSINESS)
    lists = parse(html_of(many, pdf=True)).one(class_="gaps").find("ol")
    assert [int(ol.attrs["start"]) for ol in lists] == [1, 16, 31, 46, 61, 64]
    assert [len(ol.find("li")) for ol in lists] == [15, 15, 15, 15, 3, 2]
