"""One probe's history read back from InfluxDB: what a report needs, through InfluxQL.

Owns reading one probe's incidents, coverage, anchor series and targets of a period from the ``[influxdb]``
replica over HTTP ``GET /query`` (InfluxDB 1.x natively; 2.x, 3.x and Cloud through their InfluxQL compatibility
endpoint: see ``netwatch.adapters.influx.query``) and deriving sessions from status points. It reads only
incidents, aggregates and a few edge points, never raw rounds, so that a year stays tractable. Must not write to
InfluxDB, read the local store or compute figures: the report built from it is ``netwatch.app.reports``'s. It
exists for the site whose disk died and for one report of another probe.

Coverage rule (InfluxDB has no sessions): a probe was monitored in every time bucket (one minute, or two of its
intervals when those are longer than 30 s) holding at least one of its netwatch_status points; consecutive such
buckets form one session, which starts at the first point of its first bucket and ends at the last point of its
last bucket. A gap is therefore seen when at least one whole bucket is empty: gaps under a minute are not, gaps
of one to two minutes may be, longer ones always are; session edges are exact to the round.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from netwatch.adapters.influx.points import INCIDENT, PING, STATUS
from netwatch.adapters.influx.query import InfluxQL, chunks, quote, rows
from netwatch.core.model import Cause, Coverage, Incident, Kind, Period, Role, SeriesPoint, Target
from netwatch.errors import ReportError

if TYPE_CHECKING:
    from netwatch.config.records import InfluxConfig

__all__ = ["History", "InfluxSource", "runs"]

_BATCH = 40  # statements per request when asking for session edges
CHUNK = 7 * 86400  # seconds of data per aggregate query (InfluxDB 1.x's shard duration for long retention)


@dataclass(frozen=True)
class History:
    """One probe's records of a period, as ``compute`` takes them."""

    incidents: tuple[Incident, ...]
    sessions: tuple[Coverage, ...]
    series: tuple[SeriesPoint, ...]
    targets: tuple[Target, ...]  # every target the probe ever wrote, by role
    interval: float | None  # seconds between its rounds, from the spacing of its status points; None if unknown


def runs(starts: Sequence[int], width: int) -> list[tuple[int, int]]:
    """Consecutive buckets (start instants in ms, sorted, ``width`` ms long) as [first start, last start] pairs."""
    out: list[tuple[int, int]] = []
    for start in starts:
        if out and start - out[-1][1] <= width:
            out[-1] = (out[-1][0], start)
        else:
            out.append((start, start))
    return out


def _ms(value: float) -> int:
    return round(value * 1000)


