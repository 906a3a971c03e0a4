"""Act → Documents offers the months netwatch ran in, newest first, each with its documents, and no link to a
month with nothing measured (newcomer review 2, N6: last month's letter was a 404 and March, with the outages, was
not offered)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from netwatch.core.calendar import months_touched
from tests.support.dashboard import dashboard_config, serve, set_password, sign_in
from tests.support.html import parse
from tests.support.instants import LONDON, at
from tests.support.rounds import Line
from tests.support.stores import record
from tests.support.targets import A1, GW

NOW = at(2026, 12, 7, 15, 0, zone=LONDON)
LINE = Line.of(GW, A1)


def test_the_months_of_spans_in_local_time_newest_first() -> None:
    spans = [
        (at(2026, 3, 31, 23, 30, zone=LONDON), at(2026, 4, 1, 0, 30, zone=LONDON)),  # 22:30-23:30 UTC: March only
        (at(2025, 12, 30, 12, 0, zone=LONDON), at(2026, 2, 2, 12, 0, zone=LONDON)),
    ]
    assert months_touched(spans, LONDON) == [
        date(2026, 4, 1),
        date(2026, 3, 1),
        date(2026, 2, 1),
        date(2026, 1, 1),
        date(2025, 12, 1),
    ]
    assert months_touched([], LONDON) == []


def test_documents_are_offered_for_the_months_netwatch_ran_in(tmp_path: Path) -> None:
    cfg = dashboard_config(tmp_path / "state")
    march = at(2026, 3, 23, 9, 0, zone=LONDON)
    record(cfg.store.path, march, march + 3600, [LINE.round(march + 60.0 * k) for k in range(60)])
    set_password(cfg)
    with serve(cfg, NOW) as client:
        sign_in(client)
        section = parse(client.get("/act").text).one("section", id="documents")
    assert [h.all_text for h in section.find("h3")] == ["March 2026"]
    assert [a.attrs["href"] for a in section.find("a")] == [
        "/download/2026-03/report.html",
        "/download/2026-03/report.pdf",
        "/download/2026-03/letter.txt",
        "/download/2026-03/letter.md",
        "/download/2026-03/evidence.zip",
    ]


def test_before_anything_is_recorded_no_document_is_offered(tmp_path: Path) -> None:
    cfg = dashboard_config(tmp_path / "state")
    set_password(cfg)
    with serve(cfg, NOW) as client:
        sign_in(client)
        section = parse(client.get("/act").text).one("section", id="documents")
    assert section.find("a") == []
    assert section.one("p").all_text == (
        "Nothing is recorded yet: a month's documents appear here once netwatch has run in it."
    )
