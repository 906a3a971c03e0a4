"""Claims as a user meets them: a store with an outage and a fault ticket, `[claims] rules` chosen, and what
`netwatch report` (JSON, HTML, letter) and `netwatch claims rules` then say, figures computed by hand."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from netwatch.adapters.store.sqlite import Store
from netwatch.cli import ExitCode, main
from netwatch.config import loading
from netwatch.core.model import Cause, Channel, Incident, Kind, Role, Round, Sample, Target, Ticket

GW, A1 = Target(Role.GATEWAY, "192.168.1.1"), Target(Role.ANCHOR, "1.1.1.1")
WEEK = "".join(f'{day} = "09:00-17:30"\n' for day in ("mon", "tue", "wed", "thu", "fri"))


def at(text: str, zone: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def setup(tmp: Path, monkeypatch: pytest.MonkeyPatch, zone: str, extra: str) -> Path:
    """Down from Monday 2 November 2026 08:10 to Saturday 7 November 08:00 (local), reported Monday 09:00 by
    phone, repaired (says the ticket) Saturday 08:01; an engineer appointment on Wednesday 4 November was missed."""
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp / "absent.toml")
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(tmp / "state"))
    monkeypatch.setenv("HOME", str(tmp))
    monkeypatch.chdir(tmp)
    cfg = tmp / "netwatch.toml"
    cfg.write_text(f'{extra}\n[business_hours]\ntimezone = "{zone}"\n[business_hours.week]\n{WEEK}', encoding="utf-8")
    monkeypatch.setenv("NETWATCH_CONFIG", str(cfg))
    store = tmp / "state" / "netwatch.db"
    store.parent.mkdir()
    start, end = at("2026-11-02 08:10", zone), at("2026-11-07 08:00", zone)
    with Store.open(store) as s:
        s.begin_session(at("2026-11-02 08:00", zone))
        s.add_round(Round(at("2026-11-02 08:00", zone), (Sample(GW, 0.4), Sample(A1, 9.0))))
        s.save_incident(Incident(Kind.OUTAGE, Cause.ISP, start, end, 1000, ((Cause.ISP, 1000),)))
        s.commit()
        ticket = Ticket(
            "CASE-1",
            at("2026-11-02 09:00", zone),
            Channel.PHONE,
            "",
            at("2026-11-07 08:01", zone),
            (at("2026-11-04 08:00", zone),),
        )
        s.save_ticket(ticket, at("2026-11-02 09:01", zone))
        s.end_session(at("2026-11-09 08:00", zone))
    return store


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


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
    # (repaired 08:00, measured) are 3 calendar days at £9.76 (the rate from 1 April 2024) = £29.28; the missed
    # appointment pays £30.49. Total £59.77.
    items = [(i["item"], i["ticket"], i["quantity"], i["rate"], i["amount"]) for i in claims["items"]]
    assert items == [
        ("delayed_repair_per_day", "CASE-1", 3, 9.76, 29.28),
        ("missed_appointment", "CASE-1", 1, 30.49, 30.49),
    ]
    assert (claims["total"], claims["currency"], claims["pack"]["id"]) == (59.77, "GBP", "uk-ofcom")
    assert all(i["source"]["url"].startswith("https://") and i["rule"] for i in claims["items"])
    code, letter, _ = invoke("report", "--since", "2026-11-01", "--until", "2026-11-30", "--format", "md")
    assert code == 0
    assert "Under Ofcom's automatic compensation scheme I ask you to pay £59.77" in letter
    assert "I reported the fault on 2026-11-02 09:00:00 GMT by telephone (your reference CASE-1)." in letter
    assert invoke("report", "--since", "2026-11-01", "--until", "2026-11-30", "--output", "r.html")[0] == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="claim" data-item="([^"]+)" data-ticket="CASE-1" data-quantity="(\d+)"', html)
    assert rows == [("delayed_repair_per_day", "3"), ("missed_appointment", "1")]
    assert 'data-total="59.77"' in html


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
    assert lines[0] == (
        "Ofcom automatic compensation and broadband speeds codes (uk-ofcom 2024.1, United Kingdom); amounts in force"
        " on 2022-05-01:"
    )
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
    chased = at("2026-11-03 10:00", "Europe/London")  # the owner chased it on Tuesday under a new reference
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
    assert bullets[1].startswith("- I reported the fault on 2026-11-03 10:00:00 GMT on your website (your reference")


def test_a_ticket_closed_too_early_still_counts_in_the_next_month(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reported Mon 18 Mar 2024 10:00 (working days Tue 19, Wed 20: paid from Thu 21); the owner closed it on 30
    # March, but the line was measured down until Wed 3 Apr 12:00. March pays 21-31 Mar (11 days at £9.33, the
    # rate when it was reported), April pays 1-3 Apr (3 days): 14 in all, as one report of both months says.
    monkeypatch.setattr(loading, "DEFAULT_PATH", tmp_path / "absent.toml")
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(
        f'[claims]\nrules = "uk-ofcom"\n[business_hours]\ntimezone = "Europe/London"\n[business_hours.week]\n{WEEK}'
    )
    monkeypatch.setenv("NETWATCH_CONFIG", str(cfg))
    store = tmp_path / "state" / "netwatch.db"
    store.parent.mkdir()
    zone = "Europe/London"
    with Store.open(store) as s:
        s.begin_session(at("2024-03-01 00:00", zone))
        s.save_incident(Incident(Kind.OUTAGE, Cause.ISP, at("2024-03-18 09:00", zone), at("2024-04-03 12:00", zone)))
        s.commit()
        s.save_ticket(Ticket("EARLY-FIX", at("2024-03-18 10:00", zone), fixed=at("2024-03-30 12:00", zone)), 0.0)
        s.end_session(at("2024-04-30 00:00", zone))

    def days(since: str, until: str) -> int:
        code, out, err = invoke("report", "--since", since, "--until", until, "--format", "json")
        assert code == 0, err
        return sum(i["quantity"] for i in json.loads(out)["claims"]["items"])

    assert (days("2024-03-01", "2024-03-31"), days("2024-04-01", "2024-04-29")) == (11, 3)
    assert days("2024-03-01", "2024-04-29") == 14
