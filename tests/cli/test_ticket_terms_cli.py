"""`netwatch ticket open --kind/--planned`, `ticket declined`, `ticket notice`, `ticket credited`, and the deadlines
`ticket list` and `status` show, as a user meets them: what they print, what the report then says (claimed against
credited), and every refusal word for word.

The faults are of March 2024, so that every deadline has passed whenever the tests run: Monday 4 March 2024 10:00
reported; Ofcom's two working days Tue 5 and Wed 6; compensation from Thu 7; ADR from Mon 29 April (8 weeks).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.cli import ExitCode
from tests.support.cli import invoke, isolate
from tests.support.configs import office_hours
from tests.support.incidents import outage
from tests.support.instants import ts
from tests.support.rounds import Line
from tests.support.stores import record
from tests.support.targets import A1, GW

UK = '[claims]\nrules = "uk-ofcom"\ncontract = "residential"\ncustomer = "micro_business"\n'
MON = ts("2024-03-04 10:00")


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(UK + office_hours(), encoding="utf-8")
    path = isolate(monkeypatch, tmp_path, cfg=cfg, chdir=True) / "netwatch.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    Store.open(path).close()  # the daemon made it: commands record into a store, never create one
    return path


def refused(*args: str) -> str:
    code, out, err = invoke(*args)
    assert (code, out) == (ExitCode.USAGE, ""), err
    return err


def ok(*args: str) -> str:
    code, out, err = invoke(*args)
    assert (code, err) == (0, ""), err
    return out


def made(*args: str) -> str:
    """A document's text: it succeeds, with what the owner could configure as warnings beside it."""
    code, out, err = invoke(*args)
    assert code == 0, err
    return out


def fault_store(path: Path) -> None:
    """Down from Monday 4 March 2024 09:00 to Monday 11 March 12:00, netwatch running throughout."""
    begun = ts("2024-03-04 08:00")
    line = Line.of(GW, A1).answers(begun, 0.4, 9.0)
    record(path, begun, ts("2024-03-12 08:00"), [line], [outage(ts("2024-03-04 09:00"), ts("2024-03-11 12:00"))])


def test_kinds_and_planned_work(store_path: Path) -> None:
    assert ok("ticket", "open", "--ref", "SW-1", "--kind", "switch", "--reported", "2999-01-04 08:00") == (
        "ticket SW-1 opened: provider switch agreed for 2999-01-04 08:00:00 GMT\n"  # an agreed day may lie ahead
    )
    assert ok("ticket", "open", "--ref", "SL-1", "--kind", "speed", "--reported", "2024-03-04 10:00") == (
        "ticket SL-1 opened: slow speed reported 2024-03-04 10:00:00 GMT\n"
    )
    assert ok("ticket", "open", "--ref", "PW-1", "--planned", "--reported", "2024-03-01 10:00") == (
        "ticket PW-1 opened: planned work announced 2024-03-01 10:00:00 GMT\n"
    )
    assert refused("ticket", "open", "--ref", "X", "--kind", "speed", "--reported", "2999-01-04 08:00") == (
        "netwatch: --reported: 2999-01-04 08:00:00 GMT is in the future; give the time it happened\n"
    )
    assert refused("ticket", "open", "--ref", "X", "--kind", "port", "--planned", "--reported", "now") == (
        "netwatch: --planned: planned work is a fault ticket's, not a port ticket's; leave out --kind\n"
    )


