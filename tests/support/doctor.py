"""`netwatch doctor`'s screen as the tests read it: one finding's lines, found by what it is about.

Owns ``finding`` (a finding's first line, with its severity, and its next step if it has one) and ``SEVERITY``
(the word a finding's line begins with). Must not judge what a finding says: the tests compare it verbatim.
"""

from __future__ import annotations

import re

SEVERITY = re.compile(r"^(ok|warning|problem) +")
FIX = "         → "


def finding(lines: list[str], label: str) -> list[str]:
    """The finding whose line starts with ``label`` after its severity ("store:", "notifications: json://..."):
    that line, and the next step under it if any. Fails the test when there is none."""
    for i, line in enumerate(lines):
        if SEVERITY.sub("", line).startswith(label):
            return [line, *(r for r in lines[i + 1 : i + 2] if r.startswith(FIX))]
    raise AssertionError(f"no finding {label!r} in {lines}")
