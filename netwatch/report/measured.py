"""What an incident's rounds measured, in the words of a reader who does not know netwatch: "our router answered 60
of 60 probes; the provider's first router answered 0 of 60", never "ISP hop 0/60" or "30 bad rounds: isp 30".

Owns the rewording of the detector's evidence (``Incident.detail``, stored as the detector wrote it); the
templates word an incident's round counts. Must not change what is stored, nor add a figure the evidence does not
hold: a phrase it does not know is left as it is.
"""

from __future__ import annotations

import re

_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (r"\bgateway(?: answered)? (\d+)/(\d+)(?: rounds)?", r"our router answered \1 of \2 probes"),
        (r"\bISP hop(?: answered)? (\d+)/(\d+)(?: rounds)?", r"the provider's first router answered \1 of \2 probes"),
        (
            r" \(it answers too few echoes while the line is up for its silence to tell isp from upstream\)",
            " (it answers too few probes even while the line is up, so its silence does not tell whether the fault"
            " was in the access network or beyond it)",
        ),
        (r"\b(\d+) failed rounds?, no anchor answered", r"no public test host answered in \1 rounds"),
        (r"\b(\d+) rounds? with no anchor answering", r"no public test host answered in \1 rounds"),
        (
            r"\b(\d+) rounds? with anchors answering but every DNS name failing",
            r"public test hosts answered but no name resolved in \1 rounds",
        ),
        (r"\bno gateway target\b", "our router was not probed"),
        (r"\bISP hop not yet known\b", "the provider's first router was not yet known"),
        (r"\bno ISP hop target \(targets\.isp is off\)", "the provider's first router was not probed"),
        (r"\bin 1 rounds\b", "in 1 round"),
    )
)


def plain_detail(detail: str) -> str:
    """``detail`` (the detector's evidence) in plain words."""
    for pattern, words in _PHRASES:
        detail = pattern.sub(words, detail)
    return detail
