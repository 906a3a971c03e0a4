"""Speed campaigns following the German regulator's procedure (BNetzA "Minderungsverfahren", fixed networks).

Owns the campaign as a concept: ``planner`` (pure: the 30 slots and the rules they must keep), ``evaluate``
(pure: the three criteria per direction) and ``progress`` (pure: what a run does next). The shell that sleeps
until each slot and runs the speed test is ``netwatch.app.campaign``, the store's side
``netwatch.adapters.store.campaigns``, the commands ``netwatch.cli.campaign``. Must not sleep, run a test or read
a clock, nor present a campaign as more than supporting evidence: the legally recognised measurement is the
regulator's own app, and every output says so (``DISCLAIMER``).
"""

from __future__ import annotations

DISCLAIMER = (
    "The legally recognised measurement is the regulator's own app (the breitbandmessung.de desktop app, "
    "on a computer connected to the router by cable). This campaign is supporting evidence only."
)
