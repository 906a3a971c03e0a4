"""The web dashboard in a real browser (Debian's chromium through Selenium) against the real `netwatch web` and a
store the real daemon fills inside the simulated ISP.

One daemon (a round every 0.2 s) runs in the `home` namespace for the whole module; `netwatch web` runs on this
machine's loopback with the same configuration, reading the daemon's store and the live state it writes to
/run/netwatch after every round; its speed test measures a slow HTTP server of this module on loopback (nothing
leaves the machine). The browser is one headless chromium, a desktop window or a 360 px phone by device emulation. Every
page is saved as a screenshot at 1280 and 360 px, light and dark, under ``artifacts/web`` (or
``$NETWATCH_ARTIFACTS/web``) for CI to keep. The last test stops the daemon: `netwatch status` and the page say
"not running" at once (issue 19, item 9).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from netwatch.adapters.store.sqlite import Store
from tests.support.browser import chromium, spilled, view
from tests.support.netns_daemon import CONFIRM, INTERVAL, TIMEOUT, Daemon, start_daemon, wait_for
from tests.support.netns_isp import Isp

pytestmark = pytest.mark.netns

REPO = Path(__file__).parents[2]
ARTIFACTS = Path(os.environ.get("NETWATCH_ARTIFACTS") or REPO / "artifacts") / "web"
PASSWORD = "a long dashboard password"
# The flip to DOWN: the outage is confirmed CONFIRM rounds after the cut (each waiting up to TIMEOUT), the live file
# is written after that round, the page's stream renders at most a tick later (netwatch.web.events.TICK_S = 0.5 s);
# the issue asks for 3 s in all, which leaves a busy 2-core machine more than a second of slack.
FLIP_S = 3.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def netwatch(cfg: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netwatch", *args, "--config", str(cfg)],
        env={**os.environ, "NETWATCH_STATE_DIR": str(cfg.parent)},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def rounds_in(store: Path) -> int:
    with Store.open(store, readonly=True) as reader:
        return reader.count_rounds(0, time.time() + 60)


@dataclass
class Site:
    url: str
    cfg: Path
    daemon: Daemon
    proc: subprocess.Popen[str]

    def tickets(self) -> list[str]:
        with Store.open(self.daemon.store, readonly=True) as store:
            return [t.ref for t in store.tickets()]


class Slow(BaseHTTPRequestHandler):
    """A speed test server that sends at about 2 Mbit/s: a test takes its whole ``duration``, so that its progress
    can be seen (on loopback an unthrottled one ends within a blink, at its byte budget)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    CHUNK, CHUNKS = 16_384, 16  # 256 KiB a response, one chunk every 60 ms

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(self.CHUNK * self.CHUNKS))
        self.end_headers()

    def do_GET(self) -> None:
        self.do_HEAD()
        chunk, chunks = os.urandom(self.CHUNK), self.CHUNKS
        try:
            for _ in range(chunks):
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(0.06)
        except OSError:
            pass  # the test's window ended and it hung up


