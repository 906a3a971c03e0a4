"""A document's inline SVG pictures as images, for paper.

Owns rewriting each ``<svg>…</svg>`` of an HTML document as an ``<img>`` whose ``data:`` URL holds that SVG, its
classes kept (with ``svg`` added, for the stylesheet's rules on pictures) and its label as the image's text.
WeasyPrint parses a document's inline SVG as HTML, element by element, with its HTML parser written in Python (0.09 s
of a month's PDF, most of the parsing); an image's SVG it parses as XML, in C. It draws both the same way, and
neither sees the document's stylesheet inside the picture. Must not change what a picture holds, nor touch the HTML
a browser shows (only the PDF's).
"""

from __future__ import annotations

import base64
import re

_SVG = re.compile(r"<svg\b([^>]*)>.*?</svg>", re.DOTALL)
_CLASS = re.compile(r'\sclass="([^"]*)"')
_LABEL = re.compile(r'\saria-label="([^"]*)"')
XMLNS = ' xmlns="http://www.w3.org/2000/svg"'


def _image(match: re.Match[str]) -> str:
    svg, attributes = match.group(0), match.group(1)
    if "<svg" in svg[4:]:
        return svg  # a picture inside a picture: left as it is
    if "xmlns=" not in attributes:
        svg = "<svg" + XMLNS + svg[4:]
    found = _CLASS.search(attributes)
    classes = f"svg {found.group(1)}" if found else "svg"
    label = _LABEL.search(attributes)
    alt = label.group(1) if label else ""
    data = base64.b64encode(svg.encode()).decode()
    return f'<img class="{classes}" alt="{alt}" src="data:image/svg+xml;base64,{data}">'


def as_images(html: str) -> str:
    """``html`` with every inline SVG picture an image of the same SVG."""
    return _SVG.sub(_image, html)