def test_declined_appointments(store_path: Path) -> None:
    ok("ticket", "open", "--ref", "A-1", "--reported", "2024-03-04 10:00")
    assert ok("ticket", "declined", "A-1", "--at", "2024-03-08 09:00", "--next", "2024-03-11 09:00") == (
        "ticket A-1: declined appointment 2024-03-08 09:00:00 GMT recorded; the next is 2024-03-11 09:00:00 GMT\n"
    )
    assert ok("ticket", "declined", "A-1", "--at", "2024-03-08 09:00", "--next", "2024-03-11 09:00") == (
        "ticket A-1: the declined appointment of 2024-03-08 09:00:00 GMT is already recorded (the next is "
        "2024-03-11 09:00:00 GMT)\n"
    )
    assert refused("ticket", "declined", "A-1", "--at", "2024-03-08 09:00", "--next", "2024-03-08 08:00") == (
        "netwatch: --next: 2024-03-08 08:00:00 GMT is not after the declined appointment (2024-03-08 09:00:00 GMT); "
        "give the appointment that took its place\n"
    )
    assert refused("ticket", "declined", "A-1", "--at", "2024-03-01 09:00") == (
        "netwatch: --at: 2024-03-01 09:00:00 GMT is before the fault was reported (2024-03-04 10:00:00 GMT); an "
        "appointment for it comes after the report\n"
    )


def test_the_providers_notice(store_path: Path) -> None:
    ok("ticket", "open", "--ref", "A-1", "--reported", "2024-03-04 10:00")
    assert ok("ticket", "notice", "A-1", "--at", "2024-04-15 10:00") == (
        "ticket A-1: the provider's notice of 2024-04-15 10:00:00 BST recorded\n"
    )
    assert refused("ticket", "notice", "A-1", "--at", "2024-04-16 10:00") == (
        'netwatch: ticket "A-1" already has a notice (2024-04-15 10:00:00 BST): add --correct to replace it\n'
    )
    assert ok("ticket", "notice", "A-1", "--at", "2024-04-16 10:00", "--correct").endswith(
        "notice of 2024-04-16 10:00:00 BST recorded\n"
    )


def test_credits_are_recorded_once_each_and_refused_when_they_cannot_be(store_path: Path) -> None:
    ok("ticket", "open", "--ref", "A-1", "--reported", "2024-03-04 10:00")
    assert ok("ticket", "credited", "A-1", "--amount", "9.33", "--on", "2024-03-20") == (
        "ticket A-1: credit of £9.33 on 2024-03-20 recorded (£9.33 in all)\n"
    )
    assert ok("ticket", "credited", "A-1", "--amount", "29.15", "--on", "2024-03-21") == (
        "ticket A-1: credit of £29.15 on 2024-03-21 recorded (£38.48 in all)\n"
    )
    assert ok("ticket", "credited", "A-1", "--amount", "9.33", "--on", "2024-03-20") == (
        "ticket A-1: the credit of £9.33 on 2024-03-20 is already recorded (£38.48 in all)\n"
    )
    assert refused("ticket", "credited", "A-1", "--amount", "9.333") == (
        "netwatch: --amount: 9.333 is not an amount credited; give it in the currency of your bill, more than 0 and "
        "at most two decimals, e.g. --amount 9.98\n"
    )
    assert refused("ticket", "credited", "A-1", "--amount", "0") == (
        "netwatch: --amount: 0 is not an amount credited; give it in the currency of your bill, more than 0 and at "
        "most two decimals, e.g. --amount 9.98\n"
    )
    assert refused("ticket", "credited", "A-1", "--amount", "5", "--on", "2999-01-01") == (
        "netwatch: --on: 2999-01-01 is in the future; give the day the credit was made\n"
    )
    assert refused("ticket", "credited", "A-1", "--amount", "5", "--on", "2024-03-01") == (
        "netwatch: --on: 2024-03-01 is before the fault was reported (2024-03-04 10:00:00 GMT); give the day the "
        "credit was made\n"
    )
    # The example is today's date, whenever the test runs.
    assert re.fullmatch(
        r'netwatch: --on: "March" is not a date; write it as YYYY-MM-DD, e\.g\. \d{4}-\d{2}-\d{2}\n',
        refused("ticket", "credited", "A-1", "--amount", "5", "--on", "March"),
    )


