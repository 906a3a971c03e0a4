"""The second witness's rule and sentences (pure), and how each format shows its verdicts.

The rule is exact at its edges (integer arithmetic: 108 of 120 rounds is 90 %; a witness whose own line was down in
54 of the 108 rounds it lost the anchors is down itself, at 50 %), and every verdict has one sentence
for the report and one for the letter; the formats are checked on a sample report given verdicts by hand (the
InfluxDB read is tested in tests/integration/test_witness_report.py).
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from netwatch.core.witness import (
    MAX_ASKED,
    NO_COUNTS,
    OWN_LINE_PERCENT,
    AnchorCount,
    Counts,
    Verdict,
    Witness,
    WitnessFigures,
    judge,
    not_asked,
    verdict,
    witness_figures,
)
from netwatch.report.compute import Report
from netwatch.report.csvout import to_csv
from netwatch.report.jsonout import to_json
from tests.support.html import parse
from tests.support.reports import html_of, letter_of, sample_report

ANCHORS = ("1.1.1.1", "8.8.8.8", "9.9.9.9")
WINDOW = (1000.0, 1120.0)


def counts(rounds: int, reached: int, anchors: tuple[str, ...] = ANCHORS, local: int = 0, isp: int = 0) -> Counts:
    return Counts(rounds, reached, tuple(AnchorCount(a, rounds, reached) for a in anchors), local, isp)


# --- the rule ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rounds", "reached", "expected"),
    [
        (120, 120, Verdict.REACHED),
        (120, 108, Verdict.REACHED),  # exactly 90 %
        (120, 107, Verdict.MIXED),
        (120, 60, Verdict.MIXED),
        (120, 13, Verdict.MIXED),
        (120, 12, Verdict.LOST),  # lost in exactly 90 % (where 1 - 0.9 in floats would miss it)
        (120, 0, Verdict.LOST),  # the witness was down too
        (10, 9, Verdict.REACHED),
        (1, 1, Verdict.REACHED),
        (1, 0, Verdict.LOST),
        (0, 0, Verdict.NO_DATA),
    ],
)
def test_the_threshold_decides_at_exactly_90_percent(rounds: int, reached: int, expected: Verdict) -> None:
    assert verdict(counts(rounds, reached), common=True) is expected


@pytest.mark.parametrize(
    ("rounds", "reached", "local", "isp", "expected"),
    [
        (120, 0, 0, 60, Verdict.WITNESS_DOWN),  # its own line down in exactly 50 % of the 120 rounds it lost them
        (120, 0, 0, 59, Verdict.LOST),
        (120, 0, 30, 30, Verdict.WITNESS_DOWN),  # local and isp count together
        (120, 0, 29, 30, Verdict.LOST),
        (120, 12, 0, 54, Verdict.WITNESS_DOWN),  # 54 of the 108 rounds it lost them
        (120, 12, 0, 53, Verdict.LOST),
        (120, 0, 120, 0, Verdict.WITNESS_DOWN),  # its router was down throughout
        (120, 0, 0, 0, Verdict.LOST),  # its gateway and ISP hop answered throughout: upstream
        (120, 13, 0, 107, Verdict.MIXED),  # lost in less than 90 %: its own faults change nothing
        (120, 108, 0, 12, Verdict.REACHED),
        (1, 0, 0, 1, Verdict.WITNESS_DOWN),
        (0, 0, 0, 5, Verdict.NO_DATA),  # status points without a ping round probing the same anchors
    ],
)
def test_the_witness_is_down_itself_at_exactly_half_of_its_lost_rounds(
    rounds: int, reached: int, local: int, isp: int, expected: Verdict
) -> None:
    assert OWN_LINE_PERCENT == 50
    assert verdict(counts(rounds, reached, local=local, isp=isp), common=True) is expected


def test_its_own_faults_count_only_up_to_the_rounds_it_lost_the_anchors() -> None:
    """Status and ping points are counted apart: more faulty status rounds than lost rounds cannot tip the rule."""
    got = counts(120, 12, local=100, isp=100)
    assert (got.lost_rounds, got.own_line_down_rounds) == (108, 108)
    assert verdict(got, common=True) is Verdict.WITNESS_DOWN
    assert counts(10, 10, isp=3).own_line_down_rounds == 0


@pytest.mark.parametrize(
    ("local", "isp", "text"),
    [(0, 110, "cause isp"), (110, 0, "cause local"), (10, 100, "cause local in 10, isp in 100"), (0, 0, "")],
)
def test_its_own_causes_are_named_local_first(local: int, isp: int, text: str) -> None:
    assert counts(120, 0, local=local, isp=isp).own_causes == text


def test_no_common_anchor_is_its_own_verdict_whatever_the_counts() -> None:
    assert verdict(counts(120, 120), common=False) is Verdict.NO_COMMON
    assert verdict(Counts(), common=False) is Verdict.NO_COMMON


def test_judge_keeps_the_figures_only_when_they_decide() -> None:
    up = judge("office-2", WINDOW, counts(120, 118), ANCHORS)
    assert (up.verdict, up.counts.rounds, up.reached_percent) == (Verdict.REACHED, 120, pytest.approx(98.3333, 1e-4))
    empty = judge("office-2", WINDOW, counts(120, 118), ())
    assert (empty.verdict, empty.counts, empty.reached_percent) == (Verdict.NO_COMMON, Counts(), None)


def test_figures_of_a_report_name_the_same_anchors_in_this_probes_order() -> None:
    windows = [(0.0, 60.0), (100.0, 160.0), (200.0, 200.0)]
    got = witness_figures(
        "office-2",
        ["9.9.9.9", "1.1.1.1", "9.9.9.9"],
        ["1.1.1.1", "4.4.4.4", "9.9.9.9"],
        windows,
        [counts(60, 60, ("1.1.1.1", "9.9.9.9")), None, Counts()],
    )
    assert (got.probe, got.asked, got.reason, got.anchors) == ("office-2", True, "", ("9.9.9.9", "1.1.1.1"))
    assert [w.verdict for w in got.outages] == [Verdict.REACHED, Verdict.NOT_ASKED, Verdict.NO_DATA]
    assert got.outages[1].reason == f"only the {MAX_ASKED} longest outages of a report are asked about"
    assert got.count(Verdict.REACHED) == 1


def test_not_asked_marks_every_outage_with_the_reason() -> None:
    got = not_asked("office-2", "connection refused", [(0.0, 60.0), (100.0, 160.0)])
    assert (got.asked, got.reason, got.configured) == (False, "connection refused", True)
    assert [(w.verdict, w.reason) for w in got.outages] == [(Verdict.NOT_ASKED, "connection refused")] * 2


# --- the sentences -------------------------------------------------------------------------------------------


def test_every_verdict_has_a_sentence_for_the_report_and_one_for_the_letter() -> None:
    two = ("1.1.1.1", "8.8.8.8")

    def w(v: Verdict, c: Counts = NO_COUNTS, reason: str = "") -> Witness:
        return Witness("office-2", *WINDOW, v, c, reason)

    partial = Counts(120, 3, (AnchorCount("1.1.1.1", 120, 3), AnchorCount("8.8.8.8", 120, 0)))
    assert [
        (x.sentence, x.letter)
        for x in (
            w(Verdict.REACHED, counts(120, 118)),
            w(Verdict.REACHED, counts(1, 1, two)),
            w(Verdict.LOST, partial),
            w(Verdict.WITNESS_DOWN, counts(120, 0, two, isp=110)),
            w(Verdict.WITNESS_DOWN, counts(1, 0, two, local=1, isp=1)),
            w(Verdict.MIXED, counts(120, 60)),
            w(Verdict.NO_DATA),
            w(Verdict.NO_COMMON),
            w(Verdict.NOT_ASKED, reason="InfluxDB did not answer"),
        )
    ] == [
        (
            "witness office-2 reached 3 of the 3 same anchors in 118 of 120 rounds during the outage: the anchors were "
            "up, so the fault was on this line",
            "the second probe reached the same public hosts in 118 of its 120 rounds: they were up, so the fault was "
            "on this line",
        ),
        (
            "witness office-2 reached 2 of the 2 same anchors in 1 of 1 round during the outage: the anchors were up, "
            "so the fault was on this line",
            "the second probe reached the same public hosts throughout this outage (in all 1 of its rounds): they were "
            "up, so the fault was on this line",
        ),
        (
            "witness office-2 reached 1 of the 2 same anchors in 3 of 120 rounds during the outage: it lost them too, "
            "so the fault was shared by both lines or upstream of them (or the anchors were down)",
            "the second probe lost the same public hosts too (it reached them in 3 of its 120 rounds): the fault lay "
            "beyond both lines, or the hosts themselves were down",
        ),
        (
            "witness office-2 reached 0 of the 2 same anchors in 0 of 120 rounds during the outage: its own line was "
            "down in 110 of its 120 rounds (cause isp), so it could not tell whether the anchors were up",
            "the second probe could not tell: its own line was down in 110 of its 120 rounds, so it says nothing about "
            "whether the same public hosts were up",
        ),
        (
            "witness office-2 reached 0 of the 2 same anchors in 0 of 1 round during the outage: its own line was down "
            "in 1 of its 1 round (cause local in 1, isp in 1), so it could not tell whether the anchors were up",
            "the second probe could not tell: its own line was down in 1 of its 1 round, so it says nothing about "
            "whether the same public hosts were up",
        ),
        (
            "witness office-2 reached 3 of the 3 same anchors in 60 of 120 rounds during the outage: that is neither "
            "90% of its rounds or more (up) nor 10% or less (lost), so no conclusion is drawn",
            "the second probe reached the same public hosts in 60 of its 120 rounds, which settles neither way",
        ),
        (
            "witness office-2 has no data for this time: it was not running, or its export to InfluxDB has not caught "
            "up",
            "the second probe has no records of this time",
        ),
        (
            "witness office-2 probes none of the same anchors: so it cannot tell whether they were up",
            "the second probe does not watch the same public hosts",
        ),
        (
            "witness office-2 not asked: InfluxDB did not answer",
            "the second probe could not be consulted (witness not asked: InfluxDB did not answer)",
        ),
    ]


# --- the formats ---------------------------------------------------------------------------------------------


def witnessed() -> tuple[Report, WitnessFigures]:
    """The sample report (5 outages, one degraded period) with a verdict of each kind on its outages."""
    base = sample_report()
    windows = [(f.start, f.end) for f in base.outages]
    two = ("1.1.1.1", "9.9.9.9")
    found = [counts(3600, 3600, two), counts(600, 0, two), None, Counts(), counts(20, 11, two)]
    figures = witness_figures("office-2", ["1.1.1.1", "9.9.9.9"], ["1.1.1.1", "9.9.9.9"], windows, found)
    return replace(base, witness=figures), figures


def test_json_carries_a_verdict_per_outage_and_a_summary() -> None:
    report, figures = witnessed()
    out = to_json(report)
    assert out["witness"] == {
        "probe": "office-2",
        "asked": True,
        "reason": None,
        "anchors": ["1.1.1.1", "9.9.9.9"],
        "threshold_percent": 90,
        "own_line_percent": 50,
    }
    verdicts = [(i["kind"], i["witness"] and i["witness"]["verdict"]) for i in out["incidents"]]
    assert verdicts == [
        ("outage", "reached"),
        ("outage", "lost"),
        ("outage", "not_asked"),
        ("outage", "no_data"),
        ("degraded", None),
        ("outage", "mixed"),
    ]
    first = out["incidents"][0]["witness"]
    assert first == {
        "verdict": "reached",
        "rounds": 3600,
        "reached_rounds": 3600,
        "reached_percent": 100.0,
        "anchors": [{"address": a, "probed": 3600, "reached": 3600} for a in ("1.1.1.1", "9.9.9.9")],
        "own_line_down_rounds": 0,
        "summary": figures.outages[0].sentence,
        "reason": None,
    }
    beyond = f"only the {MAX_ASKED} longest outages of a report are asked about"
    assert out["incidents"][2]["witness"]["reason"] == beyond


def test_csv_has_the_verdict_and_rounds_of_each_outage() -> None:
    report, _ = witnessed()
    got = [
        (r["kind"], r["witness"], r["witness_rounds"], r["witness_reached_rounds"])
        for r in csv.DictReader(io.StringIO(to_csv(report)))
    ]
    assert got == [
        ("outage", "reached", "3600", "3600"),
        ("outage", "lost", "600", "0"),
        ("outage", "not_asked", "", ""),
        ("outage", "no_data", "", ""),
        ("degraded", "", "", ""),
        ("outage", "mixed", "20", "11"),
    ]


def test_html_shows_a_witness_row_under_each_outage_and_the_rule_in_the_method() -> None:
    report, _ = witnessed()
    doc = parse(html_of(report))
    rows = doc.find("tr", class_="witness")
    assert [(r.attrs["data-witness-for"], r.attrs["data-verdict"]) for r in rows] == [
        ("i1", "reached"),
        ("i2", "lost"),
        ("i3", "not_asked"),
        ("i4", "no_data"),
        ("i6", "mixed"),
    ]
    assert rows[0].all_text == (
        "Witness office-2 reached 2 of the 2 same anchors in 3600 of 3600 rounds during the outage: the anchors were "
        "up, so the fault was on this line."
    )
    method = doc.one("dd", data_method="witness")
    assert (method.attrs["data-value"], method.attrs["data-threshold"]) == ("office-2", "90")
    text = " ".join(method.all_text.split())
    assert "same anchors (1.1.1.1, 9.9.9.9)" in text
    assert "Reached in at least 90% of those rounds: the anchors were up, so the fault was on this line." in text
    assert "Reached in at most 10%: the witness lost them too, and its own status over the same time decides" in text
    assert (
        "If in at least 50% of the rounds in which it lost them its own line was down (cause local: its gateway did "
        "not answer; cause isp: its ISP hop did not), it could not see, and nothing is concluded about the anchors. "
        "Otherwise its gateway and ISP hop answered in most of those rounds while the anchors did not, so the fault "
        "was shared by both lines or upstream of them (or the anchors were down). In between: no conclusion."
    ) in text
    assert method.attrs["data-own-line-threshold"] == "50"


def test_html_says_witness_not_asked_and_nothing_without_a_witness() -> None:
    base = sample_report()
    windows = [(f.start, f.end) for f in base.outages]
    report = replace(base, witness=not_asked("office-2", "connection refused", windows))
    doc = parse(html_of(report))
    rows = doc.find("tr", class_="witness")
    assert {r.all_text for r in rows} == {"Witness office-2 not asked: connection refused."}
    assert len(rows) == len(base.outages)
    assert " ".join(doc.one("dd", data_method="witness").all_text.split()) == (
        "witness office-2 not asked: connection refused."
    )
    plain = parse(html_of(base))
    assert plain.find("tr", class_="witness") == [] and plain.find("dd", data_method="witness") == []


def test_the_letter_gives_the_witness_verdict_on_each_outage() -> None:
    report, _ = witnessed()
    text = letter_of(report).text
    assert (
        "A second netwatch probe on another line (office-2) watched the same public hosts (1.1.1.1, 9.9.9.9) during "
        "these outages. It counts a round as reaching them when at least one of them answered, and gives a verdict "
        "only when 90% or more of its rounds during an outage went one way, and none when its own line was down in at "
        "least 50% of the rounds in which it lost them:"
    ) in text
    bullets = [line for line in text.splitlines() if line.startswith("- Outage starting")]
    # The outage of 2026-11-24 12:00 is the owner's router (cause local): the letter does not list it.
    assert bullets == [
        "- Outage starting Mon 23 Nov 2026 09:30:00 GMT: the second probe reached the same public hosts throughout "
        "this outage (in all 3600 of its rounds): they were up, so the fault was on this line.",
        "- Outage starting Mon 23 Nov 2026 20:00:00 GMT: the second probe lost the same public hosts too (it reached "
        "them in 0 of its 600 rounds): the fault lay beyond both lines, or the hosts themselves were down.",
        "- Outage starting Wed 25 Nov 2026 08:45:00 GMT: the second probe has no records of this time.",
        "- Outage starting Thu 26 Nov 2026 23:54:00 GMT: the second probe reached the same public hosts in 11 of its "
        "20 rounds, which settles neither way.",
    ]
    base = sample_report()
    assert "second netwatch probe" not in letter_of(base).text
    off = replace(base, witness=not_asked("office-2", "connection refused", [(f.start, f.end) for f in base.outages]))
    assert (
        "A second netwatch probe on another line (office-2) could not be consulted for this letter (witness not "
        "asked: connection refused)."
    ) in letter_of(off).text


def test_a_witness_down_itself_shows_in_every_format_with_its_rounds() -> None:
    base = sample_report()
    windows = [(f.start, f.end) for f in base.outages]
    two = ("1.1.1.1", "9.9.9.9")
    found = [counts(600, 0, two, isp=550)] + [Counts()] * (len(windows) - 1)
    report = replace(base, witness=witness_figures("office-2", two, two, windows, found))
    first = to_json(report)["incidents"][0]["witness"]
    assert (first["verdict"], first["rounds"], first["reached_rounds"]) == ("witness_down", 600, 0)
    assert first["summary"] == (
        "witness office-2 reached 0 of the 2 same anchors in 0 of 600 rounds during the outage: its own line was down "
        "in 550 of its 600 rounds (cause isp), so it could not tell whether the anchors were up"
    )
    row = next(csv.DictReader(io.StringIO(to_csv(report))))
    assert (row["witness"], row["witness_rounds"], row["witness_reached_rounds"]) == ("witness_down", "600", "0")
    html_row = parse(html_of(report)).find("tr", class_="witness")[0]
    assert (html_row.attrs["data-verdict"], html_row.attrs["data-own-line-down-rounds"]) == ("witness_down", "550")
    assert html_row.all_text == (
        "Witness office-2 reached 0 of the 2 same anchors in 0 of 600 rounds during the outage: its own line was down "
        "in 550 of its 600 rounds (cause isp), so it could not tell whether the anchors were up."
    )
    assert (
        "- Outage starting Mon 23 Nov 2026 09:30:00 GMT: the second probe could not tell: its own line was down in 550 "
        "of its 600 rounds, so it says nothing about whether the same public hosts were up."
    ) in letter_of(report).text
