"""Dates nothing was measured on, on the command line (review 1, S6): a WHEN before 2000-01-01 or one the calendar
cannot reach is bad input (exit 2) with one line saying to check the year, never an internal error, and nothing
is recorded. Every message word for word."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.cli import ExitCode
from tests.support.cli import invoke, isolate
from tests.support.configs import office_hours
from tests.support.instants import LONDON, at
from tests.support.rounds import Line
from tests.support.stores import record
from tests.support.targets import A1, GW

START = at(2026, 11, 2, 9, 0, zone=LONDON)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A day of rounds, one a minute, in the store of a London office's configuration."""
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(office_hours())
    state = isolate(monkeypatch, tmp_path, cfg=cfg)
    line = Line.of(GW, A1)
    return record(state / "netwatch.db", START, START + 86400, [line.round(START + 60.0 * k) for k in range(1440)])


def old(option: str, text: str) -> str:
    return f'netwatch: {option}: "{text}" is before 2000-01-01, older than anything netwatch measured; check the year\n'


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("report", "--since", "0001-01-01", "--until", "0001-01-02"), old("--since", "0001-01-01")),
        (("report", "--since", "1999-12-31T23:59:59+00:00"), old("--since", "1999-12-31T23:59:59+00:00")),
        (("evidence", "--since", "0001-01-01"), old("--since", "0001-01-01")),
        (
            ("report", "--since", "2026-11-02", "--until", "9999-12-31"),
            'netwatch: --until: "9999-12-31" is not a date netwatch can use; check the year\n',
        ),
        (("ticket", "open", "--ref", "BT-1", "--reported", "0001-01-01T00:00"), old("--reported", "0001-01-01T00:00")),
        (("ticket", "open", "--ref", "BT-1", "--reported", "1999-12-31 23:59"), old("--reported", "1999-12-31 23:59")),
    ],
)
def test_a_date_before_2000_or_beyond_the_calendar_is_bad_input(store: Path, args: tuple[str, ...], error: str) -> None:
    assert invoke(*args) == (ExitCode.USAGE, "", error)
    with Store.open(store, readonly=True) as found:
        assert found.tickets() == []


def test_the_first_day_of_2000_is_a_date(store: Path) -> None:
    code, out, err = invoke("report", "--since", "2000-01-01", "--until", "2000-01-01", "--format", "json")
    assert (code, err) == (0, "")
    assert '"monitored_seconds": 0.0' in out
