"""The complaint letter as plain text, for pasting into an e-mail: the same words as the Markdown letter, without
markup.

Owns turning the letter's Markdown (the subset its template writes: paragraphs, lines ending in a hard break,
``##`` headings, ``- `` list items, pipe tables with their alignment row, ``**bold**`` and ``code`` spans, and the
backslash escapes ``report.escape.md_escape`` adds to every value) into text: one line per paragraph (an e-mail
program wraps it), a heading underlined, a table's columns aligned with spaces (numbers to the right, as the letter
aligns them), and every escaped character printed as itself. Must not change a word, nor render anything but what
the letter's template writes (it is no general Markdown renderer). Pure.
"""

from __future__ import annotations

import re

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash before ASCII punctuation: the character itself
_MARKER = re.compile(r"(\\.)|\*\*|`")  # escapes kept whole; bold and code markers dropped
_ALIGN = re.compile(r"^\s*:?-+:?\s*$")  # a table's alignment cell: ---, --:, :--, :-:
GAP = "  "  # between a table's columns


def inline(text: str) -> str:
    """A line of the letter without its markers, its escapes printed as the characters they stand for."""
    unmarked = _MARKER.sub(lambda m: m.group(1) or "", text)
    return _ESCAPED.sub(r"\1", unmarked)


def cells(row: str) -> list[str]:
    """The cells of a pipe-table row, split at the pipes that are not escaped, still escaped themselves."""
    found: list[str] = []
    current: list[str] = []
    chars = iter(row.strip())
    for c in chars:
        if c == "\\":
            current.append(c + next(chars, ""))
        elif c == "|":
            found.append("".join(current).strip())
            current = []
        else:
            current.append(c)
    found.append("".join(current).strip())
    return found[1:-1]  # the empty text before the first pipe and after the last


def table(rows: list[str]) -> list[str]:
    """A pipe table as aligned lines: the header, a rule under it, the rows; a column aligned ``--:`` to the right."""
    parsed = [cells(r) for r in rows]
    header, body = parsed[0], parsed[1:]
    right = [False] * len(header)
    if body and all(_ALIGN.match(c) for c in body[0]):
        right = [c.strip().endswith(":") and not c.strip().startswith(":") for c in body[0]]
        body = body[1:]
    width = len(header)
    shown = [[inline(c) for c in (r + [""] * width)[:width]] for r in [header, *body]]
    widths = [max(len(r[i]) for r in shown) for i in range(width)]

    def line(r: list[str]) -> str:
        padded = (c.rjust(w) if right[i] else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        return GAP.join(padded).rstrip()

    return [line(shown[0]), GAP.join("-" * w for w in widths), *(line(r) for r in shown[1:])]


def paragraph(lines: list[str]) -> list[str]:
    """A paragraph's lines joined into one, except after a hard break (two trailing spaces): a new line there."""
    out: list[str] = []
    current: list[str] = []
    for raw in lines:
        current.append(raw.strip())
        if raw.endswith("  ") or raw.endswith("\\"):
            out.append(inline(" ".join(current).removesuffix("\\").strip()))
            current = []
    if current:
        out.append(inline(" ".join(current)))
    return out


def items(lines: list[str]) -> list[str]:
    """List items, one line each ("- " kept: it reads as a list in any e-mail); a line not starting one continues it."""
    out: list[str] = []
    for raw in lines:
        if raw.startswith("- ") or not out:
            out.append(raw.strip())
        else:
            out[-1] += " " + raw.strip()
    return [inline(item) for item in out]


def block(lines: list[str]) -> list[str]:
    first = lines[0]
    if all(line.lstrip().startswith("|") for line in lines):
        return table(lines)
    if first.startswith("#"):
        level = len(first) - len(first.lstrip("#"))
        title = inline(first[level:].strip())
        return [title, ("=" if level == 1 else "-") * len(title), *(block(lines[1:]) if lines[1:] else [])]
    if first.startswith("- "):
        return items(lines)
    return paragraph(lines)


def plain_letter(markdown: str) -> str:
    """The letter ``markdown`` as plain text: blocks apart by one blank line, ending with a line break."""
    blocks: list[list[str]] = [[]]
    for line in markdown.splitlines():
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return "\n\n".join("\n".join(block(b)) for b in blocks if b) + "\n"
