"""Every dashboard page lays out on a phone and a desktop, light and dark (review 1, S8): opened in headless
Chromium at 360, 390 and 1280 px from the real `netwatch web`, no element's content may spill out of its box, only
tables may scroll sideways (each in a box of its own: the day's timeline and the latency chart scale down as in
the report), no word may be broken, and the page may not scroll sideways. Each page is saved as a screenshot under
``artifacts/web-layout`` (or ``$NETWATCH_ARTIFACTS/web-layout``).

The store (tests/support), around the real "now": ten days of an office's line with an outage of every cause,
three outages 1-2 minutes apart forty minutes ago, an ISP outage open for ten minutes (the daemon's live file says
so, a round a minute), two fault tickets with long references and notes, and a traceroute for each outage. The
browser is signed in, so that the notes, the forms and the documents show too."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.core.model import Cause, Channel, Hop, StoredTrace, Ticket, Trace
from tests.support.browser import chromium, spilled, view
from tests.support.configs import office_hours, toml
from tests.support.dashboard import PASSWORD
from tests.support.incidents import outage, outage_for
from tests.support.instants import LONDON
from tests.support.live import write_live
from tests.support.processes import stop, wait_for
from tests.support.rounds import Line
from tests.support.sockets import free_port
from tests.support.targets import A1, A2, DNS, GW, ISP

REPO = Path(__file__).parents[2]
ARTIFACTS = Path(os.environ.get("NETWATCH_ARTIFACTS") or REPO / "artifacts") / "web-layout"
LINE = Line.of(GW, ISP, A1, A2, DNS)
STEP = 300.0  # seconds between the stored rounds: ten days in a few thousand
OFFICE = {  # a London office's line, plan and owner (its business hours are office_hours())
    "cost": {"hourly": 85.0},
    "plan": {"provider": "Example Broadband", "account": "EB-4471-0092", "monthly_fee": 42.0, "download_mbps": 80.0},
    "owner": {"business": "Smith Design Ltd", "name": "Jane Smith"},
    "claims": {"rules": "uk-ofcom"},
}


def build(store: Path, now: float) -> float:
    """The office's store around ``now``; returns the start of the ISP outage still open."""
    start = now - 10 * 86400
    closed = [
        outage_for(Cause.ISP, now - 9 * 86400, 3 * 3600 + 731, "gateway answered 11519/11519, ISP hop 0/11519"),
        outage_for(Cause.UPSTREAM, now - 7 * 86400, 1226, "gateway and ISP hop answered; no anchor"),
        outage_for(Cause.ISP_OR_UPSTREAM, now - 6 * 86400, 845, "gateway answered; no ISP hop known yet"),
        outage_for(Cause.LOCAL, now - 5 * 86400, 137, "gateway 0/137: the router restarted"),
        outage_for(Cause.DNS, now - 3 * 86400, 510, "anchors answered; example.test: SERVFAIL"),
        outage_for(Cause.UNKNOWN, now - 2 * 86400, 25, "no gateway target"),
        outage_for(Cause.ISP, now - 2400, 73, "ISP hop 0/73"),
        outage_for(Cause.LOCAL, now - 2400 + 87, 36, "gateway 0/36"),
        outage_for(Cause.DNS, now - 2400 + 135, 20, "example.test: SERVFAIL"),
    ]
    opened = now - 600
    current = outage(opened, None, Cause.ISP, rounds=10, detail="ISP hop 0/10")

    def cause_at(t: float) -> Cause | None:
        found = next((i for i in [*closed, current] if i.start <= t < (i.end or now + 60)), None)
        return None if found is None else found.cause

    with Store.open(store) as s:
        s.begin_session(start)
        t = start
        while t < now - 60:
            cause = cause_at(t)
            s.add_round(LINE.round(t, Cause.UPSTREAM if cause in (Cause.ISP_OR_UPSTREAM, Cause.UNKNOWN) else cause))
            t += STEP
        s.commit()
        for inc in [*closed, current]:
            s.save_incident(inc)
            hops = (Hop(1, GW.address, 0.6), Hop(2, None, None))
            trace = Trace(A1.address, inc.start + 4, hops, False)
            s.save_trace(StoredTrace(trace, "outage started", inc.kind, inc.start))
        long_ref = Ticket(
            "BT-INC-2026-1105-884213",
            closed[0].start + 900,
            Channel.PHONE,
            "Spoke to Priya, who said there is a cabinet fault in the area and an engineer is booked",
            closed[0].end,
        )
        s.save_ticket(long_ref, closed[0].end or now)
        s.save_ticket(
            Ticket("CASE-000918273645", opened + 120, Channel.WEB, "Engineer booked; nobody came", None, (now - 300,)),
            now - 200,
        )
    write_live(store, LINE.round(now - 30, Cause.ISP), session_start=start, open_incidents=[current], interval=60.0)
    return opened


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, float]]:
    """The dashboard's address and the open outage's start, with `netwatch web` serving the office's store."""
    state = tmp_path_factory.mktemp("web-layout")
    run = state / "run"
    run.mkdir()
    port = free_port()
    cfg = state / "netwatch.toml"
    cfg.write_text(toml({**OFFICE, "web": {"listen": f"127.0.0.1:{port}"}}) + office_hours())
    env = {**os.environ, "NETWATCH_STATE_DIR": str(state), "RUNTIME_DIRECTORY": str(run)}
    now = time.time()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUNTIME_DIRECTORY", str(run))
        opened = build(state / "netwatch.db", now)
    done = subprocess.run(
        [sys.executable, "-m", "netwatch", "web", "passwd", "--password-stdin", "--config", str(cfg)],
        env=env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    log = state / "web.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "netwatch", "web", "--config", str(cfg)], env=env, stdout=err, stderr=err
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for("the dashboard to listen", lambda: _answers(url), 30, proc=proc, log=log)
        yield url, opened
    finally:
        assert stop(proc) == 0, log.read_text()


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/static/app.css", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def browser(site: tuple[str, float]) -> Iterator[Any]:
    from selenium.webdriver.common.by import By

    url, _ = site
    with chromium() as driver:
        view(driver, 1280)
        driver.get(url + "/login?next=/act")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "sign-in").click()
        wait_for("the signed-in page", lambda: driver.current_url == url + "/act", 10)
        yield driver


def pages(opened: float) -> dict[str, str]:
    yesterday = (datetime.now(LONDON) - timedelta(days=1)).date().isoformat()
    return {
        "now": "/",
        "day": "/day",
        "yesterday": f"/day/{yesterday}",
        "history": "/history",
        "history-isp": "/history?cause=isp",
        "incident": f"/incident/outage/{round(opened * 1000)}",
        "month": "/month",
        "act": "/act",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 390, 1280])
def test_every_page_lays_out_at_every_width(site: tuple[str, float], browser: Any, width: int, scheme: str) -> None:
    url, opened = site
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[str]] = {}
    for name, path in pages(opened).items():
        view(browser, width, scheme)
        browser.get(url + path)
        wait_for("the page", lambda: browser.execute_script("return document.readyState") == "complete", 10)
        found[name] = spilled(browser, width)
        height = browser.execute_script("return document.documentElement.scrollHeight")
        view(browser, width, scheme, height=min(int(height) + 20, 8000))
        browser.save_screenshot(str(ARTIFACTS / f"{name}-{width}-{scheme}.png"))
    problems = [f"{name}: {problem}" for name, listed in found.items() for problem in listed]
    assert problems == [], "\n".join(problems)
