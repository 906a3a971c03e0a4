"""The complaint letter as the provider's complaint handler reads it: what it lists and counts (never the owner's own
router), what it asks for (nothing below [claims] minimum_request, and why), what it says first (how much of the
period netwatch did not see), what it refuses (a period netwatch measured nothing in), and what it never says
(configuration advice, a promise of a list that is not there). The week of ``sample_report`` throughout: an outage of
every cause, one of them the owner's router (Tuesday 12:00, 45 s), and four hours not monitored on Friday.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from netwatch.cli.inputs import said
from netwatch.config.records import ClaimsConfig, CostConfig, PlanConfig
from netwatch.core.claims import Situation, claims_for
from netwatch.core.model import Cause, ClockEvent, Coverage, EventKind, Period, Ticket
from netwatch.core.money import cents
from netwatch.core.text import money
from netwatch.errors import InputError
from netwatch.report.advice import advice
from netwatch.report.compute import Report, compute
from netwatch.report.evidence import EvidenceFigures
from netwatch.report.tickets import ClaimFigures, ticket_figures
from netwatch.report.unmonitored import share
from tests.support.html import parse
from tests.support.incidents import outage_for as outage
from tests.support.instants import DAY, local
from tests.support.reports import BUSINESS, MON, PLAN, html_of, letter_of, sample_report, table_rows
from tests.support.speeds import speed_ok

GBP = CostConfig(0.0, "GBP")
NO_PLAN = PlanConfig("", "", 0.0, 99.9, 0.0, 0.0, 50.0)


def paragraphs(text: str) -> list[str]:
    """The letter's paragraphs (blank-line separated), each on one line."""
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def test_the_owners_own_router_is_one_plain_line_not_part_of_the_complaint() -> None:
    report = sample_report()
    text = letter_of(report).text
    body = paragraphs(text)
    assert (
        "Not claimed: my own equipment. Our router did not answer for 45s in 1 outage (Tue 24 Nov 2026 12:00:00 GMT). "
        "That was a fault on our premises: it is not part of this complaint, and it is left out of every figure below "
        "but the availability over the monitored time."
    ) in body
    assert "Local (premises)" not in text  # not in the table, under any cause
    rows = table_rows(text, "## Outages")
    assert [row[5] for row in rows] == ["ISP access network", "ISP upstream", "DNS", "Undetermined"]
    assert dict(table_rows(text, "## Totals"))["Outages"] == "4"
    assert "the line was down 4 times" in " ".join(text.split())


def test_a_period_with_only_the_owners_own_faults_has_nothing_to_complain_about() -> None:
    report = compute(
        Period(MON, MON + DAY), [outage(Cause.LOCAL, MON + 36000, 120)], [Coverage(MON, MON + DAY)], BUSINESS, plan=PLAN
    )
    letter = letter_of(report)
    assert "No outage of your service was recorded in the time it monitored." in paragraphs(letter.text)
    assert "Not claimed: my own equipment. Our router did not answer for 2m 00s in 1 outage" in letter.text
    assert (
        "only outages of your own equipment (cause local) were recorded in the period, and the letter claims none of "
        "them: it has no incident to complain about"
    ) in letter.warnings
    assert "\nNo pro-rata credit is due for this period.\n" in letter.text
    assert "pro-rata share of the monthly fee" not in letter.text
    assert paragraphs(letter.text)[-3] == "I would be grateful for your reply."


def test_no_credit_is_asked_below_the_minimum_and_the_letter_says_why() -> None:
    report = sample_report()  # a credit of £0.10 for the week's provider outages
    text = letter_of(report).text
    assert "The pro-rata credit for this period comes to £0.10, less than £1.00, so I am not asking for it." in text
    assert "confirm the pro-rata credit" not in text
    assert "I would be grateful if you would tell me what you are doing to prevent these interruptions." in text
    # The minimum is the owner's: [claims] minimum_request.
    cheap = letter_of(report, claims=ClaimsConfig(minimum_request=0.05)).text
    assert (
        "I ask for a pro-rata share of the monthly fee for the time your network was down: **£0.10**. This is my "
        "request, not a term of our contract or a rule."
    ) in cheap
    assert "I would be grateful if you would confirm the pro-rata credit and tell me what you are doing" in cheap


