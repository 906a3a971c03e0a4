"""The CSV report, parsed back with the csv module: columns, local times, quoting and formula injection."""

from __future__ import annotations

import csv
import io

from netwatch.core.model import Cause, Coverage, Incident, Kind, Period
from netwatch.core.schedule import BusinessHours
from netwatch.report.compute import compute
from netwatch.report.csvout import COLUMNS, safe_cell, to_csv
from tests.support.instants import DAY, local

LONDON = BusinessHours.from_config({"timezone": "Europe/London", "week": {"wed": "09:00-17:00"}})
WED = local("2026-07-01T00:00")  # Wednesday 1 July 2026, 00:00 BST


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_one_row_per_incident_with_utc_and_local_times() -> None:
    evidence = 'gateway answered 60/60, ISP hop 0/60; "quoted", with commas\nand a newline'
    incidents = [
        Incident(Kind.OUTAGE, Cause.ISP, WED + 9.5 * 3600, WED + 10 * 3600, 1800, ((Cause.ISP, 1800),), evidence),
        Incident(Kind.DEGRADED, Cause.UPSTREAM, WED - 600, WED + 600, 1200),
        Incident(Kind.OUTAGE, Cause.LOCAL, WED + 20 * 3600),  # still open
    ]
    report = compute(Period(WED, WED + DAY), incidents, [Coverage(WED - DAY, WED + 21 * 3600)], LONDON)
    text = to_csv(report)
    assert text.startswith(",".join(COLUMNS) + "\r\n")
    got = rows(text)
    assert [r["kind"] for r in got] == ["degraded", "outage", "outage"]
    assert got[1] == {
        "kind": "outage",
        "cause": "isp",
        "start": "2026-07-01T08:30:00Z",
        "end": "2026-07-01T09:00:00Z",
        "start_local": "2026-07-01T09:30:00+01:00",
        "end_local": "2026-07-01T10:00:00+01:00",
        "duration_seconds": "1800",
        "duration": "30m 00s",
        "business_seconds": "1800",
        "business_duration": "30m 00s",
        "clipped_to_period": "false",
        "rounds": "1800",
        "evidence": evidence,
        "witness": "",
        "witness_rounds": "",
        "witness_reached_rounds": "",
        "claimed_from_provider": "true",
        "dns_resolver": "",
    }
    assert (got[0]["duration_seconds"], got[0]["clipped_to_period"]) == ("600", "true")
    assert (got[2]["end"], got[2]["end_local"], got[2]["duration_seconds"]) == ("", "", "3600")


def test_empty_report_is_the_header_alone() -> None:
    assert rows(to_csv(compute(Period(WED, WED + DAY), [], [], LONDON))) == []


def test_cells_a_spreadsheet_would_run_as_formulas_are_made_inert() -> None:
    attacks = ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    incidents = [
        Incident(Kind.OUTAGE, Cause.DNS, WED + i * 60, WED + i * 60 + 30, detail=a) for i, a in enumerate(attacks)
    ]
    got = rows(to_csv(compute(Period(WED, WED + DAY), incidents, [Coverage(WED, WED + DAY)], LONDON)))
    assert [r["evidence"] for r in got] == ["'" + a for a in attacks]
    assert [safe_cell(x) for x in ("ok", "", "1=1", "'=x")] == ["ok", "", "1=1", "'=x"]
