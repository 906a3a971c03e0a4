"""`netwatch doctor`: what this machine and this configuration need looked at, on one screen.

Owns the command's output (a line per finding, its severity in colour on a terminal only, the next step under
anything not ok, a last line counting them) and its exit code by the worst finding: 0 when all is ok, 14 with
warnings, 15 with a problem. The findings are ``netwatch.app.doctor``'s, their words ``netwatch.report.doctor``'s.
Must not look at the machine, the store or the network itself.
"""

from __future__ import annotations

import sys
import time

import click

from netwatch.app import doctor as checkup
from netwatch.app import settings
from netwatch.cli.command import ExitCode, configured, debugging
from netwatch.config import Config
from netwatch.core.model import Severity
from netwatch.report.doctor import lines, summary, worst

COLOURS = {Severity.OK: "green", Severity.WARNING: "yellow", Severity.PROBLEM: "red"}
CODES = {Severity.OK: ExitCode.OK, Severity.WARNING: ExitCode.DOCTOR_WARNING, Severity.PROBLEM: ExitCode.DOCTOR_PROBLEM}


@click.command()
@configured
def doctor(cfg: Config) -> None:
    """Check what netwatch needs here: ICMP permission, the clock, free disk and the card's writes, the store's
    evidence chain, InfluxDB (one test point written), where notifications go (nothing sent), the extras
    installed; the next step under each finding that is not ok. Takes a few seconds, whatever is unreachable.

    Exits 0 when every check is ok, 14 when the worst finding is a warning, 15 when one is a problem.
    """
    settings.log_to_stderr("debug" if debugging() else "error")
    findings = checkup.check(cfg, time.time())
    for finding in findings:
        first, *rest = lines(finding)
        word, _, seen = first.partition(" ")
        click.echo(click.style(word, fg=COLOURS[finding.severity], bold=True) + " " + seen)
        for line in rest:
            click.echo(line)
    click.echo(summary(findings))
    sys.exit(CODES[worst(findings)])
