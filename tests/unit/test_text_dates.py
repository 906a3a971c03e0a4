"""Dates and instants as people read them, written one way by ``netwatch.core.text`` for every face: the helpers
word for word (around a clock change, and on a single-digit day), and no face, report or template formatting a
date or time itself (review 1, S9)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from netwatch.core.text import (
    iso_month,
    local_time,
    month_long,
    month_short,
    short_date,
    short_when,
    weekday_date,
    weekday_long,
    weekday_short,
)
from tests.support.instants import LONDON, ts

REPO = Path(__file__).parents[2]
# strftime, or a format spec of date fields in an f-string ("{day:%a %d}"): the helpers' own business.
FORMATTING = re.compile(r"strftime\(|\{[^{}]*:%[aAbBdHIjmMpSUwWyYzZ-]")


def test_the_date_helpers_word_for_word() -> None:
    day = date(2026, 3, 1)  # a Sunday, a single-digit day
    assert (weekday_short(day), weekday_long(day), weekday_date(day)) == (
        "Sun 1 Mar",
        "Sunday 1 March 2026",
        "Sun 1 Mar 2026",
    )
    assert (short_date(day), month_long(day), month_short(day), iso_month(day)) == (
        "Sun 01 Mar",
        "March 2026",
        "Mar 2026",
        "2026-03",
    )


def test_the_instant_helpers_tell_the_local_time_across_a_clock_change() -> None:
    before, after = ts("2026-03-29T00:30"), ts("2026-03-29T01:30")  # 00:30 GMT, then 02:30 BST
    assert [short_when(at, LONDON) for at in (before, after)] == ["Sun 29 Mar 00:30", "Sun 29 Mar 02:30"]
    assert [local_time(after, LONDON, style) for style in ("clock", "day_month", "month", "iso_date")] == [
        "02:30",
        "29 Mar",
        "Mar 2026",
        "2026-03-29",
    ]


def test_no_face_report_or_template_formats_a_date_itself() -> None:
    sources = [p for part in ("app", "cli", "report", "web") for p in (REPO / "netwatch").glob(f"{part}/**/*.py")]
    sources += [*(REPO / "templates").glob("*.j2"), *(REPO / "netwatch" / "web" / "templates").glob("*.j2")]
    assert len(sources) > 100
    found = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for path in sources
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FORMATTING.search(line)
    ]
    assert found == []
