"""uk-ofcom automatic compensation, hand-computed around the edges of its clock.

Amounts (netwatch/core/claims/packs/uk-ofcom.toml): delayed repair £9.33/day from 1 April 2023, £9.76 from 1 April 2024,
£9.98 from 1 April 2025, £10.34 from 1 April 2026; missed appointment £29.15, £30.49, £31.19, £32.31 from the same days;
a fault is priced at the amounts in force on the day it was reported (Ofcom's rule). Only days the line was down for
every measured second of the fault's part of the day are claimed; the others are contestable. Weekdays are checked
against a calendar: 4 March 2024 is a Monday; Good Friday 2024 is 29 March, Easter Monday 1 April (not a bank holiday
in Scotland); 5 May 2025 is a Monday, and so are 4 May 2026 and 3 May 2027.
"""

from __future__ import annotations

from functools import partial
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from netwatch.core.claims import Claims, Situation, claims_for, load
from netwatch.core.model import Cause, Coverage, Pause, Ticket
from tests.support import instants
from tests.support.incidents import outage
from tests.support.ofcom import MON_10, PLAN, THU_0, lines, uk

TZ = "Europe/London"


at = partial(instants.at, zone=TZ)


def test_repair_at_exactly_two_working_days_pays_nothing() -> None:
    claims = uk([Ticket("ABC123", MON_10)], [outage(at(2024, 3, 4, 9), THU_0)])
    assert claims.items == ()
    assert claims.total == 0.0
    assert claims.request == ""


def test_repair_one_second_later_pays_one_day() -> None:
    claims = uk([Ticket("ABC123", MON_10)], [outage(at(2024, 3, 4, 9), THU_0 + 1)])
    assert lines(claims) == [(1, 9.33, 9.33)]
    assert claims.items[0].explanation == (
        "Delayed repair, ticket ABC123: 1 calendar day \u00d7 £9.33 = £9.33 (Thu 7 Mar 2024 to Thu 7 Mar 2024; the "
        "rate in force from Sat 1 Apr 2023 (Ofcom's amounts from 1 April 2023, uprated by its CPI rule (ONS D7G7) and "
        "published by Giganet and UKFCF, not by Ofcom: Giganet's compensation scheme; UKFCF, April 2024, the figures "
        "the 2024 uprating replaced)). Reported Mon 4 Mar 2024 10:00; two full working days after the day of "
        "the report: Tue 5 Mar 2024 and Wed 6 Mar 2024; service back Thu 7 Mar 2024 00:00 (measured; 1 outage since "
        "the report)."
    )
    assert claims.request == (
        "Under Ofcom's automatic compensation scheme I ask you to pay £9.33: Delayed repair, ticket ABC123: "
        "1 calendar day \u00d7 £9.33 = £9.33."
    )
    item = claims.items[0]
    assert (item.rule, item.item, item.pack, item.currency, item.overridden) == (
        "Ofcom automatic compensation: delayed repair following loss of service",
        "delayed_repair_per_day",
        "uk-ofcom",
        "GBP",
        False,
    )
    assert item.source.url.startswith("https://www.ofcom.org.uk/")


def test_each_calendar_day_weekend_included() -> None:
    # Thu 7, Fri 8, Sat 9 begin before the repair on Saturday noon: 3 x £9.33 = £27.99.
    claims = uk([Ticket("ABC123", MON_10)], [outage(at(2024, 3, 4, 9), at(2024, 3, 9, 12))])
    assert lines(claims) == [(3, 9.33, 27.99)]
    assert claims.total == 27.99


def test_a_report_at_exactly_midnight_does_not_count_its_own_day() -> None:
    # Reported Monday 00:00:00: the report's day never counts, so Tue and Wed are the working days and Thursday 00:00
    # the deadline, as for a report at 10:00. Repaired Wednesday 00:00:01: nothing; Thursday 00:00:01: one day.
    down = at(2024, 3, 3, 22)
    assert uk([Ticket("T", at(2024, 3, 4))], [outage(down, at(2024, 3, 6, 0, 0, 1))]).items == ()
    assert lines(uk([Ticket("T", at(2024, 3, 4))], [outage(down, at(2024, 3, 7, 0, 0, 1))])) == [(1, 9.33, 9.33)]


def test_report_on_friday_and_on_a_weekend() -> None:
    # Friday 8 March 15:00 or Saturday 9 March: Mon 11 and Tue 12 → deadline Wed 13 00:00; repair Wed 08:00.
    repaired = at(2024, 3, 13, 8)
    for reported in (at(2024, 3, 8, 15), at(2024, 3, 9, 11)):
        claims = uk([Ticket("T", reported)], [outage(at(2024, 3, 8, 14), repaired)])
        assert lines(claims) == [(1, 9.33, 9.33)]
    assert uk([Ticket("T", at(2024, 3, 8, 15))], [outage(at(2024, 3, 8, 14), at(2024, 3, 13))]).items == ()


