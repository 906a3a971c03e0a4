"""Hostile text in the PDF: a bidirectional override in the business's or signer's name (which reversed the
signer's name on the page) and a long string with no break (which ran off the page and took minutes to lay out)
come out plain and wrapped. The configuration refuses both now; these are the names of an older configuration or
a template's own data, drawn by the report's own rendering."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from netwatch.config.records import OwnerConfig
from netwatch.report import pdf
from tests.support.reports import html_of, sample_report

RLO = "\u202e"


def words(data: bytes, tmp_path: Path) -> tuple[float, list[tuple[float, str]]]:
    """(page width, [(right edge, word)]) of the PDF's first page, from pdftotext's bounding boxes."""
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, text=True, check=True
    )
    width = float(re.search(r'<page width="([\d.]+)"', done.stdout).group(1))  # type: ignore[union-attr]
    found = [
        (float(x), w)
        for x, w in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', done.stdout)
    ]
    return width, found


def test_a_bidi_override_never_reverses_a_name_and_a_long_word_wraps(pdf_tools: None, tmp_path: Path) -> None:
    long = "X" * 400  # no space to break at
    owner = OwnerConfig(f"Smith {RLO}Design Ltd {long}", f"Jane {RLO}Smith", "12 Mill Lane", "jane@example.org", "0")
    data = pdf.to_pdf(html_of(sample_report(), owner=owner))
    width, found = words(data, tmp_path)
    text = " ".join(w for _, w in found)
    assert "Smith Design Ltd" in text and "Jane Smith" in text and "htimS" not in text and "ngiseD" not in text
    assert "".join(w.rstrip(",") for _, w in found if w.startswith("X")) == long  # all of it is on the page
    assert max(x for x, _ in found) <= width
