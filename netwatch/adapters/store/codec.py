"""Compact encodings of records for the SQLite store.

Owns how a round, its targets, its errors and an incident's evidence become column values and back: RTTs in tenths
of a millisecond (two sentinels for lost and saturated), either one uint16 little-endian per target (an even number
of bytes) or, as the store writes them since schema 14, in compact codes (an odd number of bytes: most RTTs under 24
ms take one byte, see ``pack_compact``), instants as integer milliseconds, target lists, error maps and a session's
probing method as compact JSON. Must not run SQL, touch a file or read a clock (pure functions), nor change the byte
layout, which is part of the on-disk format, without a migration.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
import struct
from collections.abc import Iterable, Sequence
from typing import Any

from netwatch.core.model import Cause, Incident, Kind, MinuteRollup, ProbeMethod, Role, Sample, Target

LOST = 0xFFFF  # the target did not answer
SATURATED = 0xFFFE  # answered, but too slowly to represent: decoded as SATURATED_MS
MAX_TENTHS = 0xFFFD  # the largest RTT stored exactly: 6553.3 ms
SATURATED_MS = SATURATED / 10.0  # 6553.4 ms: above every exactly stored RTT
_MS_LIMIT = 2**62  # clamps ±inf so that "everything" queries stay within SQLite's 64-bit integers
_COMPACT = (",", ":")


def rtt_tenths(rtt_ms: float | None) -> int:
    """One RTT as a uint16: tenths of a millisecond rounded to nearest, or LOST / SATURATED."""
    if rtt_ms is None or math.isnan(rtt_ms):
        return LOST
    if rtt_ms >= SATURATED_MS:  # also +inf, before round() could overflow
        return SATURATED
    if rtt_ms <= 0.0:  # also -inf; a negative RTT is a clock artefact, not a measurement
        return 0
    tenths = round(rtt_ms * 10.0)
    return SATURATED if tenths > MAX_TENTHS else tenths


def tenths_rtt(value: int) -> float | None:
    """The inverse of ``rtt_tenths`` (to 0.1 ms)."""
    return None if value == LOST else value / 10.0


def pack_rtts(rtts: Sequence[float | None]) -> bytes:
    """A round's RTTs, in target order, as ``2 * len(rtts)`` bytes."""
    return struct.pack(f"<{len(rtts)}H", *(rtt_tenths(r) for r in rtts))


# Compact codes, one value each: a byte below _TWO is the value itself; _TWO to _THREE - 1 start two bytes (the
# value less _SHORT_MAX + 1, high bits in the first byte); _THREE starts three (a uint16 LE); then one byte each for
# LOST and SATURATED; _PAD closes a blob whose codes took an even number of bytes (a compact blob is always odd).
_TWO = 0xF0
_THREE = 0xFC
_PAD = 0xFD
_C_SATURATED = 0xFE
_C_LOST = 0xFF
_SHORT_MAX = _TWO - 1  # 23.9 ms in one byte
_MEDIUM_MAX = _SHORT_MAX + (_THREE - _TWO) * 256  # 331.1 ms in two


def pack_compact(rtts: Sequence[float | None]) -> bytes:
    """A round's RTTs, in target order, in compact codes: one byte per RTT up to 23.9 ms, two up to 331.1 ms, three
    beyond; one for lost or saturated; an odd number of bytes in all. When that is not shorter than ``pack_rtts``,
    ``pack_rtts`` (an even number: the two never mix up)."""
    out = bytearray()
    for value in (rtt_tenths(r) for r in rtts):
        if value <= _SHORT_MAX:
            out.append(value)
        elif value == LOST:
            out.append(_C_LOST)
        elif value == SATURATED:
            out.append(_C_SATURATED)
        elif value <= _MEDIUM_MAX:
            high, low = divmod(value - _SHORT_MAX - 1, 256)
            out += bytes((_TWO + high, low))
        else:
            out.append(_THREE)
            out += struct.pack("<H", value)
    if len(out) % 2 == 0:
        out.append(_PAD)
    return bytes(out) if len(out) < 2 * len(rtts) else pack_rtts(rtts)