def test_easter_monday_pushes_the_deadline_in_england_not_in_scotland() -> None:
    # Thu 28 March 2024 10:00. England: Good Friday and Easter Monday are bank holidays → Tue 2, Wed 3 April →
    # deadline Thu 4; repair Fri 5 noon: 2 days. Scotland: Easter Monday is a working day → Mon 1, Tue 2 →
    # deadline Wed 3: 3 days. Reported in March, so at the March rate: 2 x £9.33 = £18.66, 3 x £9.33 = £27.99.
    tickets, incidents = [Ticket("T", at(2024, 3, 28, 10))], [outage(at(2024, 3, 28, 9), at(2024, 4, 5, 12))]
    assert lines(uk(tickets, incidents, region="ENG")) == [(2, 9.33, 18.66)]
    assert lines(uk(tickets, incidents, region="WLS")) == [(2, 9.33, 18.66)]
    assert lines(uk(tickets, incidents, region="SCT")) == [(3, 9.33, 27.99)]


def test_scotland_2_january() -> None:
    # Mon 1 January 2024 10:00. England: Tue 2, Wed 3 → deadline Thu 4; Scotland: 2 January is a bank holiday →
    # Wed 3, Thu 4 → deadline Fri 5. Repair Fri 5 noon: England 2 x £9.33, Scotland 1 x £9.33.
    tickets, incidents = [Ticket("T", at(2024, 1, 1, 10))], [outage(at(2024, 1, 1, 9), at(2024, 1, 5, 12))]
    assert lines(uk(tickets, incidents, region="ENG")) == [(2, 9.33, 18.66)]
    assert lines(uk(tickets, incidents, region="SCT")) == [(1, 9.33, 9.33)]


def test_st_andrews_day_observed_on_monday_in_scotland() -> None:
    # Fri 29 November 2024 10:00; St Andrew's Day (Sat 30) is observed Mon 2 December in Scotland.
    # England: Mon 2, Tue 3 → deadline Wed 4; Scotland: Tue 3, Wed 4 → deadline Thu 5. Repair Thu 5 noon.
    tickets, incidents = [Ticket("T", at(2024, 11, 29, 10))], [outage(at(2024, 11, 29, 9), at(2024, 12, 5, 12))]
    assert lines(uk(tickets, incidents, region="ENG")) == [(2, 9.76, 19.52)]
    assert lines(uk(tickets, incidents, region="SCT")) == [(1, 9.76, 9.76)]


def test_unknown_region_means_england() -> None:
    tickets, incidents = [Ticket("T", at(2024, 3, 28, 10))], [outage(at(2024, 3, 28, 9), at(2024, 4, 5, 12))]
    assert lines(uk(tickets, incidents, region="")) == lines(uk(tickets, incidents, region="ENG"))


SPAN = ([Ticket("ABC123", at(2024, 3, 25, 10))], [outage(at(2024, 3, 25, 9), at(2024, 4, 3, 12))])


def test_claim_spanning_1_april_keeps_the_rate_of_the_day_it_was_reported() -> None:
    # Mon 25 March 2024 10:00 → deadline Thu 28; repaired Wed 3 April noon: Thu 28 March to Wed 3 April are 7 days.
    # Ofcom: an uprating applies to service issues that occur from 1 April, so all 7 at £9.33 = £65.31.
    claims = uk(*SPAN)
    assert lines(claims) == [(7, 9.33, 65.31)]
    assert claims.total == 65.31
    assert claims.items[0].explanation.startswith(
        "Delayed repair, ticket ABC123: 7 calendar days \u00d7 £9.33 = £65.31 (Thu 28 Mar 2024 to Wed 3 Apr 2024; "
    )


def test_the_amount_changes_on_its_effective_date() -> None:
    # Reported Sunday 31 March 2024 23:59 or Monday 1 April 00:00: both have Tue 2 and Wed 3 April as the two full
    # working days (Easter Monday is a bank holiday in England) and, repaired Friday 5 April noon, Thu 4 and Fri 5 to
    # pay; the first at the old £9.33, the second at the uprated £9.76.
    down = [outage(at(2024, 3, 31, 23), at(2024, 4, 5, 12))]
    assert lines(uk([Ticket("OLD", at(2024, 3, 31, 23, 59))], down)) == [(2, 9.33, 18.66)]
    assert lines(uk([Ticket("NEW", at(2024, 4, 1, 0, 0))], down)) == [(2, 9.76, 19.52)]


