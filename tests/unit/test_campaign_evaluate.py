"""The three BNetzA criteria, hand-computed at their edges: exactly 90 % of the maximum, exactly the minimum,
exactly 27 of 30 at the normal speed, two of three days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from netwatch.core.campaign.evaluate import Contract, Measurement, evaluate

DAYS = (date(2026, 5, 4), date(2026, 5, 6), date(2026, 5, 8))
NONE = Contract(0.0, 0.0, 0.0)


def campaign(down: Sequence[Sequence[float]], up: Sequence[Sequence[float | None]] | None = None) -> list[Measurement]:
    """Ten readings a day for each of the three days (upload 10.0 unless given)."""
    out = []
    for d, day in enumerate(DAYS):
        for i in range(10):
            upload = 10.0 if up is None else up[d][i]
            out.append(Measurement(day, float(d * 100_000 + i * 600), down[d][i], upload))
    return out


def day(*values: float, fill: float = 50.0) -> list[float]:
    return [*values, *([fill] * (10 - len(values)))]


def test_ninety_percent_of_the_maximum_reached_exactly_on_two_days_is_no_deviation() -> None:
    ev = evaluate(campaign([day(90.0), day(90.0), day(89.99)]), Contract(100.0, 0, 0), NONE)
    maximum = ev.download.criteria[0]
    assert (maximum.name, maximum.threshold, maximum.deviation) == ("maximum", 90.0, False)
    assert maximum.explanation == (
        "90 % of the maximum speed (90.0 Mbit/s of 100.0 Mbit/s) reached at least once on 2 of 3 days "
        "(needed: at least 2 of 3)"
    )
    assert [f.reaching_90_percent for f in ev.download.days] == [1, 1, 0]
    assert [f.highest for f in ev.download.days] == [90.0, 90.0, 89.99]


def test_ninety_percent_of_the_maximum_reached_on_one_day_only_is_a_deviation() -> None:
    ev = evaluate(campaign([day(95.0, 91.0), day(89.99), day(80.0)]), Contract(100.0, 0, 0), NONE)
    assert ev.download.criteria[0].deviation is True
    assert ev.download.deviation is True and ev.deviation is True
    assert (
        ev.verdict == "significant deviation from the contract: download (maximum); upload not decided (no "
        "contract speed given)"
    )


def test_ninety_percent_of_an_awkward_maximum_is_reached_despite_floating_point() -> None:
    threshold = 0.9 * 16.1  # 14.490000000000002 in binary floating point
    assert threshold != 14.49
    ev = evaluate(campaign([day(14.49), day(14.49), day()]), Contract(16.1, 0, 0), NONE)
    assert ev.download.criteria[0].deviation is False


def test_normal_speed_in_exactly_27_of_30_is_no_deviation_and_26_is() -> None:
    three_below = campaign([day(79.9, fill=80.0), day(79.9, fill=80.0), day(79.9, fill=80.0)])
    ev = evaluate(three_below, Contract(0, 80.0, 0), NONE)
    normal = ev.download.criteria[1]
    assert (normal.deviation, ev.download.reaching_normal) == (False, 27)
    assert normal.explanation == (
        "normally available speed (80.0 Mbit/s) reached in 27 of 30 measurements (90.0 %; needed: 90 %)"
    )
    four_below = campaign([day(79.9, 79.9, fill=80.0), day(79.9, fill=80.0), day(79.9, fill=80.0)])
    ev = evaluate(four_below, Contract(0, 80.0, 0), NONE)
    assert (ev.download.criteria[1].deviation, ev.download.reaching_normal) == (True, 26)
    assert [f.reaching_normal for f in ev.download.days] == [8, 9, 9]


def test_exactly_the_minimum_is_not_undercut() -> None:
    ev = evaluate(campaign([day(50.0, 50.0), day(50.0), day(50.0)]), Contract(0, 0, 50.0), NONE)
    minimum = ev.download.criteria[2]
    assert (minimum.deviation, [f.below_minimum for f in ev.download.days]) == (False, [0, 0, 0])
    assert minimum.explanation == (
        "minimum speed (50.0 Mbit/s) undercut at least once on 0 of 3 days (a deviation from 2 of 3)"
    )


def test_the_minimum_undercut_on_two_of_three_days_is_a_deviation_on_one_is_not() -> None:
    contract = Contract(0, 0, 50.0)
    ev = evaluate(campaign([day(49.9, 10.0), day(49.99), day()]), contract, NONE)
    assert ev.download.criteria[2].deviation is True
    assert [f.below_minimum for f in ev.download.days] == [2, 1, 0]
    ev = evaluate(campaign([day(49.9, 10.0), day(), day()]), contract, NONE)
    assert ev.download.criteria[2].deviation is False


def test_upload_is_judged_separately() -> None:
    up = [[40.0] * 10, [30.0] * 10, [30.0] * 10]
    ev = evaluate(campaign([day(100.0), day(100.0), day(100.0)], up), Contract(100.0, 0, 0), Contract(40.0, 0, 0))
    assert (ev.download.deviation, ev.upload.deviation, ev.deviation) == (False, True, True)
    assert ev.verdict == "significant deviation from the contract: upload (maximum)"


def test_a_contract_stating_no_speed_says_so() -> None:
    ev = evaluate(campaign([day(), day(), day()]), NONE, NONE)
    assert [c.explanation for c in ev.download.criteria] == [
        "maximum speed: not given",
        "normally available speed: not given",
        "minimum speed: not given",
    ]
    # What to configure is for the owner, never in the report or the letter the provider reads.
    assert [c.advice for c in ev.download.criteria] == [
        "set [plan] download_mbps",
        "set [plan] normal_download_mbps",
        "set [plan] minimum_download_mbps",
    ]
    assert [c.deviation for c in ev.upload.criteria] == [None, None, None]
    assert ev.verdict == "not decided: no contract speed was given"
    assert ev.deviation is None


def test_no_deviation_anywhere() -> None:
    ev = evaluate(
        campaign([day(fill=95.0), day(fill=95.0), day(fill=95.0)]), Contract(100, 90, 50), Contract(10, 10, 5)
    )
    assert ev.deviation is False and ev.complete
    assert ev.verdict == "no significant deviation from the contract"


def test_an_incomplete_campaign_shows_its_figures_but_decides_nothing() -> None:
    measured = campaign([day(10.0), day(10.0), day(10.0)])[:12]
    ev = evaluate(measured, Contract(100, 80, 50), NONE)
    assert [c.deviation for c in ev.download.criteria] == [None, None, None]
    assert ev.download.criteria[2].explanation == (
        "minimum speed (50.0 Mbit/s) undercut at least once on 2 of 2 days so far (a deviation from 2 of 3)"
    )
    assert ev.verdict == "not decided: the campaign is not complete (12 of 30 measurements)"


def test_a_campaign_breaking_the_procedure_is_not_decided() -> None:
    broken = ("2026-05-04 and 2026-05-05 are consecutive measurement days; a free calendar day must separate them",)
    ev = evaluate(campaign([day(), day(), day()]), Contract(100, 0, 0), NONE, broken)
    assert ev.download.criteria[0].deviation is None
    assert ev.verdict == f"not decided: the campaign is not complete ({broken[0]})"


def test_missing_upload_figures_leave_the_upload_undecided() -> None:
    up: list[list[float | None]] = [[None] * 10, [10.0] * 10, [10.0] * 10]
    ev = evaluate(campaign([day(95.0), day(95.0), day(95.0)], up), Contract(100, 0, 0), Contract(10, 0, 0))
    assert (ev.upload.complete, ev.upload.measurements, ev.upload.deviation) == (False, 20, None)
    assert ev.verdict == "no significant deviation from the contract; upload not decided (20 of 30 measured)"
