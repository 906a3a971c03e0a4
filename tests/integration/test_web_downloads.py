"""The dashboard makes one document at a time, and says in its own words why it cannot make one (review 1, N5):
two taps on a slow Pi never run two `netwatch report` children (each may take a hundred megabytes), a request that
finds one being made waits for it, then is told the dashboard is busy, and a letter of a month netwatch never ran in
is "No letter" (404), not an internal error with the command line's hints. In-process through Starlette's
TestClient, with real child processes, on a store of tests/support."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from netwatch.web import downloads
from tests.support.dashboard import dashboard_config, said, serve, set_password, sign_in
from tests.support.instants import LONDON, at
from tests.support.rounds import Line
from tests.support.stores import record
from tests.support.targets import A1, GW

NOW = at(2026, 3, 24, 15, 0, zone=LONDON)
START = at(2026, 3, 23, 9, 0, zone=LONDON)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """Signed in to the dashboard of a store with a day of March 2026 (netwatch was installed on the 23rd)."""
    text = '[business_hours]\ntimezone = "Europe/London"\n[owner]\nname = "A. Owner"\n'
    cfg = dashboard_config(tmp_path / "state", text, file=True)
    line = Line.of(GW, A1)
    record(cfg.store.path, START, NOW - 60, [line.round(START + 60.0 * k) for k in range(1900)])
    set_password(cfg)
    with serve(cfg, NOW) as test:
        sign_in(test)
        yield test


def test_one_document_is_made_at_a_time(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    running, most = [0], [0]
    real = downloads._child

    async def counted(*args: Any) -> None:
        running[0] += 1
        most[0] = max(most[0], running[0])
        try:
            await real(*args)
        finally:
            running[0] -= 1

    monkeypatch.setattr(downloads, "_child", counted)
    answers: list[Any] = []
    taps = [
        threading.Thread(target=lambda: answers.append(client.get("/download/2026-03/letter.md"))) for _ in range(2)
    ]
    for tap in taps:
        tap.start()
    for tap in taps:
        tap.join()
    assert [a.status_code for a in answers] == [200, 200]  # the second waited for the first
    assert "A. Owner" in answers[0].text and most[0] == 1


def test_a_request_that_finds_one_being_made_too_long_is_told_so(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(downloads, "WAIT_S", 0.0)
    lock = client.app.state.dashboard.documents  # type: ignore[attr-defined]  # one taken by another request
    client.portal.call(lock.acquire)  # type: ignore[union-attr]
    try:
        busy = client.get("/download/2026-03/report.pdf")
    finally:
        client.portal.call(lock.release)  # type: ignore[union-attr]
    assert (busy.status_code, busy.headers["retry-after"]) == (503, "60")
    assert said(busy.text, "data-message") == (
        "Another document is being made (one at a time, to spare the Pi's memory): try the report.pdf of March 2026 "
        "again in a minute."
    )


def test_a_letter_of_a_month_netwatch_never_ran_in_is_no_letter(client: TestClient) -> None:
    refused = client.get("/download/2026-02/letter.md")
    assert refused.status_code == 404 and "attachment" not in refused.headers.get("content-disposition", "")
    assert said(refused.text, "data-message") == (
        "netwatch was not running at any time in February 2026, so there is nothing measured to put in it: choose a "
        "month it was running in."
    )
    assert "--since" not in refused.text
    # The report of that month is made: it says first that netwatch was not running.
    report = client.get("/download/2026-02/report.html")
    assert report.status_code == 200 and 'id="not-running"' in report.text
    future = client.get("/download/2026-04/report.html")
    assert (future.status_code, said(future.text, "data-message")) == (
        404,
        "April 2026 has not begun yet: nothing is recorded.",
    )
