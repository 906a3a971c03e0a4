"""Ofcom's uprating rule: £8 / £25 / £5 from 1 April 2019, then each 1 April from 2021 the amount of the year before
times the CPI of the previous October, rounded to the penny, halves up. The published table (sources in the pack):

    from         repair   appointment  provision   October CPI applied
    2019-04-01   8.00     25.00        5.00        -
    2021-04-01   8.06     25.18        5.04        0.7 % (2020)
    2022-04-01   8.40     26.24        5.25        4.2 % (2021)
    2023-04-01   9.33     29.15        5.83        11.1 % (2022)
    2024-04-01   9.76     30.49        6.10        4.6 % (2023)
    2025-04-01   9.98     31.19        6.24        2.3 % (2024)
    2026-04-01   10.34    32.31        6.46        3.6 % (2025)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from netwatch.core.claims import PackError, load, pack_items
from netwatch.core.claims.loader import parse
from netwatch.core.claims.uprating import chain, decimal, uprated

TABLE = {
    "delayed_repair_per_day": ("8.00", ["8.06", "8.40", "9.33", "9.76", "9.98", "10.34"]),
    "missed_appointment": ("25.00", ["25.18", "26.24", "29.15", "30.49", "31.19", "32.31"]),
    "delayed_provision_per_day": ("5.00", ["5.04", "5.25", "5.83", "6.10", "6.24", "6.46"]),
}
CPI = [Decimal(p) for p in ("0.7", "4.2", "11.1", "4.6", "2.3", "3.6")]


@pytest.mark.parametrize("item", list(TABLE))
def test_the_chain_reproduces_every_published_row(item: str) -> None:
    base, published = TABLE[item]
    steps = chain(Decimal(base), date(2021, 4, 1), CPI)
    assert [str(s.amount) for s in steps] == published
    assert [s.effective for s in steps] == [date(year, 4, 1) for year in range(2021, 2027)]


def test_each_year_is_rounded_before_the_next_and_never_in_binary_floats() -> None:
    # 25 x 1.007 = 25.175 and 5 x 1.007 = 5.035 are exact half pennies: they round up to 25.18 and 5.04. A float
    # holds them a hair below and rounds down; and the cumulative index applied once gives 8.39 for 2022, not 8.40.
    assert (uprated(Decimal("25"), Decimal("0.7")), uprated(Decimal("5"), Decimal("0.7"))) == (
        Decimal("25.18"),
        Decimal("5.04"),
    )
    assert (round(25 * 1.007, 2), round(5 * 1.007, 2)) == (25.17, 5.03)
    once = Decimal("8") * Decimal("1.007") * Decimal("1.042")
    assert round(once, 2) == Decimal("8.39")
    assert decimal(0.7) == Decimal("0.7") and decimal(9.33) == Decimal("9.33")


def test_the_pack_holds_the_published_rows_and_computes_none_of_them() -> None:
    pack = load("uk-ofcom")
    for item, (base, published) in TABLE.items():
        rates = pack.amounts[item].rates
        assert [f"{r.amount:.2f}" for r in rates] == [base, *published]
        assert not any(r.computed for r in rates)
        assert all(r.source.url.startswith("https://") for r in rates)
        assert pack.amounts[item].unverified_from == date(2027, 4, 1)


def test_a_published_row_the_rule_does_not_reproduce_is_refused() -> None:
    text = load_text().replace("{ from = 2025-04-01, amount = 9.98,", "{ from = 2025-04-01, amount = 9.99,")
    with pytest.raises(PackError) as err:
        parse(text, "uk-ofcom.toml")
    assert str(err.value) == (
        "uk-ofcom.toml: amounts.delayed_repair_per_day.rates[5].amount: 9.99 is not what the uprating gives for "
        "2025-04-01: 9.76 \u00d7 (1 + 2.3 %) = 9.98, to the penny"
    )


def test_a_row_on_a_day_that_is_no_uprating_day_is_refused() -> None:
    text = load_text().replace("{ from = 2025-04-01, amount = 9.98,", "{ from = 2025-05-01, amount = 9.98,")
    with pytest.raises(PackError) as err:
        parse(text, "uk-ofcom.toml")
    assert str(err.value) == (
        "uk-ofcom.toml: amounts.delayed_repair_per_day.rates[5].from: must be an uprating date (01 April of a year the "
        "[uprating] index gives), got 2025-05-01"
    )


def test_a_missing_year_of_the_index_is_refused() -> None:
    text = load_text().replace('    { october = 2022, percent = 11.1, source = "cpi" },\n', "")
    with pytest.raises(PackError) as err:
        parse(text, "uk-ofcom.toml")
    assert str(err.value).startswith(
        "uk-ofcom.toml: uprating.cpi[2].october: must be 2022: one index a year, in order, from the year before first"
    )


def test_a_year_with_an_index_and_no_published_row_is_computed_and_listed_as_such() -> None:
    # Without the 2026 rows, 1 April 2026 is computed from 2025: 9.98 x 1.036 = 10.33928 → 10.34, and so on.
    text = load_text()
    for row in (
        '    { from = 2026-04-01, amount = 10.34, source = "uprating-2026" },\n',
        '    { from = 2026-04-01, amount = 32.31, source = "uprating-2026" },\n',
        '    { from = 2026-04-01, amount = 6.46, source = "uprating-2026" },\n',
    ):
        assert row in text
        text = text.replace(row, "")
    pack = parse(text, "uk-ofcom.toml")
    rate = pack.amounts["missed_appointment"].rate_on(date(2026, 6, 1))
    assert rate is not None
    assert (rate.amount, rate.computed, rate.effective_from) == (32.31, True, date(2026, 4, 1))
    assert (
        rate.formula
        == "£31.19 \u00d7 (1 + 3.6 %) = £32.31 (ONS: CPI annual rate, all items (series D7G7), October 2025)"
    )


def test_claims_rules_marks_a_computed_amount_and_a_stale_one() -> None:
    items = {a.item: a for a in pack_items("uk-ofcom", date(2026, 6, 1), {})}
    assert (items["delayed_repair_per_day"].amount, items["delayed_repair_per_day"].computed) == (10.34, False)
    later = {a.item: a for a in pack_items("uk-ofcom", date(2027, 6, 1), {})}
    assert (later["delayed_repair_per_day"].amount, later["delayed_repair_per_day"].unverified) == (10.34, True)


def load_text() -> str:
    from importlib import resources

    return resources.files("netwatch.core.claims").joinpath("packs", "uk-ofcom.toml").read_text("utf-8")