def _unpack_compact(blob: bytes) -> tuple[int, ...]:
    values: list[int] = []
    at, end = 0, len(blob)
    while at < end:
        code = blob[at]
        if code <= _SHORT_MAX:
            values.append(code)
            at += 1
        elif code < _THREE:
            values.append(_SHORT_MAX + 1 + (code - _TWO) * 256 + blob[at + 1])
            at += 2
        elif code == _THREE:
            values.append(blob[at + 1] | blob[at + 2] << 8)
            at += 3
        elif code == _C_LOST:
            values.append(LOST)
            at += 1
        elif code == _C_SATURATED:
            values.append(SATURATED)
            at += 1
        elif at == end - 1:  # _PAD, the last byte
            break
        else:
            raise ValueError(f"RTT blob {blob.hex()}: padding before its end")
    return tuple(values)


def unpack_tenths(blob: bytes) -> tuple[int, ...]:
    """The raw uint16 values of ``pack_rtts`` or ``pack_compact`` (LOST and SATURATED included)."""
    if len(blob) % 2:
        return _unpack_compact(blob)
    return struct.unpack(f"<{len(blob) // 2}H", blob)


_NOT_ONE_BYTE = bytes(range(_TWO, _C_SATURATED))  # the codes that are not a value of their own: multi-byte starts, _PAD
_LONGER = re.compile(b"[" + re.escape(bytes(range(_TWO, _THREE + 1))) + b"]")  # a multi-byte code's first byte


def one_byte_columns(blobs: Sequence[bytes], width: int) -> list[bytes] | None:
    """When every blob is ``width`` one-byte compact codes (and its pad), the codes of each target as a column,
    one byte per round in blob order (read by ``tally_codes``); else None. Reads the blobs as one buffer: no
    per-round work (verification tallies every round of the store)."""
    count = len(blobs)
    size = width | 1  # an even number of one-byte codes is padded
    if width < 1 or not count or max(map(len, blobs)) != size:
        return None
    joined = b"".join(blobs)
    if len(joined) != size * count or (size != width and joined[width::size] != bytes((_PAD,)) * count):
        return None
    # Each blob loses at most its pad here: exactly width * count codes left means no blob held a longer code.
    values = joined.translate(None, _NOT_ONE_BYTE)
    if len(values) != width * count:
        return None
    return [values[i::width] for i in range(width)]


def holding_longer_codes(blobs: Sequence[bytes]) -> list[int]:
    """The indexes of the blobs that hold a code longer than one byte (or the bytes of another layout): those whose
    bytes include a multi-byte start, found in one scan of all of them (such rounds are the few, most minutes hold
    one or two)."""
    joined = b"".join(blobs)
    found = [m.start() for m in _LONGER.finditer(joined)]
    if not found:
        return []
    ends = list(itertools.accumulate(map(len, blobs)))
    return sorted({bisect.bisect_right(ends, at) for at in found})


def is_one_byte(blob: bytes, width: int) -> bool:
    """Whether ``blob`` is ``width`` one-byte compact codes (and its pad): a round ``one_byte_columns`` can read."""
    size = width | 1
    return (
        width > 0
        and len(blob) == size
        and len(blob.translate(None, _NOT_ONE_BYTE)) == width
        and (size == width or blob[-1] == _PAD)
    )


def tally_codes(column: bytes) -> tuple[int, int, int | None, int | None, int]:
    """(rounds, lost, min, max, sum) of one target's one-byte compact codes, RTTs in tenths of a ms as
    ``unpack_tenths`` reads them (a saturated reply counts as SATURATED)."""
    lost = column.count(_C_LOST)
    saturated = column.count(_C_SATURATED)
    plain = column.translate(None, bytes((_C_SATURATED, _C_LOST))) if lost or saturated else column
    low = min(plain) if plain else (SATURATED if saturated else None)
    high = SATURATED if saturated else (max(plain) if plain else None)
    return len(column), lost, low, high, sum(plain) + saturated * SATURATED


def unpack_rtts(blob: bytes) -> tuple[float | None, ...]:
    """The RTTs of ``pack_rtts`` or ``pack_compact`` (to 0.1 ms; None when lost)."""
    return tuple(tenths_rtt(v) for v in unpack_tenths(blob))


def to_ms(at: float) -> int:
    """Unix seconds as integer milliseconds (rounded; infinities clamped)."""
    if math.isinf(at):
        return _MS_LIMIT if at > 0 else -_MS_LIMIT
    return max(-_MS_LIMIT, min(_MS_LIMIT, round(at * 1000.0)))


