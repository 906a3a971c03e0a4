"""Asking a second witness about the outages of a report (``[report] witness``).

Owns putting the witness's verdicts into a report: which outages are asked (the ``MAX_ASKED`` longest), against
which anchors, and what the report says when the witness cannot be asked (never losing the report). Must not
compute a verdict (``netwatch.core.witness``) or speak InfluxQL (``netwatch.adapters.influx.witness``).
"""

from __future__ import annotations

from dataclasses import replace

from netwatch.adapters.influx.sinks import describe
from netwatch.adapters.influx.witness import WitnessSource
from netwatch.config import Config
from netwatch.core.model import Role
from netwatch.core.witness import MAX_ASKED, NO_COUNTS, not_asked, witness_figures
from netwatch.errors import ConfigError, ReportError
from netwatch.report.compute import Report


def ask(report: Report, cfg: Config, probe: str) -> tuple[Report, str | None]:
    """``report`` (of ``probe``) with the verdicts of ``[report] witness`` on its outages, and a warning when the
    witness could not be asked (the report then says so on every outage). Unchanged without a witness."""
    name = cfg.report.witness
    if not name:
        return report, None
    longest = sorted(report.outages, key=lambda f: -f.seconds)[:MAX_ASKED]
    asked = {(f.start, f.end) for f in longest if f.seconds > 0}
    windows = [(f.start, f.end) for f in report.outages]
    anchors = [t.address for t in (report.method.targets if report.method else ()) if t.role is Role.ANCHOR]
    anchors = anchors or list(cfg.targets.anchors)
    if name == probe:
        reason = f"it is the probe this report is about ({probe}); name another probe in [report] witness"
    elif not cfg.influxdb.enabled:
        reason = "influxdb.url is not set: the witness is read from the InfluxDB both probes export to"
    else:
        try:
            source = WitnessSource(cfg.influxdb, name)
            targets, probes = source.targets()
            if not targets:
                held = f"; it holds the probes {', '.join(probes)}" if probes else ""
                raise ReportError(
                    f'InfluxDB at {describe(cfg.influxdb)} has no data of probe "{name}"{held}: check [report] witness'
                )
            common = [a for a in dict.fromkeys(anchors) if a in set(targets)]
            found = iter(source.counts([w for w in windows if w in asked], common))
            counts = [next(found) if w in asked else (NO_COUNTS if w[1] <= w[0] else None) for w in windows]
            figures = witness_figures(name, anchors, targets, windows, counts)
            return replace(report, witness=figures), None
        except (ReportError, ConfigError) as err:
            reason = str(err).strip().replace("\n", " ")
    return replace(report, witness=not_asked(name, reason, windows)), f"witness {name} not asked: {reason}"
