"""uk-ofcom speeds code (peaks in local time, the 30-day clock) and us-fcc label checks, hand-computed.

Europe/London changed to BST on Sunday 31 March 2024 at 01:00 UTC: a test at 12:30 UTC is 12:30 local on the
30th and 13:30 local on the 31st; 11:30 UTC on 1 April is 12:30 local."""

from __future__ import annotations

from netwatch.config.records import PlanConfig
from netwatch.core.claims import Check, Verdict, claims_for
from netwatch.core.model import Cause, Incident, Kind, SpeedResult, Ticket
from tests.support.instants import at as utc
from tests.support.speeds import measured


def speed(at: float, down: float, up: float | None = None, latency: float | None = None) -> SpeedResult:
    return measured(at, down, up, backend="http", tool="netwatch-http", latency_ms=latency)


def checks(
    rules: str,
    speeds: list[SpeedResult],
    plan: PlanConfig,
    tickets: list[Ticket] | None = None,
    incidents: list[Incident] | None = None,
) -> tuple[Check, ...]:
    claims = claims_for(
        rules,
        since=utc(2024, 3, 1),
        until=utc(2024, 6, 1),
        incidents=incidents or [],
        tickets=tickets or [],
        speeds=speeds,
        plan=plan,
        timezone="Europe/London" if rules == "uk-ofcom" else "America/New_York",
        region="ENG",
        overrides={},
    )
    assert claims is not None
    return claims.checks


UK_PLAN = PlanConfig("Example ISP", "A-1", 30.0, 0.0, 80.0, 20.0, minimum_download_mbps=30.0)


def test_peaks_in_local_time_across_the_dst_change() -> None:
    speeds = [
        speed(utc(2024, 3, 30, 12, 30), 20.0),  # 12:30 GMT: business peak
        speed(utc(2024, 3, 31, 12, 30), 25.0),  # 13:30 BST: business peak
        speed(utc(2024, 4, 1, 13, 30), 5.0),  # 14:30 BST: outside
        speed(utc(2024, 4, 1, 11, 30), 40.0),  # 12:30 BST: business peak
        speed(utc(2024, 4, 1, 20, 30), 50.0),  # 21:30 BST: residential peak
        speed(utc(2024, 4, 1, 21, 30), 1.0),  # 22:30 BST: outside
        speed(utc(2024, 3, 2, 20, 0), 35.0),  # 20:00 GMT: residential peak (its start is inside)
        speed(utc(2024, 3, 2, 22, 0), 1.0),  # 22:00 GMT: outside (the end is not)
    ]
    business, residential, _ = checks("uk-ofcom", speeds, UK_PLAN)
    assert business.title == "Business peak 12:00-14:00"
    assert business.figures == (
        ("tests", "3"),
        ("minimum guaranteed download", "30 Mbit/s"),
        ("median download", "25 Mbit/s"),
        ("tests below the minimum", "2"),
    )
    assert business.verdict is Verdict.NOT_MET
    assert business.explanation == "3 test(s), median download 25 Mbit/s, 2 below the minimum guaranteed 30 Mbit/s."
    assert residential.verdict is Verdict.MET
    assert dict(residential.figures)["tests"] == "2"
    assert dict(residential.figures)["median download"] == "42.5 Mbit/s"


def test_a_slow_upload_alone_is_information_not_a_failure() -> None:
    # The codes' right to exit depends on the download minimum: 40 Mbit/s down against 30 meets it, whatever the
    # upload (4 against a stated 5); a slow download fails it whatever the upload.
    plan = PlanConfig("X", "", 30.0, 0.0, 80.0, 20.0, minimum_download_mbps=30.0, minimum_upload_mbps=5.0)
    business, _, _ = checks("uk-ofcom", [speed(utc(2024, 3, 4, 12, 15), 40.0, 4.0)], plan)
    assert business.verdict is Verdict.MET
    assert ("median upload", "4 Mbit/s") in business.figures
    assert ("minimum upload (information)", "5 Mbit/s") in business.figures
    assert business.explanation == (
        "1 test(s), median download 40 Mbit/s, 0 below the minimum guaranteed 30 Mbit/s; median upload 4 Mbit/s, 1 "
        "below 5 Mbit/s (information only: the code's right to exit depends on the download minimum)."
    )
    slow, _, _ = checks("uk-ofcom", [speed(utc(2024, 3, 4, 12, 15), 20.0, 9.0)], plan)
    assert slow.verdict is Verdict.NOT_MET


