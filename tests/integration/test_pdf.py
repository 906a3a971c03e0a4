"""PDF output: the HTML report rendered by WeasyPrint, its text extracted with pdftotext (poppler-utils).

Needs the ``pdf`` extra (WeasyPrint, with Pango) and pdftotext: without them the tests are skipped with the
reason, except under CI (``$CI`` set), where a skip would hide a broken setup, so it is a failure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from netwatch.config.records import CostConfig
from netwatch.core.model import Cause, Coverage, Period
from netwatch.core.text import duration, percent
from netwatch.errors import ReportError
from netwatch.report import pdf
from netwatch.report.compute import Report, compute
from netwatch.report.render import PDF_TABLE_ROWS
from tests.support.incidents import outage_for
from tests.support.instants import LONDON, local
from tests.support.reports import BUSINESS, METHOD, PLAN, busy_report, html_of, sample_report


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    assert done.stderr == ""
    return done.stdout


def test_the_pdf_holds_the_key_numbers_and_every_incident(pdf_tools: None, tmp_path: Path) -> None:
    report = sample_report()
    data = pdf.to_pdf(html_of(report))
    assert data.startswith(b"%PDF-")
    text = pdf_text(data, tmp_path)
    flat = " ".join(text.split())
    assert "Internet outage report" in flat
    assert "2026-11-23 00:00 GMT to 2026-11-30 00:00 GMT" in flat
    for figure in (
        percent(report.availability_percent),
        duration(report.downtime_seconds),
        duration(report.business_downtime_seconds),
        duration(report.longest_outage_seconds),
        duration(report.isp_attributable_seconds),
        "£",
    ):
        assert figure in flat, figure
    rows = [
        line
        for line in text.splitlines()
        if line.strip()[:2].strip().isdigit() and ("Outage" in line or "Degraded" in line)
    ]
    assert len(rows) == len(report.incidents)
    for row, f in zip(rows, report.incidents, strict=True):
        start = datetime.fromtimestamp(f.start, LONDON).strftime("%H:%M:%S %Z")
        assert start in " ".join(text.split()), start
        assert duration(f.seconds) in row
    pages = text.count("\f")
    assert 2 <= pages <= 8
    assert "page 1 of" in flat  # the @page footer


@pytest.mark.parametrize("size", ["A4", "letter"])
def test_nothing_is_wider_than_the_page(pdf_tools: None, tmp_path: Path, size: str) -> None:
    html = html_of(sample_report()).replace("</head>", f"<style>@page {{ size: {size} }}</style></head>")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.to_pdf(html))
    done = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True)
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', done.stdout, re.S)
    assert pages
    margin = 13 / 25.4 * 72  # the right margin of the @page rule, in points
    for width, height, words in pages:
        assert (round(float(width)), round(float(height))) == ((595, 842) if size == "A4" else (612, 792))
        right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', words))
        assert right <= float(width) - margin + 0.5, f"text reaches {right} pt on a {width} pt page"


def test_a_long_period_still_fits_its_pages(pdf_tools: None, tmp_path: Path) -> None:
    since, until = local("2026-01-01T00:00"), local("2026-04-01T00:00")
    incidents = [outage_for(Cause.ISP, since + i * 86400 + 36000, 300 + i) for i in range(0, 90, 3)]
    report: Report = compute(
        Period(since, until),
        incidents,
        [Coverage(since, until)],
        BUSINESS,
        method=METHOD,
        cost=CostConfig(50.0, "EUR"),
        plan=PLAN,
    )
    text = pdf_text(pdf.to_pdf(html_of(report)), tmp_path)
    assert "The period spans 90 days" in " ".join(text.split())
    assert all(duration(f.seconds) in text for f in report.incidents)


def test_external_references_are_refused(pdf_tools: None) -> None:
    with pytest.raises(ReportError) as caught:
        pdf.to_pdf('<p>logo</p><img src="https://example.com/logo.png">')
    assert str(caught.value) == (
        "the report must be self-contained, but it refers to https://example.com/logo.png; remove that reference "
        "from the template (embed images as data: URLs)"
    )


def test_without_weasyprint_the_message_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # WeasyPrint runs in a process of its own: there, this package stands in for one that cannot be imported.
    (tmp_path / "weasyprint").mkdir()
    (tmp_path / "weasyprint" / "__init__.py").write_text('raise ImportError("No module named weasyprint")\n')
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with pytest.raises(ReportError) as caught:
        pdf.to_pdf("<p>x</p>")
    assert str(caught.value) == (
        "PDF output needs WeasyPrint: install the pdf extra (in the netwatch checkout: .venv/bin/pip install "
        "'.[pdf]'; for the service: sudo ./bootstrap install --extras speedtest,web,pdf) and the Debian packages "
        "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 (sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
        "libharfbuzz-subset0)"
    )


def test_a_long_periods_pdf_lists_every_incident_on_its_numbered_line(pdf_tools: None, tmp_path: Path) -> None:
    report = busy_report(PDF_TABLE_ROWS + 1)
    text = pdf_text(pdf.to_pdf(html_of(report, pdf=True)), tmp_path)
    numbered = [line.split() for line in text.splitlines() if re.match(r"\s*\d+\s+(Outage|Degraded)\s", line)]
    assert [int(words[0]) for words in numbered] == list(range(1, len(report.incidents) + 1))
    # The 151st: a Saturday, so none of it in business hours.
    last = [
        "Outage",
        "Local",
        "(premises)",
        "2026-12-05",
        "12:10:00",
        "GMT",
        "12:11:30",
        "GMT",
        "1m",
        "30s",
        "0s",
        "90",
    ]
    assert numbered[-1][1:] == last


LOADING = """
import sys
programs = []
sys.addaudithook(lambda event, args: programs.append(args[1]) if event == "subprocess.Popen" else None)
from netwatch.report import pdf
pdf._load()
import weasyprint.text.ffi as ffi
print(len(programs), ffi.pango is not None, ffi.harfbuzz is not None, ffi.fontconfig is not None)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the libraries' sonames are Linux's")
def test_weasyprint_loads_its_libraries_without_running_a_program(pdf_tools: None) -> None:
    """Each name WeasyPrint tries for a library and cannot open used to run ldconfig, gcc and ld (some 60 programs,
    0.3 s of a month's PDF): on Linux the sonames are opened without them, and every library is loaded."""
    done = subprocess.run([sys.executable, "-c", LOADING], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "True", "True", "True"], done.stderr


