"""Rendering: the HTML report parsed and checked for structure and numbers, the Markdown letter, template errors.

The HTML is never compared as text: it is parsed (html.parser) into a small tree, and the figures are read from
the data-* attributes and the SVG geometry, then compared with the Report's own numbers.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from netwatch.adapters.probes.speed.result import failure
from netwatch.config.records import ClaimsConfig, CostConfig, OwnerConfig, PlanConfig
from netwatch.core.model import Cause, Coverage, Period, SeriesPoint
from netwatch.core.schedule import BusinessHours
from netwatch.core.text import duration, iso_utc, mbps, money, percent, period_text
from netwatch.errors import ReportError
from netwatch.report import speedview, view
from netwatch.report.compute import Report, compute
from netwatch.report.escape import md_escape
from netwatch.report.render import CAUSES, builtin_templates, render
from tests.support.html import Node, parse
from tests.support.incidents import outage_for
from tests.support.instants import DAY, LONDON, local, ts
from tests.support.reports import BUSINESS, MON, OWNER, PLAN, TARGETS, html_of, letter_of, sample_report, table_rows
from tests.support.speeds import speed_ok

NO_OWNER = OwnerConfig("", "", "", "", "")
NO_PLAN = PlanConfig("", "", 0.0, 99.9, 0.0, 0.0, 50.0)


@pytest.fixture(scope="module")
def report() -> Report:
    return sample_report()


@pytest.fixture(scope="module")
def doc(report: Report) -> Node:
    return parse(html_of(report))


# --- filters -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (0.4, "0s"), (45, "45s"), (123, "2m 03s"), (3723, "1h 02m 03s"), (90061, "1d 01h 01m 01s")],
)
def test_durations(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_percent_is_truncated_never_rounded_up() -> None:
    assert percent(99.99996) == "99.999%"
    assert percent(99.9) == "99.900%"
    assert percent(100.0) == "100.000%"
    assert percent(None) == "—"


def test_money_with_and_without_a_symbol() -> None:
    assert money(1234.5, "GBP") == "£1,234.50"
    assert money(3.0, "CHF") == "3.00 CHF"
    assert money(None, "GBP") == "—"


def test_period_text_names_the_last_whole_day() -> None:
    assert (
        period_text(local("2026-11-01T00:00"), local("2026-12-01T00:00"), LONDON)
        == "1 November 2026 to 30 November 2026"
    )
    assert period_text(local("2026-11-23T00:00"), local("2026-11-24T00:00"), LONDON) == "23 November 2026"
    assert period_text(local("2026-07-01T08:30"), local("2026-07-02T10:00"), LONDON) == (
        "1 July 2026 08:30 BST to 2 July 2026 10:00 BST"
    )


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("Smith & Sons", "Smith \\& Sons"),
        ("*bold* _it_ `code`", "\\*bold\\* \\_it\\_ \\`code\\`"),
        ("[link](http://x)", "\\[link\\](http://x)"),
        ("<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"),
        ("a | b", "a \\| b"),
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        (" - item", " \\- item"),
        ("1. first", "1\\. first"),
        ("99.9%", "99.9%"),
        ("two\nlines\r\n  here", "two lines here"),
    ],
)
def test_markdown_escaping(raw: str, escaped: str) -> None:
    assert str(md_escape(raw)) == escaped


def test_builtin_templates_are_found_in_the_checkout() -> None:
    found = builtin_templates()
    assert found == Path(__file__).resolve().parents[2] / "templates"
    assert {"report.html.j2", "letter.md.j2"} <= {p.name for p in found.iterdir()}


# --- the HTML report -----------------------------------------------------------------------------------------


def day_rows(doc: Node) -> list[Node]:
    return [n for n in doc.find(class_="tl-row") if "data-day" in n.attrs]


def metric(doc: Node, name: str) -> float | None:
    node = doc.one(data_metric=name)
    return float(node.attrs["data-value"]) if node.attrs["data-value"] else None


def test_summary_numbers_are_the_reports(doc: Node, report: Report) -> None:
    expected = {
        "availability_percent": report.availability_percent,
        "outage_count": len(report.outages),
        "downtime_seconds": report.downtime_seconds,
        "business_downtime_seconds": report.business_downtime_seconds,
        "longest_outage_seconds": report.longest_outage_seconds,
        "median_outage_seconds": report.median_outage_seconds,
        "mtbf_seconds": report.mtbf_seconds,
        "mttr_seconds": report.mttr_seconds,
        "degraded_seconds": report.degraded_seconds,
        "unmonitored_seconds": report.unmonitored_seconds,
        "monitored_seconds": report.monitored_seconds,
        "business_downtime_cost": report.money.business_downtime_cost,
        "credit": report.money.credit,
        "isp_availability_percent": report.money.isp_availability_percent,
        "gap_count": len(report.gaps),
    }
    for name, value in expected.items():
        assert value is not None
        assert metric(doc, name) == pytest.approx(value, abs=1e-9), name
    cards = doc.find(class_="card")
    for card in cards:  # the shown text is the formatted value
        if card.attrs["data-metric"].endswith("_seconds"):
            shown = card.one(class_="value").all_text
            assert shown == duration(float(card.attrs["data-value"]))
    # isp and local appear both as cards and as subtotals of the by-cause table, with the same value
    for name, value in (
        ("isp_attributable_seconds", report.isp_attributable_seconds),
        ("local_seconds", report.local_seconds),
    ):
        assert [float(n.attrs["data-value"]) for n in doc.find(data_metric=name)] == [value, value]
    assert report.downtime_seconds == 3600 + 600 + 45 + 1800 + 20


def test_period_and_title(doc: Node, report: Report) -> None:
    assert doc.one("h1").all_text == "Internet outage report"
    head = doc.one(class_="period")
    assert head.attrs["data-since"] == iso_utc(report.period.since)
    assert head.attrs["data-until"] == iso_utc(report.period.until)
    assert "2026-11-23 00:00 GMT" in head.all_text and "Europe/London" in head.all_text


def test_one_row_per_incident_with_its_cause_and_figures(doc: Node, report: Report) -> None:
    rows = doc.find("tr", class_="incident")
    assert len(rows) == len(report.incidents) == 6
    for number, (row, f) in enumerate(zip(rows, report.incidents, strict=True), 1):
        cause = f.incident.cause
        assert row.attrs["id"] == f"i{number}"
        assert row.attrs["data-kind"] == f.incident.kind.value
        assert row.attrs["data-cause"] == cause.value
        assert f"cause-{cause.value}" in row.classes
        dot = row.one("span", **{"class": "dot"})
        assert dot.attrs["style"] == f"background-color: {CAUSES[cause].colour}"  # the colour, beside the label
        assert CAUSES[cause].label in row.all_text
        assert row.attrs["data-start"] == iso_utc(f.start)
        assert row.attrs["data-end"] == iso_utc(f.end)
        assert float(row.attrs["data-seconds"]) == f.seconds
        assert float(row.attrs["data-business-seconds"]) == f.business_seconds
        assert duration(f.seconds) in row.all_text
    first = rows[0].all_text  # local time, and the evidence
    assert "09:30:00 GMT" in first and "10:30:00 GMT" in first
    assert "3600 rounds of probes failed, the fault in each: ISP access network" in first
    assert "Our router answered 60 of 60 probes" in first


def test_every_cause_has_its_own_colour_and_pattern() -> None:
    colours = [info.colour for info in CAUSES.values()]
    assert len(set(colours)) == len(colours) == len(Cause)


def hatch_lines(path: Node) -> list[tuple[float, float, float, float]]:
    """The segments of a hatch path ("M x y L x y" each)."""
    numbers = [float(n) for n in re.findall(r"-?[\d.]+", path.attrs["d"])]
    return [tuple(numbers[i : i + 4]) for i in range(0, len(numbers), 4)]  # type: ignore[misc]


def test_timeline_draws_every_incident_in_its_cause_colour_and_hatch(doc: Node, report: Report) -> None:
    rows = day_rows(doc)
    assert [r.attrs["data-day"] for r in rows] == [f"2026-11-{d}" for d in range(23, 30)]
    marks = [m for row in rows for m in row.find("rect", class_="incident")]
    assert sorted(m.attrs["data-ref"] for m in marks) == sorted(f"i{n}" for n in range(1, 7))
    assert not doc.find("pattern")  # hatches are paths: WeasyPrint draws a pattern fill per shape, slowly
    for row in rows:
        svg = row.one("svg")
        hatches = {c[len("hatch-") :]: p for p in svg.find("path", class_="hatch") for c in p.classes if c != "hatch"}
        for mark in svg.find("rect", class_="incident"):
            cause = next(c[len("cause-") :] for c in mark.classes if c.startswith("cause-"))
            assert mark.attrs["fill"] == CAUSES[Cause(cause)].colour
            if cause == "isp":  # solid: the darkest grey in print; the others are hatched over their colour
                assert "isp" not in hatches
                continue
            x, y, w, h = (float(mark.attrs[a]) for a in ("x", "y", "width", "height"))
            inside = [
                line
                for line in hatch_lines(hatches[cause])
                if all(
                    x - 0.01 <= px <= x + w + 0.01 and y - 0.01 <= py <= y + h + 0.01 for px, py in (line[:2], line[2:])
                )
            ]
            assert inside, (cause, mark.attrs)  # at least one line of its cause's hatch crosses the mark
    outage_day = rows[0]
    assert float(outage_day.attrs["data-downtime"]) == 3600 + 600
    legend = doc.one(class_="legend")
    assert [n.attrs["class"] for n in legend.children[:5]] == [
        f"cause-{c}" for c in ("isp", "upstream", "dns", "local", "unknown")
    ]


def test_unmonitored_gaps_are_drawn_listed_and_not_counted_as_uptime(doc: Node, report: Report) -> None:
    (gap,) = report.gaps
    assert gap[1] - gap[0] == 4 * 3600
    assert report.monitored_seconds == 7 * DAY - 4 * 3600
    assert metric(doc, "availability_percent") == pytest.approx(
        100 * (report.monitored_seconds - report.downtime_seconds) / report.monitored_seconds
    )
    listed = doc.find("li", class_="gap")
    assert [(n.attrs["data-start"], n.attrs["data-end"]) for n in listed] == [(iso_utc(gap[0]), iso_utc(gap[1]))]
    friday = doc.one(data_day="2026-11-27")
    (hatched,) = friday.find("rect", class_="gap")
    assert float(hatched.attrs["x"]) == pytest.approx(view.ROW_WIDTH / 24, abs=0.01)
    assert float(hatched.attrs["width"]) == pytest.approx(view.ROW_WIDTH * 4 / 24, abs=0.01)
    (hatch,) = friday.find("path", class_="hatch-gap")
    assert hatch_lines(hatch) and all(  # hatched: its lines, all inside the gap
        float(hatched.attrs["x"]) - 0.01 <= px <= float(hatched.attrs["x"]) + float(hatched.attrs["width"]) + 0.01
        for line in hatch_lines(hatch)
        for px in (line[0], line[2])
    )
    assert doc.one("figure", class_="coverage-strip").find("rect", class_="gap")
    assert "1 ended without a clean shutdown" in doc.one(data_metric="monitored_seconds").all_text


def test_business_hours_are_shaded(doc: Node) -> None:
    monday = doc.one(data_day="2026-11-23")
    (shade,) = monday.find("rect", class_="business")
    assert float(shade.attrs["x"]) == pytest.approx(view.ROW_WIDTH * 9 / 24, abs=0.01)
    assert float(shade.attrs["width"]) == pytest.approx(view.ROW_WIDTH * 8.5 / 24, abs=0.01)
    assert not doc.one(data_day="2026-11-28").find("rect", class_="business")  # Saturday


def test_daily_downtime_bars_and_latency_chart(doc: Node, report: Report) -> None:
    bars = doc.one("figure", data_chart="downtime")
    assert bars.attrs["data-unit"] == "day" and int(bars.attrs["data-bars"]) == 7
    downs = bars.find("rect", class_="down")
    assert len(downs) == 4  # Monday to Thursday had outages
    heights = [float(r.attrs["height"]) for r in downs]
    day_downtime = [b.downtime_seconds for b in report.days if b.downtime_seconds]
    scale = heights[0] / day_downtime[0]  # one scale: heights proportional to the downtime (to 0.01 units)
    assert heights == [pytest.approx(d * scale, abs=0.02) for d in day_downtime]
    assert [t.all_text for t in bars.find("text")][:6] == ["0", "15m", "30m", "45m", "1h", "1h 15m"]  # 1h 10m on Monday
    chart = doc.one("figure", data_chart="latency")
    assert int(chart.attrs["data-points"]) == len(report.series)
    lines = chart.find("polyline", class_="rtt")
    assert len(lines) == 2  # broken at the gap
    assert sum(len(line.attrs["points"].split()) for line in lines) == len(report.series)
    assert "ms" in chart.all_text and "%" in chart.all_text


def test_by_cause_table(doc: Node, report: Report) -> None:
    rows = [n for n in doc.one("table", class_="by-cause").find("tr") if "data-cause" in n.attrs]
    got = {r.attrs["data-cause"]: (int(r.attrs["data-count"]), float(r.attrs["data-seconds"])) for r in rows}
    assert got == {c.cause.value: (c.count, c.seconds) for c in report.by_cause}
    assert got["isp"] == (1, 3600.0) and got["upstream"] == (1, 600.0)


def test_method_states_the_rules_and_targets(doc: Node) -> None:
    method = doc.one("section", id="method")
    assert method.one(data_method="interval").attrs["data-value"] == "1.0"
    assert method.one(data_method="confirm").attrs["data-value"] == "3"
    assert "3 consecutive rounds" in method.all_text
    assert "above 5% or a median round-trip time above 250 ms" in method.all_text
    roles = [(r.attrs["data-role"], r.find("td")[1].all_text) for r in method.find("tr") if "data-role" in r.attrs]
    assert roles == [(t.role.value, t.address) for t in TARGETS]
    assert "monotonic clock" in method.one(data_method="clock").all_text
    for info in CAUSES.values():
        assert info.rule in method.all_text


def test_no_external_references(doc: Node) -> None:
    html = html_of(sample_report())
    assert not doc.find("script") and not doc.find("link") and not doc.find("img") and not doc.find("iframe")
    for node in doc.walk():
        for name, value in node.attrs.items():
            if name in ("src", "href", "xlink:href", "action", "data", "poster"):
                pytest.fail(f"<{node.tag} {name}={value!r}>")
            for target in re.findall(r"url\(\s*['\"]?([^)'\"]*)", value):
                assert target.startswith("#"), f"<{node.tag} {name}={value!r}>"
    css = " ".join(" ".join(n.text) for n in doc.find("style"))
    assert "@import" not in css and "@font-face" not in css
    assert all(t.startswith("#") for t in re.findall(r"url\(\s*['\"]?([^)'\"]*)", css))
    assert "http://" not in html and "https://" not in html and "//" not in re.sub(r"<!--.*?-->", "", html)


def test_markup_from_configuration_or_probes_is_escaped() -> None:
    evil = "<script>alert(1)</script>"
    report = sample_report(detail=f"answered {evil}")
    html = html_of(
        report,
        owner=replace(OWNER, business="<b>Acme</b>"),
        plan=replace(PLAN, provider=evil, account='"><img src=x>'),
        title=f"Report </style>{evil}",
    )
    doc = parse(html)
    assert not doc.find("script") and not doc.find("img") and not doc.find("b")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f"Answered {evil}" in doc.one("tr", id="i1").all_text  # shown literally
    assert evil in doc.one("h1").all_text
    assert "<b>Acme</b>" in doc.one(class_="parties").all_text
    style = " ".join(doc.one("style").text)
    assert "</style>" not in style and "\\3c /style\\3e " in style  # the page footer's CSS string


def test_a_dst_day_is_23_or_25_hours_long() -> None:
    spring = BusinessHours.from_config({"timezone": "Europe/London", "week": {"sun": "00:00-24:00"}})
    since, until = local("2026-03-28T00:00"), local("2026-03-30T00:00")
    # 01:00 GMT -> 02:00 BST on 29 March; an outage from 03:00 to 04:00 BST is 2 h to 3 h after midnight.
    spring_outage = outage_for(Cause.ISP, local("2026-03-29T03:00"), 3600)
    rep = compute(Period(since, until), [spring_outage], [Coverage(since, until)], spring)
    doc = parse(html_of(rep, business=spring))
    day = doc.one(data_day="2026-03-29")
    assert day.attrs["data-hours"] == "23.0"
    assert "23 h" in day.one(class_="tl-day").all_text
    (mark,) = day.find("rect", class_="incident")
    assert float(mark.attrs["x"]) == pytest.approx(view.ROW_WIDTH * 2 / 23, abs=0.01)
    assert float(mark.attrs["width"]) == pytest.approx(view.ROW_WIDTH / 23, abs=0.01)
    (shade,) = day.find("rect", class_="business")
    assert float(shade.attrs["width"]) == pytest.approx(view.ROW_WIDTH, abs=0.01)  # 00:00-24:00 is 23 h
    assert doc.one(data_day="2026-03-28").attrs["data-hours"] == "24.0"

    autumn_since, autumn_until = local("2026-10-25T00:00"), local("2026-10-26T00:00")
    assert autumn_until - autumn_since == 25 * 3600
    noon = ts("2026-10-25T12:00")  # 12:00 GMT: 13 h after midnight BST
    rep = compute(
        Period(autumn_since, autumn_until),
        [outage_for(Cause.LOCAL, noon, 600)],
        [Coverage(autumn_since, autumn_until)],
        BUSINESS,
    )
    (row,) = view.timeline(rep, BUSINESS)
    assert row.hours == 25
    assert row.marks[0].x == pytest.approx(view.ROW_WIDTH * 13 / 25, abs=0.01)
    assert row.ticks[1] == pytest.approx(view.ROW_WIDTH * 4 / 25, abs=0.01)  # 03:00 GMT: 01:00-02:00 came twice
    day = parse(html_of(rep)).one(data_day="2026-10-25")
    assert day.attrs["data-hours"] == "25.0" and "25 h" in day.all_text


def test_long_periods_get_week_and_month_summaries_instead_of_a_daily_timeline() -> None:
    since, until = local("2026-01-01T00:00"), local("2026-07-01T00:00")
    rep = compute(
        Period(since, until),
        [outage_for(Cause.ISP, local("2026-03-03T10:00"), 900)],
        [Coverage(since, until)],
        BUSINESS,
    )
    doc = parse(html_of(rep))
    assert not day_rows(doc)
    assert doc.one(data_timeline_omitted="181").all_text.startswith("The period spans 181 days")
    bars = doc.one("figure", data_chart="downtime")
    assert bars.attrs["data-unit"] == "week" and int(bars.attrs["data-bars"]) == len(rep.weeks)
    assert len(doc.one("table", class_="buckets").find("tr")) == len(rep.weeks) + 1

    since = local("2024-01-01T00:00")
    rep = compute(Period(since, until), [], [Coverage(since, until)], BUSINESS)
    bars = parse(html_of(rep)).one("figure", data_chart="downtime")
    assert bars.attrs["data-unit"] == "month" and int(bars.attrs["data-bars"]) == 30


def test_an_empty_period_still_renders() -> None:
    rep = compute(Period(MON, MON + DAY), [], [], BUSINESS)
    doc = parse(html_of(rep, owner=NO_OWNER, plan=NO_PLAN))
    assert doc.one(data_metric="availability_percent").attrs["data-value"] == ""
    assert metric(doc, "outage_count") == 0
    assert "No incident was recorded" in doc.one("section", id="incidents").all_text
    assert "No latency or loss data" in doc.one("section", id="latency").all_text
    assert "not recorded" in doc.one("section", id="method").all_text
    assert not doc.find(data_metric="credit")


# --- templates: overrides and errors -------------------------------------------------------------------------


def test_a_user_template_overrides_a_builtin_one(tmp_path: Path, report: Report) -> None:
    (tmp_path / "_head.html.j2").write_text("<header id='mine'>{{ owner.business }} for {{ plan.provider }}</header>\n")
    doc = parse(html_of(report, templates=tmp_path))
    assert doc.one("header", id="mine").all_text == "Smith Design for Example Broadband"
    assert not doc.find("h1")
    assert doc.find("section", id="summary")  # the other parts are still the built-in ones

    (tmp_path / "letter.md.j2").write_text("Dear {{ letter.provider }}: {{ outages | length }} outages\n")
    # In the letter, `outages` are those it complains about: the local one (the owner's router) is not.
    assert letter_of(report, templates=tmp_path).text == "Dear Example Broadband: 4 outages\n"
    # A text file ends with exactly one line feed, whatever the template ends with.
    for ending in ("", "\n\n\n", "  \n\n"):
        (tmp_path / "letter.md.j2").write_text(f"Dear {{{{ letter.provider }}}}{ending}")
        assert letter_of(report, templates=tmp_path).text == "Dear Example Broadband\n"


def test_a_syntax_error_names_the_file_line_and_fix(tmp_path: Path, report: Report) -> None:
    (tmp_path / "report.html.j2").write_text("<p>ok</p>\n{% if %}\n")
    with pytest.raises(ReportError) as caught:
        html_of(report, templates=tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}/report.html.j2, line 2: Expected an expression, got 'end of statement block'; "
        f"fix the template, or remove it from {tmp_path} to use the built-in one"
    )


def test_an_unknown_name_names_the_file_line_and_fix(tmp_path: Path, report: Report) -> None:
    (tmp_path / "_summary.html.j2").write_text("<p>\n{{ report.availability }}\n</p>\n")
    with pytest.raises(ReportError) as caught:
        html_of(report, templates=tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}/_summary.html.j2, line 2: 'netwatch.report.compute.Report object' has no attribute "
        f"'availability'; fix the template, or remove it from {tmp_path} to use the built-in one"
    )


def test_a_missing_include_and_a_runtime_error(tmp_path: Path, report: Report) -> None:
    (tmp_path / "letter.md.j2").write_text("Hello\n{% include '_footer.md.j2' %}\n")
    with pytest.raises(ReportError) as caught:
        letter_of(report, templates=tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}/letter.md.j2, line 2: template _footer.md.j2 not found in {tmp_path} or the built-in "
        "templates; create it or correct the name"
    )
    (tmp_path / "letter.md.j2").write_text("{{ outages | length // 0 }}\n")
    with pytest.raises(ReportError) as caught:
        letter_of(report, templates=tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}/letter.md.j2, line 1: ZeroDivisionError: integer division or modulo by zero; "
        f"fix the template, or remove it from {tmp_path} to use the built-in one"
    )


def test_a_missing_template_directory_and_an_unknown_format(tmp_path: Path, report: Report) -> None:
    with pytest.raises(ReportError) as caught:
        html_of(report, templates=tmp_path / "nope")
    assert str(caught.value) == (
        f"report.templates: {tmp_path}/nope is not a directory; set [report] templates to a directory of "
        "templates, or remove it to use the built-in ones"
    )
    with pytest.raises(ReportError) as caught:
        render(report, "docx", business=BUSINESS, owner=OWNER, plan=PLAN, title="t", templates=None, generated_at=0)
    assert str(caught.value) == 'unknown report format "docx"; use one of: html, md'


# --- the letter ----------------------------------------------------------------------------------------------


def test_the_letter_lists_every_outage_but_the_owners_own(report: Report) -> None:
    letter = letter_of(report)
    assert letter.warnings == ()
    rows = table_rows(letter.text, "## Outages")
    listed = [f for f in report.outages if f.incident.cause is not Cause.LOCAL]
    assert len(rows) == len(listed) == len(report.outages) - 1 == 4
    for number, (row, f) in enumerate(zip(rows, listed, strict=True), 1):
        # One date style in the letter, the one its rules' explanations use: "Mon 23 Nov 2026 09:30:00 GMT".
        start, end = (datetime.fromtimestamp(at, LONDON) for at in (f.start, f.end))
        start, end = (f"{t:%a} {t.day} {t:%b %Y %H:%M:%S %Z}" for t in (start, end))
        assert row == [
            str(number),
            start,
            end,
            duration(f.seconds),
            duration(f.business_seconds),
            CAUSES[f.incident.cause].label,
        ]
    text = letter.text
    assert "Smith Design  \nJane Smith  \n12 Mill Lane  \nAmbridge AB1 2CD  \njane@example.org  \n01632 960000" in text
    assert "\n30 November 2026\n" in text  # the date it was generated, local
    assert "Account number: EB-4471" in text
    assert "**Subject: loss of internet service, 23 November 2026 to 29 November 2026, account EB-4471**" in text
    totals = dict(table_rows(text, "## Totals"))
    assert totals["Outages"] == "4"
    assert totals["Total downtime"] == duration(sum(f.seconds for f in listed))
    assert totals["Downtime in business hours"] == duration(sum(f.business_seconds for f in listed))
    assert totals["Availability over the monitored time"] == percent(report.availability_percent)
    excluding = "Availability excluding faults on our premises (their time counted as your uptime)"
    assert totals[excluding] == percent(report.money.isp_availability_percent)
    assert totals["Contracted availability"] == "99.9%"
    # The week's pro-rata credit is below the default minimum of 1.00: nothing is asked, and the letter says why.
    assert report.money.credit == 0.10
    assert "The pro-rata credit for this period comes to £0.10, less than £1.00, so I am not asking for it.\n" in text
    assert "pro-rata share of the monthly fee" not in text and report.money.credit_basis not in text
    # Decided before rounding: the credit shows as £0.10 but is a little less, so the minimum is set below it.
    asked = letter_of(report, claims=ClaimsConfig(minimum_request=0.05)).text
    assert (
        "I ask for a pro-rata share of the monthly fee for the time your network was down: **£0.10**. This is my "
        "request, not a term of our contract or a rule."
    ) in asked
    assert report.money.credit_basis.replace("_", "\\_") in asked  # Markdown: isp\_or\_upstream
    # The cost stated to the provider is of the outages the letter lists: the router's 45 s are not in it.
    cost = sum(f.business_seconds for f in listed) / 3600 * 85.0
    assert report.money.business_downtime_cost == round(cost + 45 / 3600 * 85.0, 2)
    assert (
        f"At my estimate of £85.00 an hour of lost work, the downtime in business hours listed above comes to about "
        f"{money(round(cost, 2), 'GBP')}."
    ) in text
    assert "For the remaining 4h 00m 00s the monitor was not running (1 gap)" in text
    assert "3 consecutive rounds" in text


def test_the_letter_never_truncates() -> None:
    since = local("2026-11-02T00:00")
    many = [outage_for(Cause.ISP, since + i * 3000, 60) for i in range(400)]
    rep = compute(Period(since, since + 30 * DAY), many, [Coverage(since, since + 30 * DAY)], BUSINESS)
    rows = table_rows(letter_of(rep).text, "## Outages")
    assert [row[0] for row in rows] == [str(n) for n in range(1, 401)]


def test_missing_details_are_placeholders_and_warnings() -> None:
    rep = compute(
        Period(MON, MON + DAY),
        [outage_for(Cause.ISP, MON + 10 * 3600, 600)],
        [Coverage(MON, MON + DAY)],
        BUSINESS,
        plan=NO_PLAN,
    )
    letter = letter_of(rep, owner=NO_OWNER, plan=replace(NO_PLAN, contracted_availability=0.0))
    assert letter.warnings == (
        "owner.business is not set: the letter shows [your business name]; set it in [owner]",
        "owner.name is not set: the letter shows [your name]; set it in [owner]",
        "owner.address is not set: the letter shows [your postal address]; set it in [owner]",
        "owner.email is not set: the letter shows [your e-mail address]; set it in [owner]",
        "owner.phone is not set: the letter shows [your phone number]; set it in [owner]",
        "plan.provider is not set: the letter shows [your provider]; set it in [plan]",
        "plan.account is not set: the letter shows [your account number]; set it in [plan]",
        "plan.monthly_fee is not set: the letter shows [your monthly fee]; set it in [plan]",
        "plan.contracted_availability is not set: the letter shows [the contracted availability]; set it in [plan]",
        "cost.hourly is not set: the letter shows [hourly cost]; set it in [cost]",
        "no credit could be computed: the letter shows [credit requested]; set plan.monthly_fee and "
        "plan.contracted_availability in [plan]",
    )
    for placeholder in (
        "[your business name]",
        "[your name]",
        "[your postal address]",
        "[your e-mail address]",
        "[your phone number]",
        "To: [your provider]",
        "Account number: [your account number]",
        "[your monthly fee]",
        "[the contracted availability]",
        "At my estimate of [hourly cost] an hour",
        "**[credit requested]**",
    ):
        assert placeholder in letter.text, placeholder


def test_no_outage_is_a_warning() -> None:
    rep = compute(
        Period(MON, MON + DAY), [], [Coverage(MON, MON + DAY)], BUSINESS, cost=CostConfig(85.0, "GBP"), plan=PLAN
    )
    letter = letter_of(rep)
    assert letter.warnings == ("no outage was recorded in the period: the letter has no incident to complain about",)
    assert "No outage of your service was recorded in the period." in letter.text


def test_the_letter_escapes_markdown_in_details_and_evidence() -> None:
    rep = sample_report()
    letter = letter_of(
        rep,
        owner=replace(OWNER, business="*Best* [Ltd](http://x) | <b>", name="# Jane"),
        plan=replace(PLAN, provider="Broad_band & Co", account="1. 2"),
    )
    text = letter.text
    assert "\\*Best\\* \\[Ltd\\](http://x) \\| \\<b\\>  \n\\# Jane  \n" in text
    assert "To: Broad\\_band \\& Co  \nAccount number: 1\\. 2\n" in text
    assert "<b>" not in text.replace("\\<b\\>", "")


def test_a_dense_series_is_merged_to_a_bounded_chart() -> None:
    since = local("2026-11-02T00:00")
    series = [SeriesPoint(since + i * 60.0, 60.0, 180, i % 2, 10.0 + i % 2, 30.0 + i % 7) for i in range(3000)]
    rep = compute(Period(since, since + 3000 * 60), [], [Coverage(since, since + 3000 * 60)], BUSINESS, series=series)
    chart = view.latency_chart(rep)
    assert chart.points == 1000  # 3 points each
    assert len(chart.rtt_lines) == 1 and len(chart.rtt_lines[0].split()) == 1000
    assert len(chart.loss_bars) == 1000  # every merged point lost 1 or 2 of 540 probes
    assert {b.title for b in chart.loss_bars} <= {"0.2% loss", "0.4% loss"}
    assert [t.label for t in chart.x_ticks] == ["02 Nov", "03 Nov", "04 Nov"]


# --- the speed section and the letter's speed paragraph ------------------------------------------------------


# The plan is 80/20 Mbit/s with the slow threshold at 50 %: fine in the mornings, poor in the evenings.
SPEEDS = (
    [speed_ok(MON + d * DAY + 10 * 3600, 72.0 + d, 19.0) for d in range(5)]  # 10:00, business hours
    + [speed_ok(MON + d * DAY + 20.5 * 3600, 16.0 + d, 18.0) for d in range(5)]  # 20:30, evening peak
    + [speed_ok(MON + 3 * 3600, 79.0, 5.0)]  # 03:00: download fine, upload a quarter of the plan
    + [
        failure(
            "speedtest",
            "speedtest-cli",
            "HTTP 403 <script>x</script> from the speedtest.net config",
            at=MON + DAY + 21 * 3600,
        ),
        failure(
            "speedtest", "netwatch", "skipped: line down (outage since 2026-11-23T20:00:00Z)", at=MON + 20.2 * 3600
        ),
    ]
)


@pytest.fixture(scope="module")
def speed_report() -> Report:
    return sample_report(speeds=SPEEDS)


@pytest.fixture(scope="module")
def speed_doc(speed_report: Report) -> Node:
    return parse(html_of(speed_report))


@pytest.fixture(scope="module")
def section(speed_doc: Node) -> Node:
    return speed_doc.one("section", id="speed")


def attr_value(node: Node, name: str) -> float | None:
    text = node.attrs[f"data-{name}"]
    return float(text) if text else None


def speed_card(section: Node, metric: str) -> float | None:
    node = section.one(data_metric=metric)
    return float(node.attrs["data-value"]) if node.attrs["data-value"] else None


def test_counts_and_cards_are_the_figures(section: Node, speed_report: Report) -> None:
    s = speed_report.speed
    assert (s.tests, s.ok, s.failed, s.skipped, s.slow) == (13, 11, 1, 1, 6)
    assert {k: int(section.attrs[f"data-{k}"]) for k in ("tests", "ok", "failed", "skipped")} == {
        "tests": 13,
        "ok": 11,
        "failed": 1,
        "skipped": 1,
    }
    assert section.one("h2").all_text == "Speed against the plan"
    assert s.download.mbps is not None and s.download.of_plan is not None
    assert speed_card(section, "speed_median_download_mbps") == s.download.mbps.p50 == 72.0
    assert speed_card(section, "speed_slow_percent") == pytest.approx(s.slow_percent) == pytest.approx(600 / 11)
    assert speed_card(section, "speed_p10_download_mbps") == s.download.mbps.p10
    assert speed_card(section, "speed_evening_median_mbps") == 18.0
    assert speed_card(section, "speed_business_median_mbps") == 74.0
    assert speed_card(section, "speed_median_upload_mbps") == 18.0  # 5, 18 x5, 19 x5
    assert speed_card(section, "speed_loaded_latency_ms") == 95.0
    shown = section.one(data_metric="speed_median_download_mbps")
    assert shown.one(class_="value").all_text == "72.0 Mbit/s"
    assert shown.one(class_="sub").all_text == "90.0% of the 80.0 Mbit/s plan"
    assert section.one(data_metric="speed_slow_percent").one(class_="sub").all_text == "6 of 11 below 50% of the plan"
    text = " ".join(section.all_text.split())
    assert "13 speed tests attempted in the period: 11 completed, 1 failed and 1 skipped" in text
    assert "a download under 40.0 Mbit/s (of 80.0 Mbit/s) or an upload under 10.0 Mbit/s (of 20.0 Mbit/s)" in text
    assert "speedtest-cli 2.1.3 (speedtest)" in text and "550.0 MB transferred" in text


def test_percentile_table(section: Node, speed_report: Report) -> None:
    rows = {
        r.attrs["data-direction"]: r
        for r in section.one("table", class_="speed-percentiles").find("tr")
        if "data-direction" in r.attrs
    }
    assert list(rows) == ["download", "upload"]
    for name, d in (("download", speed_report.speed.download), ("upload", speed_report.speed.upload)):
        row = rows[name]
        assert d.mbps is not None and d.of_plan is not None
        assert attr_value(row, "measured") == d.measured == 11
        assert attr_value(row, "plan-mbps") == d.plan_mbps
        for key in ("min", "p10", "p50", "p90", "max"):
            assert attr_value(row, key) == pytest.approx(getattr(d.mbps, key)), key
            assert attr_value(row, f"{key}-percent") == pytest.approx(getattr(d.of_plan, key)), key
        assert attr_value(row, "under") == d.under
        cells = [td.all_text for td in row.find("td")]
        assert cells[5] == f"{mbps(d.mbps.p50)} {percent(d.of_plan.p50, 1)} of plan"
    assert attr_value(rows["download"], "under") == 5 and attr_value(rows["upload"], "under") == 1


def test_windows_table(section: Node, speed_report: Report) -> None:
    rows = [r for r in section.one("table", class_="speed-windows").find("tr") if "data-window" in r.attrs]
    assert [r.attrs["data-window"] for r in rows] == [w.key for w in speed_report.speed.windows]
    for row, w in zip(rows, speed_report.speed.windows, strict=True):
        assert (attr_value(row, "tests"), attr_value(row, "median-mbps"), attr_value(row, "slow")) == (
            w.tests,
            w.median_mbps,
            w.slow,
        )
    evening = rows[2]
    assert attr_value(evening, "tests") == 5 and attr_value(evening, "slow-percent") == 100.0
    assert "Evening peak (19:00-23:00)" in evening.all_text


def test_chart_by_hour_of_day(section: Node, speed_report: Report) -> None:
    figure = section.one("figure", data_chart="speed-hours")
    assert figure.attrs["data-unit"] == "percent"
    assert len(section.find("svg")) == 1  # one picture for the chart: cheap for WeasyPrint
    f = speedview.SPEED
    bars = figure.find("rect", class_="speed-bar")
    assert [int(b.attrs["data-hour"]) for b in bars] == [3, 10, 20]
    hours = {h.hour: h for h in speed_report.speed.hours}
    for bar in bars:
        assert attr_value(bar, "value") == pytest.approx(hours[int(bar.attrs["data-hour"])].median_percent)
        assert int(bar.attrs["data-tests"]) == hours[int(bar.attrs["data-hour"])].tests
    scale = float(bars[0].attrs["height"]) / float(bars[0].attrs["data-value"])  # one scale for every bar
    for bar in bars:
        assert float(bar.attrs["height"]) == pytest.approx(float(bar.attrs["data-value"]) * scale, abs=0.02)
        assert float(bar.attrs["y"]) + float(bar.attrs["height"]) == pytest.approx(f.bottom, abs=0.02)
    assert [b.attrs["data-hour"] for b in bars if "under" in b.classes] == ["20"]  # 22.5 % of the plan
    assert bars[2].attrs["fill"] == "url(#spd-under)"  # a pattern, not only a colour: readable in greyscale
    (threshold,) = figure.find("line", class_="threshold")
    assert f.bottom - float(threshold.attrs["y1"]) == pytest.approx(50 * scale, abs=0.02)
    (plan,) = figure.find("line", class_="plan")
    assert f.bottom - float(plan.attrs["y1"]) == pytest.approx(100 * scale, abs=0.02)
    (peak,) = figure.find("rect", class_="peak")
    slot = (f.right - f.left) / 24
    assert float(peak.attrs["x"]) == pytest.approx(f.left + 19 * slot, abs=0.01)
    assert float(peak.attrs["width"]) == pytest.approx(4 * slot, abs=0.01)
    counts = [t.all_text for t in figure.find("text", class_="count")]
    assert len(counts) == 24 and counts[10] == "5" and counts[20] == "5" and counts[3] == "1" and counts[0] == "0"
    assert "20:00-21:00: median 18.0 Mbit/s, 22.5% of the plan; 5 tests, 5 slow" in bars[2].all_text


def test_failed_and_skipped_attempts_are_listed_and_escaped(section: Node, speed_report: Report) -> None:
    rows = section.one("table", class_="speed-failures").find("tr", class_="attempt")
    assert [r.attrs["data-at"] for r in rows] == [iso_utc(a.at) for a in speed_report.speed.failures]
    assert [r.attrs["data-skipped"] for r in rows] == ["true", "false"]
    assert "skipped: line down (outage since 2026-11-23T20:00:00Z)" in rows[0].all_text
    assert "Skipped" in rows[0].all_text and "netwatch" not in rows[0].all_text  # the daemon, not a tool
    assert "HTTP 403 <script>x</script> from the speedtest.net config" in rows[1].all_text  # shown literally
    assert not section.find("script")


def test_the_method_states_the_slow_rule(speed_doc: Node) -> None:
    method = speed_doc.one("section", id="method")
    assert method.one(data_method="slow_below_percent").attrs["data-value"] == "50.0"


def test_without_speed_tests_one_line_says_so(doc: Node) -> None:
    assert not doc.find(data_method="slow_below_percent")
    section = doc.one("section", id="speed")
    assert section.attrs["data-tests"] == "0"
    assert section.one("p").all_text == "No speed tests were recorded in the period."
    assert not section.find("figure") and not section.find("table") and not section.find(class_="card")
    only_failed = sample_report(speeds=SPEEDS[-2:])
    section = parse(html_of(only_failed)).one("section", id="speed")
    assert "No speed test completed in the period." in section.all_text
    assert len(section.find("tr", class_="attempt")) == 2 and not section.find("figure")


def test_an_unknown_plan_speed_is_compared_with_nothing() -> None:
    rep = sample_report(speeds=SPEEDS, plan=NO_PLAN)
    section = parse(html_of(rep, plan=NO_PLAN)).one("section", id="speed")
    assert "The plan's speeds were not given, so no test is compared with them." in section.all_text
    assert not section.find(data_metric="speed_slow_percent")
    assert section.one(data_metric="speed_median_download_mbps").one(class_="sub").all_text == "plan speed not given"
    figure = section.one("figure", data_chart="speed-hours")
    assert figure.attrs["data-unit"] == "mbps"
    assert not figure.find("line", class_="threshold") and not figure.find("rect", class_="under")
    assert [attr_value(b, "value") for b in figure.find("rect", class_="speed-bar")] == [79.0, 74.0, 18.0]
    row = section.one("tr", data_direction="download")
    assert row.attrs["data-p50-percent"] == "" and row.attrs["data-under"] == ""


# --- the letter ----------------------------------------------------------------------------------------------


def test_the_letter_states_the_delivered_speed_against_the_plan(speed_report: Report) -> None:
    letter = letter_of(speed_report)
    assert letter.warnings == ()
    text = letter.text
    paragraph = text.split("## Speed against the plan\n\n", 1)[1].split("\n\n## ", 1)[0]
    assert " ".join(paragraph.split()) == (
        "Our plan is sold with a download speed of 80.0 Mbit/s. Of the 11 speed tests that completed in the period, "
        "the median download was 72.0 Mbit/s (90.0% of the plan speed), and a tenth of them delivered 17.0 Mbit/s or "
        "less. 6 of the 11 tests (54.5%) delivered less than 50% of the plan's download or upload speed, the level "
        "below which we count the line as slow. In the evening peak (19:00-23:00) the median download was "
        "18.0 Mbit/s (22.5% of the plan speed); in our business hours it was 74.0 Mbit/s (92.5%). The median upload "
        "was 18.0 Mbit/s, 90.0% of the plan's 20.0 Mbit/s. A further 2 attempts failed or were skipped (for example "
        "while the line was down); they are not counted."
    )


def test_the_letter_invents_no_plan_speed() -> None:
    rep = sample_report(speeds=SPEEDS, plan=NO_PLAN)
    letter = letter_of(rep, plan=replace(PLAN, download_mbps=0.0, upload_mbps=0.0))
    assert "plan.download_mbps is not set: the letter shows [the plan's download speed]; set it in [plan]" in (
        letter.warnings
    )
    paragraph = letter.text.split("## Speed against the plan\n\n", 1)[1].split("\n\n## ", 1)[0]
    assert " ".join(paragraph.split()) == (
        "Our plan is sold with a download speed of [the plan's download speed]. Of the 11 speed tests that completed "
        "in the period, the median download was 72.0 Mbit/s, and a tenth of them delivered 17.0 Mbit/s or less. "
        "A further 2 attempts failed or were skipped (for example while the line was down); they are not counted."
    )


def test_no_speed_paragraph_without_completed_tests() -> None:
    for speeds in ((), SPEEDS[-2:]):
        letter = letter_of(sample_report(speeds=speeds), plan=replace(PLAN, download_mbps=0.0))
        assert "## Speed" not in letter.text
        assert not any("download_mbps" in w for w in letter.warnings)