def test_list_and_status_show_the_deadlines_and_the_credits(store_path: Path) -> None:
    fault_store(store_path)
    ok("ticket", "open", "--ref", "A-1", "--reported", "2024-03-04 10:00", "--channel", "phone")
    ok("ticket", "credited", "A-1", "--amount", "9.33", "--on", "2024-03-20")
    ok("ticket", "declined", "A-1", "--at", "2024-03-08 09:00", "--next", "2024-03-11 09:00")
    out = ok("ticket", "list")
    assert out.splitlines()[2:] == [
        "    declined appointment: 2024-03-08 09:00:00 GMT, next 2024-03-11 09:00:00 GMT",
        "    credited: £9.33 on 2024-03-20 (£9.33 in all)",
        "    Ofcom automatic compensation is due for every day from Thu 7 Mar 2024 it is not repaired",
        "    Alternative dispute resolution (the Communications Ombudsman or CISAS) can be asked now if the complaint "
        "is not resolved",
    ]
    (doc,) = json.loads(ok("ticket", "list", "--json"))["tickets"]
    assert doc["deadlines"][0] == {
        "rule": "Ofcom automatic compensation",
        "what": "compensation",
        "from": "2024-03-07T00:00:00Z",
        "last_day": "2024-03-06",
        "basis": "2 full working days after the day of the report: Tue 5 Mar 2024 and Wed 6 Mar 2024",
    }
    assert (doc["declined_appointments"], doc["credits"], doc["credited"]) == (
        [{"at": "2024-03-08T09:00:00Z", "next": "2024-03-11T09:00:00Z"}],
        [{"amount": 9.33, "on": "2024-03-20"}],
        9.33,
    )
    status = ok("status").splitlines()
    at = next(i for i, line in enumerate(status) if line.startswith("Ticket:    A-1 open"))
    assert status[at + 1 : at + 3] == [
        "           Ofcom automatic compensation is due for every day from Thu 7 Mar 2024 it is not repaired",
        "           Alternative dispute resolution (the Communications Ombudsman or CISAS) can be asked now if the "
        "complaint is not resolved",
    ]


def test_the_report_claims_what_is_due_and_shows_it_against_what_was_credited(store_path: Path) -> None:
    # Down until Mon 11 March 12:00; the declined appointment pauses Fri 8 to Sun 10: Thu 7 and Mon 11 at £9.33.
    fault_store(store_path)
    ok("ticket", "open", "--ref", "A-1", "--reported", "2024-03-04 10:00", "--channel", "phone")
    ok("ticket", "declined", "A-1", "--at", "2024-03-08 09:00", "--next", "2024-03-11 09:00")
    ok("ticket", "credited", "A-1", "--amount", "9.33", "--on", "2024-03-20")
    period = ("--since", "2024-03-01", "--until", "2024-03-31")
    claims = json.loads(made("report", *period, "--format", "json"))["claims"]
    assert [(i["quantity"], i["amount"]) for i in claims["items"]] == [(1, 9.33), (1, 9.33)]
    assert claims["settled"] == [
        {
            "ticket": "A-1",
            "claimed": 18.66,
            "contestable": 0.0,
            "credited": 9.33,
            "credits": [{"amount": 9.33, "on": "2024-03-20"}],
        }
    ]
    assert claims["basis"] == [
        "My contract with you is a residential one, which Ofcom's automatic compensation scheme covers whoever the "
        "customer is."
    ]
    assert claims["deadlines"]["A-1"][0]["what"] == "compensation"
    letter = made("report", *period, "--format", "md")
    assert (
        "My contract with you is a residential one, which Ofcom's automatic compensation scheme covers whoever the "
        "customer is.\n"
    ) in letter
    assert (
        "You have already credited £9.33 for these fault reports (A-1: £9.33 on Wed 20 Mar 2024); please set it "
        "against the amount above where it was for the same days."
    ) in letter
    made("report", *period, "--output", "r.html")
    html = Path("r.html").read_text(encoding="utf-8")  # the test runs in its own directory
    assert '<tr data-ticket="A-1" data-claimed="18.66" data-credited="9.33">' in html
    assert (
        "The customer declined or missed the appointment of 2024-03-08 09:00 GMT; the next was 2024-03-11 09:00 GMT. "
        "Credited by the provider: £9.33 on Wed 20 Mar 2024."
    ) in html
