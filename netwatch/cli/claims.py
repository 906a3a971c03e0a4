"""`netwatch claims rules`: the amounts of the chosen rule pack in force on a day, with their sources.

Owns the command's options and output choice (text or JSON); reading the pack is ``netwatch.app.claims``', the
wording ``netwatch.report.rules``'. Must not compute a claim.
"""

from __future__ import annotations

import json
import time

import click

from netwatch.app.claims import rules_on
from netwatch.cli.command import configured
from netwatch.config import Config
from netwatch.report.rules import NONE_CHOSEN, rules_doc, rules_lines


@click.group()
def claims() -> None:
    """The rules of your country for outages after a fault report ([claims] rules); the amounts are in reports."""


@claims.command("rules")
@configured
@click.option("--on", "on_word", metavar="DATE", help="The day the amounts are in force on (default today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def claims_rules(cfg: Config, on_word: str | None, as_json: bool) -> None:
    """List the amounts of the rule pack [claims] rules picks, as in force on a day."""
    found = rules_on(cfg, on_word, time.time())
    if found is None:
        click.echo(NONE_CHOSEN)
    elif as_json:
        click.echo(
            json.dumps(rules_doc(found.pack, found.on, found.items, found.situation), indent=2, ensure_ascii=False)
        )
    else:
        for line in rules_lines(found.pack, found.on, found.items, found.situation):
            click.echo(line)
