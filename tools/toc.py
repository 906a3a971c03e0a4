"""The README's table of contents, made from its headings, and its links within the page, checked.

Owns the block between ``<!-- toc -->`` and ``<!-- /toc -->``: one line per ``##`` heading but the block's own
"Contents" (its ``###`` headings indented under it), each a link to the anchor GitHub gives the heading, and the
check that every ``](#anchor)`` link of the page leads to a heading. Must not change anything else in the file.

Run: ``python tools/toc.py`` (rewrite the block of README.md) or ``python tools/toc.py --check`` (exit 1 when the
block is out of date or a link leads nowhere, naming each).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- toc -->", "<!-- /toc -->"
_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^(##|###) (.+?)\s*$")


def anchor(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, markup and punctuation dropped, spaces as hyphens."""
    text = re.sub(r"`|\*\*|\[|\]\([^)]*\)", "", title).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def headings(text: str) -> list[tuple[int, str]]:
    """(level, title) of every ``##`` and ``###`` heading outside fenced code."""
    found: list[tuple[int, str]] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := _HEADING.match(line)):
            found.append((len(m[1]), m[2]))
    return found


def toc(text: str) -> str:
    """The block's lines for ``text``'s headings."""
    lines = []
    for level, title in headings(text):
        if title == "Contents":
            continue
        indent = "  " if level == 3 else ""
        lines.append(f"{indent}- [{re.sub(r'`', '', title)}](#{anchor(title)})")
    return "\n".join(lines)


def with_toc(text: str) -> str:
    """``text`` with its block made current; ValueError when it has no block."""
    if START not in text or END not in text:
        raise ValueError(f"README.md has no {START} … {END} block: add one after the introduction")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{toc(text)}\n{END}{tail}"


def broken_links(text: str) -> list[str]:
    """Every in-page link whose anchor no heading has."""
    anchors = {anchor(title) for _, title in headings(text)} | {""}
    return sorted({link for link in re.findall(r"\]\(#([^)]*)\)", text) if link not in anchors})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when something is out of date")
    check = parser.parse_args().check
    text = README.read_text(encoding="utf-8")
    try:
        current = with_toc(text)
    except ValueError as err:
        print(f"toc: {err}", file=sys.stderr)
        return 1
    broken = broken_links(text)
    for link in broken:
        print(f"toc: the link #{link} leads to no heading: fix the link or the heading", file=sys.stderr)
    if current != text:
        if check:
            print("toc: the table of contents is out of date: run python tools/toc.py", file=sys.stderr)
            return 1
        README.write_text(current, encoding="utf-8")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
