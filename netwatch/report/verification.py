"""How a verification of the evidence chain reads: the lines `netwatch verify` prints and its JSON document.

Owns the wording of a ``Verification`` (the verdict, what was checked, every break with where and when) and its
JSON fields (scripts read them: additive changes only). Must not verify anything: that is the store's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from netwatch.core.model import Verification
from netwatch.core.text import iso_utc, local


def verification_lines(result: Verification, store: Path, tz: ZoneInfo) -> list[str]:
    """What `netwatch verify` prints: a verdict line, what was checked, then every break with where and when."""
    lines = []
    if result.breaks:
        n = len(result.breaks)
        lines.append(f"Evidence chain of {store}: BROKEN in {n} place{'s' if n != 1 else ''}")
    elif result.anchor_found is False:
        lines.append(f"Evidence chain of {store}: intact, but the expected seal is not in it")
    else:
        lines.append(f"Evidence chain of {store}: intact")
    span = ""
    if result.first_at is not None and result.last_at is not None:
        span = f" from {local(result.first_at, tz)} to {local(result.last_at, tz)}"
    lines.append(f"  checked {result.seals} seals, {result.rounds} rounds{span} and {result.records} records")
    if result.head_seal:
        lines.append(f"  newest seal: {result.head_seal} sha256:{result.head_digest}")
    if result.anchor_found is True:
        lines.append(
            "  the expected seal is in the chain: nothing recorded up to it was changed since it was published"
        )
    for brk in result.breaks:
        when = f" [{local(brk.at, tz)}]" if brk.at is not None else ""
        lines.append(f"  BROKEN: {brk.where}{when}: {brk.what}")
    lines += [f"  note: {note}" for note in result.notes]
    return lines


def verification_json(result: Verification, store: Path) -> dict[str, Any]:
    return {
        "store": str(store),
        "ok": result.ok,
        "seals": result.seals,
        "rounds": result.rounds,
        "records": result.records,
        "first_round": None if result.first_at is None else iso_utc(result.first_at),
        "last_round": None if result.last_at is None else iso_utc(result.last_at),
        "head": {"seal": result.head_seal, "sha256": result.head_digest} if result.head_seal else None,
        "expected_seal_found": result.anchor_found,
        "breaks": [
            {"where": b.where, "what": b.what, "at": None if b.at is None else iso_utc(b.at)} for b in result.breaks
        ],
        "notes": list(result.notes),
    }