def test_no_minimum_stated_and_no_tests() -> None:
    plan = PlanConfig("X", "", 30.0, 0.0, 80.0, 20.0)
    unstated = checks("uk-ofcom", [speed(utc(2024, 3, 4, 12, 15), 1.0)], plan)
    assert {c.verdict for c in unstated} == {Verdict.NOT_STATED}
    assert {c.explanation for c in unstated} == {
        "No minimum guaranteed download speed was given for this contract, so it was not checked."
    }
    assert {c.advice for c in unstated} == {
        "set [plan] minimum_download_mbps (the minimum guaranteed download speed your provider gave you) to check "
        "the speeds code"
    }
    business, _, exit_ = checks("uk-ofcom", [], UK_PLAN)
    assert business.verdict is Verdict.NOT_ENOUGH_DATA
    assert business.explanation == "No speed test ran between 12:00 and 14:00 (Europe/London)."
    assert exit_.verdict is Verdict.MET


def test_thirty_day_clock_and_the_right_to_exit() -> None:
    first_bad = speed(utc(2024, 3, 1, 21), 10.0)
    ticket = Ticket("SLOW-1", utc(2024, 3, 2, 10))  # 30 calendar days later is 1 April: tests from 2 April count
    on_day_30 = speed(utc(2024, 4, 1, 22), 10.0)  # 23:00 BST on 1 April
    after = speed(utc(2024, 4, 2, 11), 12.0)
    *_, exit_ = checks("uk-ofcom", [first_bad, on_day_30], UK_PLAN, [ticket])
    assert exit_.verdict is Verdict.NOT_ENOUGH_DATA
    *_, exit_ = checks("uk-ofcom", [first_bad, on_day_30, after], UK_PLAN, [ticket])
    assert exit_.verdict is Verdict.NOT_MET
    assert exit_.explanation == (
        "More than 30 calendar days after ticket SLOW-1 (Sat 2 Mar 2024 10:00) the median download speed of 1 "
        "test(s) is still 12 Mbit/s, below the minimum guaranteed 30 Mbit/s: under the code the owner may exit the "
        "contract (and bundled services) without penalty."
    )
    fixed = speed(utc(2024, 4, 3, 11), 31.0)
    *_, exit_ = checks("uk-ofcom", [first_bad, after, fixed, speed(utc(2024, 4, 4, 11), 35.0)], UK_PLAN, [ticket])
    assert exit_.verdict is Verdict.MET
    *_, exit_ = checks("uk-ofcom", [first_bad], UK_PLAN, [Ticket("EARLY", utc(2024, 3, 1, 9))])
    assert exit_.verdict is Verdict.NOT_ENOUGH_DATA  # the only ticket came before the slow test
    assert exit_.explanation.endswith("report the slow speed to start the code's 30-day clock.")


def test_the_thirty_day_clock_started_in_an_earlier_period_still_runs() -> None:
    # An April report: the slow test (1 March) and the ticket (2 March) are in March, the tests after the clock in
    # April; the peaks count only April's tests, the clock reads the earlier ones too.
    first_bad, ticket = speed(utc(2024, 3, 1, 21), 10.0), Ticket("SLOW-1", utc(2024, 3, 2, 10))
    claims = claims_for(
        "uk-ofcom",
        since=utc(2024, 4, 1),
        until=utc(2024, 5, 1),
        incidents=[],
        tickets=[ticket],
        speeds=[first_bad, speed(utc(2024, 4, 2, 11), 12.0)],
        plan=UK_PLAN,
        timezone="Europe/London",
        region="ENG",
        overrides={},
    )
    assert claims is not None
    business, residential, exit_ = claims.checks
    # 2 April 11:00 UTC is 12:00 BST: in the business peak, below the minimum; nothing in the residential peak.
    assert (business.verdict, residential.verdict, exit_.verdict) == (
        Verdict.NOT_MET,
        Verdict.NOT_ENOUGH_DATA,
        Verdict.NOT_MET,
    )
    assert ("first test below the minimum", "Fri 1 Mar 2024 21:00") in exit_.figures


US_PLAN = PlanConfig(
    "Example Cable",
    "9-9",
    70.0,
    0.0,
    300.0,
    20.0,
    typical_download_mbps=100.0,
    typical_upload_mbps=10.0,
    typical_latency_ms=20.0,
)


