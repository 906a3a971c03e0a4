"""The owner's ticket notes stay out of the documents for the provider (newcomer review 2, N7; DESIGN "Advice stays
with you"): a ticket noted "spoke to Sam, promised a call back" is in `netwatch ticket list`, but not in the report
(HTML, JSON) nor the evidence bundle's report and tickets.json, unless `[report] ticket_notes = true`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from netwatch.core.model import Channel, Ticket
from tests.support.cli import invoke, isolate
from tests.support.configs import office_hours
from tests.support.incidents import outage
from tests.support.instants import ts
from tests.support.rounds import Line
from tests.support.stores import record
from tests.support.targets import A1, GW

NOTE = "spoke to Sam, promised a call back"
PERIOD = ("--since", "2026-11-02", "--until", "2026-11-02")


def setup(tmp: Path, monkeypatch: pytest.MonkeyPatch, shared: bool | None) -> None:
    cfg = tmp / "netwatch.toml"
    report = "" if shared is None else f"[report]\nticket_notes = {'true' if shared else 'false'}\n"
    cfg.write_text(f"{report}{office_hours('Europe/London')}", encoding="utf-8")
    state = isolate(monkeypatch, tmp, cfg=cfg, chdir=True)
    begun = ts("2026-11-02 08:00", "Europe/London")
    ticket = Ticket("CASE-1", begun + 30, Channel.PHONE, NOTE)
    line = Line.of(GW, A1)
    rounds = [line.answers(begun + i, 0.4, None if 10 <= i < 20 else 9.0) for i in range(60)]
    record(
        state / "netwatch.db",
        begun,
        begun + 59,
        rounds,
        [outage(begun + 10, begun + 20, rounds=10, detail="gateway 10/10")],
        [(ticket, begun + 31)],
    )


def documents(tmp: Path) -> dict[str, str]:
    """The report as HTML and JSON, and the bundle's report.html, report.json and tickets.json."""
    found: dict[str, str] = {}
    for fmt in ("html", "json"):
        code, out, err = invoke("report", *PERIOD, "--format", fmt)
        assert code == 0, err
        found[fmt] = out
    code, _, err = invoke("evidence", *PERIOD, "--output", str(tmp / "e.zip"))
    assert code == 0, err
    with zipfile.ZipFile(tmp / "e.zip") as z:
        found.update({f"bundle/{n}": z.read(n).decode() for n in ("report.html", "report.json", "tickets.json")})
    return found


@pytest.mark.parametrize("shared", [None, False])
def test_the_note_stays_with_the_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: bool | None) -> None:
    setup(tmp_path, monkeypatch, shared)
    found = documents(tmp_path)
    assert [name for name, text in found.items() if "Sam" in text] == []
    [ticket] = json.loads(found["bundle/tickets.json"])["tickets"]
    assert (ticket["ref"], ticket["note"], ticket["note_withheld"]) == ("CASE-1", None, True)
    code, out, _ = invoke("ticket", "list")
    assert code == 0 and f"note: {NOTE}" in out  # the owner's own list keeps it


def test_the_owner_may_print_the_note_for_the_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup(tmp_path, monkeypatch, True)
    found = documents(tmp_path)
    assert [name for name, text in found.items() if NOTE in text] == list(found)
    [ticket] = json.loads(found["bundle/tickets.json"])["tickets"]
    assert (ticket["note"], ticket["note_withheld"]) == (NOTE, False)


def test_the_ticket_command_says_where_the_note_goes() -> None:
    code, out, _ = invoke("ticket", "open", "--help")
    assert code == 0
    assert (
        "Anything worth keeping: who you spoke to, what they promised. Private: kept out of the documents for the"
        " provider unless [report] ticket_notes = true." in " ".join(out.split())
    )
