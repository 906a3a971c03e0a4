"""InfluxDB line protocol as netwatch's exporter writes it, for tests that fill a real database directly.

Owns turning rounds into lines through netwatch's own ``Points`` (the exporter's path). Must not format a line
itself: what the lines look like is netwatch's to decide and the export tests' to check.
"""

from __future__ import annotations

from collections.abc import Iterable

from netwatch.adapters.influx.points import Points
from netwatch.core.model import Round


def lines_of(points: Points, rounds: Iterable[Round]) -> list[str]:
    """Every line ``points`` writes for ``rounds``, in order."""
    return [text for rnd in rounds for text in points.round_lines(rnd)]