def test_a_credit_that_rounds_to_nothing_is_not_conceded_as_not_due() -> None:
    # 210 s of provider outage (one isp_or_upstream) on a £42 fee in a 30-day month: £0.0034, due but under a cent.
    outages = [outage(Cause.ISP, MON + 36000, 90), outage(Cause.ISP_OR_UPSTREAM, MON + 40000, 120)]
    report = compute(Period(MON, MON + DAY), outages, [Coverage(MON, MON + DAY)], BUSINESS, cost=GBP, plan=PLAN)
    assert report.money.credit == 0.0
    text = letter_of(report).text
    said = "The pro-rata credit for this period comes to less than £0.01, below £1.00, so I am not asking for it."
    assert f"\n{said}\n" in text
    assert "is due" not in text and "£0.00" not in text
    # With no minimum, still nothing to ask for: a credit of £0.00 cannot be paid.
    free = letter_of(report, claims=ClaimsConfig(minimum_request=0.0)).text
    assert "\nThe pro-rata credit for this period comes to less than £0.01, so I am not asking for it.\n" in free


def test_a_credit_that_rounds_up_to_the_minimum_without_reaching_it_is_not_asked() -> None:
    # £42 x 61,700 s / 2,592,000 s = £0.9998: shown as £1.00, but under the £1.00 minimum.
    report = compute(
        Period(MON, MON + DAY),
        [outage(Cause.ISP, MON + 1000, 61700)],
        [Coverage(MON, MON + DAY)],
        BUSINESS,
        cost=GBP,
        plan=PLAN,
    )
    assert report.money.credit == 1.0
    text = letter_of(report).text
    assert "\nThe pro-rata credit for this period comes to less than £1.00, so I am not asking for it.\n" in text
    assert "pro-rata share of the monthly fee" not in text


def with_claims(report: Report, missed_appointment: float, who: Situation = Situation()) -> Report:  # noqa: B008
    """``report`` with a ticket whose engineer appointment was missed, under uk-ofcom at ``missed_appointment``, for
    an owner in situation ``who``."""
    ticket = Ticket("CASE-1", MON + 9.6 * 3600, missed_appointments=(MON + DAY + 13 * 3600,))
    incidents = [f.incident for f in report.incidents]
    coverage = list(report.sessions)
    until = report.period.until
    figures = ticket_figures([ticket], incidents, coverage, until, BUSINESS)
    found = claims_for(
        "uk-ofcom",
        since=report.period.since,
        until=until,
        incidents=incidents,
        tickets=[ticket],
        speeds=[],
        plan=PLAN,
        timezone="Europe/London",
        region="ENG",
        overrides={"missed_appointment": missed_appointment},
        coverage=coverage,
        situation=who,
    )
    return replace(report, claims=ClaimFigures(figures, found, "uk-ofcom"))


def test_the_letter_states_the_legal_basis_only_in_a_situation_it_was_told() -> None:
    basis = (
        "My contract with you is a residential one, which Ofcom's automatic compensation scheme covers whoever the "
        "customer is."
    )
    told = paragraphs(letter_of(with_claims(sample_report(), 30.49, Situation("residential", "micro_business"))).text)
    at = told.index("## Compensation")
    assert told[at + 1] == basis
    assert told[at + 2].startswith("- Missed appointment, ticket CASE-1: 1 \u00d7 £30.49 = £30.49")
    unstated = letter_of(with_claims(sample_report(), 30.49)).text
    assert basis not in unstated and "Missed appointment, ticket CASE-1" in unstated
    business = letter_of(with_claims(sample_report(), 30.49, Situation("business"))).text
    assert "Missed appointment, ticket CASE-1" not in business and "## Compensation" not in business


def test_no_compensation_is_asked_below_the_minimum_and_the_letter_says_why() -> None:
    report = with_claims(sample_report(), 0.50)
    text = letter_of(report).text
    name = report.claims.claims.name if report.claims.claims else ""
    assert (
        f"Under {name}, the compensation for this period comes to £0.50, less than £1.00, so I am not asking for it."
        in paragraphs(text)
    )
    assert "I ask you to pay" not in text and "Missed appointment, ticket CASE-1" not in text
    asked = letter_of(with_claims(sample_report(), 30.49)).text
    assert "Under Ofcom's automatic compensation scheme I ask you to pay £30.49" in asked
    assert "I would be grateful if you would confirm the compensation and tell me" in asked


