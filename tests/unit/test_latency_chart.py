"""The latency chart of a short history: netwatch started at 09:00 on Monday 23 November 2026 and the report is of
the whole day, so 25 minutes of a 24-hour period were measured. The chart must be readable: it spans the measured
part, its round-trip axis is scaled to the averages (not to the rare slow replies), and its points are a minute
apart. A mostly monitored week keeps the whole period on its axis."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from netwatch.adapters.store.sqlite import Store
from netwatch.cli import main
from netwatch.config import loading
from netwatch.core.model import Coverage, Period, Role, Round, Sample, SeriesPoint, Target
from netwatch.report import view
from netwatch.report.compute import Report, compute, series_bucket_seconds
from tests.support.html import parse
from tests.support.instants import DAY
from tests.support.reports import BUSINESS, MON, html_of, sample_report

START = MON + 9 * 3600  # 09:00 GMT
SESSION = Coverage(START, START + 25 * 60)


def short_history() -> Report:
    # One point a minute: averages between 12 and 15 ms, and in every minute a slow reply of 70 ms or more.
    series = [SeriesPoint(START + 60 * i, 60.0, 180, 0, 12.0 + (i % 4), 70.0 + i) for i in range(25)]
    return compute(Period(MON, MON + DAY), [], [SESSION], BUSINESS, series=series)


def test_a_short_history_is_drawn_over_the_part_that_was_measured() -> None:
    chart = view.latency_chart(short_history())
    assert chart.cropped and (chart.since, chart.until) == (SESSION.start, SESSION.end)
    (line,) = chart.rtt_lines
    xs = [float(point.split(",")[0]) for point in line.split()]
    step = (view.RTT.right - view.RTT.left) / 25  # a minute of the 25
    assert xs[0] == pytest.approx(view.RTT.left + step / 2, abs=0.01)
    assert xs[-1] == pytest.approx(view.RTT.right - step / 2, abs=0.01)
    assert chart.gaps == ()  # nothing hatched inside the measured part
    assert [t.label for t in chart.x_ticks] == ["09:00", "09:05", "09:10", "09:15", "09:20", "09:25"]


def test_the_round_trip_axis_is_scaled_to_the_averages() -> None:
    chart = view.latency_chart(short_history())
    assert [t.label for t in chart.rtt_ticks] == ["0 ms", "5 ms", "10 ms", "15 ms", "20 ms", "25 ms"]
    (line,) = chart.rtt_lines
    ys = [float(point.split(",")[1]) for point in line.split()]
    height = view.RTT.bottom - view.RTT.top
    # 12 to 15 ms on a 25 ms axis: the line moves over an eighth of the chart's height, well clear of its floor.
    assert min(ys) == pytest.approx(view.RTT.bottom - height * 15 / 25, abs=0.01)
    assert max(ys) == pytest.approx(view.RTT.bottom - height * 12 / 25, abs=0.01)
    (peaks,) = chart.peak_lines  # the slow replies are clipped to the top, as the caption says
    assert {float(point.split(",")[1]) for point in peaks.split()} == {view.RTT.top}


def test_the_report_says_which_part_the_chart_spans() -> None:
    figure = parse(html_of(short_history())).one("figure", data_chart="latency")
    assert (figure.attrs["data-since"], figure.attrs["data-until"]) == ("2026-11-23T09:00:00Z", "2026-11-23T09:25:00Z")
    assert (
        "The chart spans 2026-11-23 09:00 GMT to 2026-11-23 09:25 GMT, the part of the period with measurements: "
        "there are none before or after it."
    ) in " ".join(figure.one("figcaption").all_text.split())


def test_a_mostly_monitored_period_keeps_its_whole_axis() -> None:
    report = sample_report()
    chart = view.latency_chart(report)
    assert not chart.cropped and (chart.since, chart.until) == (report.period.since, report.period.until)
    assert "The chart spans" not in parse(html_of(report)).one("figure", data_chart="latency").all_text


def test_a_short_history_gets_points_a_minute_apart() -> None:
    day = Period(MON, MON + DAY)
    assert series_bucket_seconds(day) == 300
    assert series_bucket_seconds(day, sessions=[SESSION]) == 60
    assert series_bucket_seconds(day, sessions=[Coverage(MON, MON + DAY)]) == 300


def test_the_report_of_a_short_history_reads_the_store_a_minute_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp_path / "absent.toml")
    monkeypatch.delenv("NETWATCH_CONFIG", raising=False)
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(tmp_path))
    anchor = Target(Role.ANCHOR, "1.1.1.1")
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC).timestamp()
    with Store.open(tmp_path / "netwatch.db") as store:
        store.begin_session(start)
        for second in range(0, 25 * 60, 5):
            store.add_round(Round(start + second, (Sample(anchor, 12.5),)))
        store.end_session(start + 25 * 60)
    result = CliRunner().invoke(main, ["report", "--since", "2026-11-23", "--until", "2026-11-23", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    series = json.loads(result.stdout)["series"]
    assert [p["seconds"] for p in series] == [60.0] * 25