def test_a_pack_may_price_each_day_at_its_own_rate() -> None:
    # rate_date = "day": Thu 28 to Sun 31 March at £9.33 (£37.32), Mon 1 to Wed 3 April at £9.76 (£29.28).
    from pathlib import Path

    from netwatch.core.claims import loader, ofcom

    text = (Path(loader.__file__).parent / "packs" / "uk-ofcom.toml").read_text(encoding="utf-8")
    pack = loader.parse(text.replace('rate_date = "reported"', 'rate_date = "day"'), "uk-ofcom.toml")
    items = ofcom.delayed_repairs(
        pack,
        since=at(2023, 12, 1),
        until=at(2025, 1, 1),
        incidents=SPAN[1],
        tickets=SPAN[0],
        zone=ZoneInfo(TZ),
        region="ENG",
        overrides={},
        notes=[],
    )
    assert [(i.quantity, i.rate, i.amount) for i in items[0]] == [(4, 9.33, 37.32), (3, 9.76, 29.28)]
    assert items[0][1].explanation.startswith(
        "Delayed repair, ticket ABC123: 3 calendar days \u00d7 £9.76 = £29.28 (Mon 1 Apr 2024 to Wed 3 Apr 2024; "
        "the rate in force from Mon 1 Apr 2024 (Ofcom's amounts from 1 April 2024, uprated by its CPI rule (ONS D7G7) "
        "and published by UKFCF, not by Ofcom: April 2024, Ofcom raise automatic compensation payouts for UK "
        "broadband woes))."
    )
    assert (items[0][1].start, items[0][1].end) == (at(2024, 4, 1), at(2024, 4, 3, 12))


def test_override_replaces_the_amount_for_every_date() -> None:
    claims = uk(*SPAN, overrides={"delayed_repair_per_day": 10.0})
    assert lines(claims) == [(7, 10.0, 70.0)]
    assert claims.items[0].overridden
    assert "the rate overridden in [claims.amounts]" in claims.items[0].explanation


def test_missed_appointments_in_the_period_each_at_its_dates_amount() -> None:
    missed = (at(2024, 3, 27, 9), at(2024, 4, 2, 9), at(2024, 5, 20, 9))  # the last is after the period
    claims = uk([Ticket("ABC123", at(2024, 3, 25, 10), missed_appointments=missed)], [], until=at(2024, 5, 1))
    repairs = [i for i in claims.items if i.item == "delayed_repair_per_day"]
    appointments = [(i.quantity, i.rate, i.amount) for i in claims.items if i.item == "missed_appointment"]
    assert appointments == [(1, 29.15, 29.15), (1, 30.49, 30.49)]
    assert claims.items[-1].explanation == (
        "Missed appointment, ticket ABC123: 1 \u00d7 £30.49 = £30.49 (Tue 2 Apr 2024 09:00)."
    )
    assert claims.total == round(sum(i.amount for i in repairs) + 59.64, 2)


def test_still_down_at_until_is_still_accruing() -> None:
    # Thu 7 and Fri 8 begin before until (Fri noon).
    claims = uk([Ticket("T", MON_10)], [outage(at(2024, 3, 4, 9), None)], until=at(2024, 3, 8, 12))
    assert lines(claims) == [(2, 9.33, 18.66)]
    assert "still down at Fri 8 Mar 2024 12:00: the claim is still accruing" in claims.items[0].explanation


def test_nothing_measured_down_after_the_report_pays_nothing() -> None:
    # Monitored throughout, no outage (or only the owner's own): the ticket's word alone is not a measured loss.
    for incidents in ([], [outage(at(2024, 3, 4, 9), at(2024, 3, 12), Cause.LOCAL)]):
        claims = uk([Ticket("T", MON_10, fixed=at(2024, 3, 8, 12))], incidents)
        assert claims.items == ()
        assert claims.notes[0] == (
            "Ticket T: no loss of service was measured after the report (Mon 4 Mar 2024 10:00): nothing is due for it."
        )


def test_an_outage_that_cleared_before_the_report_is_not_the_tickets() -> None:
    claims = uk([Ticket("T", MON_10)], [outage(at(2024, 3, 1), at(2024, 3, 2)), outage(at(2024, 3, 4, 8), MON_10)])
    assert claims.items == ()


def test_an_outage_that_began_before_the_report_is_the_tickets() -> None:
    started_before = outage(at(2024, 3, 3, 22), at(2024, 3, 7, 6))  # began Sunday: Thu 7 until 06:00
    assert lines(uk([Ticket("T", MON_10)], [started_before])) == [(1, 9.33, 9.33)]


