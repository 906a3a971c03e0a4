"""When a rule's clock runs out for a ticket, hand-computed at its edges, and how a deadline reads.

Calendar: 4 March 2024 is a Monday; Good Friday 2024 is 29 March and Easter Monday 1 April (a bank holiday in
England, not in Scotland; a public holiday all over Germany); British Summer Time began 31 March 2024, as did
German summer time. 3 January 2025 is a Friday; 6 January 2025 (a Monday) is Epiphany, a holiday in Bavaria and
not in Berlin. 8 April 2026, when the wait for ADR became 6 weeks, is a Wednesday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from netwatch.core.calendar import day_start, local_date
from netwatch.core.claims import Deadline, Situation, deadlines
from netwatch.core.claims.ofcom import is_working_day
from netwatch.core.model import Ticket, TicketKind
from netwatch.report.now import deadline_text

LONDON, BERLIN = "Europe/London", "Europe/Berlin"
ADR = "Alternative dispute resolution (the Communications Ombudsman or CISAS)"


def at(tz: str, *parts: int) -> float:
    return datetime(*parts, tzinfo=ZoneInfo(tz)).timestamp()  # type: ignore[misc]


def ofcom(
    reported: float, region: str = "ENG", *, kind: TicketKind = TicketKind.FAULT, planned: bool = False
) -> list[Deadline]:
    ticket = Ticket("T1", reported, kind=kind, planned=planned)
    return list(deadlines("uk-ofcom", ticket, timezone=LONDON, region=region))


def compensation(reported: float, region: str = "ENG") -> Deadline:
    return ofcom(reported, region)[0]


def tkg(ticket: Ticket, holidays: str = "", who: Situation = Situation()) -> list[Deadline]:  # noqa: B008
    return list(deadlines("de-tkg", ticket, timezone=BERLIN, holidays=holidays, situation=who))


def test_ofcom_two_full_working_days_after_a_monday_morning_report_and_eight_weeks_to_adr() -> None:
    assert ofcom(at(LONDON, 2024, 3, 4, 10)) == [
        Deadline(
            "T1",
            "compensation",
            "Ofcom automatic compensation",
            at(LONDON, 2024, 3, 7),
            date(2024, 3, 6),
            "2 full working days after the day of the report: Tue 5 Mar 2024 and Wed 6 Mar 2024",
        ),
        Deadline(
            "T1",
            "adr",
            ADR,
            at(LONDON, 2024, 4, 29),
            date(2024, 4, 28),
            "8 weeks after the report of Mon 4 Mar 2024, if it was a complaint; earlier if the provider says the "
            "complaint is at deadlock",
        ),
    ]


def test_ofcom_a_report_at_exactly_midnight_does_not_make_its_day_a_working_day() -> None:
    # The report's own day never counts, whatever the hour: 00:00:00 Monday gives Tuesday and Wednesday, as 10:00 does.
    found = compensation(at(LONDON, 2024, 3, 4))
    assert (found.last_day, found.at) == (date(2024, 3, 6), at(LONDON, 2024, 3, 7))
    assert compensation(at(LONDON, 2024, 3, 3, 23, 59, 59)).last_day == date(2024, 3, 5)  # Sunday: Mon 4, Tue 5


def test_ofcom_skips_the_weekend_and_the_nations_bank_holidays() -> None:
    thursday = at(LONDON, 2024, 3, 28, 15)
    assert compensation(thursday).last_day == date(2024, 4, 3)  # Good Friday, the weekend and Easter Monday skipped
    assert compensation(thursday, "SCT").last_day == date(2024, 4, 2)  # Easter Monday is a working day in Scotland
    assert compensation(thursday, "XYZ").last_day == date(2024, 4, 3)  # an unknown nation counts as England
    assert compensation(thursday).at == at(LONDON, 2024, 4, 4)  # summer time: the day starts at 23:00 UTC


def test_adr_waits_six_weeks_for_complaints_from_8_april_2026() -> None:
    assert ofcom(at(LONDON, 2026, 4, 7, 12))[-1].last_day == date(2026, 6, 1)  # 8 weeks: from Tue 2 June
    after = ofcom(at(LONDON, 2026, 4, 8, 9))[-1]
    assert (after.what, after.at, after.last_day) == ("adr", at(LONDON, 2026, 5, 20), date(2026, 5, 19))
    assert after.basis.startswith("6 weeks after the report of Wed 8 Apr 2026")


def test_the_speeds_codes_thirty_days_for_slow_speed_reported() -> None:
    # Slow speed reported Monday 4 March 2024: the 30 calendar days end on Wednesday 3 April (23:59).
    exit_right, adr = ofcom(at(LONDON, 2024, 3, 4, 15), kind=TicketKind.SPEED)
    assert exit_right == Deadline(
        "T1",
        "exit",
        "The speeds code's right to exit",
        at(LONDON, 2024, 4, 4),
        date(2024, 4, 3),
        "30 calendar days after the day slow speed was reported (Mon 4 Mar 2024)",
    )
    assert adr.what == "adr"


def test_no_ofcom_compensation_deadline_for_planned_work_or_a_business_contract() -> None:
    assert [d.what for d in ofcom(at(LONDON, 2024, 3, 4, 10), planned=True)] == ["adr"]
    business = deadlines(
        "uk-ofcom", Ticket("T1", at(LONDON, 2024, 3, 4, 10)), timezone=LONDON, situation=Situation("business")
    )
    assert [d.what for d in business] == ["adr"]


def test_tkg_counts_the_report_day_as_day_0_and_pays_from_day_3() -> None:
    assert tkg(Ticket("S-9", at(BERLIN, 2024, 3, 29, 23, 30))) == [
        Deadline(
            "S-9",
            "compensation",
            "§ 58 TKG compensation",
            at(BERLIN, 2024, 4, 1),
            date(2024, 3, 31),
            "the report day (Fri 29 Mar 2024) is day 0; compensation from day 3",
        )
    ]


def test_tkg_a_switch_pays_from_the_second_working_day_of_the_interruption() -> None:
    # Agreed Thursday 28 March 2024: Thursday is the free working day; Good Friday, the weekend and Easter Monday are
    # not working days anywhere in Germany, so compensation runs from Tuesday 2 April.
    (found,) = tkg(Ticket("W-1", at(BERLIN, 2024, 3, 28, 10), kind=TicketKind.SWITCH))
    assert (found.what, found.rule, found.at, found.last_day) == (
        "compensation",
        "§ 59 Abs. 4 TKG compensation",
        at(BERLIN, 2024, 4, 2),
        date(2024, 3, 28),
    )


def test_tkg_working_days_follow_the_land_of_the_business_hours() -> None:
    # Agreed Friday 3 January 2025 (the free working day): Monday 6 January is Epiphany in Bavaria only.
    switch = Ticket("W-2", at(BERLIN, 2025, 1, 3, 10), kind=TicketKind.SWITCH)
    assert tkg(switch)[0].at == at(BERLIN, 2025, 1, 6)
    assert tkg(switch, "DE-BE")[0].at == at(BERLIN, 2025, 1, 6)
    assert tkg(switch, "DE-BY")[0].at == at(BERLIN, 2025, 1, 7)


def test_tkg_a_port_is_due_by_the_end_of_the_next_working_day() -> None:
    (found,) = tkg(Ticket("P-1", at(BERLIN, 2024, 3, 4, 8), kind=TicketKind.PORT))
    assert (found.what, found.rule, found.at, found.last_day) == (
        "port",
        "§ 59 Abs. 6 TKG compensation",
        at(BERLIN, 2024, 3, 6),
        date(2024, 3, 5),
    )


def test_tkg_a_move_is_a_consumers_and_a_fault_a_waivers() -> None:
    move = Ticket("M-1", at(BERLIN, 2024, 3, 4, 8), kind=TicketKind.MOVE)
    assert [d.last_day for d in tkg(move, who=Situation(customer="consumer"))] == [date(2024, 3, 4)]
    assert tkg(move, who=Situation(customer="micro_business")) == []
    fault = Ticket("F-1", at(BERLIN, 2024, 3, 4, 8))
    assert len(tkg(fault, who=Situation(customer="micro_business"))) == 1
    assert tkg(fault, who=Situation(customer="micro_business", waived=True)) == []


def test_packs_without_deadlines_and_reports_before_a_pack_took_effect_have_none() -> None:
    ticket = Ticket("T1", at(LONDON, 2024, 3, 4, 10))
    assert deadlines("none", ticket, timezone=LONDON) == ()
    assert deadlines("us-fcc", ticket, timezone="America/New_York") == ()
    assert deadlines("nl-telecomwet", ticket, timezone="Europe/Amsterdam") == ()
    assert deadlines("be-ecl", ticket, timezone="Europe/Brussels") == ()
    assert deadlines("uk-ofcom", Ticket("T0", at(LONDON, 2019, 3, 29, 10)), timezone=LONDON) == ()


def test_how_each_deadline_reads_before_and_after_it() -> None:
    repair, adr = ofcom(at(LONDON, 2024, 3, 4, 10))
    (exit_right, _) = ofcom(at(LONDON, 2024, 3, 4, 15), kind=TicketKind.SPEED)
    (port,) = tkg(Ticket("P-1", at(BERLIN, 2024, 3, 4, 8), kind=TicketKind.PORT))
    before, after = at(LONDON, 2024, 3, 5), at(LONDON, 2024, 6, 1)
    assert [deadline_text(d, before) for d in (repair, adr, exit_right, port)] == [
        "Ofcom automatic compensation starts if it is not repaired by Wed 6 Mar 2024 23:59",
        f"{ADR} can be asked from Mon 29 Apr 2024 if the complaint is not resolved",
        "The speeds code's right to exit applies if the speed is still below the minimum after Wed 3 Apr 2024",
        "§ 59 Abs. 6 TKG compensation starts if the number is not ported by Tue 5 Mar 2024 23:59",
    ]
    assert [deadline_text(d, after) for d in (repair, adr, exit_right, port)] == [
        "Ofcom automatic compensation is due for every day from Thu 7 Mar 2024 it is not repaired",
        f"{ADR} can be asked now if the complaint is not resolved",
        "The speeds code's right to exit applies now if the speed is still below the minimum guaranteed",
        "§ 59 Abs. 6 TKG compensation is due for every day from Wed 6 Mar 2024 the number is not ported",
    ]
    assert deadline_text(repair, repair.at - 1).endswith("by Wed 6 Mar 2024 23:59")  # its last second
    assert deadline_text(repair, repair.at).startswith("Ofcom automatic compensation is due")


@given(st.integers(min_value=0, max_value=3 * 365 * 86400))
def test_ofcom_leaves_two_whole_working_days_after_the_day_of_the_report(offset: int) -> None:
    reported = at(LONDON, 2024, 1, 1) + offset
    found = compensation(reported)
    zone = ZoneInfo(LONDON)
    first = local_date(reported, zone) + timedelta(days=1)  # the report's own day never counts
    between = [first + timedelta(days=n) for n in range((found.last_day - first).days + 1)]
    assert sum(is_working_day(day, "ENG") for day in between) == 2
    assert is_working_day(found.last_day, "ENG")
    assert found.at == day_start(found.last_day + timedelta(days=1), zone) > reported
