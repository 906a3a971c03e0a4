"""`netwatch ticket open|close|missed|list` as a user meets them: the records they leave in the evidence chain
(also while a daemon writes the same store), what the list says against the measured outages, and every refusal
word for word."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.cli import ExitCode
from netwatch.core.model import Cause
from tests.support.cli import invoke, isolate
from tests.support.configs import office_hours
from tests.support.incidents import outage
from tests.support.instants import ts
from tests.support.rounds import Line
from tests.support.stores import record
from tests.support.targets import A1, GW

T0 = ts("2026-11-03T09:00")  # Tuesday 3 November 2026, 09:00 GMT (London = UTC)
LINE = Line.of(GW, A1)  # the gateway answering in 0.4 ms, the anchor in 9


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(office_hours(), encoding="utf-8")
    return isolate(monkeypatch, tmp_path, cfg=cfg, chdir=True) / "netwatch.db"


def refused(*args: str) -> str:
    code, out, err = invoke(*args)
    assert (code, out) == (ExitCode.USAGE, ""), err
    return err


def outage_store(path: Path) -> None:
    """An ISP outage 09:10-09:40 on 3 November and a local one 10:00-10:05 (the owner's router)."""
    outages = [outage(T0 + 600, T0 + 2400, rounds=1800), outage(T0 + 3600, T0 + 3900, Cause.LOCAL, rounds=300)]
    # A round a minute, down where the outages are: the verification holds the outages to their rounds.
    rounds = [
        LINE.answers(
            T0 + at, None if 3600 <= at < 3900 else 0.4, None if 600 <= at < 2400 or 3600 <= at < 3900 else 9.0
        )
        for at in range(0, 7201, 60)
    ]
    record(path, T0, T0 + 7200, rounds, outages)


def test_a_ticket_is_opened_closed_and_listed_against_the_outage_it_covers(store_path: Path) -> None:
    outage_store(store_path)
    code, out, err = invoke(
        "ticket",
        "open",
        "--reported",
        "2026-11-03 09:25",
        "--ref",
        "CASE 77-1",
        "--channel",
        "phone",
        "--note",
        "Sam, 2nd line",
    )
    assert (code, err) == (0, "")
    assert out == "ticket CASE 77-1 opened: reported 2026-11-03 09:25:00 GMT by phone\n"
    code, out, err = invoke("ticket", "missed", "CASE 77-1", "--at", "2026-11-03T13:00:00+00:00")
    assert (code, out, err) == (
        0,
        "ticket CASE 77-1: missed appointment 2026-11-03 13:00:00 GMT recorded (1 in all)\n",
        "",
    )
    code, out, err = invoke("ticket", "close", "CASE 77-1", "--fixed", "2026-11-03 09:45")
    assert (code, err) == (0, "")
    assert out == "ticket CASE 77-1 closed: fixed 2026-11-03 09:45:00 GMT, 20m 00s after it was reported\n"
    code, out, err = invoke("ticket", "list")
    # Reported 09:25 during the ISP outage (09:10-09:40): 15 min down after the report, all in business hours; the
    # local outage at 10:00 is after the repair and not covered.
    assert (code, err) == (0, "")
    assert out == (
        "CASE 77-1  reported 2026-11-03 09:25:00 GMT by phone  fixed 2026-11-03 09:45:00 GMT\n"
        "    1 outage, down 15m 00s after the report (15m 00s in business hours); restored 2026-11-03 09:40:00 GMT\n"
        "    missed appointments: 2026-11-03 13:00:00 GMT\n"
        "    note: Sam, 2nd line\n"
    )
    code, out, _ = invoke("ticket", "list", "--json")
    (doc,) = json.loads(out)["tickets"]
    assert doc == {
        "ref": "CASE 77-1",
        "reported": "2026-11-03T09:25:00Z",
        "channel": "phone",
        "note": "Sam, 2nd line",
        "note_withheld": False,  # the owner's own list: the note is there
        "fixed": "2026-11-03T09:45:00Z",
        "open": False,
        "missed_appointments": ["2026-11-03T13:00:00Z"],
        "kind": "fault",
        "planned": False,
        "declined_appointments": [],
        "notice": None,
        "credits": [],
        "credited": 0.0,
        "outages": 1,
        "down_since": "2026-11-03T09:10:00Z",
        "restored": "2026-11-03T09:40:00Z",
        "down_after_report_seconds": 900.0,
        "business_down_after_report_seconds": 900.0,
        "deadlines": [],  # closed, and no rules chosen
    }


def test_tickets_are_sealed_and_an_edit_shows(store_path: Path) -> None:
    outage_store(store_path)
    assert invoke("ticket", "open", "--reported", "2026-11-03 09:25", "--ref", "A1")[0] == 0
    assert invoke("ticket", "close", "A1", "--fixed", "2026-11-03 09:45")[0] == 0
    code, out, _ = invoke("verify")
    assert code == 0 and "intact" in out
    with sqlite3.connect(store_path) as conn:  # the provider "was told" an hour earlier
        conn.execute("UPDATE tickets SET reported_ms = reported_ms - 3600000")
    code, out, _ = invoke("verify")
    assert code == ExitCode.VERIFY
    assert (
        'ticket "A1" [2026-11-03 08:25:00 GMT]: differs from its sealed version (seal 6): reported_ms 1793697900000'
        " → 1793694300000" in out
    )


def test_an_edited_term_of_a_ticket_is_named_by_its_reference(store_path: Path) -> None:
    outage_store(store_path)
    assert invoke("ticket", "open", "--reported", "2026-11-03 09:25", "--ref", "A1")[0] == 0
    assert invoke("ticket", "credited", "A1", "--amount", "5", "--on", "2026-11-20")[0] == 0
    with sqlite3.connect(store_path) as conn:  # the provider "paid" fifty
        conn.execute("UPDATE ticket_terms SET credits = '[[\"2026-11-20\",5000]]'")
    code, out, _ = invoke("verify")
    assert code == ExitCode.VERIFY
    assert (
        'ticket "A1" (terms) [2026-11-03 09:25:00 GMT]: differs from its sealed version (seal 6): credits'
        ' "[[\\"2026-11-20\\",500]]" → "[[\\"2026-11-20\\",5000]]"' in out
    )
    assert "ticket_terms" not in out


def test_a_ticket_recorded_while_the_daemon_writes_keeps_one_chain(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    with Store.open(store_path) as daemon:
        daemon.begin_session(T0)
        for i in range(20):
            daemon.add_round(LINE.answers(T0 + i, 0.4, 9.0))
            if i == 9:
                daemon.commit()
                assert invoke("ticket", "open", "--reported", "2026-11-03 09:00", "--ref", "R-1")[0] == 0
        daemon.commit()
        assert invoke("ticket", "close", "R-1", "--fixed", "2026-11-03 09:00:30")[0] == 0
        daemon.add_round(LINE.answers(T0 + 20, 0.4, 9.0))
        daemon.commit()
    code, out, _ = invoke("verify")
    assert code == 0, out
    assert "checked in full: 6 seals, 21 rounds" in out


def test_refusals_are_one_line_with_a_fix(store_path: Path) -> None:
    outage_store(store_path)
    assert refused("ticket", "open", "--reported", "2026-11-03", "--ref", "X") == (
        'netwatch: --reported: "2026-11-03" has no time of day, and the compensation clock starts at the hour the'
        ' provider was told; write "now" or a date and time such as "2026-11-30 09:15" (in Europe/London, or with an'
        " offset)\n"
    )
    assert refused("ticket", "open", "--reported", "yesterday", "--ref", "X") == (
        'netwatch: --reported: "yesterday" is not a date and time; write "now" or a date and time such as'
        ' "2026-11-30 09:15" (in Europe/London, or with an offset)\n'
    )
    assert refused("ticket", "open", "--reported", "2999-01-01 10:00", "--ref", "X") == (
        "netwatch: --reported: 2999-01-01 10:00:00 GMT is in the future; give the time it happened\n"
    )
    assert refused("ticket", "open", "--reported", "now", "--ref", "  ") == (
        "netwatch: --ref: the provider's reference is empty; copy it from their e-mail or the call\n"
    )
    assert refused("ticket", "open", "--reported", "now", "--ref", "a\tb") == (
        'netwatch: --ref: "a\\tb" is not a reference (at most 64 characters, no tabs or line breaks)\n'
    )
    assert refused("ticket", "close", "NOPE", "--fixed", "now") == (
        'netwatch: no ticket "NOPE": there are no tickets yet (`netwatch ticket list`); open one with'
        " `netwatch ticket open`\n"
    )
    assert invoke("ticket", "open", "--reported", "2026-11-03 09:25", "--ref", "A1")[0] == 0
    assert refused("ticket", "open", "--reported", "now", "--ref", "A1") == (
        'netwatch: ticket "A1" already exists (reported 2026-11-03 09:25:00 GMT): close it with'
        " `netwatch ticket close A1 --fixed WHEN`, or give the new fault its own --ref\n"
    )
    assert refused("ticket", "close", "A2", "--fixed", "now") == (
        'netwatch: no ticket "A2": the tickets are A1 (`netwatch ticket list`); open one with `netwatch ticket open`\n'
    )
    assert refused("ticket", "close", "A1", "--fixed", "2026-11-03 09:00") == (
        "netwatch: --fixed: 2026-11-03 09:00:00 GMT is before the fault was reported (2026-11-03 09:25:00 GMT);"
        " give the time of the repair\n"
    )
    assert invoke("ticket", "close", "A1", "--fixed", "2026-11-03 09:45")[0] == 0
    assert refused("ticket", "close", "A1", "--fixed", "2026-11-03 09:50") == (
        'netwatch: ticket "A1" is already closed (fixed 2026-11-03 09:45:00 GMT): add --correct to replace that time\n'
    )
    code, out, _ = invoke("ticket", "close", "A1", "--fixed", "2026-11-03 09:50", "--correct")
    assert (code, out) == (0, "ticket A1 closed: fixed 2026-11-03 09:50:00 GMT, 25m 00s after it was reported\n")
    assert refused("ticket", "missed", "A1", "--at", "2026-11-02 10:00") == (
        "netwatch: --at: 2026-11-02 10:00:00 GMT is before the fault was reported (2026-11-03 09:25:00 GMT); an"
        " appointment for it comes after the report\n"
    )


def test_instants_without_a_time_or_on_a_clock_change_are_refused(store_path: Path) -> None:
    outage_store(store_path)
    assert refused("ticket", "open", "--reported", "20261103", "--ref", "X") == (
        'netwatch: --reported: "20261103" has no time of day, and the compensation clock starts at the hour the'
        ' provider was told; write "now" or a date and time such as "2026-11-30 09:15" (in Europe/London, or with an'
        " offset)\n"
    )
    assert refused("ticket", "open", "--reported", "2026-03-29 01:30", "--ref", "X") == (
        'netwatch: --reported: "2026-03-29 01:30" does not exist in Europe/London (the clocks went forward then);'
        " give the time with its offset, e.g. 2026-03-29 01:30+00:00\n"
    )
    assert refused("ticket", "open", "--reported", "2026-10-25 01:30", "--ref", "X") == (
        'netwatch: --reported: "2026-10-25 01:30" happened twice in Europe/London (the clocks went back then); add the'
        " offset: +01:00 for the first, +00:00 for the second\n"
    )
    code, out, _ = invoke("ticket", "open", "--reported", "2026-10-25 01:30+00:00", "--ref", "X")
    assert (code, out) == (0, "ticket X opened: reported 2026-10-25 01:30:00 GMT\n")


def test_a_reference_with_a_space_is_quoted_in_the_hints(store_path: Path) -> None:
    outage_store(store_path)
    assert invoke("ticket", "open", "--reported", "2026-11-03 09:25", "--ref", "CASE 7")[0] == 0
    assert refused("ticket", "open", "--reported", "now", "--ref", "CASE 7") == (
        'netwatch: ticket "CASE 7" already exists (reported 2026-11-03 09:25:00 GMT): close it with'
        " `netwatch ticket close 'CASE 7' --fixed WHEN`, or give the new fault its own --ref\n"
    )
    assert invoke("ticket", "missed", "CASE 7", "--at", "2026-11-03 14:00")[0] == 0
    _, again, _ = invoke("ticket", "missed", "CASE 7", "--at", "2026-11-03 14:00")
    assert again == "ticket CASE 7: the appointment of 2026-11-03 14:00:00 GMT is already recorded\n"
    with Store.open(store_path, readonly=True) as s:
        assert s.ticket("CASE 7") is not None
        versions = s.conn.execute("SELECT count(*) FROM ledger WHERE kind = 'ticket'").fetchone()[0]
    assert versions == 2  # opened, then the appointment: recording it again changed nothing


def test_listing_without_a_store_says_how_to_start(store_path: Path) -> None:
    outage_store(store_path)
    assert invoke("ticket", "list") == (
        0,
        "no tickets: record one with `netwatch ticket open --reported WHEN --ref REF`\n",
        "",
    )


def test_status_names_the_open_tickets(store_path: Path) -> None:
    outage_store(store_path)
    assert invoke("ticket", "open", "--reported", "2026-11-03 09:25", "--ref", "A1")[0] == 0
    assert invoke("ticket", "open", "--reported", "2026-11-03 09:30", "--ref", "B2")[0] == 0
    assert invoke("ticket", "close", "B2", "--fixed", "2026-11-03 09:45")[0] == 0
    code, out, _ = invoke("status")
    assert code == 0
    (line,) = [line for line in out.splitlines() if line.startswith("Ticket:")]
    assert line.startswith("Ticket:    A1 open, reported 2026-11-03 09:25:00 GMT (")
    assert line.endswith(" ago); `netwatch ticket close A1 --fixed WHEN` once repaired")


def test_a_missed_appointment_is_recorded_once_a_minute_never_now_and_can_be_withdrawn(store_path: Path) -> None:
    outage_store(store_path)
    assert invoke("ticket", "open", "--reported", "2026-11-03 09:25", "--ref", "A1")[0] == 0
    # Whatever is wrong with it, the fix offered is the booked time, never "now".
    booked = 'give the time it was booked for, such as "2026-11-30 09:00" (in Europe/London, or with an offset)'
    for given, wrong in (
        ("now", 'an appointment is a booked time, not "now"'),
        ("garbage", '"garbage" is not a date and time'),
        ("2026-11-03", '"2026-11-03" has no time of day'),
    ):
        assert refused("ticket", "missed", "A1", "--at", given) == f"netwatch: --at: {wrong}; {booked}\n"
    assert invoke("ticket", "missed", "A1", "--at", "2026-11-03 13:00") == (
        0,
        "ticket A1: missed appointment 2026-11-03 13:00:00 GMT recorded (1 in all)\n",
        "",
    )
    # The same booked time typed again, to the second or not: one appointment.
    for again in ("2026-11-03 13:00", "2026-11-03 13:00:40"):
        assert invoke("ticket", "missed", "A1", "--at", again) == (
            0,
            "ticket A1: the appointment of 2026-11-03 13:00:00 GMT is already recorded\n",
            "",
        )
    assert invoke("ticket", "missed", "A1", "--at", "2026-11-03 13:01")[1] == (
        "ticket A1: missed appointment 2026-11-03 13:01:00 GMT recorded (2 in all)\n"
    )
    # 13:01 was a mistake: withdrawn, in a new sealed version; the version that had it stays in the chain.
    assert invoke("ticket", "missed", "A1", "--at", "2026-11-03 13:01", "--withdraw") == (
        0,
        "ticket A1: missed appointment 2026-11-03 13:01:00 GMT withdrawn (1 left; the chain keeps the record)\n",
        "",
    )
    assert refused("ticket", "missed", "A1", "--at", "2026-11-03 13:01", "--withdraw") == (
        'netwatch: --at: ticket "A1" has no missed appointment at 2026-11-03 13:01:00 GMT (recorded: 2026-11-03'
        " 13:00:00 GMT); give one of those times\n"
    )
    _, out, _ = invoke("ticket", "list")
    assert "    missed appointments: 2026-11-03 13:00:00 GMT\n" in out
    with Store.open(store_path, readonly=True) as s:
        bodies = [
            json.loads(body)["missed"]
            for (body,) in s.conn.execute("SELECT body FROM ledger WHERE kind = 'ticket' ORDER BY id")
        ]
    assert bodies[-3:] == ["[1793710800000]", "[1793710800000,1793710860000]", "[1793710800000]"]
    code, out, _ = invoke("verify")
    assert code == 0 and "intact" in out
    # Every version stays in the chain, the one with the mistaken appointment too: verify lists them.
    assert (
        '  changed by the owner: ticket "A1" [2026-11-03 09:25:00 GMT]: 4 versions sealed (seals 5, 6, 7, 8); each is'
        " kept, the newest is what it says now\n" in out
    )


def test_a_ticket_whose_line_came_back_before_compensation_says_so_not_its_deadlines(
    store_path: Path, tmp_path: Path
) -> None:
    config = tmp_path / "netwatch.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[claims]\nrules = "uk-ofcom"\n', encoding="utf-8")
    outage_store(store_path)  # the ISP outage ends at 09:40; the line then stays up for 80 minutes of rounds
    assert invoke("ticket", "open", "--reported", "2026-11-03 09:25", "--ref", "A1")[0] == 0
    code, out, _ = invoke("ticket", "list")
    assert code == 0
    assert (
        "    the line was back at 09:40 on Tue 3 Nov 2026, before compensation would start: close it with "
        "`netwatch ticket close A1 --fixed WHEN`\n"
    ) in out
    assert "Ofcom automatic compensation" not in out and "dispute resolution" not in out
    code, out, _ = invoke("status")
    status = out.splitlines()
    at = next(i for i, line in enumerate(status) if line.startswith("Ticket:    A1 open"))
    assert status[at + 1 : at + 2] == [
        "           The line was back at 09:40 on Tue 3 Nov 2026, before compensation would start: close the ticket"
    ]
    # The provider's report never carries the owner's deadlines.
    report = tmp_path / "r.html"
    assert invoke("report", "--since", "2026-11-03", "--until", "2026-11-03", "--output", str(report))[0] == 0
    page = report.read_text(encoding="utf-8")
    assert 'data-ref="A1"' in page  # the ticket is in it
    assert "Deadlines of the open tickets" not in page and "can be asked now" not in page