def test_flaps_are_one_fault_but_a_day_back_up_is_a_repair() -> None:
    # Down Mon 09:00-Tue 10:00, back 30 min, down Tue 10:30-Thu 12:00, back 20 min, down Thu 12:20-Fri 06:00: one
    # fault repaired Fri 06:00. Friday (down 00:00-06:00, all of the fault's part of it) is claimed; Thursday, back
    # for 20 minutes, is a partial loss: contestable, 23 h 40 min of 24 h. Up all Saturday, then down Sun 10 Mar: a
    # new fault, not this one.
    flaps = [
        outage(at(2024, 3, 4, 9), at(2024, 3, 5, 10)),
        outage(at(2024, 3, 5, 10, 30), at(2024, 3, 7, 12)),
        outage(at(2024, 3, 7, 12, 20), at(2024, 3, 8, 6)),
        outage(at(2024, 3, 10, 9), at(2024, 3, 11, 12)),
    ]
    claims = uk([Ticket("T", MON_10)], flaps)
    assert lines(claims) == [(1, 9.33, 9.33)]
    assert claims.items[0].start == at(2024, 3, 8)
    assert "service back Fri 8 Mar 2024 06:00 (measured; 3 outages since the report)" in claims.items[0].explanation
    (thursday,) = claims.contestable
    assert (thursday.start, thursday.amount, thursday.down_seconds) == (at(2024, 3, 7), 9.33, (23 * 60 + 40) * 60)
    assert thursday.explanation == (
        "Contestable (partial loss), ticket T: Thu 7 Mar 2024, down 23h 40m 00s of the 1d 00h 00m 00s measured while "
        "the fault lasted; the rule pays for a day of complete loss. It would pay £9.33."
    )
    assert claims.contestable_total == 9.33 and claims.total == 9.33


def test_a_day_netwatch_did_not_see_is_listed_not_paid() -> None:
    # Monitored Mon 00:00-Thu 12:00 (the outage closed at the session's last round) and again from Sat 10:00, when
    # the line is still down until 14:00: Thu and Sat were measured down, Fri was not seen.
    down = [outage(at(2024, 3, 4, 9), at(2024, 3, 7, 12)), outage(at(2024, 3, 9, 10), at(2024, 3, 9, 14))]
    seen = [Coverage(at(2024, 3, 4), at(2024, 3, 7, 12)), Coverage(at(2024, 3, 9, 10), at(2024, 3, 11))]
    claims = uk([Ticket("T", MON_10)], down, coverage=seen, until=at(2024, 3, 11))
    assert lines(claims) == [(1, 9.33, 9.33), (1, 9.33, 9.33)]
    assert [item.start for item in claims.items] == [at(2024, 3, 7), at(2024, 3, 9)]
    assert claims.notes[0] == (
        "Ticket T: netwatch was not running on Fri 8 Mar 2024, so it is not counted; the provider's own records can "
        "show whether the fault lasted through them."
    )


def test_repair_from_the_ticket_inside_unmonitored_time() -> None:
    # Down from Mon 09:00 until monitoring stopped Thu 12:00; the owner says fixed Fri 12:00, while netwatch was off.
    seen = [Coverage(at(2024, 3, 4), at(2024, 3, 7, 12)), Coverage(at(2024, 3, 11), at(2024, 3, 12))]
    claims = uk(
        [Ticket("T", MON_10, fixed=at(2024, 3, 8, 12))],
        [outage(at(2024, 3, 4, 9), at(2024, 3, 7, 12))],
        coverage=seen,
        until=at(2024, 3, 12),
    )
    assert lines(claims) == [(1, 9.33, 9.33)]  # Thu; Fri was not seen
    assert "repaired Fri 8 Mar 2024 12:00 according to the ticket (netwatch was not running then)" in (
        claims.items[0].explanation
    )
    assert "netwatch was not running on Fri 8 Mar 2024" in claims.notes[0]


def test_a_ticket_reported_before_monitoring_began() -> None:
    # Reported Mon 10:00, netwatch started Wed 09:00 with the line down until Fri 12:00: Thu and Fri are paid.
    seen = [Coverage(at(2024, 3, 6, 9), at(2024, 3, 12))]
    claims = uk(
        [Ticket("EARLY", MON_10)], [outage(at(2024, 3, 6, 9), at(2024, 3, 8, 12))], coverage=seen, until=at(2024, 3, 12)
    )
    assert lines(claims) == [(2, 9.33, 18.66)]


def test_two_tickets_for_one_fault_pay_each_day_once() -> None:
    # One outage Mon 4 09:00 to Mon 11 Mar 12:00. T1 (Mon 10:00): Thu 7 to Mon 11 = 5 days. T2 (Tue 10:00, the
    # owner called again): its days from Fri 8 are T1's already.
    down = [outage(at(2024, 3, 4, 9), at(2024, 3, 11, 12))]
    claims = uk([Ticket("T2", at(2024, 3, 5, 10)), Ticket("T1", MON_10)], down)
    assert [(item.ticket, item.quantity) for item in claims.items] == [("T1", 5)]
    assert claims.total == 46.65
    assert claims.notes[0] == (
        "Ticket T2: Fri 8 Mar 2024 to Mon 11 Mar 2024 are already counted under ticket T1 (the same fault): not "
        "counted twice."
    )


