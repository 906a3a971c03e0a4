"""The method a report states is the one the period's sessions recorded when they began (newcomer review 2, B2):
one method stated as such, several each with its dates and the coarsest precision, sessions from before store
schema 18 said to have recorded none; the method is chained with its session, and a store of the previous schema
upgrades with its sessions unrecorded.

Reports are computed and rendered by netwatch from plain records; the store is a real SQLite file.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

from netwatch.adapters.store import Store, migrations
from netwatch.core.model import Period, ProbeMethod, Role, SessionMethod, Target
from netwatch.report.compute import CLOCK, Method, MethodEra, method_from_sessions
from netwatch.report.jsonout import to_json
from tests.support.html import parse
from tests.support.instants import DAY
from tests.support.reports import MON, html_of, letter_of, sample_report
from tests.support.targets import A1, A3, DNS, GW

ISP = Target(Role.ISP, "auto")
FAST = ProbeMethod(1.0, 0.8, 3, 60, 5.0, 250.0, (GW, ISP, A1, A3, DNS))
SLOW = ProbeMethod(5.0, 2.0, 10, 60, 5.0, 250.0, (GW, A1, DNS))
WEEK = Period(MON, MON + 7 * DAY)
MID = MON + 3 * DAY + 12 * 3600  # Thursday 12:00 (GMT: local time is UTC)


def paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def method_paragraphs(letter: str) -> list[str]:
    """The letter's method, from its first sentence to the clock's, as paragraphs and list items on one line each."""
    start = letter.index("The measurements were made by netwatch")
    end = letter.index("Clock: " + CLOCK + ".", start) + len("Clock: " + CLOCK + ".")
    blocks = [b for b in letter[start:end].split("\n\n") if b.strip()]
    return [" ".join(line.split()) for b in blocks for line in (b.splitlines() if b.startswith("- ") else [b])]


def report_with(method: Method) -> str:
    return letter_of(replace(sample_report(), method=method)).text


def test_one_recorded_method_is_stated_as_the_method_of_the_period() -> None:
    method = method_from_sessions([SessionMethod(MON - 60, MON + 7 * DAY, FAST)], SLOW, WEEK)
    assert (method.interval, method.confirm, method.several, method.unrecorded) == (1.0, 3, False, False)
    assert method.eras == (MethodEra(MON, MON + 7 * DAY, FAST),)
    [text] = method_paragraphs(report_with(method))
    assert text.startswith("The measurements were made by netwatch ") and text.endswith(
        " on our premises: every 1 s it sends one probe to our router, your first network hop and to 2 independent"
        " public hosts, and resolves host names. An outage is recorded when none of the public hosts answers for 3"
        " consecutive rounds; it is timed from the first failed round to the first successful one, so every start"
        " and end above is exact to within 1 s. Its cause is taken from which targets still answered: when our"
        " router answers and your network does not, the fault is in your network. Clock: " + CLOCK + "."
    )


def test_several_methods_are_each_stated_with_their_dates_and_the_coarsest_precision() -> None:
    sessions = [
        SessionMethod(MON, MON + DAY, FAST),
        SessionMethod(MON + DAY + 60, MID, FAST),  # a restart with the same settings: the same era
        SessionMethod(MID + 30, MON + 7 * DAY, SLOW),
    ]
    method = method_from_sessions(sessions, SLOW, WEEK)
    assert method.eras == (MethodEra(MON, MID, FAST), MethodEra(MID + 30, MON + 7 * DAY, SLOW))
    assert (method.interval, method.confirm, method.several, method.unrecorded) == (5.0, 10, True, False)
    shown = method_paragraphs(report_with(method))
    assert shown[0].endswith(" on our premises, with settings that changed during the period.")
    assert shown[1:] == [
        "- From 2026-11-23 00:00:00 GMT to 2026-11-26 12:00:00 GMT: every 1 s it sent one probe to our router, your"
        " first network hop and to 2 independent public hosts, and resolved host names; an outage was recorded when"
        " none of the public hosts answered for 3 consecutive rounds;",
        "- from 2026-11-26 12:00:30 GMT: every 5 s it sent one probe to our router and to 1 independent public host,"
        " and resolved host names; an outage was recorded when none of the public hosts answered for 10 consecutive"
        " rounds.",
        "Every outage is timed from the first failed round to the first successful one, so every start and end"
        " above is exact to within 5 s (the longest interval used). Its cause is taken from which targets still"
        " answered: when our router answers and your network does not, the fault is in your network. Clock: "
        + CLOCK
        + ".",
    ]


def test_sessions_that_recorded_no_method_are_said_to_and_todays_settings_are_not_presented_as_theirs() -> None:
    sessions = [SessionMethod(MON - 60, MID, None), SessionMethod(MID + 30, MON + 7 * DAY, SLOW)]
    method = method_from_sessions(sessions, SLOW, WEEK)
    assert (method.unrecorded, method.several, method.current) == (True, True, SLOW)
    shown = method_paragraphs(report_with(method))
    assert shown[0].endswith(
        " on our premises. The settings of the sessions before 2026-11-26 12:00:30 GMT were not recorded; the"
        " current ones are: every 5 s it sends one probe to our router and to 1 independent public host, and"
        " resolves host names, and an outage is recorded when none of the public hosts answers for 10 consecutive"
        " rounds."
    )
    assert shown[1] == (
        "- From 2026-11-26 12:00:30 GMT: every 5 s it sent one probe to our router and to 1 independent public"
        " host, and resolved host names; an outage was recorded when none of the public hosts answered for 10"
        " consecutive rounds."
    )
    assert shown[2].startswith(
        "Every outage is timed from the first failed round to the first successful one, so every start and end"
        " above is exact to within 5 s where the settings were recorded."
    )


def test_a_period_none_of_whose_sessions_recorded_a_method_claims_no_precision() -> None:
    method = method_from_sessions([SessionMethod(MON - 60, MON + 7 * DAY, None)], FAST, WEEK)
    [shown] = method_paragraphs(report_with(method))
    assert (
        " on our premises. The settings of the sessions in this period were not recorded; the current ones are:"
        in shown
    )
    assert (
        " public hosts answers for 3 consecutive rounds. Every outage is timed from the first failed round to the first"
        " successful one, so every start and end above is exact to within one probe interval." in shown
    )


def test_the_html_method_and_the_json_state_each_era() -> None:
    sessions = [SessionMethod(MON - 60, MID, None), SessionMethod(MID + 30, MON + 7 * DAY, SLOW)]
    report = replace(sample_report(), method=method_from_sessions(sessions, SLOW, WEEK))
    section = parse(html_of(report)).one("section", id="method")
    assert " ".join(section.find("p")[0].all_text.split()).endswith(
        "The figures above are computed from those records only. Each session records the settings it probes with"
        " when it begins:"
    )  # one recorded method after the unrecorded sessions: nothing says the settings changed
    eras = section.one("ul", class_="eras").find("li")
    assert [" ".join(li.all_text.split()) for li in eras] == [
        "Before 2026-11-26 12:00:30 GMT: the settings were not recorded (those sessions began before netwatch"
        " recorded them). The current ones are one round every 5 s, an outage after 10 consecutive failed rounds.",
        "From 2026-11-26 12:00:30 GMT: one round every 5 s, each target 2 s to answer; an outage after 10"
        " consecutive failed rounds (50s); degraded over 60 rounds above 5% loss or 250 ms; 1 public anchor.",
    ]
    precision = section.one("dd", **{"data-method": "interval"})
    assert " ".join(precision.all_text.split()) == (
        "every start and end is exact to within 5 s, the longest interval recorded (where the settings were recorded)"
    )
    doc = to_json(report)["method"]["eras"]
    assert doc[0] == {"since": "2026-11-23T00:00:00Z", "until": "2026-11-26T12:00:00Z", "recorded": False}
    assert doc[1]["recorded"] is True and (doc[1]["interval"], doc[1]["confirm"]) == (5.0, 10)


def test_the_method_is_chained_with_its_session(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        store.begin_session(MON, method=FAST)
        store.end_session(MON + 60)
        assert store.session_methods(MON, MON + 60) == [SessionMethod(MON, MON + 60, FAST)]
        assert store.verify().ok
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        doc = json.loads(conn.execute("SELECT method FROM sessions").fetchone()[0])
        doc["interval"], doc["confirm"] = 5.0, 10
        conn.execute("UPDATE sessions SET method = ?", (json.dumps(doc),))
    finally:
        conn.close()
    with Store.open(path, readonly=True) as store:
        result = store.verify()
    assert not result.ok
    assert [b.where for b in result.breaks] == ["session 1"]
    assert result.breaks[0].what.startswith('differs from its sealed version (seal 2): method "{\\"confirm\\":3,')


def test_a_store_of_the_previous_schema_upgrades_with_its_sessions_unrecorded(tmp_path: Path) -> None:
    path = tmp_path / "netwatch.db"
    with Store.open(path) as store:
        store.begin_session(MON)
        store.end_session(MON + 60)
    conn = sqlite3.connect(path, isolation_level=None)
    try:  # as the previous release wrote it: no method column
        conn.execute("ALTER TABLE sessions DROP COLUMN method")
        conn.executescript("DROP TABLE round_spans; CREATE INDEX rounds_at ON rounds (at_ms);")
        conn.execute("PRAGMA user_version = 17")
    finally:
        conn.close()
    with Store.open(path) as store:
        assert store.verify().ok
        store.begin_session(MON + 120, method=SLOW)
        store.end_session(MON + 180)
        assert store.session_methods(MON, MON + 180) == [
            SessionMethod(MON, MON + 60, None),
            SessionMethod(MON + 120, MON + 180, SLOW),
        ]
        assert store.verify().ok
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST >= 18
    finally:
        conn.close()
