"""`netwatch verify`, `netwatch evidence` and `netwatch timestamp`: the evidence chain checked, the evidence bundle
written, the chain's head timestamped by an authority.

Owns the commands' options, their progress bars and exit codes (9 for a broken or empty chain, 12 when no timestamp
could be had); verifying and writing the bundle are ``netwatch.app.evidence``'s, timestamping
``netwatch.app.timestamps``'. Must not read the store itself.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from netwatch.app import evidence as bundles
from netwatch.app import timestamps as stamping
from netwatch.cli.command import ExitCode, configured, progress_bar
from netwatch.cli.reports import period_options
from netwatch.config import Config
from netwatch.errors import InputError
from netwatch.report.verification import checkpoint_lines, timestamp_line, verification_json, verification_lines


def seal_digest(text: str) -> str:
    """The hex digits of a published seal digest as reports print it ("sha256:3f5a9c0e12ab…", whole or cut after
    at least 12 digits). Raises InputError for anything else: it could never match, and exit 9 would call the
    evidence broken."""
    digits = text.strip().removesuffix("…").removesuffix("...").lower().removeprefix("sha256:")
    if not MIN_DIGITS <= len(digits) <= 64 or not all(c in "0123456789abcdef" for c in digits):
        raise InputError(
            f'--expect: "{text}" is not a seal digest; give the digest a report, letter or evidence bundle printed'
            f" (hexadecimal, e.g. sha256:3f5a9c0e12ab, at least its first {MIN_DIGITS} digits)"
        )
    return digits


MIN_DIGITS = 12  # a shorter prefix could match a seal by chance


@click.command()
@configured
@click.option(
    "--expect",
    metavar="DIGEST",
    help="A seal digest published earlier (e.g. printed in a report or an evidence bundle): fail unless it is in "
    "the chain.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--full",
    is_flag=True,
    help="Re-hash every seal from the first, not only what was sealed since the last verified checkpoint.",
)
def verify(cfg: Config, expect: str | None, as_json: bool, full: bool) -> None:
    """Check that the store holds exactly what was recorded: every round, incident and record against its
    SHA-256 seal, and the store's own acts (re-timing, pruning) against their rules. By default only what was
    sealed since the last verified checkpoint is re-hashed (the output says which, and how that one was verified);
    an intact result is sealed as the next checkpoint when this user may write the store. Exits 0 when intact, 9
    when anything was edited, inserted or deleted (each place is listed) or the store is empty."""
    if expect is not None:
        expect = seal_digest(expect)
    run = bundles.verify(cfg, expect, None if as_json else progress_bar(), full=full)
    result = run.verification
    tz = cfg.business_hours.timezone
    if as_json:
        click.echo(json.dumps(verification_json(result, cfg.store.path, run), indent=2))
    else:
        for line in [*verification_lines(result, cfg.store.path, tz, expect), *checkpoint_lines(run, tz)]:
            click.echo(line)
    if not result.ok:
        sys.exit(ExitCode.VERIFY)


@click.command()
@configured
@period_options
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The zip to write (default: netwatch-evidence-SINCE--UNTIL.zip here).",
)
@click.option(
    "--with-store",
    is_flag=True,
    help="Also put a copy of the whole store in the zip (netwatch.db, as verified), for whoever must check it.",
)
def evidence(
    cfg: Config,
    named_period: str | None,
    since: str | None,
    until: str | None,
    output: Path | None,
    with_store: bool,
) -> None:
    """Write one zip of evidence for a period: a README.txt for its reader, the report (HTML, PDF when available,
    JSON, letter), the raw rounds as CSV, the incidents as JSON, the configuration without secrets, the
    verification of the evidence chain, and a manifest with every file's SHA-256."""
    bundle, notes = bundles.evidence(
        cfg,
        named=named_period,
        since=since,
        until=until,
        output=output,
        now=time.time(),
        bar=progress_bar(),
        with_store=with_store,
    )
    for note in notes:
        click.echo(f"netwatch: {note}", err=True)
    for warning in bundle.warnings:
        click.echo(f"netwatch: warning: {warning}", err=True)
    checked = bundle.verification
    if checked.empty:  # no seal to name: an empty store is not evidence of anything, nor a broken chain
        verdict = (
            "nothing sealed yet: the store holds no record; start monitoring (`netwatch run` or the service), then"
            " make the bundle again"
        )
    else:
        verdict = "chain intact" if checked.ok else "CHAIN BROKEN (see verification.txt)"
        verdict += f", seal {checked.head_seal} sha256:{checked.head_digest[:16]}"
    click.echo(f"evidence written to {bundle.path}: {len(bundle.files)} files, {bundle.rounds} rounds, {verdict}")
    if not bundle.verification.ok:
        sys.exit(ExitCode.VERIFY)


@click.command()
@configured
def timestamp(cfg: Config) -> None:
    """Have the time-stamping authority of [timestamp] sign that the newest seal exists now (RFC 3161); the daemon
    does this every timestamp.every_hours by itself. The token is kept in the store and goes into the evidence
    bundle, where anyone can check it with openssl."""
    stamp = stamping.stamp_now(cfg)
    click.echo(timestamp_line(stamp, cfg.business_hours.timezone))