class InfluxSource:
    """InfluxQL reads of one probe's measurements. ``fallback_interval`` is used when its interval cannot be seen
    in the data (fewer than two status points in the period)."""

    def __init__(self, cfg: InfluxConfig, probe: str, *, fallback_interval: float = 1.0) -> None:
        self.probe = probe
        self.ql = InfluxQL(cfg)
        self._fallback = fallback_interval

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        """Nothing to release: every query uses a connection of its own."""

    def probes(self) -> list[str]:
        """Every probe name that wrote a netwatch_status point."""
        (series,) = self.ql.query([f'SHOW TAG VALUES FROM "{STATUS}" WITH KEY = "probe"'])
        return sorted(str(row["value"]) for _, row in rows(series))

    def check_probe(self) -> None:
        """ReportError unless the probe wrote status points, naming the probes that did."""
        known = self.probes()
        if self.probe in known:
            return
        if not known:
            raise ReportError(
                f"InfluxDB at {self.ql.describe} holds no netwatch data: no probe has exported to it yet (run "
                "`netwatch influx check`, then `netwatch influx backfill`)"
            )
        raise ReportError(
            f'InfluxDB at {self.ql.describe} has no data of probe "{self.probe}"; it holds the probes '
            f"{', '.join(known)}: pass one with --probe"
        )

    def _probe(self) -> str:
        return f'"probe" = {quote(self.probe)}'

    def first_seen(self) -> float | None:
        """The instant of the probe's first status point (the start of its history), or None."""
        (series,) = self.ql.query([f'SELECT first("up") FROM "{STATUS}" WHERE {self._probe()}'])
        times = [row["time"] for _, row in rows(series)]
        return times[0] / 1000 if times else None

    def incidents(self, period: Period) -> list[Incident]:
        """Incidents overlapping the period (open ones included), ordered by start; superseded points left out."""
        q = (
            f'SELECT "start", "end", "open" FROM "{INCIDENT}" WHERE {self._probe()} AND "superseded" = false'
            f' AND time <= {_ms(period.until)}ms AND ("end" >= {period.since!r} OR "open" = true)'
            ' GROUP BY "kind", "cause"'
        )
        (series,) = self.ql.query([q])
        out: list[Incident] = []
        for tags, row in rows(series):
            try:
                kind = Kind(tags.get("kind", ""))
            except ValueError:
                continue  # a kind of a newer netwatch: not ours to report
            try:
                cause = Cause(tags.get("cause", ""))
            except ValueError:
                cause = Cause.UNKNOWN
            start = float(row["start"]) if row.get("start") is not None else row["time"] / 1000
            end = None if row.get("open") or row.get("end") is None else float(row["end"])
            out.append(Incident(kind, cause, start, end))
        return sorted(out, key=lambda i: (i.start, i.kind.value))

    def coverage(self, period: Period) -> tuple[list[Coverage], float | None]:
        """Sessions (module docstring), clipped to the period, and the probe's interval in seconds (None when it
        cannot be seen). Reads one count per minute and two edge points per session, never the rounds."""
        since, until = _ms(period.since) - 60_000, _ms(period.until)  # a minute back: a session running at since
        requests = [
            [
                f'SELECT count("up") FROM "{STATUS}" WHERE {self._probe()} AND time >= {lo}ms AND time < {hi}ms'
                " GROUP BY time(1m) fill(none)"
            ]
            for lo, hi in chunks(since, until, CHUNK * 1000, 0)
        ]
        counts = {row["time"]: int(row["count"]) for part in self.ql.many(requests) for _, row in rows(part)}
        minutes = sorted(m for m, n in counts.items() if n)
        interval = self._interval([counts[m] for m in minutes], minutes[0]) if minutes else None
        every = interval if interval is not None else self._fallback
        width = 60_000 * max(1, math.ceil(2 * every / 60))  # ms: a bucket always holds a round while monitored
        spans = runs(sorted({m // width * width for m in minutes}), width)
        edges: list[str] = []
        for first, last in spans:  # the first point of the first bucket, the last point of the last bucket
            edges.append(
                f'SELECT first("up") FROM "{STATUS}" WHERE {self._probe()} AND time >= {max(first, since)}ms'
                f" AND time < {min(first + width, until)}ms"
            )
            edges.append(
                f'SELECT last("up") FROM "{STATUS}" WHERE {self._probe()} AND time >= {max(last, since)}ms'
                f" AND time < {min(last + width, until)}ms"
            )
        found: list[int | None] = []
        for series in self.ql.many([edges[k : k + _BATCH] for k in range(0, len(edges), _BATCH)]):
            times = [row["time"] for _, row in rows(series)]
            found.append(times[0] if times else None)
        out: list[Coverage] = []
        for (first, last), start, end in zip(spans, found[0::2], found[1::2], strict=True):
            a = max((first if start is None else start) / 1000, period.since)
            b = min((last + width if end is None else end) / 1000, period.until)
            if b > a:
                out.append(Coverage(a, b))
        return out, interval

    def _interval(self, counts: Sequence[int], first: int) -> float | None:
        """Seconds between rounds: 60 over the median count of status points in a minute, or, for rounds 30 s or
        more apart, the median spacing of the points in the 6 hours from ``first`` (ms)."""
        typical = statistics.median(counts)
        if typical >= 2:
            return 60 / typical
        q = (
            f'SELECT elapsed("up", 1ms) FROM "{STATUS}" WHERE {self._probe()} AND time >= {first}ms'
            f" AND time < {first + 6 * 3_600_000}ms"
        )
        (series,) = self.ql.query([q])
        spacing = [row["elapsed"] for _, row in rows(series) if row.get("elapsed")]
        return statistics.median(spacing) / 1000 if spacing else None

    def anchor_series(self, period: Period, bucket: int) -> list[SeriesPoint]:
        """Anchor loss and latency per bucket, summed over every anchor, aligned as ``Store.anchor_series``:
        buckets of ``bucket`` seconds (a multiple of 60) from ``since`` rounded up to a whole minute."""
        lo, hi = (math.ceil(_ms(t) / 60_000) * 60_000 for t in (period.since, period.until))
        if hi <= lo:
            return []
        # count() of a boolean works in InfluxDB 1.6, mean() does not. Lost = up = false, as the store counts it
        # (an answer without a finite rtt_ms is an answer). InfluxDB scans a field once per function, whatever the
        # grouping: the cost is the number of anchor points (a year of 1 s rounds to 3 anchors: 94 million).
        where = f"{self._probe()} AND \"role\" = 'anchor'"
        group = f"GROUP BY time({bucket}s, {lo // 1000 % bucket}s) fill(none)"
        step = bucket * 1000 * max(1, round(CHUNK / bucket))
        parts = chunks(lo, hi, step, lo)
        selects = (
            ('count("up") AS "sent"', ""),
            ('count("up") AS "lost"', ' AND "up" = false'),
            ('mean("rtt_ms") AS "avg", max("rtt_ms") AS "top"', ""),
        )
        results = self.ql.many(
            [
                [f'SELECT {f} FROM "{PING}" WHERE {where}{extra} AND time >= {a}ms AND time < {b}ms {group}']
                for a, b in parts
                for f, extra in selects
            ]
        )
        merged: dict[int, dict[str, Any]] = {}
        for part in results:
            for _, row in rows(part):
                merged.setdefault(row["time"], {}).update({k: v for k, v in row.items() if v is not None})
        out: list[SeriesPoint] = []
        for start in sorted(merged):
            row = merged[start]
            sent, lost = int(row.get("sent") or 0), int(row.get("lost") or 0)
            if not sent:
                continue
            avg, top = row.get("avg"), row.get("top")
            rtt_avg, rtt_max = (None if v is None else float(v) for v in (avg, top))
            out.append(SeriesPoint(start / 1000, float(bucket), sent, min(lost, sent), rtt_avg, rtt_max))
        return out

    def targets(self) -> list[Target]:
        """Every target the probe ever wrote a ping point for, by role (InfluxQL cannot bound tag values by time)."""
        roles = list(Role)
        qs = [
            f'SHOW TAG VALUES FROM "{PING}" WITH KEY = "target" WHERE {self._probe()} AND "role" = {quote(role.value)}'
            for role in roles
        ]
        return [
            Target(role, str(row["value"]))
            for role, series in zip(roles, self.ql.query(qs), strict=True)
            for _, row in rows(series)
        ]

    def read(self, period: Period, bucket: Callable[[Sequence[Coverage]], int]) -> History:
        """Everything a report of the period needs (call ``check_probe`` first for a clear error); ``bucket``
        gives the series' bucket in seconds from the sessions found, as a report from the store chooses it."""
        sessions, interval = self.coverage(period)
        return History(
            incidents=tuple(self.incidents(period)),
            sessions=tuple(sessions),
            series=tuple(self.anchor_series(period, bucket(sessions))),
            targets=tuple(self.targets()),
            interval=interval,
        )