def test_measurement_wins_over_the_tickets_fixed_with_a_note() -> None:
    claims = uk([Ticket("ABC123", MON_10, fixed=at(2024, 3, 7, 9))], [outage(at(2024, 3, 4, 9), at(2024, 3, 9, 12))])
    assert lines(claims) == [(3, 9.33, 27.99)]
    assert claims.notes[0] == (
        "Ticket ABC123: the ticket says fixed Thu 7 Mar 2024 09:00, but the line was measured back at Sat 9 Mar 2024 "
        "12:00; the measurement is used."
    )


def test_days_outside_the_period_belong_to_another_period() -> None:
    whole = uk(*SPAN)
    march = uk(*SPAN, since=at(2024, 3, 1), until=at(2024, 4, 1))
    april = uk(*SPAN, since=at(2024, 4, 1), until=at(2024, 5, 1))
    assert lines(march) == [(4, 9.33, 37.32)]
    assert lines(april) == [(3, 9.33, 27.99)]
    assert round(march.total + april.total, 2) == whole.total


def test_the_2025_and_2026_amounts() -> None:
    # Reported Monday 5 May 2025 10:00 (Tue 6, Wed 7 working days), repaired Thursday 8 May 12:00: one day at £9.98,
    # and a missed appointment at £31.19; the same a year later (Monday 4 May 2026) at £10.34 and £32.31.
    for year, day, repair, visit in ((2025, 5, 9.98, 31.19), (2026, 4, 10.34, 32.31)):
        missed = (at(year, 5, day + 1, 9),)
        claims = uk(
            [Ticket("T", at(year, 5, day, 10), missed_appointments=missed)],
            [outage(at(year, 5, day, 9), at(year, 5, day + 3, 12))],
            since=at(year, 5, 1),
            until=at(year, 6, 1),
        )
        assert lines(claims) == [(1, repair, repair), (1, visit, visit)]
        assert all(item.rate_status == "published" for item in claims.items)
        assert claims.total == round(repair + visit, 2)


def test_a_year_the_pack_has_no_uprating_for_uses_the_last_figure_and_says_so() -> None:
    claims = uk(
        [Ticket("T", at(2027, 5, 3, 10))],
        [outage(at(2027, 5, 3, 9), at(2027, 5, 6, 12))],
        since=at(2027, 5, 1),
        until=at(2027, 6, 1),
    )
    assert lines(claims) == [(1, 10.34, 10.34)]
    assert claims.items[0].rate_status == "stale"
    assert claims.notes[0] == (
        "No uprating of delayed_repair_per_day from Thu 1 Apr 2027 is in this rule pack: the last figure (£10.34) is "
        "used and may be lower than the one in force."
    )


@given(st.integers(min_value=0, max_value=20 * 86400), st.integers(min_value=1, max_value=3 * 86400))
def test_more_days_down_never_pays_less_and_total_is_the_sum(down: int, more: int) -> None:
    start = at(2024, 3, 20, 9)
    shorter = uk([Ticket("T", MON_10 + 86400 * 14)], [outage(start, start + down)])
    longer = uk([Ticket("T", MON_10 + 86400 * 14)], [outage(start, start + down + more)])
    assert longer.total >= shorter.total
    for claims in (shorter, longer):
        assert claims.total == round(sum(item.amount for item in claims.items), 2)


def test_one_appointment_on_two_tickets_is_paid_once() -> None:
    visit = at(2024, 3, 6, 8)
    both = [
        Ticket("T1", MON_10, missed_appointments=(visit,)),
        Ticket("T2", at(2024, 3, 5, 9), missed_appointments=(visit,)),
    ]
    claims = uk(both, [])
    assert [(i.item, i.ticket, i.quantity) for i in claims.items] == [("missed_appointment", "T1", 1)]


# --- what the measurements decide (netwatch.core.claims.episode), hand-computed on November 2024 -------------------
# Mon 4 Nov 2024 10:00 report: Tue 5 and Wed 6 are the two full working days; days are paid from Thu 7 at £9.76.
NOV_10 = at(2024, 11, 4, 10)


