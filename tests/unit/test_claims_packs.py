"""Rule packs as data: the shipped files load, a broken file names its file and key, pack_items lists the
amounts in force on a date, check_overrides explains bad [claims.amounts]."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from netwatch.config.records import PlanConfig
from netwatch.core.claims import PACKS, PackError, check_overrides, claims_for, load, pack_items
from netwatch.core.claims.loader import parse

FILE = "netwatch/core/claims/packs/uk-ofcom.toml"


def shipped(name: str) -> str:
    return resources.files("netwatch.core.claims").joinpath("packs").joinpath(f"{name}.toml").read_text("utf-8")


def broken(old: str, new: str) -> str:
    text = shipped("uk-ofcom")
    assert old in text
    return text.replace(old, new, 1)


def test_every_shipped_pack_loads_with_sources_and_dates() -> None:
    for name in PACKS:
        pack = load(name)
        assert pack.id == name
        assert all(source.url.startswith("https://") for source in pack.sources.values())
        for amount in pack.amounts.values():
            dates = [rate.effective_from for rate in amount.rates]
            assert dates == sorted(dates) and dates[0] >= pack.effective_from
    assert [load(name).currency for name in PACKS] == ["GBP", "EUR", "EUR", "EUR", "USD"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{ from = 2022-04-01, amount = 8.40",
            '{ from = "2022-04-01", amount = 8.40',
            "amounts.delayed_repair_per_day.rates[2].from: must be a date, not a string",
        ),
        (
            "{ from = 2022-04-01, amount = 8.40",
            "{ from = 2020-04-01, amount = 8.40",
            "amounts.delayed_repair_per_day.rates[2].from: must be after the previous rate's date (2021-04-01)",
        ),
        (
            'amount = 8.40, source = "uprating-2022"',
            'amount = -8.40, source = "uprating-2022"',
            "amounts.delayed_repair_per_day.rates[2].amount: must be a finite number, 0 or more, got -8.4",
        ),
        (
            'amount = 8.40, source = "uprating-2022"',
            'amount = 8.40, source = "uprating-2222"',
            'amounts.delayed_repair_per_day.rates[2].source: names no entry of [sources]: "uprating-2222"; known: '
            "adr, autocomp, cpi, speeds-code, uprating-2021, uprating-2022, uprating-2023, uprating-2024, "
            "uprating-2025, uprating-2025-provision, uprating-2026",
        ),
        (
            'causes = ["isp", "upstream"]',
            'causes = ["isp", "local"]',
            "causes[1]: must not be \"local\": a fault on the owner's side is never the provider's",
        ),
        ("working_days = 2\n", 'working_days = "two"\n', "repair.working_days: must be an integer, not a string"),
        (
            'amount = "delayed_repair_per_day"',
            'amount = "delayed_repair"',
            'repair.amount: names no entry of [amounts]: "delayed_repair"; known: delayed_provision_per_day, '
            "delayed_repair_per_day, missed_appointment",
        ),
        (
            'business_peak = "12:00-14:00"',
            'business_peak = "12-14"',
            'speeds.business_peak: must be "HH:MM-HH:MM", got "12-14"',
        ),
        ('id = "uk-ofcom"', 'id = "uk"', 'id: must be the file name without .toml ("uk-ofcom"), got "uk"'),
        (
            'contracts = ["residential"]\nbasis.residential = "My contract with you is a residential one, which',
            'contracts = ["home"]\nbasis.residential = "My contract with you is a residential one, which',
            'repair.contracts[0]: must be one of residential, business, got "home"',
        ),
        (
            'day_test = "whole"\npause',
            'day_test = "most"\npause',
            'repair.day_test: must be one of any, whole, hours, got "most"',
        ),
        (
            'day_test = "whole"\npause',
            'day_test = "hours"\npause',
            'repair.day_hours: is missing: day_test = "hours" needs the hours a day must be down',
        ),
        ("pause_declined = true", "pause_declined = 1", "repair.pause_declined: must be true or false, not an integer"),
        (
            'caveat.any = "ADR is open',
            'caveat.anyone = "ADR is open',
            "adr.caveat.anyone: unknown key; valid keys are: any, business, consumer, micro_business, residential, "
            "small_business",
        ),
        (
            "waits = [{ from = 2019-04-01, weeks = 8 }, { from = 2026-04-08, weeks = 6 }]",
            "waits = [{ from = 2026-04-08, weeks = 8 }, { from = 2019-04-01, weeks = 6 }]",
            "adr.waits[1].from: must be after the previous row's date (2026-04-08)",
        ),
        (
            'currency = "GBP"',
            'currency = "gbp"',
            'currency: must be an ISO 4217 code of three capital letters, got "gbp"',
        ),
        (
            "exit_after_days = 30\n",
            "exit_after_days = 30\nexit_after = 30\n",
            "speeds.exit_after: unknown key; valid keys are: basis, business_peak, caveat, contracts, customers, "
            "effective_from, exit_after_days, outside, residential_peak, source, title, waivable",
        ),
    ],
)
def test_a_broken_pack_names_file_and_key(old: str, new: str, message: str) -> None:
    with pytest.raises(PackError) as err:
        parse(broken(old, new), FILE)
    assert str(err.value) == f"{FILE}: {message}"


def test_a_pack_status_must_be_one_the_loader_knows() -> None:
    text = shipped("be-ecl")
    with pytest.raises(PackError) as err:
        parse(text.replace('state = "uncertain"', 'state = "annulled"'), "netwatch/core/claims/packs/be-ecl.toml")
    assert str(err.value) == (
        'netwatch/core/claims/packs/be-ecl.toml: status.state: must be one of in force, uncertain, got "annulled"'
    )
    assert load("be-ecl").uncertain.startswith("Art. 113/2 may no longer be in force")
    assert all(load(name).uncertain == "" for name in PACKS if name != "be-ecl")


def test_missing_section_and_syntax_error() -> None:
    text = shipped("uk-ofcom")
    start = text.index("[speeds]")
    without = text[:start] + text[text.index("[adr]") :]
    with pytest.raises(PackError) as err:
        parse(without, FILE)
    assert str(err.value) == f"{FILE}: speeds: is missing: the uk-ofcom rules need a [speeds] table"
    with pytest.raises(PackError) as err:
        parse("id = ", FILE)
    assert str(err.value) == f"{FILE}: (syntax): Invalid value (at end of document)"


def test_pack_items_on_a_date_with_overrides() -> None:
    items = {item.item: item for item in pack_items("uk-ofcom", date(2024, 3, 31), {"missed_appointment": 40.0})}
    assert (items["delayed_repair_per_day"].amount, items["delayed_repair_per_day"].effective_from) == (
        9.33,
        date(2023, 4, 1),
    )
    assert (items["missed_appointment"].amount, items["missed_appointment"].overridden) == (40.0, True)
    assert pack_items("uk-ofcom", date(2024, 4, 1), {})[0].amount == 9.76
    assert pack_items("uk-ofcom", date(2027, 6, 1), {})[0].unverified
    assert not pack_items("uk-ofcom", date(2026, 6, 1), {})[0].unverified
    assert pack_items("uk-ofcom", date(2019, 1, 1), {})[0].amount is None
    tkg = {item.item: item for item in pack_items("de-tkg", date(2024, 1, 1), {})}
    assert (tkg["outage_day_5_on"].amount, tkg["outage_day_5_on"].percent_of_fee) == (10.0, 20.0)
    assert pack_items("us-fcc", date(2024, 6, 1), {}) == []
    assert pack_items("none", date(2024, 6, 1), {}) == []


def test_check_overrides_messages() -> None:
    assert check_overrides("uk-ofcom", {"delayed_repair_per_day": 10.0, "missed_appointment": 30}) == []
    bad = {"delayed_repair": 10.0, "missed_appointment": "30", "x": True, "delayed_provision_per_day": -1.0}
    assert check_overrides("uk-ofcom", bad) == [
        (
            "claims.amounts.delayed_repair",
            'is not an amount of the "uk-ofcom" rules',
            'did you mean "delayed_repair_per_day"?',
        ),
        (
            "claims.amounts.missed_appointment",
            'must be a number, not a string ("30")',
            "write the amount in GBP, e.g. missed_appointment = 32.31",
        ),
        (
            "claims.amounts.x",
            'is not an amount of the "uk-ofcom" rules',
            "use one of: delayed_repair_per_day, missed_appointment, delayed_provision_per_day",
        ),
        (
            "claims.amounts.delayed_provision_per_day",
            "must be a finite amount of 0 or more, got -1.0",
            "write the amount in GBP, e.g. delayed_provision_per_day = 6.46",
        ),
    ]
    assert check_overrides("none", {"missed_appointment": 30.0}) == [
        (
            "claims.amounts",
            'is set but claims.rules is "none"',
            'set claims.rules to "uk-ofcom", "de-tkg", "nl-telecomwet" or "be-ecl", or remove [claims.amounts]',
        ),
    ]
    assert check_overrides("us-fcc", {"missed_appointment": 30.0}) == [
        ("claims.amounts", 'is set but the "us-fcc" rules have no amounts', "remove [claims.amounts]"),
    ]
    assert check_overrides("de-tkg", {"missed_appointment": True}) == [
        (
            "claims.amounts.missed_appointment",
            "must be a number, not a boolean (true)",
            "write the amount in EUR, e.g. missed_appointment = 10.00",
        ),
    ]
    assert check_overrides("fr-arcep", {"x": 1.0}) == []


def test_claims_for_none_unknown_and_bad_overrides() -> None:
    plan = PlanConfig("X", "", 30.0, 0.0, 80.0, 20.0)
    args = {
        "since": 0.0,
        "until": 1.0,
        "incidents": [],
        "tickets": [],
        "speeds": [],
        "plan": plan,
        "timezone": "UTC",
        "region": "",
    }
    assert claims_for("none", overrides={}, **args) is None  # type: ignore[arg-type]
    with pytest.raises(
        ValueError,
        match=r'^unknown rule pack "fr-arcep"; known: none, uk-ofcom, de-tkg, nl-telecomwet, be-ecl, us-fcc$',
    ):
        claims_for("fr-arcep", overrides={}, **args)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r'^claims\.amounts\.x: is not an amount of the "de-tkg" rules$'):
        claims_for("de-tkg", overrides={"x": 1.0}, **args)  # type: ignore[arg-type]
