"""The speed campaign commands: `netwatch campaign plan`, `run`, `status` and `evaluate` (the German regulator's
procedure of 30 measurements on 3 days; see ``netwatch.core.campaign``).

Owns the commands' options and what they print; planning, running and judging are ``netwatch.app.campaign``'s,
the wording ``netwatch.report.campaign``'s. Must not hold a rule of the procedure.
"""

from __future__ import annotations

import json
import signal
import threading
import time

import click

from netwatch.app import campaign as campaigns
from netwatch.app import settings
from netwatch.cli.command import configured, debugging
from netwatch.config import Config
from netwatch.core.campaign import planner
from netwatch.errors import CampaignError
from netwatch.report import campaign as text


@click.group()
def campaign() -> None:
    """Speed campaign following the German regulator's procedure (BNetzA): 30 measurements on 3 days.

    The legally recognised measurement is the regulator's own app (breitbandmessung.de desktop app); this campaign
    is supporting evidence only.
    """


@campaign.command()
@configured
@click.option(
    "--start",
    "start_text",
    metavar="DATE",
    help="First day it may start on (YYYY-MM-DD, local; default "
    "today: the first slot is then at least a minute from now).",
)
@click.option(
    "--window",
    "window_text",
    metavar="HH:MM-HH:MM",
    default=str(planner.DEFAULT_WINDOW),
    show_default=True,
    help="Local time of day the measurements may start in.",
)
@click.option("--seed", type=int, help="Seed of the random times (default: a random one, shown).")
@click.option("--replace", is_flag=True, help="Replace a campaign that has measurements (it stays in the store).")
def plan(cfg: Config, start_text: str | None, window_text: str, seed: int | None, replace: bool) -> None:
    """Plan a campaign: 30 random times keeping the procedure's rules, stored and printed."""
    stored = campaigns.plan_campaign(
        cfg, start=start_text, window=window_text, seed=seed, replace=replace, now=time.time()
    )
    for line in text.plan_lines(stored):
        click.echo(line)


@campaign.command()
@configured
def run(cfg: Config) -> None:
    """Run the planned campaign in the foreground: one speed test per slot, until done, SIGTERM or Ctrl-C.

    Restarting resumes it. Exits 0 when complete or stopped, 11 when it can no longer follow the procedure.
    """
    settings.log_to_stderr("debug" if debugging() else "warning")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    found, done = campaigns.run_campaign(
        cfg, stop, click.echo, lambda c: click.echo(text.status_line(c, time.time(), hint=False))
    )
    if done.outcome is campaigns.Outcome.STOPPED:
        click.echo("stopped; run `netwatch campaign run` again to resume")
    elif done.outcome is campaigns.Outcome.BROKEN:
        raise CampaignError(
            f"campaign {found.id} can no longer follow the procedure: {'; '.join(done.reasons)}; "
            "plan a new one with `netwatch campaign plan --replace`"
        )


@campaign.command()
@configured
def status(cfg: Config) -> None:
    """The current campaign: one summary line, then every slot with its state."""
    current = campaigns.current(cfg)
    click.echo(text.status_line(current, time.time()))
    for line in text.schedule_lines(current)[1:]:
        click.echo(line)


@campaign.command()
@configured
@click.option("--json", "as_json", is_flag=True, help="Print the evaluation as JSON.")
def evaluate(cfg: Config, as_json: bool) -> None:
    """The three criteria for download and upload against [plan]'s speeds, with the figures behind them."""
    current, result = campaigns.evaluate(cfg)
    if as_json:
        click.echo(json.dumps(text.evaluation_doc(current, result), indent=2))
    else:
        for line in text.evaluation_lines(current, result):
            click.echo(line)
