"""`netwatch claims rules`: the amounts of the chosen rule pack in force on a day, with their sources.

Owns showing the pack ``[claims] rules`` picks: what each item pays, since when, where it is published, and which
ones ``[claims.amounts]`` overrides. What a period earns is in the report (``netwatch report``).
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from pathlib import Path

import click

from netwatch.cli import _config_option, _debug, _errors, _load, main
from netwatch.core.text import money
from netwatch.errors import InputError


@main.group()
def claims() -> None:
    """The rules of your country for outages after a fault report ([claims] rules); the amounts are in reports."""


@claims.command("rules")
@_config_option
@click.option("--on", "on_word", metavar="DATE", help="The day the amounts are in force on (default today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def claims_rules(ctx: click.Context, config_path: Path | None, on_word: str | None, as_json: bool) -> None:
    """List the amounts of the rule pack [claims] rules picks, as in force on a day."""
    from netwatch.core.claims import load, pack_items

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        tz = cfg.business_hours.timezone
        try:
            on = date.fromisoformat(on_word) if on_word else datetime.fromtimestamp(time.time(), tz).date()
        except ValueError:
            raise InputError(f'--on: "{on_word}" is not a date; write it as YYYY-MM-DD, e.g. 2026-04-01') from None
        rules = cfg.claims.rules
        if rules == "none":
            click.echo('no rule pack chosen ([claims] rules = "none"): set rules = "uk-ofcom", "de-tkg" or "us-fcc"')
            return
        pack = load(rules)
        items = pack_items(rules, on, cfg.claims.amounts)
        if as_json:
            doc = {
                "pack": {
                    "id": pack.id,
                    "name": pack.name,
                    "version": pack.version,
                    "jurisdiction": pack.jurisdiction,
                    "currency": pack.currency,
                },
                "on": on.isoformat(),
                "amounts": [
                    {
                        "item": a.item,
                        "description": a.description,
                        "amount": a.amount,
                        "currency": a.currency,
                        "unit": a.unit,
                        "percent_of_fee": a.percent_of_fee or None,
                        "effective_from": a.effective_from.isoformat() if a.effective_from else None,
                        "overridden": a.overridden,
                        "unverified": a.unverified,
                        "source": {"title": a.source.title, "url": a.source.url},
                    }
                    for a in items
                ],
            }
            click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
            return
        click.echo(f"{pack.name} ({pack.id} {pack.version}, {pack.jurisdiction}); amounts in force on {on}:")
        if not items:
            click.echo("  (no amounts: these rules compare measurements with the contract, they pay nothing)")
        for a in items:
            value = "none in force" if a.amount is None else money(a.amount, a.currency)
            if a.percent_of_fee:
                value += f" or {a.percent_of_fee:g} % of the monthly fee, whichever is higher"
            per = f" per {a.unit}" if a.unit else ""
            since = (
                "overridden by [claims.amounts]"
                if a.overridden
                else f"since {a.effective_from}"
                if a.effective_from
                else "not in force yet"
            )
            flag = " (NOT VERIFIED for this date: the last verified figure)" if a.unverified else ""
            click.echo(f"  {a.item}: {value}{per}, {since}{flag}")
            click.echo(f"      {a.description}")
            click.echo(f"      source: {a.source.title}{' <' + a.source.url + '>' if a.source.url else ''}")
