"""How a verification of the evidence chain reads: the lines `netwatch verify` prints and its JSON document.

Owns the wording of a ``Verification`` (the verdict, what was checked, every break with where and when) and its
JSON fields (scripts read them: additive changes only). Must not verify anything: that is the store's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from netwatch.core.model import Break, Checkpoint, StoredTimestamp, Timestamp, Verification, Verified
from netwatch.core.text import iso_utc, local


def _timestamp_line(stamp: Timestamp, tz: ZoneInfo) -> str:
    verdict = {True: "verified", False: f"NOT VERIFIED ({stamp.problem})", None: f"not checked here ({stamp.problem})"}
    return (
        f"  trusted timestamp: seal {stamp.seal_id} sha256:{stamp.digest[:16]}… existed at {local(stamp.at, tz)}"
        f" by {stamp.tsa}: {verdict[stamp.checked]}"
    )


def timestamp_line(stamp: StoredTimestamp, tz: ZoneInfo) -> str:
    """What `netwatch timestamp` prints once the authority signed."""
    return f"seal {stamp.seal_id} sha256:{stamp.digest} timestamped by {stamp.tsa}: it existed at {local(stamp.at, tz)}"


def _how(checkpoint: Checkpoint) -> str:
    return "in full" if checkpoint.full else "incrementally"


def _checked(result: Verification, tz: ZoneInfo) -> str:
    """What this verification checked: everything from the first seal, or only what was sealed since a checkpoint
    (an ombudsman must be able to tell which "verified" means)."""
    span = ""
    if result.first_at is not None and result.last_at is not None:
        span = f" from {local(result.first_at, tz)} to {local(result.last_at, tz)}"
    since = result.resumed
    if since is None:
        return f"  checked in full: {result.seals} seals, {result.rounds} rounds{span} and {result.records} records"
    seals = "the 1 seal" if result.seals == 1 else f"the {result.seals} seals"
    return (
        f"  checked {seals} since the checkpoint of {local(since.at, tz)} (seal {since.seal_id}), which was itself"
        f" verified {_how(since)}: {result.rounds} rounds{span}, and all {result.records} records against their"
        " latest sealed versions"
    )


def checkpoint_lines(run: Verified, tz: ZoneInfo) -> list[str]:
    """What `netwatch verify` says after the verification about the checkpoint it left, or why it left none."""
    written, since = run.written, run.verification.resumed
    lines = []
    if since is not None:
        lines.append(
            f"  note: the seals up to seal {since.seal_id} were verified at {local(since.at, tz)} and not re-hashed"
            " this time: `netwatch verify --full` checks every seal from the first"
        )
    if written is not None:
        lines.append(
            f"  checkpoint: seal {written.seal_id} verified {_how(written)}, sealed in seal {written.sealed_in}; the"
            " next verify goes on from it"
        )
    elif run.unwritten:
        lines.append(f"  no checkpoint written: {run.unwritten}")
    return lines


def verification_lines(result: Verification, store: Path, tz: ZoneInfo, expect: str | None = None) -> list[str]:
    """What `netwatch verify` prints: a verdict line, what was checked, then every break with where and when, the
    records flagged, the owner's statements changed (each version kept), the trusted timestamps and the notes.
    ``expect`` is the published digest asked for (its hex digits), named when it is not in the chain."""
    lines = []
    if result.empty:
        lines.append(
            f"Evidence chain of {store}: EMPTY: it holds no seal and no record (nothing was recorded yet, or"
            " everything was deleted)"
        )
    elif result.breaks:
        n = len(result.breaks)
        lines.append(f"Evidence chain of {store}: BROKEN in {n} place{'s' if n != 1 else ''}")
    elif result.anchor_found is False:
        lines.append(f"Evidence chain of {store}: {_not_published(expect)}")
    else:
        lines.append(f"Evidence chain of {store}: intact")
    lines.append(_checked(result, tz))
    if result.head_seal:
        lines.append(f"  newest seal: {result.head_seal} sha256:{result.head_digest}")
    if result.anchor_found is True:
        lines.append(
            "  the expected seal is in the chain: nothing sealed up to it was changed since it was published, and"
            " nothing sealed after it describes a time more than an hour before it"
        )
    if result.breaks and result.anchor_found is False:
        lines.append(f"  {_not_published(expect)}")
    for brk in result.breaks:
        when = f" [{local(brk.at, tz)}]" if brk.at is not None else ""
        lines.append(f"  BROKEN: {brk.where}{when}: {brk.what}")
    for flag in result.flags:
        when = f" [{local(flag.at, tz)}]" if flag.at is not None else ""
        lines.append(f"  flagged: {flag.where}{when}: {flag.what}")
    for amended in result.amended:
        when = f" [{local(amended.at, tz)}]" if amended.at is not None else ""
        lines.append(f"  changed by the owner: {amended.where}{when}: {amended.what}")
    lines += [_timestamp_line(stamp, tz) for stamp in result.timestamps]
    lines += [f"  note: {note}" for note in result.notes]
    return lines


def _not_published(expect: str | None) -> str:
    seal = f"seal sha256:{expect}" if expect else "expected seal"
    return (
        f"NOT THE HISTORY YOU PUBLISHED: the {seal} is not in this store (another store, or its history was"
        " rewritten since)"
    )


def _break_json(brk: Break) -> dict[str, Any]:
    return {"where": brk.where, "what": brk.what, "at": None if brk.at is None else iso_utc(brk.at)}


def _checkpoint_json(checkpoint: Checkpoint | None) -> dict[str, Any] | None:
    if checkpoint is None:
        return None
    return {
        "seal": checkpoint.seal_id,
        "sha256": checkpoint.digest,
        "verified_at": iso_utc(checkpoint.at),
        "verified_in_full": checkpoint.full,
        "since_seal": checkpoint.since_seal or None,
        "netwatch": checkpoint.version,
        "sealed_in": checkpoint.sealed_in,
    }


def verification_json(result: Verification, store: Path, run: Verified | None = None) -> dict[str, Any]:
    """The JSON document of a verification (``run``: with the checkpoint `netwatch verify` left)."""
    return {
        "store": str(store),
        "ok": result.ok,
        "in_full": result.resumed is None,
        "since_checkpoint": _checkpoint_json(result.resumed),
        "checkpoint_written": None if run is None else _checkpoint_json(run.written),
        "checkpoint_not_written": None if run is None or not run.unwritten else run.unwritten,
        "empty": result.empty,
        "seals": result.seals,
        "rounds": result.rounds,
        "records": result.records,
        "first_round": None if result.first_at is None else iso_utc(result.first_at),
        "last_round": None if result.last_at is None else iso_utc(result.last_at),
        "head": {"seal": result.head_seal, "sha256": result.head_digest} if result.head_seal else None,
        "expected_seal_found": result.anchor_found,
        "breaks": [_break_json(b) for b in result.breaks],
        "flags": [_break_json(b) for b in result.flags],
        "amended": [_break_json(b) for b in result.amended],
        "timestamps": [
            {
                "seal": t.seal_id,
                "sha256": t.digest,
                "tsa": t.tsa,
                "at": iso_utc(t.at),
                "verified": t.checked,
                "problem": t.problem,
            }
            for t in result.timestamps
        ],
        "notes": list(result.notes),
    }