def test_the_letter_promises_no_list_it_does_not_hold() -> None:
    report = sample_report()
    text = letter_of(report).text
    assert "listed below" not in text and "clock event" not in text
    stepped = replace(report, evidence=EvidenceFigures(clock_events=(ClockEvent(EventKind.STEP, MON + 3600, 42.0),)))
    assert "1 clock event was recorded in the period; the full report lists it." in letter_of(stepped).text
    # The report does list them, under the sentence that says so.
    method = parse(html_of(stepped)).one("section", id="method")
    assert method.one("dd", data_method="clock").all_text.endswith("Every clock event is listed below.")
    assert len(method.find("tr", data_clock="step")) == 1


def test_the_letter_and_the_report_say_first_how_much_netwatch_did_not_see() -> None:
    report = sample_report()  # four hours of 168 not monitored: 2.38 %
    said = "netwatch was not running for 2.4% of the period (4h 00m 00s in 1 gap)"
    body = paragraphs(letter_of(report).text)
    opening = next(i for i, p in enumerate(body) if p.startswith("I am writing about"))
    assert body[opening + 1] == (
        f"Please note: {said}. Nothing is known about the line then, and nothing is claimed about that time."
    )
    assert body[opening + 2].startswith("In the time it monitored, the line was down 4 times")
    page = parse(html_of(report))
    first = next(n for n in page.one("body").children if n.tag not in ("header",))
    assert first.attrs.get("id") == "not-running"
    assert first.one("strong").all_text == f"{said}."
    said_after = " ".join(" ".join(first.text).split())
    assert said_after == "Nothing is known about the line then: that time is counted neither as up nor as down."
    whole = compute(Period(MON, MON + DAY), [], [Coverage(MON, MON + DAY)], BUSINESS, plan=PLAN)
    assert "Please note" not in letter_of(whole).text and not parse(html_of(whole)).find(id="not-running")


@pytest.mark.parametrize(
    ("gone", "whole", "text"),
    [(1, 100000, "less than 0.1%"), (121, 1000, "12.1%"), (99990, 100000, "more than 99.9%"), (5, 5, "100%")],
)
def test_the_share_not_monitored_is_never_rounded_to_nothing_or_everything(gone: int, whole: int, text: str) -> None:
    assert share(gone, whole) == text


def test_no_letter_for_a_period_netwatch_measured_nothing_in() -> None:
    empty = compute(Period(MON, MON + DAY), [], [], BUSINESS, plan=PLAN)
    with pytest.raises(InputError) as refused:
        letter_of(empty)
    assert str(refused.value) == (
        "netwatch was not running at any time from 2026-11-23 00:00 GMT to 2026-11-24 00:00 GMT, so there is nothing "
        "measured to put in a letter; choose a period it was running in"
    )
    assert said(refused.value).endswith(  # the command line's way to choose one
        "choose a period it was running in (without --period, --since and --until a report covers all it recorded)"
    )
    # The report is made, and says so first; it never shows "0s" of downtime for time nobody watched.
    page = parse(html_of(empty))
    assert (
        page.one(id="not-running").one("strong").all_text
        == "netwatch was not running for 100% of the period (1d 00h 00m 00s)."
    )
    assert page.one(data_metric="downtime_seconds").one(class_="value").all_text == "—"
    assert not page.find(data_metric="credit")


def test_a_period_with_speed_tests_only_gets_a_letter_about_speed_only() -> None:
    tests = [speed_ok(MON + 3600 * h, 20.0) for h in (10, 14, 20)]
    report = compute(Period(MON, MON + DAY), [], [], BUSINESS, plan=PLAN, speeds=tests)
    text = letter_of(report).text
    assert (
        "Please note: netwatch was not running for 100% of the period (1d 00h 00m 00s), except to measure its speed: "
        "this letter says nothing about outages."
    ) in paragraphs(text)
    for section in ("## Outages", "## Totals", "## Cost and credit", "No outage", "credit", "availability above"):
        assert section not in text, section
    assert "## Speed against the plan" in text
    assert (
        "The line's availability was not monitored in the period: netwatch was not running, except to measure the "
        "speed." in paragraphs(text)
    )


