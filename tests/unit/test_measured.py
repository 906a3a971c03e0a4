"""The evidence of an outage in the words of the provider's complaint handler: what the detector measured, never its
jargon ("ISP hop 0/30", "30 bad rounds: isp 30"), in the report's incidents and in the Act page's facts."""

from __future__ import annotations

from netwatch.core.model import Cause, Kind
from netwatch.report.measured import plain_detail
from tests.support.detector import closed_incidents
from tests.support.html import parse
from tests.support.incidents import outage_for
from tests.support.reports import MON, html_of, sample_report
from tests.support.streams import ISP_DOWN, RULES, UP, make_round


def test_the_detectors_evidence_reads_as_plain_words() -> None:
    rounds = [make_round(float(i), UP) for i in range(5)]
    rounds += [make_round(float(5 + i), ISP_DOWN) for i in range(30)]
    rounds += [make_round(float(35 + i), UP) for i in range(5)]
    (outage,) = [i for i in closed_incidents(rounds, RULES) if i.kind is Kind.OUTAGE]
    assert outage.detail == "30 failed rounds, no anchor answered; gateway answered 30/30; ISP hop answered 0/30"
    assert plain_detail(outage.detail) == (
        "no public test host answered in 30 rounds; our router answered 30 of 30 probes; the provider's first router "
        "answered 0 of 30 probes"
    )


def test_every_phrase_of_the_detector_has_plain_words_and_unknown_ones_stay() -> None:
    said = {
        "1 failed round, no anchor answered": "no public test host answered in 1 round",
        "2 rounds with anchors answering but every DNS name failing": (
            "public test hosts answered but no name resolved in 2 rounds"
        ),
        "1 round with no anchor answering": "no public test host answered in 1 round",
        "no gateway target": "our router was not probed",
        "ISP hop not yet known": "the provider's first router was not yet known",
        "no ISP hop target (targets.isp is off)": "the provider's first router was not probed",
        "ISP hop answered 0/4 (it answers too few echoes while the line is up for its silence to tell isp from "
        "upstream)": "the provider's first router answered 0 of 4 probes (it answers too few probes even while the "
        "line is up, so its silence does not tell whether the fault was in the access network or beyond it)",
        "loss 12.0% over 60 s": "loss 12.0% over 60 s",
    }
    assert {detail: plain_detail(detail) for detail in said} == said


def test_the_reports_incidents_say_what_failed_in_plain_words() -> None:
    page = parse(html_of(sample_report(detail="gateway answered 60/60 rounds; ISP hop answered 0/60")))
    first = " ".join(page.one("tr", id="i1").one("td", class_="evidence").all_text.split())
    assert first == (
        "3600 rounds of probes failed, the fault in each: ISP access network. Our router answered 60 of 60 probes; "
        "the provider's first router answered 0 of 60 probes."
    )
    for jargon in ("bad round", "ISP hop", "isp 3600"):
        assert jargon not in page.one("section", id="incidents").all_text
    assert outage_for(Cause.ISP, MON, 60).rounds == 60  # the builder's rounds: one a second, one cause
