"""InfluxDB line protocol for netwatch's records: the replicated schema, pure.

Owns the measurements, tags and fields that dashboards depend on (README "InfluxDB"), turning rounds, incidents and
speed results into line-protocol text, and escaping. Must not read a clock or touch a socket or a file (``sinks``
sends the lines), nor give one record two texts: the same record always gives byte-identical lines, which is what
makes a replayed batch harmless (InfluxDB keeps one point per measurement, tag set and timestamp: a replay
overwrites, it never adds). Timestamps are integer milliseconds (the store's precision; write with precision=ms).

Schema (change only additively):

- ``netwatch_ping``: tags probe, target, role; fields ``rtt_ms`` (only when answered), ``up``. One per sample.
- ``netwatch_status``: tag probe; fields ``up``, ``cause`` (local|isp|upstream|dns|unknown|isp_or_upstream, "none"
  when up). One per round.
- ``netwatch_incident``: tags probe, kind, cause; fields ``start``, ``end`` (Unix seconds; ``end`` only once
  closed), ``duration_s``, ``business_s`` (0 while open), ``open``, ``superseded``. Timestamp: the incident's
  start, so the point written when it closes overwrites the one written when it opened. An incident whose cause
  changed while open has left a point under its former cause tag: that point is rewritten with
  ``superseded = true`` and zero durations, so sums stay right and counts filter on ``superseded = false``.
- ``netwatch_speed``: tags probe, backend, server; fields download_mbps, upload_mbps, latency_ms,
  loaded_latency_ms, jitter_ms (each only when measured), bytes_used, ok. One per speed test attempt, at its
  start: a failed or skipped attempt is a point with ``ok = false``, its bytes_used and no speed field, so
  ``mean(download_mbps)`` only ever sees measurements and ``count(ok)`` counts attempts.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from netwatch.adapters.store import codec
from netwatch.core.classify import round_cause
from netwatch.core.model import ExportIncident, Round, SpeedResult
from netwatch.core.schedule import BusinessHours

__all__ = [
    "CHECK",
    "INCIDENT",
    "PING",
    "SPEED",
    "STATUS",
    "UP_CAUSE",
    "ExportIncident",
    "FieldValue",
    "Points",
    "check_line",
    "escape_key",
    "escape_measurement",
    "format_field",
    "line",
    "series",
    "speed_line",
    "speed_result_line",
]

PING = "netwatch_ping"
STATUS = "netwatch_status"
INCIDENT = "netwatch_incident"
SPEED = "netwatch_speed"
CHECK = "netwatch_check"  # written by `netwatch influx check`, never by the exporter
UP_CAUSE = "none"  # netwatch_status.cause of a round that found the line up

FieldValue = bool | int | float | str

# Line protocol has no escape for line breaks, and InfluxDB 1.x keeps a backslash in a tag literally while 2.x
# and VictoriaMetrics unescape it (a trailing one even breaks 1.x's parser): neither can travel in a tag.
_UNSAFE_TAG = re.compile(r"[\\\x00-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TAG_SPECIALS = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_MEASUREMENT_SPECIALS = str.maketrans({",": r"\,", " ": r"\ "})


def escape_measurement(name: str) -> str:
    return _CONTROL.sub(" ", name).replace("\\", "/").translate(_MEASUREMENT_SPECIALS)


def escape_key(text: str) -> str:
    """A tag key, tag value or field key: commas, equals signs and spaces escaped with a backslash.

    Backslashes become "/" and control characters (line breaks included) spaces: see _UNSAFE_TAG. Config
    validation keeps them out of probe names, so this only ever happens to malformed input.
    """
    return _UNSAFE_TAG.sub(lambda m: "/" if m[0] == "\\" else " ", text).translate(_TAG_SPECIALS)


def format_field(value: FieldValue) -> str:
    """A field value: booleans true/false, integers with the "i" suffix, floats as the shortest repr that reads
    back exactly, strings in double quotes with backslash and quote escaped (control characters as spaces)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"line protocol has no {value!r}")
        return repr(value)
    text = _CONTROL.sub(" ", value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


@functools.lru_cache(maxsize=4096)
def series(measurement: str, tags: tuple[tuple[str, str], ...]) -> str:
    """Measurement and tags, escaped: tags sorted by key (InfluxDB's own order, so a point has one canonical
    text), empty values left out (line protocol cannot hold them). Cached: a probe has few series."""
    tag_text = "".join(f",{escape_key(k)}={escape_key(v)}" for k, v in sorted(tags) if v)
    return escape_measurement(measurement) + tag_text


_field_key = functools.lru_cache(maxsize=256)(escape_key)


def line(measurement: str, tags: Mapping[str, str], fields: Mapping[str, FieldValue], at_ms: int) -> str:
    """One point (see ``series`` for the tags). Non-finite floats are left out; raises ValueError when no field
    is left."""
    kept = [(k, v) for k, v in fields.items() if not (isinstance(v, float) and not math.isfinite(v))]
    if not kept:
        raise ValueError(f"a {measurement} point needs at least one field")
    field_text = ",".join(f"{_field_key(k)}={format_field(v)}" for k, v in kept)
    return f"{series(measurement, tuple(tags.items()))} {field_text} {at_ms}"


@dataclass(frozen=True)
class Points:
    """Converts records of one probe to lines. ``business_hours`` prices incidents' business seconds."""

    probe: str
    business_hours: BusinessHours

    def round_lines(self, rnd: Round) -> list[str]:
        """One netwatch_ping point per sample and one netwatch_status point.

        The hot path of a backfill (a day is 600 000 points), so ping lines are assembled here, byte for byte
        as ``line`` would (a test holds them to it), from cached series."""
        at_ms = codec.to_ms(rnd.at)
        out: list[str] = []
        for s in rnd.samples:
            head = series(PING, (("probe", self.probe), ("role", s.target.role.value), ("target", s.target.address)))
            rtt = s.rtt_ms
            if rtt is None:
                out.append(f"{head} up=false {at_ms}")
            elif math.isfinite(rtt):
                out.append(f"{head} up=true,rtt_ms={float(rtt)!r} {at_ms}")
            else:
                out.append(f"{head} up=true {at_ms}")
        cause = round_cause(rnd)
        status: dict[str, FieldValue] = {"up": cause is None, "cause": UP_CAUSE if cause is None else cause.value}
        out.append(line(STATUS, {"probe": self.probe}, status, at_ms))
        return out

    def incident_lines(self, item: ExportIncident) -> list[str]:
        """The incident's point, and a superseded point for every former cause (see the module docstring)."""
        inc = item.incident
        start_ms = codec.to_ms(inc.start)
        start = codec.from_ms(start_ms)
        tags = {"probe": self.probe, "kind": inc.kind.value}
        fields: dict[str, FieldValue] = {"start": start}
        if inc.end is None:
            fields.update(duration_s=0.0, business_s=0.0, open=True)
        else:
            end = codec.from_ms(codec.to_ms(inc.end))
            business = self.business_hours.seconds_ts(start, end) if end > start else 0.0
            fields.update(end=end, duration_s=max(0.0, end - start), business_s=float(business), open=False)
        fields["superseded"] = False
        out = [line(INCIDENT, {**tags, "cause": inc.cause.value}, fields, start_ms)]
        gone: dict[str, FieldValue] = {
            "start": start,
            "duration_s": 0.0,
            "business_s": 0.0,
            "open": False,
            "superseded": True,
        }
        for cause in sorted({c for c in item.causes if c is not inc.cause}):
            out.append(line(INCIDENT, {**tags, "cause": cause.value}, gone, start_ms))
        return out


def speed_line(
    probe: str,
    backend: str,
    server: str,
    at: float,
    *,
    download_mbps: float | None,
    upload_mbps: float | None,
    latency_ms: float | None,
    jitter_ms: float | None,
    loaded_latency_ms: float | None = None,
    bytes_used: int | None = None,
    ok: bool | None = None,
) -> str:
    """One netwatch_speed point; unknown figures (None) are left out."""
    measured = {
        "download_mbps": download_mbps,
        "upload_mbps": upload_mbps,
        "latency_ms": latency_ms,
        "jitter_ms": jitter_ms,
        "loaded_latency_ms": loaded_latency_ms,
    }
    fields: dict[str, FieldValue] = {k: float(v) for k, v in measured.items() if v is not None}
    if bytes_used is not None:
        fields["bytes_used"] = int(bytes_used)
    if ok is not None:
        fields["ok"] = ok
    return line(SPEED, {"probe": probe, "backend": backend, "server": server}, fields, codec.to_ms(at))


def speed_result_line(probe: str, result: SpeedResult) -> str:
    """The netwatch_speed point of one stored attempt (see the module docstring for failed ones)."""
    r = result
    if not r.ok:
        return speed_line(
            probe,
            r.backend,
            r.server,
            r.at,
            download_mbps=None,
            upload_mbps=None,
            latency_ms=None,
            jitter_ms=None,
            bytes_used=r.bytes_used,
            ok=False,
        )
    return speed_line(
        probe,
        r.backend,
        r.server,
        r.at,
        download_mbps=r.download_mbps,
        upload_mbps=r.upload_mbps,
        latency_ms=r.latency_ms,
        jitter_ms=r.jitter_ms,
        loaded_latency_ms=r.loaded_latency_ms,
        bytes_used=r.bytes_used,
        ok=True,
    )


def check_line(probe: str, at: float) -> str:
    """The point `netwatch influx check` writes to prove write permission."""
    return line(CHECK, {"probe": probe}, {"ok": True}, codec.to_ms(at))