def test_configuration_advice_is_for_the_owner_never_in_a_document() -> None:
    # The provider's outages without a ticket, the speeds code without the contract's minimum, speed tests
    # without the plan's speeds: each is worth a word to the owner, and none to the provider.
    tests = [speed_ok(MON + 3600 * h, 20.0) for h in (10, 12.5, 20.5)]
    bare = replace(NO_PLAN, monthly_fee=42.0, contracted_availability=99.9)
    report = sample_report(speeds=tests, plan=bare)
    found = claims_for(
        "uk-ofcom",
        since=report.period.since,
        until=report.period.until,
        incidents=[f.incident for f in report.incidents],
        tickets=[],
        speeds=tests,
        plan=bare,
        timezone="Europe/London",
        region="ENG",
        overrides={},
        coverage=list(report.sessions),
    )
    report = replace(report, claims=ClaimFigures((), found, "uk-ofcom"))
    assert advice(report) == (
        "set [plan] download_mbps and upload_mbps (the speeds your plan is sold with) to compare the speed tests "
        "with them",
        "the provider's outages have no fault ticket: if you reported the fault, record it with `netwatch ticket "
        "open --reported WHEN --ref REF` (compensation counts from the report)",
        "set [plan] minimum_download_mbps (the minimum guaranteed download speed your provider gave you) to check "
        "the speeds code",
    )
    html = parse(html_of(report, plan=bare)).one("body").all_text
    letter = letter_of(report, plan=bare).text
    for document in (html, letter):
        for advice_word in ("[plan]", "[claims]", "minimum_download_mbps", "download_mbps", "netwatch ticket open"):
            assert advice_word not in document, advice_word
    assert "No minimum guaranteed download speed was given for this contract, so it was not checked." in html
    # Without any rules: one more piece of advice, and still none of it in the documents.
    none = replace(report, claims=ClaimFigures())
    assert advice(none)[-1] == (
        'no rule pack chosen ([claims] rules = "none"): set rules = "uk-ofcom", "de-tkg", "nl-telecomwet", "be-ecl" or '
        '"us-fcc" to see what the rules of your country give for the provider\'s outages'
    )
    assert not re.search(r"\[claims\]|rules = ", parse(html_of(none, plan=bare)).one("body").all_text)


def test_a_plan_without_speeds_gets_no_speed_advice_without_speed_tests() -> None:
    report = compute(Period(MON, MON + DAY), [], [Coverage(MON, MON + DAY)], BUSINESS, plan=PlanConfig())
    assert advice(report) == ()
    assert local("2026-11-23T00:00") == MON


def test_the_pro_rata_credit_is_a_request_and_an_alternative_to_the_rules_compensation() -> None:
    # Both asked (the owner's minimum below both): the letter decides which comes first and says they overlap.
    report = with_claims(sample_report(), 30.49, Situation("residential", "micro_business"))
    body = paragraphs(letter_of(report, claims=ClaimsConfig(minimum_request=0.05)).text)
    at = body.index("## Cost and credit")
    listed = sum(f.business_seconds for f in report.outages if f.incident.cause is not Cause.LOCAL)
    assert body[at + 1] == (
        "At my estimate of £85.00 an hour of lost work, the downtime in business hours listed above comes to about "
        f"{money(cents(listed / 3600 * 85.0), 'GBP')}. Our monthly fee is £42.00 and the contracted availability "
        "99.9%. As an alternative to the "
        "compensation above, not in addition to it for the same days, I would accept a pro-rata share of the monthly "
        "fee for the time your network was down: **£0.10**. This is my request, not a term of our contract or a rule."
    )
    assert body[at + 2].startswith("Pro-rata share of the 42.00 GBP monthly fee (a request; not a rule)")
    assert body[at + 2].endswith(
        "not comparable with the contracted 99.9 %: the period is shorter than a month, the shortest period an "
        "availability commitment is measured over."
    )
    assert (
        "I would be grateful if you would confirm the compensation (or, instead, the pro-rata credit) and tell me"
        in (" ".join(body))
    )
    assert "credit due" not in " ".join(body).lower() and "below the contracted" not in " ".join(body)


