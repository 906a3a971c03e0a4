"""What `netwatch run` loads: the daemon lives for months on a Pi, so the code only other commands need (reports,
claims, verification, the holiday calendars, the web face) stays out of its memory. Each check runs in a fresh
interpreter, as the command does; the holiday name is then checked for its form only."""

from __future__ import annotations

import os
import subprocess
import sys
from textwrap import dedent

import pytest

from netwatch.core.schedule import BusinessHours
from netwatch.errors import ConfigError

NOT_FOR_THE_DAEMON = (
    "holidays",
    "jinja2",
    "weasyprint",
    "starlette",
    "uvicorn",
    "apprise",
    "difflib",
    "statistics",
    "netwatch.core.claims",
    "netwatch.cli.reports",
    "netwatch.report.render",
    "netwatch.web",
    "netwatch.adapters.store.verify",
    "netwatch.app.daemon.speed",
    "ssl",  # asyncio's TLS support (app.lean): about 1.5 MB with libssl, and the event loop never speaks TLS
)


def loaded_by(code: str) -> list[str]:
    """The modules loaded once ``code`` ran in a fresh interpreter (without $NETWATCH_CONFIG)."""
    env = {k: v for k, v in os.environ.items() if k != "NETWATCH_CONFIG"}
    code = dedent(code) + 'print(" ".join(sorted(sys.modules)))\n'
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_run_command_and_the_daemon_leave_the_other_commands_code_unloaded() -> None:
    loaded = loaded_by(
        """
        import sys, click
        from netwatch.__main__ import main
        main.get_command(click.Context(main), "run")
        from netwatch.app import settings
        from netwatch.app.daemon import loop
        settings.load(None, calendars=False)
        """
    )
    assert "netwatch.app.daemon.loop" in loaded
    assert [m for m in loaded if m.startswith(NOT_FOR_THE_DAEMON)] == []


def test_every_command_is_still_listed_and_found() -> None:
    done = subprocess.run([sys.executable, "-m", "netwatch", "--help"], capture_output=True, text=True, check=True)
    for name in ("run", "report", "verify", "web", "claims", "campaign", "check-config"):
        assert f"  {name} " in done.stdout


def test_without_calendars_a_holiday_name_is_checked_for_its_form() -> None:
    assert BusinessHours.from_config({"holidays": "US-CA"}, calendars=False).holidays == "US-CA"
    with pytest.raises(ConfigError) as caught:
        BusinessHours.from_config({"holidays": "G1"}, calendars=False)
    (problem,) = caught.value.problems
    assert (problem.key, problem.message, problem.fix) == (
        "business_hours.holidays",
        "a string ('G1') is not a country code",
        'use an ISO 3166 country code like "GB", optionally with a subdivision like "US-CA"',
    )


def test_asyncio_without_tls_leaves_ssl_to_those_who_import_it() -> None:
    code = """
        import sys
        from netwatch.app.lean import asyncio_without_tls
        print(asyncio_without_tls(), "ssl" in sys.modules)
        import asyncio.base_events, asyncio.selector_events
        print(asyncio.base_events.ssl, asyncio.selector_events.ssl)
        import ssl  # a TLS client of the daemon (InfluxDB, notifications) still has it
        print(ssl.create_default_context().verify_mode == ssl.CERT_REQUIRED, asyncio_without_tls())
    """
    done = subprocess.run([sys.executable, "-c", dedent(code)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True False", "None None", "True False"]


# What a report from the local store never needs (issue 17, a month's PDF in 2 s): the InfluxDB replica's reader,
# the neighbourhood pool's operations, the second witness, the daemon's exporter, the speed campaign's progress,
# and the HTTP and TLS clients they bring. Each is imported where a report asks for it.
NOT_FOR_A_REPORT_FROM_THE_STORE = (
    "netwatch.adapters.influx",
    "netwatch.app.pool",
    "netwatch.app.witness",
    "netwatch.app.daemon",
    "netwatch.core.campaign.progress",
    "urllib.request",
    "http.client",
    "ssl",
)


def test_the_report_command_leaves_influxdb_the_pool_the_witness_and_the_campaign_unloaded() -> None:
    loaded = loaded_by(
        """
        import sys, click
        from netwatch.__main__ import main
        main.get_command(click.Context(main), "report")
        from netwatch.app import documents, reports, settings
        from netwatch.report import pdf, render
        settings.load(None)
        """
    )
    assert "netwatch.app.reports" in loaded
    assert "netwatch.report.render" in loaded
    assert [m for m in loaded if m.startswith(NOT_FOR_A_REPORT_FROM_THE_STORE)] == []