@pytest.fixture(scope="module")
def speed_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def site(isp: Isp, speed_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("web")
    port = free_port()
    extra = f"""
[cost]
hourly = 60.0

[claims]
rules = "uk-ofcom"

[speedtest]
backend = "http"
fallback = []

[speedtest.http]
urls = ["{speed_server}/slow"]
streams = 2
duration = 3
warmup = 0.5
latency_count = 1
timeout = 2

[web]
listen = "127.0.0.1:{port}"

[business_hours]
timezone = "Europe/London"
"""
    daemon = start_daemon(isp, tmp, "web", 1.0, **tomllib.loads(extra))
    cfg = tmp / "web.toml"
    wait_for("the first committed rounds", lambda: rounds_in(daemon.store) > 0, 30, daemon)
    set_password = netwatch(cfg, "web", "passwd", "--password-stdin", stdin=PASSWORD + "\n")
    assert set_password.returncode == 0, set_password.stderr
    log = (tmp / "web-dashboard.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "netwatch", "web", "--config", str(cfg)],
        env={**os.environ, "NETWATCH_STATE_DIR": str(tmp)},
        stderr=log,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp / "web-dashboard.log").read_text()
                assert time.monotonic() < deadline, "the dashboard did not listen"
                time.sleep(0.1)
        yield Site(url, cfg, daemon, proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
        if daemon.proc.poll() is None:
            daemon.proc.send_signal(signal.SIGTERM)
            daemon.proc.wait(timeout=30)
    assert proc.returncode == 0, (tmp / "web-dashboard.log").read_text()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def shot(driver: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def until(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except Exception:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def state(driver: Any) -> tuple[str, str] | None:
    found = driver.execute_script(
        "const s = document.querySelector('#live .state'); return s ? [s.dataset.state, s.dataset.cause] : null;"
    )
    return tuple(found) if found else None


def sign_in(driver: Any, site: Site, next_page: str = "/act") -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{site.url}/login?next={next_page}")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "sign-in").click()
    try:
        until("the signed-in page", lambda: driver.current_url == site.url + next_page, 10)
    except BaseException:
        print(driver.current_url, driver.page_source[-3000:])
        raise


def test_the_now_page_flips_to_down_with_the_cause_and_back(site: Site, net: Isp, browser: Any) -> None:
    view(browser, 1280)
    browser.get(site.url + "/")
    until("the line up", lambda: state(browser) == ("up", ""), 10)
    cut = net.cut("access")
    until("DOWN with cause isp", lambda: state(browser) == ("down", "isp"), FLIP_S - (time.time() - cut))
    flipped = time.time() - cut
    assert "your ISP's access network: your router answers, the ISP's first router does not" in browser.page_source
    assert browser.title == "DOWN · netwatch"
    shot(browser, "now-down-1280-light")
    view(browser, 360)
    shot(browser, "now-down-360-light")
    view(browser, 360, "dark")
    shot(browser, "now-down-360-dark")
    view(browser, 1280)
    restored = net.restore("access")
    until("UP again", lambda: state(browser) == ("up", ""), FLIP_S - (time.time() - restored))
    back = time.time() - restored
    print(f"flip to DOWN {flipped:.2f} s after the cut, back UP {back:.2f} s after the restore")
    # Not before the daemon confirmed it: the earliest failed round is one in flight at the cut (started at most
    # TIMEOUT before it), and the outage is confirmed CONFIRM - 1 rounds and a TIMEOUT later.
    assert flipped > (CONFIRM - 1) * INTERVAL


def test_during_the_owners_own_router_outage_the_page_says_what_to_check_not_what_to_tell(
    site: Site, net: Isp, browser: Any
) -> None:
    """Review 1, B2: a LAN cut (the router does not answer: cause local) gets "Before calling your ISP", no
    facts for the ISP about its router, no fault reference, no ticket button; the layers behind the router are
    "not seen". Screenshots at 360 px, light and dark, and 1280 px."""
    from selenium.webdriver.common.by import By

    view(browser, 360)
    browser.get(site.url + "/")
    until("the line up", lambda: state(browser) == ("up", ""), 10)
    net.cut("lan")
    try:
        until("DOWN with cause local", lambda: state(browser) == ("down", "local"), 10)
        card = until("the card", lambda: browser.find_element(By.ID, "before-calling").text, 5)
        assert card.startswith("Before calling your ISP\nYour router (")
        assert browser.find_elements(By.ID, "tell") == []
        assert "Record the fault ticket" not in browser.page_source and "Your first router" not in browser.page_source
        hidden = browser.find_elements(By.CSS_SELECTOR, ".layer.hidden")
        assert {e.get_attribute("data-role") for e in hidden} >= {"isp", "anchor"}
        shot(browser, "now-local-360-light")
        view(browser, 360, "dark")
        shot(browser, "now-local-360-dark")
        view(browser, 1280)
        shot(browser, "now-local-1280-light")
        browser.get(site.url + "/act")
        assert browser.find_element(By.ID, "before-calling")
        shot(browser, "act-local-1280-light")
    finally:
        net.restore("lan")
    view(browser, 1280)
    browser.get(site.url + "/")
    until("UP again", lambda: state(browser) == ("up", ""), 15)


def test_writes_need_the_login(site: Site, browser: Any) -> None:
    browser.delete_all_cookies()
    view(browser, 1280)
    browser.get(site.url + "/act")
    assert "Sign in" in browser.find_element("css selector", "[data-signed-out]").text
    assert browser.execute_script("return document.querySelector('#open fieldset').disabled") is True
    before = site.tickets()
    answer = browser.execute_async_script(
        """const done = arguments[0], form = new FormData();
        form.append('ref', 'NOLOGIN-1'); form.append('csrf', document.querySelector('input[name=csrf]').value);
        fetch('/act/ticket', {method: 'POST', body: form}).then(r => done([r.redirected, r.url]));"""
    )
    assert answer == [True, f"{site.url}/login?next=/act%23open"]  # back to the form on its page after signing in
    assert site.tickets() == before


def test_a_form_without_the_token_or_from_another_site_is_refused(site: Site, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    view(browser, 1280)
    sign_in(browser, site)
    before = site.tickets()
    browser.execute_script("document.querySelector('#open input[name=csrf]').value = 'forged'")
    browser.find_element(By.ID, "ref").send_keys("CSRF-1")
    browser.find_element(By.ID, "open-ticket").click()
    until("the refusal", lambda: "Not recorded" in browser.title or "Not recorded" in browser.page_source, 10)
    assert "This form was not sent from this dashboard's page" in browser.page_source
    # A page elsewhere that posts to the dashboard (a data: URL is another origin, "null"): refused too.
    evil = (
        f'<form id="f" method="post" action="{site.url}/act/ticket"><input name="ref" value="CSRF-2"></form>'
        "<script>document.getElementById('f').submit()</script>"
    )
    browser.get("data:text/html," + evil)
    until("the refusal", lambda: "This form was not sent from this dashboard" in browser.page_source, 10)
    assert site.tickets() == before


@pytest.mark.parametrize(
    ("form", "fill", "error"),
    [
        (
            "open",
            {"ref": "   "},
            "Provider's reference: the provider's reference is empty; copy it from their e-mail or the call",
        ),
        (
            "open",
            {"ref": "FUT-1", "reported": "2099-01-01T10:00"},
            "Reported at: 2099-01-01 10:00:00 GMT is in the future; give the time it happened",
        ),
        (
            "close",
            {"fixed": "2000-01-01T10:00"},
            "Repaired at: 2000-01-01 10:00:00 GMT is before the fault was reported",
        ),
        (
            "missed",
            {"at": "2000-01-01T10:00"},
            "Appointment the engineer missed: 2000-01-01 10:00:00 GMT is before the fault was reported",
        ),
    ],
)
def test_bad_input_on_every_form_says_why_on_the_page_and_writes_nothing(
    site: Site, browser: Any, form: str, fill: dict[str, str], error: str
) -> None:
    from selenium.webdriver.common.by import By

    view(browser, 360)
    sign_in(browser, site)
    if form != "open" and not site.tickets():
        opened = netwatch(site.cfg, "ticket", "open", "--reported", "now", "--ref", "BAD-INPUT-1")
        assert opened.returncode == 0, opened.stderr
        browser.get(site.url + "/act")
    with Store.open(site.daemon.store, readonly=True) as store:
        before = store.tickets()
    scope = "#open" if form == "open" else f"#tickets form[action='/act/{form}']"
    for name, value in fill.items():
        # Set like a user would through the browser's own widgets (a date-time picker cannot be typed into).
        browser.execute_script(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1];", f"{scope} [name={name}]", value
        )
    browser.find_element(By.CSS_SELECTOR, f"{scope} button[type=submit]").click()
    shown = until("the message", lambda: browser.find_element(By.CSS_SELECTOR, "[data-error]").text, 10)
    assert shown.startswith(error)
    assert spilled(browser, 360) == []
    shot(browser, f"act-error-{form}-360-light")
    with Store.open(site.daemon.store, readonly=True) as store:
        assert store.tickets() == before


def test_a_ticket_opened_on_the_page_is_in_ticket_list_and_the_report(site: Site, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    view(browser, 360)
    sign_in(browser, site)
    browser.find_element(By.ID, "ref").send_keys("PAGE-42")
    browser.find_element(By.ID, "note").send_keys("on the phone with Sam")
    browser.find_element(By.ID, "open-ticket").click()
    done = until("the confirmation", lambda: browser.find_element(By.CSS_SELECTOR, "[data-done]").text, 10)
    assert done.startswith("Ticket PAGE-42 opened: reported ")
    listed = netwatch(site.cfg, "ticket", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (ticket,) = [t for t in json.loads(listed.stdout)["tickets"] if t["ref"] == "PAGE-42"]
    assert (ticket["channel"], ticket["note"]) == ("phone", "on the phone with Sam")
    report = netwatch(site.cfg, "report", "--format", "json")
    assert report.returncode == 0, report.stderr
    assert "PAGE-42" in [t["ref"] for t in json.loads(report.stdout)["tickets"]]


def test_the_speed_test_shows_its_progress_and_is_kept(site: Site, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    view(browser, 1280)
    sign_in(browser, site)
    browser.find_element(By.ID, "run-speedtest").click()
    try:
        until("the progress", lambda: "Measuring with" in browser.find_element(By.ID, "speed-live").text, 10)
    except BaseException:
        print("speed-live:", browser.find_element(By.ID, "speed-live").text)
        raise
    shot(browser, "act-speedtest-running-1280-light")
    result = until("the result", lambda: browser.find_element(By.CSS_SELECTOR, "[data-speed='done']").text, 60)
    assert "Mbit/s down" in result and "kept as evidence" in result
    with Store.open(site.daemon.store, readonly=True) as store:
        kept = store.speed_results(0, time.time() + 60)
    assert [(r.backend, r.ok) for r in kept] == [("http", True)]


PAGES = ("/", "/day", "/history", "/month", "/act", "/login")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1280])
def test_every_page_fits_the_width_and_is_saved(site: Site, browser: Any, width: int, scheme: str) -> None:
    sign_in(browser, site, "/")
    view(browser, width, scheme)
    for path in PAGES:
        browser.get(site.url + path)
        until("the page", lambda: browser.execute_script("return document.readyState") == "complete", 10)
        assert spilled(browser, width) == [], path  # no box spills, only tables scroll sideways
        name = path.strip("/") or "now"
        # The whole page: the viewport grown to its height for the picture.
        height = browser.execute_script("return document.documentElement.scrollHeight")
        if width < 500:
            driver_metrics = {"width": width, "height": min(height, 6000), "deviceScaleFactor": 1, "mobile": True}
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", driver_metrics)
        else:
            browser.set_window_size(width, min(height + 120, 6000))
        shot(browser, f"{name}-{width}-{scheme}")
        view(browser, width, scheme)


def test_status_and_the_page_know_at_once_that_the_daemon_stopped(site: Site, browser: Any) -> None:
    """Issue 19, item 9: while the daemon runs, status says UP and a report has no unmonitored tail; once it
    stopped, status says NOT RUNNING at once (not a commit interval later), and so does the page."""
    status = netwatch(site.cfg, "status")
    assert "State:     UP\n" in status.stdout, status.stdout
    report = json.loads(netwatch(site.cfg, "report", "--format", "json").stdout)
    # The store commits every second here; the live file carries the rounds since: at most a round is unseen.
    assert report["coverage"]["unmonitored_seconds"] <= INTERVAL + TIMEOUT, report["coverage"]
    view(browser, 1280)
    browser.get(site.url + "/")
    until("the line up", lambda: state(browser) == ("up", ""), 10)
    site.daemon.proc.send_signal(signal.SIGTERM)
    assert site.daemon.proc.wait(timeout=30) == 0
    stopped = netwatch(site.cfg, "status")
    assert "State:     NOT RUNNING: the last round is " in stopped.stdout, stopped.stdout
    until("NOT RUNNING on the page", lambda: state(browser) == ("not running", ""), 2.0)
    shot(browser, "now-not-running-1280-light")
