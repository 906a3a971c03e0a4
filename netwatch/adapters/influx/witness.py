"""Reading a second witness's rounds from InfluxDB: how many of its rounds reached this probe's anchors during each
outage, and how many of its own rounds had a local or ISP cause then.

Owns the InfluxQL of the witness (``WitnessSource``: a few batched requests for many outages). Must not write,
and must not judge: the verdict is ``netwatch.core.witness``'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from netwatch.adapters.influx.points import PING, STATUS
from netwatch.adapters.influx.query import InfluxQL, Series, quote, rows
from netwatch.config.records import InfluxConfig
from netwatch.core.model import Cause
from netwatch.core.witness import NO_COUNTS, AnchorCount, Counts

_REQUEST_CHARS = 6000  # statements per GET /query are batched up to about this much text (the URL carries them)


class WitnessSource:
    """InfluxQL reads of the witness's netwatch_ping and netwatch_status points. Reads secret files when built
    (ConfigError)."""

    def __init__(self, cfg: InfluxConfig, probe: str) -> None:
        self.probe = probe
        self.ql: InfluxQL = InfluxQL(cfg)

    def targets(self) -> tuple[list[str], list[str]]:
        """Every target the witness ever probed, and every probe that wrote status points (one request)."""
        mine, probes = self.ql.query(
            [
                f'SHOW TAG VALUES FROM "{PING}" WITH KEY = "target" WHERE "probe" = {quote(self.probe)}',
                f'SHOW TAG VALUES FROM "{STATUS}" WITH KEY = "probe"',
            ]
        )
        return sorted(str(r["value"]) for _, r in rows(mine)), sorted(str(r["value"]) for _, r in rows(probes))

    def statements(self, window: tuple[float, float], anchors: Sequence[str]) -> list[str]:
        """The 6 statements of one outage: rounds probing the same anchors, rounds reaching one, per anchor, and the
        witness's own rounds with cause local and with cause isp. Rounds are counted as distinct timestamps (a
        round's samples share one), hence GROUP BY time(1ms); a round has one status point."""
        targets = " OR ".join(f'"target" = {quote(a)}' for a in anchors)
        during = f"time >= {round(window[0] * 1000)}ms AND time < {round(window[1] * 1000)}ms"
        where = f'"probe" = {quote(self.probe)} AND ({targets}) AND {during}'
        up = ' AND "up" = true'
        per_round = f'SELECT count("up") AS "n" FROM "{PING}" WHERE {where}{{}} GROUP BY time(1ms) fill(none)'
        own = f'SELECT count("up") AS "rounds" FROM "{STATUS}" WHERE "probe" = {quote(self.probe)} AND {during}'
        return [
            f'SELECT count("n") AS "rounds" FROM ({per_round.format("")})',
            f'SELECT count("n") AS "rounds" FROM ({per_round.format(up)})',
            f'SELECT count("up") AS "probed" FROM "{PING}" WHERE {where} GROUP BY "target"',
            f'SELECT count("up") AS "reached" FROM "{PING}" WHERE {where}{up} GROUP BY "target"',
            f'{own} AND "cause" = {quote(Cause.LOCAL.value)}',
            f'{own} AND "cause" = {quote(Cause.ISP.value)}',
        ]

    def counts(self, windows: Sequence[tuple[float, float]], anchors: Sequence[str]) -> list[Counts]:
        """The witness's counts during each window, a few requests for many windows."""
        if not windows or not anchors:
            return [NO_COUNTS for _ in windows]
        per = [self.statements(w, anchors) for w in windows]
        size = max(1, _REQUEST_CHARS // max(1, sum(map(len, per[0]))))
        requests = [[s for group in per[k : k + size] for s in group] for k in range(0, len(per), size)]
        answers = self.ql.many(requests)

        def total(series: list[Series], column: str) -> int:
            return sum(int(row[column] or 0) for _, row in rows(series))

        def by_target(series: list[Series], column: str) -> dict[str, int]:
            return {tags.get("target", ""): int(row[column] or 0) for tags, row in rows(series)}

        out = []
        n = len(per[0])
        for k in range(len(windows)):
            all_rounds, up_rounds, probed, reached, local, isp = answers[n * k : n * k + n]
            probed_by, reached_by = by_target(probed, "probed"), by_target(reached, "reached")
            out.append(
                Counts(
                    total(all_rounds, "rounds"),
                    total(up_rounds, "rounds"),
                    tuple(AnchorCount(a, probed_by.get(a, 0), reached_by.get(a, 0)) for a in anchors if a in probed_by),
                    total(local, "rounds"),
                    total(isp, "rounds"),
                )
            )
        return out