def test_a_name_service_failure_keeps_the_fault_open_but_its_days_are_not_paid() -> None:
    # isp Mon 4 09:00-Fri 8 23:00, dns Fri 8 23:00-Sun 10 01:00, isp Sun 10 01:00-Tue 12 00:00. The dns hours do not
    # end the fault (the provider answers for them), but Sat 9, down only from dns, is not a total loss of service,
    # and Fri 8 and Sun 10, an hour of each only dns, are partial losses: contestable.
    down = [
        outage(at(2024, 11, 4, 9), at(2024, 11, 8, 23)),
        outage(at(2024, 11, 8, 23), at(2024, 11, 10, 1), Cause.DNS),
        outage(at(2024, 11, 10, 1), at(2024, 11, 12)),
    ]
    claims = uk([Ticket("T", NOV_10)], down)
    assert lines(claims) == [(1, 9.76, 9.76), (1, 9.76, 9.76)]  # Thu 7; Mon 11
    assert [(i.start, i.down_seconds) for i in claims.contestable] == [
        (at(2024, 11, 8), 23 * 3600.0),
        (at(2024, 11, 10), 23 * 3600.0),
    ]
    assert claims.notes[0] == (
        "Ticket T: on Sat 9 Nov 2024 the line was down only from a name-service (dns) failure, which this rule does "
        "not count as a loss of service."
    )


def test_an_outage_netwatch_did_not_see_is_not_down() -> None:
    # One outage Mon 4 09:00-Fri 15 00:00 as recorded, but netwatch was off from Fri 8 00:00 to Tue 12 00:00.
    seen = [Coverage(at(2024, 11, 1), at(2024, 11, 8)), Coverage(at(2024, 11, 12), at(2024, 11, 20))]
    claims = uk(
        [Ticket("T", NOV_10)], [outage(at(2024, 11, 4, 9), at(2024, 11, 15))], coverage=seen, until=at(2024, 11, 20)
    )
    assert lines(claims) == [(1, 9.76, 9.76), (3, 9.76, 29.28)]  # Thu 7; Tue 12 to Thu 14
    assert claims.contestable == ()  # the days netwatch saw only in part were down for all it saw of them
    assert "netwatch was not running on Fri 8 Nov 2024 to Mon 11 Nov 2024" in claims.notes[0]


def test_adjacent_periods_add_up_to_the_whole_at_any_boundary() -> None:
    # Down Mon 4 09:00 until monitoring stopped Fri 8 00:00, netwatch back Fri 8 12:00 with the line still down
    # until Mon 11 06:00: however the month is cut, each day is paid once, to the period of its first down instant.
    seen = [Coverage(at(2024, 11, 1), at(2024, 11, 8)), Coverage(at(2024, 11, 8, 12), at(2024, 11, 30))]
    down = [outage(at(2024, 11, 4, 9), at(2024, 11, 8)), outage(at(2024, 11, 8, 12), at(2024, 11, 11, 6))]
    start, end = at(2024, 11, 1), at(2024, 11, 30)

    def days(since: float, until: float) -> int:
        found = uk([Ticket("T", NOV_10)], down, coverage=seen, since=since, until=until)
        return sum(item.quantity for item in found.items)

    whole = days(start, end)
    assert whole == 5  # Thu 7, Fri 8 (from 12:00), Sat 9, Sun 10, Mon 11
    for hours in range(0, 8 * 24, 5):
        cut = at(2024, 11, 4) + hours * 3600
        assert days(start, cut) + days(cut, end) == whole, hours


def test_fixed_inside_a_flap_ends_the_fault_and_says_what_followed() -> None:
    # Down Mon 4 09:00-Fri 8 10:00, up ten minutes, down again 10:10-Fri 15: the owner's --fixed Fri 8 10:05.
    down = [outage(at(2024, 11, 4, 9), at(2024, 11, 8, 10)), outage(at(2024, 11, 8, 10, 10), at(2024, 11, 15))]
    claims = uk([Ticket("T", NOV_10, fixed=at(2024, 11, 8, 10, 5))], down)
    assert lines(claims) == [(2, 9.76, 19.52)]  # Thu 7, Fri 8
    assert claims.notes[0].startswith(
        "Ticket T: the ticket says fixed Fri 8 Nov 2024 10:05, and the line went down again Fri 8 Nov 2024 10:10, "
        "within an hour; that outage is not counted under this ticket"
    )


# --- the scheme's limits (netwatch.core.claims.limits), hand-computed on March 2024 --------------------------------
# Reported Mon 4 Mar 2024 10:00: compensation from Thu 7 Mar at £9.33 (the rate of the report's day).
LONG = [outage(at(2024, 3, 4, 9), at(2024, 3, 11, 12))]  # repaired Mon 11 Mar 12:00: Thu 7 to Mon 11 are 5 days


