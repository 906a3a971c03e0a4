"""Claims as a user meets them: a store with an outage and a fault ticket, `[claims] rules` chosen, and what
`netwatch report` (JSON, HTML, letter) and `netwatch claims rules` then say, figures computed by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.cli import ExitCode
from netwatch.core.model import Channel, Ticket
from tests.support.cli import invoke, isolate
from tests.support.configs import office_hours
from tests.support.incidents import outage
from tests.support.instants import local, ts
from tests.support.rounds import Line
from tests.support.stores import record
from tests.support.targets import A1, GW


def setup(tmp: Path, monkeypatch: pytest.MonkeyPatch, zone: str, extra: str) -> Path:
    """Down from Monday 2 November 2026 08:10 to Saturday 7 November 08:00 (local), reported Monday 09:00 by
    phone, repaired (says the ticket) Saturday 08:01; an engineer appointment on Wednesday 4 November was missed."""
    cfg = tmp / "netwatch.toml"
    cfg.write_text(f"{extra}\n{office_hours(zone)}", encoding="utf-8")
    state = isolate(monkeypatch, tmp, cfg=cfg, chdir=True)
    begun = ts("2026-11-02 08:00", zone)
    ticket = Ticket(
        "CASE-1",
        ts("2026-11-02 09:00", zone),
        Channel.PHONE,
        "",
        ts("2026-11-07 08:01", zone),
        (ts("2026-11-04 08:00", zone),),
    )
    return record(
        state / "netwatch.db",
        begun,
        ts("2026-11-09 08:00", zone),
        [Line.of(GW, A1).answers(begun, 0.4, 9.0)],
        [outage(ts("2026-11-02 08:10", zone), ts("2026-11-07 08:00", zone), rounds=1000)],
        [(ticket, ts("2026-11-02 09:01", zone))],
    )


def report_json() -> dict[str, object]:
    code, out, err = invoke("report", "--since", "2026-11-01", "--until", "2026-11-30", "--format", "json")
    assert code == 0, err
    claims = json.loads(out)["claims"]
    assert isinstance(claims, dict)
    return claims


def test_ofcom_delayed_repair_and_missed_appointment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup(tmp_path, monkeypatch, "Europe/London", '[claims]\nrules = "uk-ofcom"\n[plan]\nprovider = "Example"')
    claims = report_json()
    # Reported Monday 09:00: the two full working days are Tuesday and Wednesday; Thursday, Friday and Saturday
    # (repaired 08:00, measured) are 3 calendar days at £10.34 (the rate from 1 April 2026) = £31.02; the missed
    # appointment pays £32.31. Total £63.33.
    items = [(i["item"], i["ticket"], i["quantity"], i["rate"], i["amount"]) for i in claims["items"]]
    assert items == [
        ("delayed_repair_per_day", "CASE-1", 3, 10.34, 31.02),
        ("missed_appointment", "CASE-1", 1, 32.31, 32.31),
    ]
    assert (claims["total"], claims["currency"], claims["pack"]["id"]) == (63.33, "GBP", "uk-ofcom")
    assert all(i["source"]["url"].startswith("https://") and i["rule"] for i in claims["items"])
    code, letter, _ = invoke("report", "--since", "2026-11-01", "--until", "2026-11-30", "--format", "md")
    assert code == 0
    assert "Under Ofcom's automatic compensation scheme I ask you to pay £63.33" in letter
    assert "I reported the fault on Mon 2 Nov 2026 09:00:00 GMT by telephone (your reference CASE-1)." in letter
    assert invoke("report", "--since", "2026-11-01", "--until", "2026-11-30", "--output", "r.html")[0] == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="claim" data-item="([^"]+)" data-ticket="CASE-1" data-quantity="(\d+)"', html)
    assert rows == [("delayed_repair_per_day", "3"), ("missed_appointment", "1")]
    assert 'data-total="63.33"' in html


def test_tkg_days_three_and_four_then_day_five(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup(
        tmp_path,
        monkeypatch,
        "Europe/Berlin",
        '[cost]\ncurrency = "EUR"\n[claims]\nrules = "de-tkg"\n[plan]\nmonthly_fee = 80.0',
    )
    claims = report_json()
    # Reported Monday; Tuesday and Wednesday are the two calendar days; Thursday and Friday (days 3, 4) pay the
    # larger of 5 EUR or 10 % of 80 EUR = 8 EUR each; Saturday (day 5, repaired 08:00) the larger of 10 EUR or 20 %
    # = 16 EUR; the missed appointment 16 EUR. Total 8 + 8 + 16 + 16 = 48 EUR.
    assert [(i["item"], i["quantity"], i["rate"], i["amount"]) for i in claims["items"]] == [
        ("outage_day_3_4", 2, 8.0, 16.0),
        ("outage_day_5_on", 1, 16.0, 16.0),
        ("missed_appointment", 1, 16.0, 16.0),
    ]
    assert (claims["total"], claims["currency"]) == (48.0, "EUR")


def test_no_rules_means_no_claims_but_the_ticket_is_still_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup(tmp_path, monkeypatch, "Europe/London", "")
    claims = report_json()
    assert (claims["rules"], claims["items"], claims["total"]) == ("none", [], None)
    _, out, _ = invoke("report", "--since", "2026-11-01", "--until", "2026-11-30", "--format", "json")
    assert [t["ref"] for t in json.loads(out)["tickets"]] == ["CASE-1"]


def test_claims_rules_lists_the_amounts_in_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup(
        tmp_path,
        monkeypatch,
        "Europe/London",
        '[claims]\nrules = "uk-ofcom"\n[claims.amounts]\nmissed_appointment = 40',
    )
    code, out, err = invoke("claims", "rules", "--on", "2022-05-01")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Ofcom automatic compensation and broadband speeds codes (uk-ofcom 2026.1, United Kingdom)"
    assert "Amounts in force on 2022-05-01:" in lines
    assert "  delayed_repair_per_day: £8.40 per calendar day, since 2022-04-01" in lines
    assert "  missed_appointment: £40.00 per appointment, overridden by [claims.amounts]" in lines
    code, out, err = invoke("claims", "rules", "--on", "May 2022")
    assert (code, out, err) == (
        ExitCode.USAGE,
        "",
        'netwatch: --on: "May 2022" is not a date; write it as YYYY-MM-DD, e.g. 2026-04-01\n',
    )


def test_two_tickets_for_one_outage_are_two_bullets_and_each_day_is_paid_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = setup(tmp_path, monkeypatch, "Europe/London", '[claims]\nrules = "uk-ofcom"')
    chased = local("2026-11-03 10:00")  # the owner chased it on Tuesday under a new reference
    with Store.open(store) as s:
        s.save_ticket(Ticket("CASE-2", chased, Channel.WEB), chased + 60)
    claims = report_json()
    # CASE-1 pays Thu 5 to Sat 7; CASE-2's own clock (Wed, Thu) would start Fri 6: those days are CASE-1's already.
    assert [(i["item"], i["ticket"], i["quantity"]) for i in claims["items"]] == [
        ("delayed_repair_per_day", "CASE-1", 3),
        ("missed_appointment", "CASE-1", 1),
    ]
    assert "Ticket CASE-2: Fri 6 Nov 2026 to Sat 7 Nov 2026 are already counted under ticket CASE-1" in " ".join(
        claims["notes"]
    )
    _, letter, _ = invoke("report", "--since", "2026-11-01", "--until", "2026-11-30", "--format", "md")
    bullets = [line for line in letter.splitlines() if line.startswith("- I reported the fault")]
    assert [b.split("(your reference ")[1].split(")")[0] for b in bullets] == ["CASE-1", "CASE-2"]
    assert bullets[1].startswith("- I reported the fault on Tue 3 Nov 2026 10:00:00 GMT on your website (your ref")


def test_a_ticket_closed_too_early_still_counts_in_the_next_month(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reported Mon 18 Mar 2024 10:00 (working days Tue 19, Wed 20: paid from Thu 21); the owner closed it on 30
    # March, but the line was measured down until Wed 3 Apr 12:00. March pays 21-31 Mar (11 days at £9.33, the
    # rate when it was reported), April pays 1-3 Apr (3 days): 14 in all, as one report of both months says.
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(f'[claims]\nrules = "uk-ofcom"\n{office_hours()}')
    state = isolate(monkeypatch, tmp_path, cfg=cfg, home=False, chdir=True)
    record(
        state / "netwatch.db",
        local("2024-03-01 00:00"),
        local("2024-04-30 00:00"),
        incidents=[outage(local("2024-03-18 09:00"), local("2024-04-03 12:00"))],
        tickets=[(Ticket("EARLY-FIX", local("2024-03-18 10:00"), fixed=local("2024-03-30 12:00")), 0.0)],
    )

    def days(since: str, until: str) -> int:
        code, out, err = invoke("report", "--since", since, "--until", until, "--format", "json")
        assert code == 0, err
        return sum(i["quantity"] for i in json.loads(out)["claims"]["items"])

    assert (days("2024-03-01", "2024-03-31"), days("2024-04-01", "2024-04-29")) == (11, 3)
    assert days("2024-03-01", "2024-04-29") == 14