def test_the_reports_cards_call_the_cost_an_estimate_and_the_credit_a_request() -> None:
    page = parse(html_of(sample_report()))
    cost = page.one(data_metric="business_downtime_cost")
    assert cost.one(class_="label").all_text == "Estimated cost (owner's rate)"
    assert cost.one(class_="sub").all_text == "business hours at the owner's estimate of £85.00 an hour"
    credit = page.one(data_metric="credit")
    assert (credit.one(class_="label").all_text, credit.one(class_="sub").all_text) == (
        "Pro-rata share of the fee",
        "a request; not a rule",
    )
    availability = page.one(data_metric="isp_availability_percent").one(class_="sub").all_text
    assert availability == "not comparable with the contracted 99.9%: the note below says why"
    note = page.one("p", class_="credit-basis").all_text
    assert note.endswith(
        "not comparable with the contracted 99.9 %: the period is shorter than a month, the shortest period an "
        "availability commitment is measured over."
    )
    assert "(their time counted as the provider's uptime)" in note


def test_the_letter_says_its_period_and_times_once_each_in_one_date_style() -> None:
    one = compute(
        Period(MON, MON + DAY), [outage(Cause.ISP, MON + 36000, 90)], [Coverage(MON, MON + DAY)], BUSINESS, plan=PLAN
    )
    body = paragraphs(letter_of(one).text)
    assert (
        "I am writing about the internet service on account EB-4471 on 23 November 2026, as measured by netwatch, a "
        "monitor on our premises."
    ) in body
    assert "In the time it monitored, the line was down once, for 1m 30s in total" in " ".join(body)
    assert table_rows(letter_of(one).text, "## Outages")[0][1:3] == [
        "Mon 23 Nov 2026 10:00:00 GMT",
        "Mon 23 Nov 2026 10:01:30 GMT",
    ]
    week = paragraphs(letter_of(sample_report()).text)
    assert (
        "I am writing about the internet service on account EB-4471 from 23 November 2026 to 29 November 2026 (the "
        "last day included), as measured by netwatch, a monitor on our premises."
    ) in week
    part = compute(Period(MON + 9 * 3600, MON + DAY + 17 * 3600), [], [Coverage(MON, MON + 2 * DAY)], BUSINESS)
    assert (
        "I am writing about the internet service on account EB-4471 from 23 November 2026 09:00 GMT to 24 November "
        "2026 17:00 GMT, as measured by netwatch, a monitor on our premises."
    ) in paragraphs(letter_of(part).text)
    for text in (letter_of(one).text, letter_of(sample_report()).text):
        assert "UTC (UTC)" not in text and "(Europe/London)" not in text and "outage(s)" not in text
        assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", text)  # no ISO-style date beside "Mon 23 Nov 2026"


@pytest.mark.parametrize(
    ("resolvers", "letter", "row", "card"),
    [
        pytest.param(
            None,  # sessions from before netwatch recorded its resolvers: maybe the owner's router's
            "name service that may have been our own. For 30m 00s in 1 outage (Wed 25 Nov 2026 08:45:00 GMT) the line"
            " worked (the public hosts answered), but host names could not be resolved through a resolver the monitor"
            " did not record, which may have been our own router.",
            "Name service failures through a resolver netwatch did not record (it may be your own router's): not"
            " claimed from the provider",
            "the resolver was not recorded: maybe your router's",
            id="not recorded",
        ),
        pytest.param(
            ("1.1.1.1", "8.8.8.8"),  # [dns] servers: Cloudflare's or Google's failure, not the access provider's
            "name service of another company. For 30m 00s in 1 outage (Wed 25 Nov 2026 08:45:00 GMT) the line worked"
            " (the public hosts answered), but host names could not be resolved through a public resolver run by"
            " another company, not by you.",
            "Name service failures through a public resolver of another company (such as 1.1.1.1 or 8.8.8.8): not"
            " claimed from the provider",
            "another company's public resolver failed",
            id="another company's",
        ),
    ],
)
def test_names_that_failed_through_a_resolver_not_the_providers_are_not_claimed(
    resolvers: tuple[str, ...] | None, letter: str, row: str, card: str
) -> None:
    report = sample_report(resolvers=resolvers)
    body = paragraphs(letter_of(report).text)
    assert (
        f"Not claimed: {letter} It is not part of this complaint, and it is left out of every figure below but the"
        " availability over the monitored time."
    ) in body
    assert "DNS" not in [r[5] for r in table_rows(letter_of(report).text, "## Outages")]
    html = parse(html_of(report))
    assert " ".join(html.one("tr", data_metric="own_dns_seconds").all_text.split()) == f"{row} 30m 00s"
    assert (
        " ".join(html.one("div", data_metric="own_dns_seconds").all_text.split())
        == f"Name service, not claimed 30m 00s {card}"
    )
