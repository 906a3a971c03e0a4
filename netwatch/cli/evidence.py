"""`netwatch verify` and `netwatch evidence`: the evidence chain checked, and the evidence bundle written."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from netwatch.cli import ExitCode, _config_option, _debug, _errors, _load, main
from netwatch.cli.reports import _render, named_period_of, period_in, period_options, witnessed
from netwatch.errors import ReportError


@main.command()
@_config_option
@click.option(
    "--expect",
    metavar="DIGEST",
    help="A seal digest published earlier (e.g. printed in a report or an "
    "evidence bundle): fail unless it is in the chain.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def verify(ctx: click.Context, config_path: Path | None, expect: str | None, as_json: bool) -> None:
    """Check that the store holds exactly what was recorded: every round, incident and record against its
    SHA-256 seal. Exits 0 when intact, 9 when anything was edited, inserted or deleted (each place is listed)."""
    from netwatch.adapters.store.sqlite import Store
    from netwatch.app.evidence import verification_json, verification_lines

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        with Store.open(cfg.store.path, readonly=True) as store:
            if sys.stderr.isatty() and not as_json:
                total = store.count_rounds(float("-inf"), float("inf"))
                with click.progressbar(length=total, label="Verifying", file=sys.stderr) as bar:
                    result = store.verify(expect, progress=bar.update)
            else:
                result = store.verify(expect)
        tz = cfg.business_hours.timezone
        if as_json:
            click.echo(json.dumps(verification_json(result, cfg.store.path), indent=2))
        else:
            for line in verification_lines(result, cfg.store.path, tz):
                click.echo(line)
        if not result.ok:
            sys.exit(ExitCode.VERIFY)


@main.command()
@_config_option
@period_options
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The zip to write (default: netwatch-evidence-SINCE--UNTIL.zip here).",
)
@click.pass_context
def evidence(
    ctx: click.Context,
    config_path: Path | None,
    named_period: str | None,
    since: str | None,
    until: str | None,
    output: Path | None,
) -> None:
    """Write one zip of evidence for a period: the report (HTML, PDF when available, JSON, letter), the raw
    rounds as CSV, the incidents as JSON, the configuration without secrets, the verification of the evidence
    chain, and a manifest with every file's SHA-256."""
    from netwatch.adapters.store.sqlite import Store
    from netwatch.app.evidence import write_bundle
    from netwatch.app.reports import figures as from_store
    from netwatch.report.pdf import MISSING

    with _errors(_debug(ctx)):
        cfg = _load(config_path)
        tz = cfg.business_hours.timezone
        now = time.time()
        chosen = named_period_of(named_period, since, until, tz, now)
        if output is not None and output.suffix.lower() != ".zip":
            raise ReportError(f'--output: the evidence bundle is a zip file; name it "{output.stem}.zip"')
        # One snapshot for everything in the bundle: the report, the rounds and the verification agree.
        with Store.open(cfg.store.path, readonly=True) as store, store.snapshot():
            chosen = chosen or period_in(store, since, until, tz, now)
            figures = witnessed(from_store(store, cfg, chosen), cfg)

            def render(fmt: str) -> str | bytes | None:
                try:
                    return _render(fmt, figures, cfg, now, warn=fmt != "md")
                except ReportError as err:
                    if fmt == "pdf" and str(err) == MISSING:
                        return None
                    raise

            if output is None:
                last_day = _day(max(chosen.since, chosen.until - 0.001), tz)  # the period's end is excluded
                output = Path(f"netwatch-evidence-{_day(chosen.since, tz)}--{last_day}.zip")
            if sys.stderr.isatty():
                total = store.count_rounds(float("-inf"), float("inf"))
                with click.progressbar(length=total, label="Verifying", file=sys.stderr) as bar:
                    verification = store.verify(progress=bar.update)
                rows = store.count_rounds(chosen.since, chosen.until)
                with click.progressbar(length=rows, label="Writing rounds", file=sys.stderr) as bar:
                    bundle = write_bundle(
                        store,
                        cfg,
                        chosen,
                        output,
                        verification=verification,
                        generated_at=now,
                        render=render,
                        rounds_progress=bar.update,
                    )
            else:
                verification = store.verify()
                bundle = write_bundle(
                    store, cfg, chosen, output, verification=verification, generated_at=now, render=render
                )
        for warning in bundle.warnings:
            click.echo(f"netwatch: warning: {warning}", err=True)
        verdict = "chain intact" if bundle.verification.ok else "CHAIN BROKEN (see verification.txt)"
        click.echo(
            f"evidence written to {bundle.path}: {len(bundle.files)} files, {bundle.rounds} rounds, {verdict}, "
            f"seal {bundle.verification.head_seal} sha256:{bundle.verification.head_digest[:16]}"
        )
        if not bundle.verification.ok:
            sys.exit(ExitCode.VERIFY)


def _day(at: float, tz: Any) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d")
