"""The report lays out everywhere: the HTML report of a realistic month opened in headless Chromium at desktop and
phone widths, and its PDF, with nothing spilling out of its box.

The month (November 2026, a London office on uk-ofcom): netwatch installed on the 4th, stopped for an upgrade on
the 12th, crashed on the 20th; an outage of every cause, one of them over three days; two fault tickets with long
references, notes and a missed engineer appointment; a speed test every three hours, some skipped while the line
was down; a traceroute at the start of most outages. Its store is built through netwatch's own Store, its report
made by the real command. Beside it, the report of October, which netwatch never saw ("31d 01h 00m 00s" not
monitored).

In the browser every element is checked: its content may not be wider or taller than its box (a box that scrolls,
the wide tables' ``div.wide``, is allowed to), no word may be broken across two lines, and the page may not scroll
sideways. In the PDF (pdftotext -bbox), no word may reach past the right margin or overlap another. Needs Debian's
chromium and chromium-driver, WeasyPrint and poppler-utils: skipped without them (a failure under CI).
"""

from __future__ import annotations

import importlib.util
import math
import random
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from netwatch.adapters.store.sqlite import Store
from netwatch.cli import main
from netwatch.core.model import (
    Cause,
    Channel,
    Hop,
    Incident,
    Kind,
    SpeedResult,
    StoredTrace,
    Target,
    Ticket,
    Trace,
)
from tests.support.browser import chromium, spilled, view
from tests.support.incidents import outage_for
from tests.support.instants import LONDON, local
from tests.support.rounds import Line
from tests.support.skipping import unavailable
from tests.support.targets import A1, A2, A3, DNS, GW, ISP

ANCHORS = (A1, A2, A3)
TARGETS = (GW, ISP, *ANCHORS, DNS)
LINE = Line.of(*TARGETS)
STEP = 30.0  # seconds between the stored rounds: a month of them in a few seconds, every minute rolled up
WIDTHS = (1280, 390, 360)


def outage(cause: Cause, start: str, end: str, detail: str) -> Incident:
    return outage_for(cause, local(start), local(end) - local(start), detail)


SESSIONS = (  # (start, end, clean stop)
    (local("2026-11-04T09:12:07"), local("2026-11-12T18:00:03"), True),
    (local("2026-11-12T18:47:30"), local("2026-11-20T03:10:41"), False),
    (local("2026-11-20T07:31:12"), local("2026-12-01T00:00:00"), True),
)
INCIDENTS = (
    outage(Cause.ISP, "2026-11-05T10:02:13", "2026-11-05T13:14:52", "gateway answered 11519/11519, ISP hop 0/11519"),
    outage(Cause.UPSTREAM, "2026-11-09T14:00:41", "2026-11-09T14:21:07", "gateway and ISP hop answered; no anchor"),
    outage(Cause.LOCAL, "2026-11-10T08:30:02", "2026-11-10T08:32:19", "gateway 0/137: the router restarted"),
    outage(Cause.DNS, "2026-11-14T21:00:00", "2026-11-14T21:08:30", "anchors answered; dns.google: SERVFAIL"),
    Incident(
        Kind.DEGRADED,
        Cause.UPSTREAM,
        local("2026-11-17T19:00"),
        local("2026-11-17T21:30"),
        300,
        (),
        "anchor loss 7.2 %",
    ),
    outage(Cause.UNKNOWN, "2026-11-18T23:59:40", "2026-11-19T00:00:05", "no gateway target"),
    outage(Cause.ISP, "2026-11-22T09:15:00", "2026-11-24T16:40:11", "gateway answered, ISP hop 0/199211"),
)
TICKETS = (
    (
        Ticket(
            "BT-INC-2026-1105-884213",
            local("2026-11-05T10:40"),
            Channel.PHONE,
            "Spoke to Priya, who said there is a cabinet fault in the area",
            local("2026-11-05T13:20"),
        ),
        local("2026-11-05T13:25"),
    ),
    (
        Ticket(
            "CASE-000918273645",
            local("2026-11-22T09:40"),
            Channel.WEB,
            "Engineer booked for Monday morning; nobody came and nobody called",
            local("2026-11-24T16:30"),
            (local("2026-11-23T13:00"),),
        ),
        local("2026-11-24T16:45"),
    ),
)
CONFIG = """
[store]
path = "{store}"
[cost]
hourly = 85.0
currency = "GBP"
[plan]
provider = "Example Broadband"
account = "EB-4471-0092"
monthly_fee = 42.0
contracted_availability = 99.9
download_mbps = 80.0
upload_mbps = 20.0
[owner]
business = "Smith Design Ltd"
name = "Jane Smith"
address = "12 Mill Lane\\nAmbridge AB1 2CD"
email = "jane@example.org"
phone = "01632 960000"
[claims]
rules = "uk-ofcom"
[business_hours]
timezone = "Europe/London"
holidays = "GB"
[business_hours.week]
mon = "09:00-17:30"
tue = "09:00-17:30"
wed = "09:00-17:30"
thu = "09:00-17:30"
fri = "09:00-17:30"
"""


def down_at(t: float) -> Incident | None:
    return next((i for i in INCIDENTS if i.kind is Kind.OUTAGE and i.start <= t < (i.end or math.inf)), None)


