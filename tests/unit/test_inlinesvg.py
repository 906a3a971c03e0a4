"""A PDF's pictures as images (report/inlinesvg.py): WeasyPrint parses an image's SVG as XML, in C, and a document's
inline SVG as HTML, in Python. The picture is the same SVG; the browser's HTML keeps its pictures inline."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

from netwatch.report.inlinesvg import as_images
from tests.support.html import parse, pictures_inline
from tests.support.reports import html_of, sample_report

SWATCH = (
    '<svg class="sw sw-tl" viewBox="0 0 28 13" aria-hidden="true"><rect width="28" height="13" fill="#e4e7eb"/></svg>'
)


def test_a_picture_becomes_an_image_of_the_same_svg_with_its_classes_and_label() -> None:
    html = f'<p>{SWATCH} not monitored</p><svg viewBox="0 0 9 9" role="img" aria-label="loss &amp; delay"></svg>'
    assert as_images(html) == (
        '<p><img class="svg sw sw-tl" alt="" src="data:image/svg+xml;base64,'
        + base64.b64encode(SWATCH.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1).encode()).decode()
        + '"> not monitored</p><img class="svg" alt="loss &amp; delay" src="data:image/svg+xml;base64,'
        + base64.b64encode(
            b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9" role="img" aria-label="loss &amp; delay"></svg>'
        ).decode()
        + '">'
    )


def test_the_pdfs_pictures_are_images_of_the_screens_svg_each_well_formed_xml() -> None:
    report = sample_report()
    screen, paper = html_of(report), html_of(report, pdf=True)
    assert "<svg" in screen
    assert "<svg" not in paper
    images = parse(paper).find("img", class_="svg")
    assert len(images) == pictures_inline(paper).count("<svg") == screen.count("<svg") > 0
    for image in images:
        svg = base64.b64decode(image.attrs["src"].split(",", 1)[1])
        assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