def test_an_appointment_the_customer_declined_pauses_the_days_up_to_the_next_one() -> None:
    # The earliest appointment offered, Fri 8 09:00, was declined; the next was Mon 11 09:00: Fri 8, Sat 9 and Sun 10
    # are paused, Thu 7 and Mon 11 are paid.
    declined = (Pause(at(2024, 3, 8, 9), at(2024, 3, 11, 9)),)
    claims = uk([Ticket("T", MON_10, declined=declined)], LONG)
    assert lines(claims) == [(1, 9.33, 9.33), (1, 9.33, 9.33)]
    assert [item.start for item in claims.items] == [at(2024, 3, 7), at(2024, 3, 11)]
    assert claims.notes[0] == (
        "Ticket T: Fri 8 Mar 2024 to Sun 10 Mar 2024 are not counted: the customer declined or missed the earliest "
        "appointment offered, Fri 8 Mar 2024 09:00, and the next one was Mon 11 Mar 2024 09:00."
    )
    without_next = uk([Ticket("T", MON_10, declined=(Pause(at(2024, 3, 8, 9)),))], LONG)
    assert lines(without_next) == [(1, 9.33, 9.33)]
    assert without_next.notes[0].endswith("Fri 8 Mar 2024 09:00, and no later appointment is recorded.")


LONGEST = [outage(at(2024, 3, 4, 9), at(2024, 7, 1, 12))]  # repaired Mon 1 Jul 2024 12:00


def test_the_providers_notice_stops_the_payments_thirty_days_later() -> None:
    # Compensation starts Thu 7 Mar; a notice cannot be given before Sat 6 Apr (30 days later). Given Mon 15 Apr, the
    # payments stop after Wed 15 May: 7-31 Mar (25) + April (30) + 1-15 May (15) = 70 days x £9.33 = £653.10.
    claims = uk([Ticket("T", MON_10, notice=at(2024, 4, 15, 10))], LONGEST)
    assert (sum(i.quantity for i in claims.items), claims.total) == (70, 653.10)
    assert claims.items[-1].end == at(2024, 5, 16)
    assert claims.notes[0] == (
        "Ticket T: the provider gave notice on Mon 15 Apr 2024 that its payments stop; they stop 30 days later, so "
        "nothing after Wed 15 May 2024 is counted."
    )


def test_a_notice_given_too_early_counts_from_the_earliest_day_it_could_be_given() -> None:
    # Given Fri 15 Mar, it counts from Sat 6 Apr: payments stop after Mon 6 May: 25 + 30 + 6 = 61 days.
    claims = uk([Ticket("T", MON_10, notice=at(2024, 3, 15, 10))], LONGEST)
    assert sum(i.quantity for i in claims.items) == 61
    assert claims.notes[0] == (
        "Ticket T: the provider gave notice on Fri 15 Mar 2024 that its payments stop, counted from Sat 6 Apr 2024, "
        "the earliest it could be given; they stop 30 days later, so nothing after Mon 6 May 2024 is counted."
    )


def test_without_a_notice_every_day_is_counted_and_the_limit_is_said() -> None:
    # Thu 7 Mar to Mon 1 Jul: 25 + 30 + 31 + 30 + 1 = 117 days; past Mon 6 May a notice could have stopped them.
    claims = uk([Ticket("T", MON_10)], LONGEST)
    assert sum(i.quantity for i in claims.items) == 117
    assert claims.notes[0] == (
        "Ticket T: the provider may stop paying 30 days after it gives notice that it will, and cannot give that "
        "notice before Sat 6 Apr 2024 (30 days after compensation started); no notice is recorded, so every day is "
        "counted (if one came, record it with `netwatch ticket notice T --at WHEN`)."
    )
    assert "no notice is recorded" not in " ".join(uk([Ticket("T", MON_10)], LONG).notes)  # 5 days: no limit near


def test_planned_work_notified_in_advance_is_not_paid_nor_claimable_under_another_ticket() -> None:
    # P: the work, announced; F: a fault reported Tue 5 10:00 about the same outage (its days from Fri 8 are P's).
    claims = uk([Ticket("P", MON_10, planned=True), Ticket("F", at(2024, 3, 5, 10))], LONG)
    assert claims.items == ()
    assert claims.notes == (
        "Ticket P is planned work notified in advance: Ofcom automatic compensation: delayed repair following loss of "
        "service pays nothing for it.",
        "Ticket F: Fri 8 Mar 2024 to Mon 11 Mar 2024 are planned work notified in advance (ticket P): not counted.",
        *load("uk-ofcom").notes,
    )


# --- who the scheme covers -----------------------------------------------------------------------------------------


def situated(who: Situation) -> Claims:
    missed = (at(2024, 3, 6, 9),)
    found = claims_for(
        "uk-ofcom",
        since=at(2024, 3, 1),
        until=at(2024, 4, 1),
        incidents=LONG,
        tickets=[Ticket("T", MON_10, missed_appointments=missed)],
        speeds=[],
        plan=PLAN,
        timezone=TZ,
        region="ENG",
        overrides={},
        situation=who,
    )
    assert found is not None
    return found