def rtt(target: Target, t: float, rng: random.Random) -> float | None:
    """What ``target`` answered at ``t``: the outages' causes decide who is silent."""
    found = down_at(t)
    if found is not None:
        silent = {
            Cause.LOCAL: set(TARGETS),
            Cause.ISP: {ISP, *ANCHORS, DNS},
            Cause.UPSTREAM: {*ANCHORS, DNS},
            Cause.DNS: {DNS},
            Cause.UNKNOWN: {ISP, *ANCHORS, DNS},
        }[found.cause]
        if target in silent:
            return None
    if target is GW:
        return round(0.4 + rng.random(), 2)
    evening = 18 <= datetime.fromtimestamp(t, LONDON).hour < 23
    return round(11.0 + 6.0 * evening + 4 * rng.random(), 2)


def build(path: Path) -> None:
    rng = random.Random(19)
    with Store.open(path) as store:
        for start, end, clean in SESSIONS:
            store.begin_session(start)
            t = start
            while t < end:
                store.add_round(LINE.answers(t, *(rtt(target, t, rng) for target in TARGETS)))
                t += STEP
            store.commit()
            if clean:
                store.end_session(end)  # else a crash: the session ends at its last committed round
        for inc in INCIDENTS:
            store.save_incident(inc)
            if inc.kind is Kind.OUTAGE and inc.cause is not Cause.DNS:
                hops = (Hop(1, GW.address, 0.6), Hop(2, None, None))
                trace = Trace(ANCHORS[0].address, inc.start + 4, hops, False)
                store.save_trace(StoredTrace(trace, "outage started", inc.kind, inc.start))
        for ticket, recorded in TICKETS:
            store.save_ticket(ticket, recorded)
        t = SESSIONS[0][0] + 1800
        while t < SESSIONS[-1][1]:
            if any(a <= t < b for a, b, _ in SESSIONS):
                if down_at(t) is not None:
                    store.save_speed(SpeedResult(t, "speedtest", "speedtest-cli", "2.1.3", error="skipped: line down"))
                else:
                    evening = 18 <= datetime.fromtimestamp(t, LONDON).hour < 23
                    down = rng.uniform(28, 45) if evening else rng.uniform(62, 78)
                    store.save_speed(
                        SpeedResult(
                            t,
                            "speedtest",
                            "speedtest-cli",
                            "2.1.3",
                            "Vodafone UK (London)",
                            "1234",
                            download_mbps=round(down, 1),
                            upload_mbps=round(rng.uniform(15, 19), 1),
                            latency_ms=14.0,
                            ok=True,
                            bytes_used=120_000_000,
                        )
                    )
            t += 3 * 3600
        store.commit()


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The month's store and configuration; yields the configuration file."""
    where = tmp_path_factory.mktemp("office")
    build(where / "office.db")
    config = where / "netwatch.toml"
    config.write_text(CONFIG.format(store=where / "office.db"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NETWATCH_STATE_DIR", str(where))
        yield config


def report(config: Path, since: str, until: str, output: Path) -> Path:
    result = CliRunner().invoke(
        main, ["report", "--config", str(config), "--since", since, "--until", until, "--output", str(output)]
    )
    assert result.exit_code == 0, result.stderr
    return output


# --- the browser ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def opened(driver: Any, page: Path, width: int) -> list[str]:
    view(driver, width)
    driver.get(page.as_uri())
    return spilled(driver, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_spills_out_of_its_box_in_the_report_of_a_month(
    office: Path, browser: Any, tmp_path: Path, width: int
) -> None:
    page = report(office, "2026-11-01", "2026-11-30", tmp_path / "month.html")
    html = page.read_text()
    for part in ('class="tickets"', 'class="incidents"', 'class="claims"', 'class="speed-failures"', "not-running"):
        assert part in html, part  # the month shows every part whose layout is checked
    assert opened(browser, page, width) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_spills_out_of_its_box_in_the_report_of_a_month_nobody_watched(
    office: Path, browser: Any, tmp_path: Path, width: int
) -> None:
    page = report(office, "2026-10-01", "2026-10-31", tmp_path / "october.html")
    assert "31d 01h 00m 00s" in page.read_text()  # the longest figure a card holds
    assert opened(browser, page, width) == []


# --- the PDF -------------------------------------------------------------------------------------------------


def words_of(pdf: Path) -> list[tuple[float, list[tuple[float, float, float, float, str]]]]:
    """Per page: its width and its words' boxes (points), from pdftotext -bbox."""
    done = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = []
    for width, body in re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', done.stdout, re.S):
        words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', body)
        pages.append((float(width), [(float(a), float(b), float(c), float(d), text) for a, b, c, d, text in words]))
    return pages


def test_the_pdf_of_the_month_keeps_every_word_on_its_page_and_apart(office: Path, tmp_path: Path) -> None:
    if importlib.util.find_spec("weasyprint") is None or shutil.which("pdftotext") is None:
        unavailable("needs WeasyPrint (pip install 'netwatch[pdf]') and pdftotext (apt-get install poppler-utils)")
    pdf = report(office, "2026-11-01", "2026-11-30", tmp_path / "month.pdf")
    pages = words_of(pdf)
    margin = 13 / 25.4 * 72  # the right margin of the @page rule, in points
    assert len(pages) >= 5
    text = " ".join(w[4] for _, words in pages for w in words)
    assert "CASE-000918273645" in text and "BT-" in text  # the tickets table is there
    for number, (width, words) in enumerate(pages, 1):
        for a in words:
            assert a[2] <= width - margin + 0.5, f"page {number}: {a[4]!r} reaches {a[2]} pt on a {width} pt page"
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                across, down = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
                assert across <= 0.5 or down <= 0.5, f"page {number}: {a[4]!r} overlaps {b[4]!r}"
