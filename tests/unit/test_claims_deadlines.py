"""When a rule's clock runs out for a ticket, hand-computed at its edges.

Calendar: 4 March 2024 is a Monday; Good Friday 2024 is 29 March and Easter Monday 1 April (a bank holiday in
England, not in Scotland); British Summer Time began 31 March 2024, as did German summer time.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from netwatch.core.calendar import day_start, local_date
from netwatch.core.claims import Deadline, deadlines
from netwatch.core.claims.ofcom import is_working_day
from netwatch.core.model import Ticket
from tests.support.instants import at

LONDON, BERLIN = "Europe/London", "Europe/Berlin"


def ofcom(reported: float, region: str = "ENG") -> Deadline:
    (found,) = deadlines("uk-ofcom", Ticket("T1", reported), timezone=LONDON, region=region)
    return found


def test_ofcom_two_full_working_days_after_a_monday_morning_report() -> None:
    found = ofcom(at(2024, 3, 4, 10, zone=LONDON))
    assert found == Deadline(
        "T1",
        "compensation",
        "Ofcom automatic compensation",
        at(2024, 3, 7, zone=LONDON),
        date(2024, 3, 6),
        "2 full working days after the report: Tue 5 Mar 2024 and Wed 6 Mar 2024",
    )


def test_ofcom_a_report_at_midnight_makes_that_day_a_full_one() -> None:
    found = ofcom(at(2024, 3, 4, zone=LONDON))
    assert (found.last_day, found.at) == (date(2024, 3, 5), at(2024, 3, 6, zone=LONDON))


def test_ofcom_skips_the_weekend_and_the_nations_bank_holidays() -> None:
    thursday = at(2024, 3, 28, 15, zone=LONDON)
    assert ofcom(thursday).last_day == date(2024, 4, 3)  # Good Friday, the weekend and Easter Monday skipped
    assert ofcom(thursday, "SCT").last_day == date(2024, 4, 2)  # Easter Monday is a working day in Scotland
    assert ofcom(thursday, "XYZ").last_day == date(2024, 4, 3)  # an unknown nation counts as England
    assert ofcom(thursday).at == at(2024, 4, 4, zone=LONDON)  # summer time: the day starts at 23:00 UTC


def test_tkg_counts_the_report_day_as_day_0_and_pays_from_day_3() -> None:
    (found,) = deadlines("de-tkg", Ticket("S-9", at(2024, 3, 29, 23, 30, zone=BERLIN)), timezone=BERLIN)
    assert found == Deadline(
        "S-9",
        "compensation",
        "§ 58 TKG compensation",
        at(2024, 4, 1, zone=BERLIN),
        date(2024, 3, 31),
        "the report day (Fri 29 Mar 2024) is day 0; compensation from day 3",
    )


def test_packs_without_deadlines_and_reports_before_a_pack_took_effect_have_none() -> None:
    ticket = Ticket("T1", at(2024, 3, 4, 10, zone=LONDON))
    assert deadlines("none", ticket, timezone=LONDON) == ()
    assert deadlines("us-fcc", ticket, timezone="America/New_York") == ()
    assert deadlines("uk-ofcom", Ticket("T0", at(2019, 3, 29, 10, zone=LONDON)), timezone=LONDON) == ()


@given(st.integers(min_value=0, max_value=3 * 365 * 86400))
def test_ofcom_leaves_two_whole_working_days_between_the_report_and_the_deadline(offset: int) -> None:
    reported = at(2024, 1, 1, zone=LONDON) + offset
    found = ofcom(reported)
    zone = ZoneInfo(LONDON)
    day = local_date(reported, zone)
    first = day if day_start(day, zone) >= reported else day + timedelta(days=1)  # the first full day
    between = [first + timedelta(days=n) for n in range((found.last_day - first).days + 1)]
    assert sum(is_working_day(day, "ENG") for day in between) == 2
    assert is_working_day(found.last_day, "ENG")
    assert found.at == day_start(found.last_day + timedelta(days=1), zone) > reported
