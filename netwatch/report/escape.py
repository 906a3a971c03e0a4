"""Escaping for the report formats: a string made literal in Markdown (the letter) or in a CSS string.

Owns what a value must become to print as itself in those formats (HTML is escaped by Jinja2's autoescape). Must
not format figures: how a value reads is ``netwatch.core.text``'s.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from netwatch.core.text import visible

_SPACES = re.compile(r"\s{2,}|[^\S ]")  # line breaks, tabs and runs of blanks: one space, so a value stays inline
_MD_ANYWHERE = re.compile(r"([\\`*_\[\]<>|~&])")
# What makes a line a heading, quote, list item or setext underline (only at the start of a line).
_MD_LINE_START = re.compile(r"^ ?(?:[-+](?=\s|$)|#{1,6}(?=\s|$)|>|=+$|(\d{1,9})[.)](?=\s|$))")


def md_escape(value: Any) -> Any:
    """A string made literal in Markdown: specials backslash-escaped, line breaks flattened; Markup and
    non-strings pass through. Applied by the letter's environment to everything a template prints."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    flat = _MD_ANYWHERE.sub(r"\\\1", _SPACES.sub(" ", value))
    if match := _MD_LINE_START.match(flat):  # "- x", "# x", "1. x" would start a list or a heading
        cut = match.end(1) if match.group(1) else match.end() - 1
        flat = flat[:cut] + "\\" + flat[cut:]
    return Markup(flat)


def shown(value: Any) -> Any:
    """A string as a document may show it: without control or bidirectional formatting characters (``visible``);
    Markup (made by a template or filter) and non-strings pass through."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return visible(value)


def css_string(value: Any) -> Markup:
    """A value for a CSS string in the inline stylesheet (e.g. the page footer), escaped for CSS and HTML."""
    text = visible(str(value))
    out = "".join(ch if ch.isalnum() or ch in " .,:;-_/()[]+=#@!?'" else f"\\{ord(ch):x} " for ch in text)
    return Markup(out)
