"""What the dashboard does with what it is given (review 1): dates nothing was measured on are refused with one
line saying to check the year (S6), a time the clocks passed twice is offered as its two times on the form (S10),
a fresh install's pages are empty pages that say to start netwatch, not errors (S7), the feed of incidents is
limited to a quarter at a time (S3), a form sent after the session ended leads back to it with what was typed
(S4), tickets' notes show only to the signed-in owner (N3), and others' wrong passwords never lock the owner out
(N4).

A London office's store (tests/support) with a session from Saturday 24 October 2026 to Sunday 25 October 03:00
GMT, the night the clocks went back (01:00-02:00 happened twice)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from netwatch.adapters.store.sqlite import Store
from netwatch.app import access
from netwatch.config import Config
from netwatch.core.model import Ticket
from tests.support.dashboard import PASSWORD, csrf_of, dashboard_config, said, serve, set_password, sign_in
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
            "the period is empty: until 2026-10-24 (the end of that day) is not after since 2026-10-25",
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


# --- a form sent after the session ended -----------------------------------------------------------------------


def test_a_form_sent_after_a_new_password_leads_back_to_it_with_what_was_typed(cfg: Config, client: TestClient) -> None:
    set_password(cfg)
    sign_in(client)
    token = csrf_of(client.get("/act").text)
    access.set_password(cfg, PASSWORD)  # `netwatch web passwd` again: everyone is signed out
    typed = {"ref": "BT-7", "channel": "web", "reported": "2026-10-25T02:40", "note": "spoke to Sam"}
    refused = client.post("/act/ticket", data={"csrf": token, **typed}, follow_redirects=False)
    assert (refused.status_code, refused.headers["location"]) == (303, "/login?next=/act%23open")
    login = client.get(refused.headers["location"]).text
    assert said(login, "data-kept") == (
        "Nothing was recorded yet: sign in, and what you typed will be back in the form to send again."
    )
    assert sign_in(client, "/act#open") == "/act#open"
    page = client.get("/act").text
    assert said(page, 'data-kept="open"') == (
        "You are signed in: what you typed is back in the form. Check it and send it again; nothing was recorded yet."
    )
    form = parse(page).one("section", id="open")
    assert form.one("input", name="ref").attrs["value"] == "BT-7"
    assert form.one("input", name="reported").attrs["value"] == "2026-10-25T02:40"
    assert form.one("option", value="web").attrs.get("selected") == ""
    assert form.one("textarea", name="note").all_text == "spoke to Sam"
    assert tickets(cfg) == []
    assert "data-kept" not in client.get("/act").text  # put back once


def test_a_form_sent_after_the_session_cookie_expired_leads_back_to_it(cfg: Config, client: TestClient) -> None:
    set_password(cfg)
    sign_in(client)
    page = client.get("/act").text
    token = csrf_of(page)
    client.cookies.clear()  # the browser dropped the cookie after SESSION_HOURS: no session, no token
    typed = {"ref": "BT-8", "fixed": "2026-10-25T02:50"}
    refused = client.post("/act/close", data={"csrf": token, **typed}, follow_redirects=False)
    assert (refused.status_code, refused.headers["location"]) == (303, "/login?next=/act%23close")
    sign_in(client, "/act#close")
    assert 'value="BT-8"' in client.get("/act").text
    assert tickets(cfg) == []


def test_a_forms_address_opened_as_a_page_leads_to_the_form(client: TestClient) -> None:
    for path, form in (("/act/ticket", "open"), ("/act/close", "close"), ("/act/missed", "missed")):
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, f"/act#{form}")
    assert client.get("/act/speedtest", follow_redirects=False).headers["location"] == "/act#speed"


def test_ticket_notes_show_only_to_the_signed_in_owner(cfg: Config, client: TestClient) -> None:
    set_password(cfg)
    with Store.open(cfg.store.path) as store:
        store.save_ticket(Ticket("BT-5", NOW - 3600, None, "spoke to Sam on 01632 960999"), NOW - 3500)
    for path in ("/act", "/month", "/month?month=2026-10"):
        assert "spoke to Sam" not in client.get(path).text, path
    sign_in(client)
    act = parse(client.get("/act").text)
    assert act.one("article", data_ref="BT-5").one("p", data_note="").all_text == "spoke to Sam on 01632 960999"
    month = parse(client.get("/month").text)
    assert month.one("tr", class_="ticket-note").all_text == "spoke to Sam on 01632 960999"


def test_guesses_from_elsewhere_on_the_lan_never_lock_the_owner_out(cfg: Config, client: TestClient) -> None:
    set_password(cfg)
    limiter = client.app.state.dashboard.limiter  # type: ignore[attr-defined]
    for n in range(limiter.overall):  # every address of the LAN guesses, each below its own limit
        limiter.failed(f"192.168.1.{100 + n % 10}")
    assert sign_in(client, "/act") == "/act"  # the owner, with the right password and no failure of its own
    guesser = "192.168.1.100"
    assert limiter.wait(guesser) == 300  # those that guessed wait the window out


def test_a_round_trip_time_never_wraps_between_its_number_and_its_unit(client: TestClient) -> None:
    page = parse(client.get("/").text)
    values = {li.attrs["data-role"]: li.one("span", class_="value").all_text for li in page.find("li", class_="layer")}
    assert values["gateway"].endswith(f" · {LINE.round(NOW).samples[0].rtt_ms:.1f}\u00a0ms")
    assert all(" ms" not in value for value in values.values())
