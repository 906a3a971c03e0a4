"""The dashboard in-process (Starlette's TestClient) on a real store: its pages, sign-in, CSRF, the rate limit, the
forms (bad input says why and writes nothing) and the JSON feeds. The browser and the real daemon are in
tests/integration/test_web_browser_netns.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from netwatch import config
from netwatch.__main__ import main
from netwatch.adapters.store.sqlite import Store
from netwatch.app import access
from netwatch.config import Config, loading
from netwatch.core.model import SpeedProgress, SpeedResult, Ticket
from netwatch.web import auth, routes
from netwatch.web.speedjob import SpeedJob
from tests.support.dashboard import PASSWORD, csrf_of, env, message_of, set_password, sign_in
from tests.support.dashboard_store import ISP_OUTAGE, LOCAL_OUTAGE, NOW, record
from tests.support.html import parse


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    for key, value in env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    (tmp_path / "run").mkdir()
    text = (
        '[cost]\nhourly = 60.0\n[claims]\nrules = "uk-ofcom"\n'
        '[business_hours]\ntimezone = "Europe/London"\nholidays = "GB"\n'
        '[business_hours.week]\nmon = "09:00-17:00"\ntue = "09:00-17:00"\nwed = "09:00-17:00"\n'
    )
    found = config.parse(text, source=None, env=env(tmp_path))
    record(found.store.path)
    return found


class Fake:
    """A speed test runner with the signature of ``netwatch.app.speedtest.run``: reports one attempt."""

    def __init__(self) -> None:
        self.calls: list[bool] = []

    def __call__(self, cfg: Config, backend: str | None = None, *, store: bool = False, progress=None) -> tuple:  # type: ignore[no-untyped-def]
        self.calls.append(store)
        result = SpeedResult(NOW, "http", "netwatch-http", download_mbps=71.3, upload_mbps=18.2, ok=True)
        progress(SpeedProgress(NOW, attempts=(result,), done=True, stored=store))
        return (result,)


@pytest.fixture
def client(cfg: Config) -> Iterator[TestClient]:
    app = routes.application(cfg, speed=SpeedJob(cfg, run=Fake()), clock=lambda: NOW)
    with TestClient(app) as test:
        yield test


def tickets(cfg: Config) -> list[Ticket]:
    with Store.open(cfg.store.path, readonly=True) as store:
        return store.tickets()


# --- pages -------------------------------------------------------------------------------------------------------


def test_every_page_renders_from_the_store(client: TestClient) -> None:
    now = client.get("/")
    assert now.status_code == 200
    assert 'data-state="not running"' in now.text  # no daemon: the store's last round is a minute old, no lock
    assert "<title>NOT RUNNING · netwatch</title>" in now.text
    assert 'data-ref="VM-1"' in now.text
    # The line was measured back before compensation would start: no deadline, the advice to close it (S9).
    assert "The line was back at 10:45 on Tue 24 Mar 2026, before compensation would start: close the" in now.text
    assert "Ofcom automatic compensation" not in now.text and "dispute resolution" not in now.text
    day = client.get("/day/2026-03-24")
    assert day.status_code == 200 and 'data-cause="isp"' in day.text and 'id="timeline"' in day.text
    history = client.get("/history?month=2026-03")
    assert re.search(r'data-count="2">2 outages, 35m 00s down, 30m 00s of it in business hours', history.text)
    only_isp = client.get("/history?month=2026-03&cause=isp")
    assert 'data-count="1"' in only_isp.text
    link = f"/incident/outage/{round(ISP_OUTAGE.start * 1000)}"
    assert link in history.text
    incident = client.get(link)
    assert incident.status_code == 200
    assert "Tue 24 Mar 2026 10:15:00 GMT" in incident.text
    assert "The timeline of that day" in incident.text and 'data-reached="false"' in incident.text  # its traceroute
    assert "£30.00 at £60.00 an hour" in incident.text  # 30 minutes in business hours
    month = client.get("/month?month=2026-03")
    assert month.status_code == 200 and 'data-metric="business_downtime_seconds" data-value="1800.0"' in month.text
    assert client.get("/act").status_code == 200
    assert client.get("/login").status_code == 200


def test_a_closed_incidents_page_speaks_in_the_past_in_plain_words(client: TestClient) -> None:
    own = parse(client.get(f"/incident/outage/{round(LOCAL_OUTAGE.start * 1000)}").text)
    assert own.one("p", class_="lead").all_text == (
        "Your own equipment: your router did not answer (not the ISP's fault); if it happens again, check its power "
        "and cables."
    )
    isp = parse(client.get(f"/incident/outage/{round(ISP_OUTAGE.start * 1000)}").text)
    assert isp.one("p", class_="lead").all_text == (
        "Your ISP's access network: your router answered, the ISP's first router did not."
    )
    evidence = " ".join(isp.one("dl", class_="facts-list").find("dd")[-1].all_text.split())
    assert "bad round" not in evidence and "ISP hop" not in evidence
    assert "rounds of probes failed, the fault in each: ISP access network" in evidence


def test_the_act_and_now_pages_say_the_line_came_back_before_compensation_would_start(client: TestClient) -> None:
    # VM-1 was reported at 10:25 on 24 Mar; the line was measured back at 10:45 and up since: no deadline applies.
    said = "The line was back at 10:45 on Tue 24 Mar 2026, before compensation would start: close the ticket"
    assert [p.all_text for p in parse(client.get("/act").text).find("p", class_="deadline")] == [said]
    assert [s.all_text for s in parse(client.get("/").text).find("span", class_="deadline")] == [said]


def test_bad_addresses_say_what_to_write(client: TestClient) -> None:
    for path, status, text in (
        (
            "/day/2026-13-01",
            400,
            '"2026-13-01" is not a day of the calendar: there is no month 13 (months go from 01 to 12)',
        ),
        ("/day/2026-02-30", 400, '"2026-02-30" is not a day of the calendar: February 2026 has 28 days'),
        ("/day/2028-02-30", 400, '"2028-02-30" is not a day of the calendar: February 2028 has 29 days'),
        ("/day/2026-04-00", 400, '"2026-04-00" is not a day of the calendar: days of the month go from 01 to 30'),
        (
            "/history?month=2026-13",
            400,
            '"2026-13" is not a month of the calendar: there is no month 13 (months go from 01 to 12)',
        ),
        ("/day/yesterday", 400, '"yesterday" is not a day: write it as YYYY-MM-DD, e.g. /day/2026-03-24'),
        ("/day/2026-03-25", 404, "Wednesday 25 March 2026 has not begun yet: nothing is recorded."),
        ("/history?month=2026-3", 400, '"2026-3" is not a month: write it as YYYY-MM, e.g. ?month=2026-03'),
        (
            "/history?cause=router",
            400,
            '"router" is not a cause: use one of isp, isp_or_upstream, upstream, dns, local, unknown, or none for all',
        ),
        (
            f"/incident/outage/{round(ISP_OUTAGE.start * 1000) + 1}",
            404,
            "no outage started at 2026-03-24T10:15:00.001Z: the link is wrong, or the store no longer holds it",
        ),
        ("/incident/blip/123", 400, '"blip" is not a kind of incident: outage, degraded or slow'),
        ("/no/such/page", 404, "There is no page at this address."),
    ):
        found = client.get(path)
        assert (found.status_code, message_of(found.text)) == (status, text), path


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/day/2026-02-30", "That date is not valid"),
        ("/day/yesterday", "That date is not valid"),
        ("/history?month=2026-13", "That month is not valid"),
        ("/history?cause=router", "That address is not valid"),
        ("/no/such/page", "Not here"),
    ],
)
def test_an_error_page_is_headed_by_what_is_wrong(client: TestClient, path: str, heading: str) -> None:
    page = parse(client.get(path).text)
    assert page.one("h1").all_text == heading
    assert "Something went wrong" not in page.all_text  # kept for a failure of netwatch itself


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert page.headers["content-security-policy"] == routes.CSP
    assert "script-src 'self';" in routes.CSP and "frame-ancestors 'none'" in routes.CSP
    assert (page.headers["x-frame-options"], page.headers["referrer-policy"]) == ("DENY", "same-origin")
    assert page.headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")
    assert "cdn" not in page.text.lower() and "https://" not in page.text  # nothing fetched from elsewhere


def test_the_manifest_makes_it_installable(client: TestClient) -> None:
    doc = client.get("/manifest.webmanifest").json()
    assert (doc["display"], doc["start_url"]) == ("standalone", "/")
    for icon in doc["icons"]:
        assert client.get(icon["src"]).status_code == 200


# --- sign-in, CSRF, rate limit ---------------------------------------------------------------------------------


def test_writes_need_the_login_and_write_nothing_without_it(cfg: Config, client: TestClient) -> None:
    set_password(cfg)
    page = client.get("/act")
    assert "data-signed-out" in page.text and "<fieldset disabled>" in page.text
    token = csrf_of(page.text)
    before = tickets(cfg)
    for path, data, back in (
        ("/act/ticket", {"ref": "NEW-1", "channel": "phone"}, "open"),
        ("/act/close", {"ref": "VM-1"}, "close"),
        ("/act/missed", {"ref": "VM-1", "at": "2026-03-24T14:00"}, "missed"),
        ("/act/speedtest", {}, "speed"),
    ):
        refused = client.post(path, data={**data, "csrf": token}, follow_redirects=False)
        # To the sign-in page, then back to the form on its page (its own address takes no GET).
        assert (refused.status_code, refused.headers["location"]) == (303, f"/login?next=/act%23{back}")
    assert tickets(cfg) == before
    assert client.get("/download/2026-03/letter.md", follow_redirects=False).headers["location"].startswith("/login")


def test_sign_in_sets_a_strict_httponly_cookie_and_a_new_token(cfg: Config, client: TestClient) -> None:
    set_password(cfg)
    page = client.get("/login")
    old = csrf_of(page.text)
    done = client.post("/login", data={"csrf": old, "password": PASSWORD, "next": "/act"}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/act")
    cookie = done.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower() and "secure" not in cookie.lower()
    act = client.get("/act")
    assert "data-signed-out" not in act.text and csrf_of(act.text) != old
    assert (
        client.post(
            "/login",
            data={"csrf": csrf_of(act.text), "password": PASSWORD, "next": "//evil.example"},
            follow_redirects=False,
        ).headers["location"]
        == "/"
    )


def test_over_https_the_cookie_is_secure(cfg: Config) -> None:
    set_password(cfg)
    with TestClient(routes.application(cfg, secure=True, clock=lambda: NOW), base_url="https://testserver") as test:
        page = test.get("/login")
        done = test.post("/login", data={"csrf": csrf_of(page.text), "password": PASSWORD}, follow_redirects=False)
        assert "; secure" in done.headers["set-cookie"].lower()


def test_a_wrong_or_missing_csrf_token_or_another_origin_is_refused(cfg: Config, client: TestClient) -> None:
    set_password(cfg)
    sign_in(client)
    token = csrf_of(client.get("/act").text)
    before = tickets(cfg)
    for data, headers in (
        ({"ref": "X-1"}, {}),
        ({"ref": "X-1", "csrf": "not-the-token"}, {}),
        ({"ref": "X-1", "csrf": token}, {"Origin": "http://evil.example"}),
        ({"ref": "X-1", "csrf": token}, {"Sec-Fetch-Site": "cross-site"}),
    ):
        refused = client.post("/act/ticket", data=data, headers=headers)
        assert refused.status_code == 403
        assert message_of(refused.text) == auth.FORBIDDEN
    assert tickets(cfg) == before
    ok = client.post("/act/ticket", data={"ref": "X-1", "csrf": token}, headers={"Origin": "http://testserver"})
    assert ok.status_code == 200 and [t.ref for t in tickets(cfg)] == ["VM-1", "X-1"]


def test_wrong_passwords_are_limited_before_any_hashing(
    cfg: Config, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_password(cfg)
    hashed: list[str] = []
    real = access.matches
    monkeypatch.setattr(access, "matches", lambda password, stored: hashed.append(password) or real(password, stored))
    token = csrf_of(client.get("/login").text)
    for n in range(5):
        wrong = client.post("/login", data={"csrf": token, "password": f"guess {n}"})
        assert (wrong.status_code, message_of(wrong.text)) == (401, "That is not the password. Nothing was changed.")
    limited = client.post("/login", data={"csrf": token, "password": PASSWORD})
    assert limited.status_code == 429
    assert (
        message_of(limited.text) == f"Too many wrong passwords: try again in {limited.headers['retry-after']} seconds."
    )
    assert 295 <= int(limited.headers["retry-after"]) <= 300
    assert len(hashed) == 5  # the sixth attempt, the right one, was never hashed


def test_a_new_password_signs_everyone_out(cfg: Config, client: TestClient) -> None:
    set_password(cfg)
    sign_in(client)
    assert "data-signed-out" not in client.get("/act").text
    access.set_password(cfg, "another long password")
    assert "data-signed-out" in client.get("/act").text


def test_without_a_password_nobody_can_sign_in(client: TestClient) -> None:
    page = client.get("/login")
    assert message_of(page.text, "data-no-password").startswith(
        "No password is set, so nothing can be recorded here yet. On the machine netwatch runs on, run "
        "`netwatch web passwd`"
    )


# --- the forms -------------------------------------------------------------------------------------------------


def signed_in_token(cfg: Config, client: TestClient) -> str:
    set_password(cfg)
    sign_in(client)
    return csrf_of(client.get("/act").text)


@pytest.mark.parametrize(
    ("path", "data", "error"),
    [
        (
            "/act/ticket",
            {"ref": "  "},
            "Provider's reference: the provider's reference is empty; copy it from their e-mail or the call",
        ),
        (
            "/act/ticket",
            {"ref": "a\tb"},
            'Provider\'s reference: "a\\tb" is not a reference (at most 64 characters, no tabs or line breaks)',
        ),
        (
            "/act/ticket",
            {"ref": "N-2", "reported": "2026-03-24T16:00"},
            "Reported at: 2026-03-24 16:00:00 GMT is in the future; give the time it happened",
        ),
        (
            "/act/ticket",
            {"ref": "N-2", "reported": "24/03/2026"},
            'Reported at: "24/03/2026" is not a date and time; write "now" or a date and time such as '
            '"2026-11-30 09:15" (in Europe/London, or with an offset)',
        ),
        ("/act/ticket", {"ref": "N-2", "channel": "fax"}, "How you reported it: 'fax' is not one of phone, web, email"),
        ("/act/ticket", {"ref": "N-2", "note": "x" * 2001}, "Note: 2001 characters is too long; at most 2000"),
        (
            "/act/ticket",
            {"ref": "VM-1"},
            'ticket "VM-1" already exists (reported 2026-03-24 10:25:00 GMT): close it with the Repaired form of '
            "that ticket below, or give the new fault its own reference",
        ),
        (
            "/act/close",
            {"ref": "VM-1", "fixed": "2026-03-24T10:00"},
            "Repaired at: 2026-03-24 10:00:00 GMT is before the fault was reported (2026-03-24 10:25:00 GMT); "
            "give the time of the repair",
        ),
        (
            "/act/close",
            {"ref": "VM-9"},
            'no ticket "VM-9": the tickets are VM-1 (listed below); open one with the form above',
        ),
        (
            "/act/missed",
            {"ref": "VM-1", "at": "2026-03-24T09:00"},
            "Appointment the engineer missed: 2026-03-24 09:00:00 GMT is before the fault was reported"
            " (2026-03-24 10:25:00 GMT); an appointment for it comes after the report",
        ),
    ],
)
def test_bad_input_on_every_form_says_why_and_writes_nothing(
    cfg: Config, client: TestClient, path: str, data: dict[str, str], error: str
) -> None:
    token = signed_in_token(cfg, client)
    before = tickets(cfg)
    answer = client.post(path, data={**data, "csrf": token})
    assert answer.status_code == 400
    found = re.search(r'<p class="error" role="alert" data-error="\w+">([^<]*)</p>', answer.text)
    assert found is not None
    assert found.group(1).replace("&#34;", '"').replace("&#39;", "'") == error
    assert tickets(cfg) == before
    if data.get("ref") == "N-2":
        assert 'id="ref" name="ref" type="text" required maxlength="64" autocomplete="off" value="N-2"' in answer.text


def test_a_ticket_opened_on_the_page_is_the_command_lines(
    cfg: Config, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = signed_in_token(cfg, client)
    opened = client.post(
        "/act/ticket",
        data={"csrf": token, "ref": "BT-77", "channel": "web", "reported": "2026-03-24T14:30", "note": "chat"},
        follow_redirects=False,
    )
    assert (opened.status_code, opened.headers["location"]) == (303, "/act#open")
    page = client.get("/act")
    assert message_of(page.text, "data-done") == "Ticket BT-77 opened: reported 2026-03-24 14:30:00 GMT."
    assert "data-done" not in client.get("/act").text  # said once
    missed = client.post("/act/missed", data={"csrf": token, "ref": "BT-77", "at": "2026-03-24T14:45"})
    assert message_of(missed.text, "data-done") == "Ticket BT-77: missed appointment 2026-03-24 14:45:00 GMT recorded."
    again = client.post("/act/missed", data={"csrf": token, "ref": "BT-77", "at": "2026-03-24T14:45:30"})
    assert (
        message_of(again.text, "data-done")
        == "Ticket BT-77: the appointment of 2026-03-24 14:45:00 GMT was recorded already."
    )
    # Left empty (sent without a browser, which requires it): the booked time, and no word of "now" not typed.
    empty = client.post("/act/missed", data={"csrf": token, "ref": "BT-77", "at": ""})
    assert empty.status_code == 400
    assert message_of(empty.text, "data-error") == (
        "Appointment the engineer missed: no time was given; give the time it was booked for, such as"
        ' "2026-11-30 09:00" (in Europe/London, or with an offset)'
    )
    closed = client.post("/act/close", data={"csrf": token, "ref": "BT-77", "fixed": "2026-03-24T14:50"})
    assert message_of(closed.text, "data-done") == "Ticket BT-77 closed: repaired 2026-03-24 14:50:00 GMT."
    monkeypatch.setattr(loading, "DEFAULT_PATH", cfg.state_dir / "absent.toml")
    listed = CliRunner().invoke(main, ["ticket", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    found = {t["ref"]: t for t in json.loads(listed.stdout)["tickets"]}
    assert found["BT-77"]["channel"] == "web" and found["BT-77"]["note"] == "chat"
    assert found["BT-77"]["reported"] == "2026-03-24T14:30:00Z" and found["BT-77"]["fixed"] == "2026-03-24T14:50:00Z"


def test_the_speed_test_runs_once_and_is_kept(cfg: Config, client: TestClient) -> None:
    token = signed_in_token(cfg, client)
    started = client.post("/act/speedtest", data={"csrf": token}, headers={"Accept": "application/json"})
    assert (started.status_code, started.json()) == (202, {"started": True})
    board = client.app.state.dashboard  # type: ignore[attr-defined]
    board.speed.join(5)
    page = client.get("/act").text
    assert re.search(r'data-speed="done".*<b>71\.3 Mbit/s</b> down, <b>18\.2 Mbit/s</b> up', page)
    assert "kept as evidence" in page
    assert board.speed._run.calls == [True]


# --- the feeds ---------------------------------------------------------------------------------------------------


def test_api_status_is_the_line_now(client: TestClient) -> None:
    doc = client.get("/api/status").json()
    assert (doc["state"], doc["up"], doc["running"]) == ("not running", None, False)
    assert doc["last_round"]["layers"]["gateway"] == {"answered": 1, "probed": 1, "rtt_ms": 0.5}
    assert doc["open_tickets"][0]["ref"] == "VM-1"
    # VM-1's line was measured back before compensation would start: its deadlines would mislead (S9).
    assert doc["open_tickets"][0]["deadlines"] == []
    assert (
        doc["open_tickets"][0]["back"]
        == "the line was back at 10:45 on Tue 24 Mar 2026, before compensation would start"
    )
    assert doc["seal"]["seal"] > 0 and len(doc["seal"]["sha256"]) == 64


def test_api_incidents_lists_a_period_as_the_json_report_does(client: TestClient) -> None:
    doc = client.get("/api/incidents?since=2026-03-23&until=2026-03-24").json()
    assert [(i["kind"], i["cause"], i["start"]) for i in doc["incidents"]] == [
        ("outage", "local", "2026-03-23T20:00:00Z"),
        ("outage", "isp", "2026-03-24T10:15:00Z"),
    ]
    assert doc["incidents"][1]["traceroutes"][0]["destination"] == "1.1.1.1"
    only = client.get("/api/incidents?since=2026-03-23&cause=local").json()["incidents"]
    assert [i["cause"] for i in only] == ["local"]
    bad = client.get("/api/incidents?since=yesterday")
    assert (bad.status_code, bad.json()) == (
        400,
        {
            "error": 'since: "yesterday" is not a date or date-time; use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] '
            "(local time in Europe/London, or with an offset such as +01:00)"
        },
    )
    assert client.get("/api/incidents?kind=blip").json() == {
        "error": 'kind: "blip" is not one of outage, degraded, slow'
    }


def test_no_secret_of_the_configuration_reaches_a_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in env(tmp_path).items():
        monkeypatch.setenv(key, value)
    (tmp_path / "run").mkdir()
    secrets = ("influx-token-s3cr3t", "v1-password-s3cr3t", "tgram://123456:bot-s3cr3t/987")
    text = (
        f'[influxdb]\nurl = "http://influx.lan:8086"\napi = "v2"\norg = "o"\nbucket = "b"\ntoken = "{secrets[0]}"\n'
        f'[notify]\nurls = ["{secrets[2]}"]\n[business_hours]\ntimezone = "Europe/London"\n'
    )
    cfg = config.parse(text, source=None, env=env(tmp_path))
    record(cfg.store.path)
    set_password(cfg)
    with TestClient(routes.application(cfg, speed=SpeedJob(cfg, run=Fake()), clock=lambda: NOW)) as test:
        sign_in(test)
        link = f"/incident/outage/{round(ISP_OUTAGE.start * 1000)}"
        for path in (
            "/",
            "/day/2026-03-24",
            "/history?month=2026-03",
            link,
            "/month?month=2026-03",
            "/act",
            "/api/status",
            "/api/incidents",
            "/download/2026-03/report.html",
            "/download/2026-03/letter.md",
        ):
            answer = test.get(path)
            assert answer.status_code == 200, path
            assert not any(secret in answer.text for secret in (*secrets, "s3cr3t")), path


def test_the_ticket_form_says_the_note_stays_with_the_owner(client: TestClient) -> None:
    label = parse(client.get("/act").text).one("label", **{"for": "note"})
    assert " ".join(label.all_text.split()) == (
        "Note (who you spoke to, what they promised; private: kept out of the reports and the evidence for your"
        " provider)"
    )
