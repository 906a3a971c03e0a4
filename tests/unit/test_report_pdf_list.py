"""A long period on paper: beyond ``PDF_TABLE_ROWS`` incidents the PDF's HTML lists each on one numbered line in
fixed columns instead of the table (which WeasyPrint lays out too slowly for a year), and says where each
incident's full evidence is. The HTML report itself keeps the table."""

from __future__ import annotations

import re

from netwatch.report.render import PDF_TABLE_ROWS
from tests.support.reports import busy_report, html_of


def listed(html: str) -> list[str]:
    found = re.search(r'<pre class="compact-incidents">(.*?)</pre>', html, re.S)
    assert found is not None
    return found.group(1).splitlines()


def test_beyond_the_table_rows_a_pdf_lists_every_incident_on_one_numbered_line() -> None:
    report = busy_report(PDF_TABLE_ROWS + 1)
    html = html_of(report, pdf=True)
    assert '<table class="incidents">' not in html
    lines = listed(html)
    assert lines[0] == (
        "    #  Kind      Cause                   Start                    End                            Duration"
        "        Business  Bad rounds"
    )
    assert len(lines) == 1 + len(report.incidents)
    assert [int(line[:5]) for line in lines[1:]] == list(range(1, len(report.incidents) + 1))
    # Monday 23 November 2026, 00:10 GMT; outages at 09:10 are inside business hours (09:00-17:30).
    assert lines[1] == (
        "    1  Outage    ISP access network      2026-11-23 00:10:00 GMT  00:11:30 GMT                     1m 30s"
        "              0s  90"
    )
    assert lines[6] == (
        "    6  Outage    ISP upstream            2026-11-23 10:10:00 GMT  10:11:30 GMT                     1m 30s"
        "          1m 30s  90"
    )
    note = " ".join(html.split('<p class="note">151 incidents in the period:', 1)[1].split("</p>", 1)[0].split())
    assert note.startswith(
        "too many for a table on paper, so each is one line below, in local time (Europe/London), numbered as in the"
        " HTML report and as the rows of the CSV"
    )


def test_up_to_the_table_rows_and_in_html_the_table_stays() -> None:
    assert '<table class="incidents">' in html_of(busy_report(PDF_TABLE_ROWS), pdf=True)
    html = html_of(busy_report(PDF_TABLE_ROWS + 1))
    assert '<table class="incidents">' in html and 'compact-incidents">' not in html