def from_ms(ms: int) -> float:
    return ms / 1000.0


def targets_json(targets: Iterable[Target]) -> str:
    """The targets of a round as a JSON list of ``[role, address]``: the unique key of a target set."""
    return json.dumps([[t.role.value, t.address] for t in targets], separators=_COMPACT)


def targets_from_json(text: str) -> tuple[Target, ...]:
    return tuple(Target(Role(role), address) for role, address in json.loads(text))


def method_json(method: ProbeMethod) -> str:
    """A session's recorded method as canonical JSON (sorted keys), the form it is stored and chained in."""
    doc: dict[str, Any] = {
        "interval": method.interval,
        "timeout": method.timeout,
        "confirm": method.confirm,
        "window": method.window,
        "loss_percent": method.loss_percent,
        "latency_ms": method.latency_ms,
        "targets": [[t.role.value, t.address] for t in method.targets],
    }
    if method.resolvers is not None:  # absent from the methods recorded before it was: their chained text is kept
        doc["resolvers"] = list(method.resolvers)
    return json.dumps(doc, separators=_COMPACT, sort_keys=True, ensure_ascii=False)


def method_from_json(text: str | None) -> ProbeMethod | None:
    if text is None:
        return None
    doc = json.loads(text)
    return ProbeMethod(
        interval=float(doc["interval"]),
        timeout=float(doc["timeout"]),
        confirm=int(doc["confirm"]),
        window=int(doc["window"]),
        loss_percent=float(doc["loss_percent"]),
        latency_ms=float(doc["latency_ms"]),
        targets=targets_from_json(json.dumps(doc["targets"])),
        resolvers=tuple(str(r) for r in doc["resolvers"]) if "resolvers" in doc else None,
    )


def errors_json(samples: Sequence[Sample]) -> str | None:
    """The error texts of a round as JSON ``{index: text}``, or None (SQL NULL) when no sample has one."""
    errors = {str(i): s.error for i, s in enumerate(samples) if s.error}
    return json.dumps(errors, separators=_COMPACT, ensure_ascii=False) if errors else None


def errors_from_json(text: str | None) -> dict[int, str]:
    return {int(k): v for k, v in json.loads(text).items()} if text else {}


def cause_rounds_json(cause_rounds: Iterable[tuple[Cause, int]]) -> str:
    return json.dumps([[c.value, n] for c, n in cause_rounds], separators=_COMPACT)


def cause_rounds_from_json(text: str) -> tuple[tuple[Cause, int], ...]:
    return tuple((Cause(c), int(n)) for c, n in json.loads(text))


def incident_row(start_ms: int, inc: Incident) -> tuple[Any, ...]:
    """Column values (kind, start_ms, end_ms, cause, rounds, cause_rounds, detail) of an incident."""
    end_ms = None if inc.end is None else to_ms(inc.end)
    cause_rounds = cause_rounds_json(inc.cause_rounds)
    return (inc.kind.value, start_ms, end_ms, inc.cause.value, inc.rounds, cause_rounds, inc.detail)


def incident_from_row(row: Sequence[Any]) -> Incident:
    """The inverse of ``incident_row``, from columns (kind, cause, start_ms, end_ms, rounds, cause_rounds, detail)."""
    kind, cause, start_ms, end_ms, rounds, cause_rounds, detail = row
    return Incident(
        kind=Kind(kind),
        cause=Cause(cause),
        start=from_ms(start_ms),
        end=None if end_ms is None else from_ms(end_ms),
        rounds=rounds,
        cause_rounds=cause_rounds_from_json(cause_rounds),
        detail=detail,
    )


def rollup_from_row(row: Sequence[Any]) -> MinuteRollup:
    """A rollup from (minute, role, address, sent, lost, rtt_min, rtt_max, rtt_sum), RTTs in tenths of a ms."""
    minute, role, address, sent, lost, rtt_min, rtt_max, rtt_sum = row
    answered = sent - lost
    return MinuteRollup(
        minute=minute,
        target=Target(Role(role), address),
        sent=sent,
        lost=lost,
        rtt_min_ms=None if rtt_min is None else rtt_min / 10.0,
        rtt_avg_ms=rtt_sum / answered / 10.0 if answered else None,
        rtt_max_ms=None if rtt_max is None else rtt_max / 10.0,
    )