AHEAD = """
import os, sys
started = []
sys.addaudithook(lambda event, args: started.append(list(args[1])) if event == "subprocess.Popen" else None)
from netwatch.report import pdf
pdf.preload()
data = pdf.to_pdf("<p>x</p>")
print(data[:5].decode(), "weasyprint" in sys.modules, started == [[sys.executable, "-m", "netwatch.report.pdf"]])
"""


def test_weasyprint_runs_in_a_process_of_its_own_started_ahead(pdf_tools: None) -> None:
    """The process WeasyPrint runs in is the one started ahead (it imported WeasyPrint meanwhile, on another core),
    and the process that asked for the PDF never imports WeasyPrint."""
    done = subprocess.run([sys.executable, "-c", AHEAD], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["%PDF-", "False", "True"], done.stderr


UNUSED = """
from netwatch.report import pdf
pdf.preload()
print(pdf._ready[0].pid)
"""


def test_a_weasyprint_process_never_given_a_report_ends_with_the_command() -> None:
    """A report that fails after the PDF was announced (a bad --since, no store) leaves no process behind."""
    done = subprocess.run([sys.executable, "-c", UNUSED], capture_output=True, text=True, check=True)
    with pytest.raises(ProcessLookupError):
        os.kill(int(done.stdout), 0)


def test_the_weasyprint_process_without_html_writes_nothing() -> None:
    done = subprocess.run([sys.executable, "-m", "netwatch.report.pdf"], input=b"", capture_output=True, check=False)
    assert (done.returncode, done.stdout) == (0, b"")


FIRST = """
import sys
seen = []
sys.addaudithook(
    lambda event, args: seen.append("netwatch.app.reports" in sys.modules) if event == "subprocess.Popen" else None
)
from netwatch.__main__ import main
try:
    main(["report", "--since", "2026-11-01", "--until", "2026-11-30", "--output", sys.argv[1]])
except SystemExit as exit:
    print(exit.code, seen)
"""


def test_netwatch_report_starts_the_pdfs_process_before_it_imports_what_builds_the_report(tmp_path: Path) -> None:
    """The process imports WeasyPrint while `netwatch report` imports, reads and renders (here: until the store,
    not there yet, is refused)."""
    env = {**os.environ, "NETWATCH_STATE_DIR": str(tmp_path), "NETWATCH_CONFIG": ""}
    out = tmp_path / "month.pdf"
    done = subprocess.run([sys.executable, "-c", FIRST, str(out)], capture_output=True, text=True, env=env, check=False)
    assert done.stdout.split() == ["4", "[False]"], done.stderr
    assert not out.exists()


def test_the_weasyprint_process_ends_once_the_pdf_is_written_without_the_interpreters_teardown(
    pdf_tools: None, tmp_path: Path
) -> None:
    """The asking process waits for this one's end: freeing WeasyPrint's objects at exit cost 0.1 s of a month's
    PDF. An exit handler (here one in sitecustomize) is a part of that teardown: it never runs."""
    (tmp_path / "sitecustomize.py").write_text(
        'import atexit, sys\natexit.register(lambda: print("torn down", file=sys.stderr))\n'
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "netwatch.report.pdf"], input=b"<p>x</p>", capture_output=True, check=False, env=env
    )
    assert (done.returncode, done.stdout[:5], b"torn down" in done.stderr) == (0, b"%PDF-", False)
    given_nothing = subprocess.run(
        [sys.executable, "-m", "netwatch.report.pdf"], input=b"", capture_output=True, check=False, env=env
    )
    assert given_nothing.stderr == b"torn down\n"  # the handler is there: only a PDF's end skips it


def test_a_weasyprint_process_killed_before_it_finished_is_said_with_the_next_step() -> None:
    pdf.preload()
    (process,) = pdf._ready
    process.kill()  # as the kernel's out-of-memory killer would
    with pytest.raises(ReportError) as caught:
        pdf.to_pdf("<p>x</p>")
    assert str(caught.value) == (
        "the process making the PDF was killed (SIGKILL) before it finished; try again, and if it happens again "
        "check the free memory (free -m)"
    )
    assert pdf._ready == []


def test_when_the_weasyprint_process_cannot_start_the_pdf_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python3")
    pdf.preload()  # never fails the report: the PDF says what is wrong
    assert pdf._ready == []
    with pytest.raises(ReportError) as caught:
        pdf.to_pdf("<p>x</p>")
    assert str(caught.value) == "cannot start /nonexistent/python3 to make the PDF: No such file or directory"