def test_a_business_contract_is_not_covered_and_is_told_what_applies_instead() -> None:
    claims = situated(Situation("business", "micro_business"))
    assert (claims.items, claims.total, claims.basis) == ((), 0.0, ())
    assert claims.notes[0] == (
        "Ofcom automatic compensation: delayed repair following loss of service: it covers residential contracts, and "
        "this one is a business contract, so nothing is claimed under it. Ofcom's automatic compensation covers "
        "residential contracts only. On a business contract what applies is the contract itself: its service level "
        "agreement, and the contract information providers must give micro and small businesses and not-for-profits "
        "(General Condition C1); a complaint not resolved in 8 weeks (6 weeks from 8 April 2026), or at deadlock, "
        "can go to the Communications Ombudsman or CISAS if the business has 10 employees or fewer (General "
        "Condition C4)."
    )
    assert claims.notes[1].startswith(
        "Ofcom automatic compensation: missed engineer appointment: it covers residential"
    )


def test_a_residential_contract_states_its_basis_whoever_the_customer() -> None:
    for customer in ("consumer", "micro_business", "small_business"):
        claims = situated(Situation("residential", customer))
        assert lines(claims) == [(5, 9.33, 46.65), (1, 29.15, 29.15)]
        assert claims.basis == (
            "My contract with you is a residential one, which Ofcom's automatic compensation scheme covers whoever the "
            "customer is.",
        )
        assert claims.advice == ()


def test_a_contract_not_stated_is_assumed_residential_and_said_so() -> None:
    claims = situated(Situation())
    assert lines(claims) == [(5, 9.33, 46.65), (1, 29.15, 29.15)]
    assert claims.basis == ()  # the letter does not claim a residential contract it was not told of
    assert claims.notes[0] == (
        "Ofcom automatic compensation: delayed repair following loss of service applies only to a residential "
        "contract: the amounts under it assume this is one."
    )
    assert claims.advice[0] == (
        'set [claims] contract = "residential" or "business": Ofcom automatic compensation: delayed repair following '
        "loss of service covers residential contracts only"
    )


def test_a_year_the_index_is_in_the_pack_but_no_figure_published_is_computed_and_said_so() -> None:
    # With October 2026's index (here 3.0 %) in the pack, 1 April 2027's rate is £10.34 x 1.03 = £10.6502 → £10.65.
    from pathlib import Path

    from netwatch.core.claims import loader, ofcom

    text = (Path(loader.__file__).parent / "packs" / "uk-ofcom.toml").read_text(encoding="utf-8")
    row = '    { october = 2025, percent = 3.6, source = "cpi" },\n'
    pack = loader.parse(text.replace(row, row + '    { october = 2026, percent = 3.0, source = "cpi" },\n'), "uk-ofcom")
    notes: list[str] = []
    items, _ = ofcom.delayed_repairs(
        pack,
        since=at(2027, 5, 1),
        until=at(2027, 6, 1),
        incidents=[outage(at(2027, 5, 3, 9), at(2027, 5, 6, 12))],
        tickets=[Ticket("T", at(2027, 5, 3, 10))],
        zone=ZoneInfo(TZ),
        region="ENG",
        overrides={},
        notes=notes,
    )
    assert [(i.quantity, i.rate, i.rate_status) for i in items] == [(1, 10.65, "computed")]
    assert (
        "the rate from Thu 1 Apr 2027, computed by netwatch with the published uprating rule and not yet published: "
        "£10.34 \u00d7 (1 + 3.0 %) = £10.65 (ONS: CPI annual rate, all items (series D7G7), October 2026))"
    ) in items[0].explanation
    assert notes == [
        "The delayed_repair_per_day rate from Thu 1 Apr 2027 (£10.65) is computed by netwatch with the published "
        "uprating rule: no published figure for it was found."
    ]


def test_every_uprated_amount_says_it_was_published_by_others_than_ofcom() -> None:
    # A complaint handler reads the source beside each amount: only Ofcom's own page may read as Ofcom's.
    for year, day in ((2021, 3), (2022, 2), (2023, 1), (2024, 6), (2025, 5), (2026, 4)):
        claims = uk(
            [Ticket("T", at(year, 5, day, 10))],
            [outage(at(year, 5, day, 9), at(year, 5, day + 4, 12))],
            since=at(year, 5, 1),
            until=at(year, 6, 1),
        )
        explanation = claims.items[0].explanation
        assert f"(Ofcom's amounts from 1 April {year}, uprated by its CPI rule (ONS D7G7) and published by " in (
            explanation
        ), explanation
        assert ", not by Ofcom: " in explanation
    first = uk(
        [Ticket("T", at(2019, 5, 6, 10))],
        [outage(at(2019, 5, 6, 9), at(2019, 5, 10, 12))],
        since=at(2019, 5, 1),
        until=at(2019, 6, 1),
    )
    assert "(Ofcom: Automatic compensation - what you need to know)" in first.items[0].explanation
