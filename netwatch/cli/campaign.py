"""The speed campaign commands: `netwatch campaign plan`, `run`, `status` and `evaluate` (the German regulator's
procedure of 30 measurements on 3 days; see ``netwatch.core.campaign``). Thin: planning, deciding and judging are
``netwatch.core.campaign``'s, the wording ``netwatch.report.campaign``'s.
"""

from __future__ import annotations

import json
import random
import signal
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import click

from netwatch.adapters import logs
from netwatch.cli import _config_option, _debug, _errors, _load, main
from netwatch.config import Config
from netwatch.core.campaign import planner, progress
from netwatch.core.model import Campaign
from netwatch.errors import CampaignError
from netwatch.report import campaign as text

NONE_PLANNED = "no speed campaign is planned: run `netwatch campaign plan` first"


@main.group()
def campaign() -> None:
    """Speed campaign following the German regulator's procedure (BNetzA): 30 measurements on 3 days.

    The legally recognised measurement is the regulator's own app (breitbandmessung.de desktop app); this campaign
    is supporting evidence only.
    """


def _current(store_path: Path) -> Campaign:
    from netwatch.adapters.store.sqlite import Store

    with Store.open(store_path, readonly=True) as store:
        found = store.campaign()
    if found is None:
        raise CampaignError(NONE_PLANNED)
    return found


def _start(value: str | None, cfg: Config, now: float) -> date:
    today = datetime.fromtimestamp(now, UTC).astimezone(cfg.business_hours.timezone).date()
    if value is None:
        return today
    try:
        start = date.fromisoformat(value)
    except ValueError:
        raise CampaignError(f"--start {value!r} is not a date: give it as YYYY-MM-DD, e.g. 2026-05-04") from None
    if start < today:
        raise CampaignError(f"--start {start} is in the past (today is {today}): give today or a later date")
    return start


@campaign.command()
@_config_option
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
@click.pass_context
def plan(
    ctx: click.Context,
    config_path: Path | None,
    start_text: str | None,
    window_text: str,
    seed: int | None,
    replace: bool,
) -> None:
    """Plan a campaign: 30 random times keeping the procedure's rules, stored and printed."""
    from netwatch.adapters.store.sqlite import Store
    from netwatch.app import campaign as runner

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        now = time.time()
        window = planner.parse_window(window_text)
        start = _start(start_text, cfg, now)
        seed = random.SystemRandom().randrange(1_000_000) if seed is None else seed
        zone = cfg.business_hours.timezone_name
        schedule = planner.plan(start, zone, window, random.Random(seed), not_before=now)
        fix = "stop it first (Ctrl-C in its terminal), then plan the new campaign"
        with runner.exclusive(cfg.store.path, fix), Store.open(cfg.store.path) as store:
            old = store.campaign()
            if old is not None and old.done and not replace:
                raise CampaignError(
                    f"campaign {old.id} already has {len(old.done)} measurements: run `netwatch campaign plan "
                    "--replace` to plan a new one (the old one stays in the store as evidence)"
                )
            made = store.plan_campaign(schedule, seed, start, now, replace=old.id if old else None)
            stored = store.campaign(made)
        assert stored is not None
        for line in text.plan_lines(stored):
            click.echo(line)


@campaign.command()
@_config_option
@click.pass_context
def run(ctx: click.Context, config_path: Path | None) -> None:
    """Run the planned campaign in the foreground: one speed test per slot, until done, SIGTERM or Ctrl-C.

    Restarting resumes it. Exits 0 when complete or stopped, 11 when it can no longer follow the procedure.
    """
    from netwatch.adapters import locks
    from netwatch.adapters.store.sqlite import Store
    from netwatch.app import campaign as runner
    from netwatch.app.daemon.speed import build_chain

    debug = _debug(ctx)
    with _errors(debug):
        cfg = _load(config_path)
        logs.setup("debug" if debug else "warning")
        backends = build_chain(cfg, cfg.speedtest.chain, None)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        only_one = "only one runs per store; stop it (Ctrl-C in its terminal) to restart it"
        with runner.exclusive(cfg.store.path, only_one), Store.open(cfg.store.path) as store:
            current = store.campaign()
            if current is None:
                raise CampaignError(NONE_PLANNED)
            click.echo(text.status_line(current, time.time(), hint=False))
            done = runner.run(
                store,
                current.id,
                backends,
                runner.SystemClock(stop),
                stop,
                click.echo,
                locks.path_for(cfg.store.path, "speed"),
            )
        if done.outcome is runner.Outcome.STOPPED:
            click.echo("stopped; run `netwatch campaign run` again to resume")
        elif done.outcome is runner.Outcome.BROKEN:
            raise CampaignError(
                f"campaign {current.id} can no longer follow the procedure: {'; '.join(done.reasons)}; "
                "plan a new one with `netwatch campaign plan --replace`"
            )


@campaign.command()
@_config_option
@click.pass_context
def status(ctx: click.Context, config_path: Path | None) -> None:
    """The current campaign: one summary line, then every slot with its state."""
    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        current = _current(cfg.store.path)
        click.echo(text.status_line(current, time.time()))
        for line in text.schedule_lines(current)[1:]:
            click.echo(line)


@campaign.command()
@_config_option
@click.option("--json", "as_json", is_flag=True, help="Print the evaluation as JSON.")
@click.pass_context
def evaluate(ctx: click.Context, config_path: Path | None, as_json: bool) -> None:
    """The three criteria for download and upload against [plan]'s speeds, with the figures behind them."""
    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        current = _current(cfg.store.path)
        result = progress.evaluation_of(current, cfg.plan)
        if as_json:
            click.echo(json.dumps(text.evaluation_doc(current, result), indent=2))
        else:
            for line in text.evaluation_lines(current, result):
                click.echo(line)
