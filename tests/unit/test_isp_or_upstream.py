"""An outage whose ISP hop was not known (netwatch started during it): cause ``isp_or_upstream``, never a guess
between ``isp`` and ``upstream``. How it reads in each document: the provider's either way (counted as attributable
to it, claimed by the rule packs that count both isp and upstream), named plainly, and added to the JSON contract's
cause values without moving the others. The hop is remembered in the store across restarts."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from netwatch.adapters.store.sqlite import Store
from netwatch.core.claims import loader
from netwatch.core.model import Cause, Coverage, Incident, Kind, LineNow, LineState, Period, Status, Ticket
from netwatch.report.compute import compute
from netwatch.report.jsonout import to_json
from netwatch.report.message import CAUSES, SHORT_CAUSES
from netwatch.report.status import Freshness, round_words, status_lines
from tests.support.html import parse
from tests.support.incidents import outage as ofcom_outage
from tests.support.incidents import outage_for as outage
from tests.support.instants import DAY, local_at
from tests.support.ofcom import MON_10, THU_0, lines, uk
from tests.support.reports import BUSINESS, MON, html_of, letter_of


def test_the_json_contracts_cause_values_only_grow() -> None:
    assert [c.value for c in Cause] == ["local", "isp", "upstream", "dns", "unknown", "isp_or_upstream"]


def test_it_is_attributable_to_the_provider_and_named_plainly() -> None:
    report = compute(
        Period(MON, MON + DAY),
        [outage(Cause.ISP_OR_UPSTREAM, MON + 10 * 3600, 1800)],
        [Coverage(MON, MON + DAY)],
        BUSINESS,
    )
    assert report.isp_attributable_seconds == 1800.0 and report.local_seconds == 0.0
    out = to_json(report)
    assert out["incidents"][0]["cause"] == "isp_or_upstream"
    assert out["by_cause"][-1] == {
        "cause": "isp_or_upstream",
        "count": 1,
        "seconds": 1800.0,
        "business_seconds": 1800.0,
    }
    doc = parse(html_of(report))
    [row] = [
        r for r in doc.one("table", class_="by-cause").find("tr") if r.attrs.get("data-cause") == "isp_or_upstream"
    ]
    assert "ISP access or upstream" in row.all_text
    assert "the fault is in the provider's network either way" in row.all_text
    causes = [r.attrs["data-cause"] for r in doc.one("table", class_="by-cause").find("tr") if "data-cause" in r.attrs]
    assert causes[:3] == ["isp", "isp_or_upstream", "upstream"], "next to the two it stands between"
    letter = letter_of(report).text
    assert "| ISP access or upstream |" in letter
    assert SHORT_CAUSES[Cause.ISP_OR_UPSTREAM] == "ISP access or upstream"


def test_the_rule_packs_that_count_isp_and_upstream_count_it() -> None:
    for pack in ("uk-ofcom", "de-tkg", "us-fcc"):
        assert Cause.ISP_OR_UPSTREAM in loader.load(pack).causes, pack
    # uk-ofcom: the same delayed repair as an isp outage pays the same.
    reported = [Ticket("ABC123", MON_10)]
    down = (local_at(2024, 3, 4, 9), THU_0 + 1)
    assert lines(uk(reported, [ofcom_outage(*down, Cause.ISP_OR_UPSTREAM)])) == lines(
        uk(reported, [ofcom_outage(*down)])
    )
    assert lines(uk(reported, [ofcom_outage(*down, Cause.ISP_OR_UPSTREAM)])) == [(1, 9.33, 9.33)]


def test_a_round_without_an_isp_hop_says_so_in_the_commands() -> None:
    assert round_words(Cause.ISP_OR_UPSTREAM) == "isp or upstream (ISP hop not yet known)"
    assert round_words(Cause.ISP) == "isp"


def test_the_isp_hop_is_remembered_in_the_store(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        assert store.isp_hop() is None
        store.remember_isp_hop("198.18.2.1", 1000.0)
        store.remember_isp_hop("198.18.2.1", 2000.0)  # found again: nothing new
        store.remember_isp_hop("198.18.9.1", 3000.0)
    with Store.open(path, readonly=True) as store:
        assert store.isp_hop() == "198.18.9.1"
        rows = store.conn.execute("SELECT address, found_ms FROM isp_hops ORDER BY id").fetchall()
    assert rows == [("198.18.2.1", 1_000_000), ("198.18.9.1", 3_000_000)]


def test_a_notification_says_it_in_plain_words() -> None:
    assert CAUSES[Cause.ISP_OR_UPSTREAM] == (
        "ISP access or upstream (your router answered, no public host did; the ISP's first hop was not known yet, "
        "or silent to pings, so which part of the ISP's network failed is not known)"
    )


def test_status_keeps_its_columns_with_the_longer_cause() -> None:
    isp = Incident(Kind.OUTAGE, Cause.ISP, MON, MON + 600, detail="a")
    either = Incident(Kind.OUTAGE, Cause.ISP_OR_UPSTREAM, MON + 3600, MON + 4200, detail="b")
    now = LineNow(MON + DAY, LineState.NO_DATA, running=False, live=False, last_round=None)
    lines = status_lines(Status(None, recent_incidents=(either, isp)), now, ZoneInfo("UTC"), Freshness(1.0, 10.0))
    rows = [line for line in lines if line.endswith(("  a", "  b"))]
    assert [row.index("10m 00s") for row in rows] == [rows[0].index("10m 00s")] * 2, rows
    assert "outage   isp_or_upstream" in rows[0] and "outage   isp             " in rows[1]