def test_fcc_medians_against_the_label() -> None:
    speeds = [
        speed(utc(2024, 5, 1), 80.0, 12.0, 15.0),
        speed(utc(2024, 5, 2), 120.0, 9.0, 30.0),
        speed(utc(2024, 5, 3), 90.0, 11.0, 25.0),
    ]
    download, upload, latency = checks("us-fcc", speeds, US_PLAN)
    assert (download.verdict, upload.verdict, latency.verdict) == (Verdict.NOT_MET, Verdict.MET, Verdict.NOT_MET)
    assert download.explanation == "Median of 3 test(s): 90 Mbps against the label's 100 Mbps; 2 test(s) below it."
    assert latency.explanation == "Median of 3 test(s): 25 ms against the label's 20 ms; 2 test(s) above it."
    # The provider's outages: 2 h on 1 May, and one across the start of the period (30 April 23:00 to 1 May 00:30)
    # that counts for its half hour inside it; an April one and the owner's own fault do not count.
    outages = [
        Incident(Kind.OUTAGE, Cause.ISP, utc(2024, 5, 1, 1), utc(2024, 5, 1, 3)),
        Incident(Kind.OUTAGE, Cause.ISP, utc(2024, 4, 30, 23), utc(2024, 5, 1, 0, 30)),
        Incident(Kind.OUTAGE, Cause.ISP, utc(2024, 4, 20), utc(2024, 4, 21)),
        Incident(Kind.OUTAGE, Cause.LOCAL, utc(2024, 5, 2), utc(2024, 5, 2, 9)),
    ]
    claims = claims_for(
        "us-fcc",
        since=utc(2024, 5, 1),
        until=utc(2024, 6, 1),
        incidents=outages,
        tickets=[],
        speeds=speeds,
        plan=US_PLAN,
        timezone="America/New_York",
        region="",
        overrides={},
    )
    assert claims is not None and claims.items == () and claims.total == 0.0
    assert claims.request == "\n".join(
        [
            "I am filing a complaint about the broadband service Example Cable provides me (account 9-9). The "
            "broadband consumer label of my plan (47 CFR § 8.1(a)) states:",
            "- typical download speed: 100 Mbps",
            "- typical upload speed: 10 Mbps",
            "- typical latency: 20 ms",
            "From Tue 30 Apr 2024 20:00 to Fri 31 May 2024 20:00 (America/New_York) I measured with 3 speed test(s):",
            "- typical download speed: Median of 3 test(s): 90 Mbps against the label's 100 Mbps; 2 test(s) below it.",
            "- typical upload speed: Median of 3 test(s): 11 Mbps against the label's 10 Mbps; 1 test(s) below it.",
            "- typical latency: Median of 3 test(s): 25 ms against the label's 20 ms; 2 test(s) above it.",
            "I also recorded 2 outages on the provider's side, 2.5 hours in total.",
            "The measured typical download speed and typical latency fall short of what the label states. I ask "
            "Example Cable to deliver the service described on its label, or to adjust my plan or my bill accordingly. "
            "The measurements (times, servers and raw results) are available on request.",
        ]
    )


def test_fcc_label_not_stated_and_no_complaint_when_met() -> None:
    plan = PlanConfig("X", "", 70.0, 0.0, 300.0, 20.0, typical_download_mbps=50.0)
    download, upload, latency = checks("us-fcc", [speed(utc(2024, 5, 1), 80.0)], plan)
    assert (download.verdict, upload.verdict, latency.verdict) == (Verdict.MET, Verdict.NOT_STATED, Verdict.NOT_STATED)
    assert upload.explanation == "The label's value was not given, so it was not compared."
    assert (
        upload.advice == "set [plan] typical_upload_mbps (from your broadband label) to compare the speed tests with it"
    )
    assert (download.advice, latency.advice) == (
        "",
        "set [plan] typical_latency_ms (from your broadband label) to compare the speed tests with it",
    )


def test_the_peak_of_the_owners_contract_only_once_it_is_stated() -> None:
    from netwatch.core.claims import Situation

    def titles(who: Situation) -> list[str]:
        found = claims_for(
            "uk-ofcom",
            since=utc(2024, 3, 1),
            until=utc(2024, 6, 1),
            incidents=[],
            tickets=[],
            speeds=[speed(utc(2024, 3, 4, 12, 15), 40.0)],
            plan=UK_PLAN,
            timezone="Europe/London",
            region="ENG",
            overrides={},
            situation=who,
        )
        assert found is not None
        return [c.title for c in found.checks]

    assert titles(Situation()) == [
        "Business peak 12:00-14:00",
        "Residential peak 20:00-22:00",
        "Right to exit: 30-day clock",
    ]
    assert titles(Situation("business")) == ["Business peak 12:00-14:00", "Right to exit: 30-day clock"]
    assert titles(Situation("residential")) == ["Residential peak 20:00-22:00", "Right to exit: 30-day clock"]


def test_slow_speed_reported_starts_the_exit_clock_and_a_switch_does_not() -> None:
    from netwatch.core.model import TicketKind

    first_bad = speed(utc(2024, 3, 1, 21), 10.0)
    after = speed(utc(2024, 4, 2, 11), 12.0)
    speed_ticket = Ticket("SLOW-1", utc(2024, 3, 2, 10), kind=TicketKind.SPEED)
    *_, exit_ = checks("uk-ofcom", [first_bad, after], UK_PLAN, [speed_ticket])
    assert exit_.verdict is Verdict.NOT_MET
    switch = Ticket("SW-1", utc(2024, 3, 2, 10), kind=TicketKind.SWITCH)
    *_, no_clock = checks("uk-ofcom", [first_bad, after], UK_PLAN, [switch])
    assert no_clock.verdict is Verdict.NOT_ENOUGH_DATA
