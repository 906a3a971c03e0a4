"""What the dashboard does with what it is given (review 1): dates nothing was measured on are refused with one
line saying to check the year (S6), a time the clocks passed twice is offered as its two times on the form (S10),
a fresh install's pages are empty pages that say to start netwatch, not errors (S7), and the feed of incidents is
limited to a quarter at a time (S3).

A London office's store (tests/support) with a session from Saturday 24 October 2026 to Sunday 25 October 03:00
GMT, the night the clocks went back (01:00-02:00 happened twice)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from netwatch.adapters.store.sqlite import Store
from netwatch.config import Config
from netwatch.core.model import Ticket
from tests.support.dashboard import csrf_of, dashboard_config, said, serve, set_password, sign_in
from tests.support.html import parse
from tests.support.instants import LONDON, at, ts
from tests.support.rounds import Line
from tests.support.stores import record
from tests.support.targets import A1, GW, ISP

NOW = at(2026, 10, 25, 3, 0, zone=LONDON)  # 03:00 GMT, an hour after the clocks went back
START = at(2026, 10, 24, 9, 0, zone=LONDON)
LINE = Line.of(GW, ISP, A1)
TOO_OLD = '"{}" is before 2000-01-01, older than anything netwatch measured; check the year'


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    found = dashboard_config(tmp_path / "state")
    rounds = [LINE.round(START + 600.0 * k) for k in range(int((NOW - START) // 600))]
    record(found.store.path, START, NOW - 60, rounds)
    return found


@pytest.fixture
def client(cfg: Config) -> Iterator[TestClient]:
    with serve(cfg, NOW) as test:
        yield test


def tickets(cfg: Config) -> list[Ticket]:
    with Store.open(cfg.store.path, readonly=True) as store:
        return store.tickets()


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/day/0001-01-01", TOO_OLD.format("0001-01-01")),
        ("/day/1999-12-31", TOO_OLD.format("1999-12-31")),
        ("/history?month=1999-12", TOO_OLD.format("1999-12")),
        ("/month?month=0001-01", TOO_OLD.format("0001-01")),
        (
            "/incident/outage/99999999999999999999999",
            '"99999999999999999999999" is not the start of an incident (milliseconds since 1970): the link is wrong',
        ),
        ("/incident/outage/5", '"5" is not the start of an incident (milliseconds since 1970): the link is wrong'),
    ],
)
def test_an_address_of_a_day_nothing_was_measured_on_says_so(client: TestClient, path: str, text: str) -> None:
    answer = client.get(path)
    assert (answer.status_code, said(answer.text, "data-message")) == (400, text)


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("since=0001-01-01", "since: " + TOO_OLD.format("0001-01-01")),
        ("since=2026-10-01&until=9999-12-31", 'until: "9999-12-31" is not a date netwatch can use; check the year'),
        (
            "since=2026-10-25T01:30",
            'since: "2026-10-25T01:30" happened twice in Europe/London (the clocks went back then); add the offset: '
            "+01:00 for the first, +00:00 for the second",
        ),
        (
            "since=2026-10-25&until=2026-10-24",
            "the period from 2026-10-25T00:00:00+01:00 to 2026-10-25T00:00:00+01:00 is empty; give a since earlier "
            "than until",
        ),
        (
            "since=2026-07-01",
            "the period from 2026-07-01T00:00:00+01:00 to 2026-10-25T03:00:00+00:00 is longer than 92 days; ask for "
            "at most 92 days at a time (since=… and until=…), or make a report for longer periods",
        ),
    ],
)
def test_the_feed_names_the_parameter_and_spans_a_quarter_at_most(client: TestClient, query: str, error: str) -> None:
    answer = client.get(f"/api/incidents?{query}")
    assert (answer.status_code, answer.json()) == (400, {"error": error})


def test_the_feed_of_a_quarter(client: TestClient) -> None:
    answer = client.get("/api/incidents?since=2026-07-25T03:00:00%2B00:00")  # 92 days to "now", and an hour
    assert answer.status_code == 200
    assert answer.json()["coverage"]["monitored_seconds"] == NOW - 60 - START


def test_a_time_the_clocks_passed_twice_is_chosen_on_the_form(cfg: Config, client: TestClient) -> None:
    set_password(cfg)
    sign_in(client)
    token = csrf_of(client.get("/act").text)
    asked = client.post("/act/ticket", data={"csrf": token, "ref": "BT-1", "reported": "2026-10-25T01:30"})
    assert asked.status_code == 400 and tickets(cfg) == []
    assert said(asked.text, "data-error") == (
        'Reported at: "2026-10-25 01:30" happened twice in Europe/London (the clocks went back then): choose which '
        "time you mean below and send it again"
    )
    choices = parse(asked.text).one("fieldset", data_choices="reported")
    assert choices.one("legend").all_text == "Which 01:30?"
    assert [(i.attrs["value"], " ".join(i.parent.all_text.split())) for i in choices.find("input")] == [  # type: ignore[union-attr]
        ("+01:00", "2026-10-25 01:30:00 BST: the first time, before the clocks went back"),
        ("+00:00", "2026-10-25 01:30:00 GMT: the second time, after the clocks went back"),
    ]
    # What was typed is kept; the owner picks the second time and sends it again.
    assert 'value="2026-10-25T01:30"' in asked.text and 'value="BT-1"' in asked.text
    done = client.post(
        "/act/ticket",
        data={"csrf": token, "ref": "BT-1", "reported": "2026-10-25T01:30", "reported-offset": "+00:00"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert [(t.ref, t.reported) for t in tickets(cfg)] == [("BT-1", ts("2026-10-25T01:30:00"))]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"reported": "0001-01-01T00:00"}, "Reported at: " + TOO_OLD.format("0001-01-01 00:00")),
        ({"reported": "2025-10-25T01:30"}, None),  # a year's typo, but after 2000: recorded as typed
        (
            {"reported": "2026-03-29T01:30"},
            'Reported at: "2026-03-29 01:30" does not exist in Europe/London (the clocks went forward then); give the '
            "time as the clocks showed it",
        ),
        ({"reported": "2026-10-25T01:30", "reported-offset": "+05:00"}, None),  # an offset of its own is exact
    ],
)
def test_a_reported_time_out_of_range_is_refused_on_the_form(
    cfg: Config, client: TestClient, data: dict[str, str], error: str | None
) -> None:
    set_password(cfg)
    sign_in(client)
    token = csrf_of(client.get("/act").text)
    answer = client.post("/act/ticket", data={"csrf": token, "ref": "BT-2", **data}, follow_redirects=False)
    if error is None:
        assert answer.status_code == 303 and [t.ref for t in tickets(cfg)] == ["BT-2"]
    else:
        assert (answer.status_code, said(answer.text, "data-error")) == (400, error)
        assert tickets(cfg) == []


# --- a fresh install -------------------------------------------------------------------------------------------


def test_before_anything_is_recorded_every_page_is_an_empty_page(tmp_path: Path) -> None:
    fresh = dashboard_config(tmp_path / "state")
    assert not fresh.store.path.exists()
    nothing = "Nothing recorded yet: start netwatch (sudo systemctl start netwatch, or ./bootstrap run in a checkout)."
    with serve(fresh, NOW) as client:
        for path in ("/day", "/day/2026-10-24", "/history", "/month", "/month?month=2026-09"):
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.text[-300:])
            assert said(answer.text, "data-nothing-yet") == nothing, path
        assert 'data-state="no data"' in client.get("/").text
        assert client.get("/act").status_code == 200
        feed = client.get("/api/incidents")
        assert feed.status_code == 200
        assert feed.json()["incidents"] == [] and feed.json()["note"] == nothing
        assert feed.json()["coverage"]["monitored_seconds"] == 0
        assert client.get("/api/status").json()["state"] == "no data"
    assert not fresh.store.path.exists()  # nothing was created: only the daemon makes a store
