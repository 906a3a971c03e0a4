"""The README.txt of an evidence bundle: plain text for whoever receives it (the provider's complaint handler, an
ombudsman), who may never have heard of netwatch.

Owns what it says: first, when the store failed verification, that fact; then what each file is, how to check the
files against SHA256SUMS, what the seals and hashes prove and what they do not (without a trusted timestamp or a
digest published earlier they are the owner's own statement), and how to have the store itself (or check the copy
inside). Must not read the store or files, nor verify anything: it is given what was found.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from netwatch.core.model import Verification
from netwatch.core.text import local_time

STORE_NAME = "netwatch.db"

# What each file is, in the order a reader meets them; a file not listed here is described by its folder.
WHAT = {
    "report.html": "the evidence report: every outage with its evidence, the coverage, the method (open it in a"
    " web browser)",
    "report.pdf": "the same report, for printing",
    "report.json": "the report's figures, for programs",
    "letter.md": "the complaint letter to the provider (Markdown text)",
    "letter.txt": "the same letter as plain text, without markup: the one to paste into an e-mail",
    "rounds.csv": "every probe round of the period: the time, each target's answer time in milliseconds or"
    ' "lost", and the errors',
    "incidents.json": "every outage and degradation with its evidence and the traceroutes taken",
    "tickets.json": "the faults reported to the provider, as the owner recorded them",
    "config.toml": "the configuration when this bundle was made (secrets shown as ***)",
    "verification.txt": "the check of the whole store against its seals, made with this bundle (.json: the same"
    " for programs)",
    STORE_NAME: "a copy of the store itself (SQLite), as it was when this bundle was made",
    "manifest.json": "the period, its coverage, the newest seal, and every file's size and SHA-256",
    "SHA256SUMS": "every file's SHA-256, for sha256sum",
}


@dataclass(frozen=True)
class BundleFacts:
    """What README.txt is told about its bundle."""

    names: tuple[str, ...]  # every file in the zip but README.txt itself, in order
    verification: Verification
    failed_notice: str | None  # the documents' first sentence when the store failed verification
    period_text: str
    generated_at: float
    version: str
    timestamps: int  # trusted timestamps in the bundle


def _para(text: str) -> list[str]:
    return [*textwrap.wrap(text, 100), ""]


def _files(names: Sequence[str]) -> list[str]:
    shown = [n for n in names if n not in ("verification.json",)]
    folders = sorted({n.split("/", 1)[0] + "/" for n in shown if "/" in n})
    rows = [(n, WHAT[n]) for n in shown if n in WHAT]
    rows += [(f, "the trusted timestamps of seals; HOW-TO-CHECK.txt inside says how to check them") for f in folders]
    width = max(len(n) for n, _ in rows)
    lines = []
    for name, what in rows:
        wrapped = textwrap.wrap(what, 100 - width - 4)
        lines.append(f"  {name.ljust(width)}  {wrapped[0]}")
        lines += [f"  {'':{width}}  {more}" for more in wrapped[1:]]
    return [*lines, ""]


def _verdict(facts: BundleFacts, zone: ZoneInfo) -> str:
    checked = facts.verification
    made = local_time(facts.generated_at, zone, "long")
    if checked.empty:
        return f"When this bundle was made ({made}) the store held no sealed record: there is nothing to rely on yet."
    if not checked.ok:
        return (
            f"When this bundle was made ({made}) the store FAILED verification: some records no longer match their"
            " seals, so they may have been changed after they were sealed. verification.txt lists every place."
        )
    return (
        f"When this bundle was made ({made}) every record still matched its seal; the newest seal was number"
        f" {checked.head_seal}, sha256:{checked.head_digest}."
    )


def readme(facts: BundleFacts, zone: ZoneInfo) -> str:
    """The text of README.txt."""
    lines: list[str] = []
    if facts.failed_notice:
        lines += _para(f"WARNING: {facts.failed_notice}.")
    lines += _para(
        f"Evidence bundle of an internet line, {facts.period_text}, made by netwatch {facts.version} (an outage"
        " monitor on the owner's premises) on " + local_time(facts.generated_at, zone, "long") + "."
    )
    lines += ["WHAT IS IN IT", "", *_files(facts.names)]
    lines += ["HOW TO CHECK THE FILES", ""]
    lines += ["Unzip the bundle and, in its folder, run:", "", "    sha256sum -c SHA256SUMS", ""]
    lines += _para(
        "Every line must end in OK. That shows the files are the ones this bundle was made with; it does not show"
        " when they were made, nor that what they say is true."
    )
    lines += ["WHAT THE SEALS PROVE, AND WHAT THEY DO NOT", ""]
    lines += _para(
        "netwatch seals every probe round and every record with SHA-256 as it stores it, each seal chained to the"
        " one before. netwatch verify re-computes every seal: a record edited, inserted or deleted after it was"
        " sealed is found, with where and when. " + _verdict(facts, zone)
    )
    if facts.timestamps:
        lines += _para(
            f"The bundle holds {facts.timestamps} trusted timestamp{'s' if facts.timestamps != 1 else ''} (RFC"
            " 3161): an independent authority signed that a seal existed at a time. Anyone can check one with"
            " openssl (timestamps/HOW-TO-CHECK.txt). Nothing sealed before a timestamped seal can have been added,"
            " changed or backdated after that time without breaking the chain."
        )
    else:
        lines += _para(
            "The bundle holds no trusted timestamp. Unless the owner sent you a seal digest earlier (every netwatch"
            " report and letter prints the newest), the seals, SHA256SUMS and verification.txt are the owner's own"
            " statement: they show that no record was changed after it was sealed unless the whole chain was"
            " rewritten, which whoever holds the store can do."
        )
    lines += _para(
        "A seal digest you received before (in an e-mail, a letter, an earlier report) is the strongest check: if"
        " netwatch verify --expect DIGEST finds it in the store, nothing sealed up to it has changed since it was"
        " sent. What no seal shows: that the measurements were right when they were made (the report's Method"
        " says how they were made), or that nothing was removed after the newest seal you hold."
    )
    lines += ["THE STORE", ""]
    if STORE_NAME in facts.names:
        lines += _para(
            f"{STORE_NAME} is a copy of the whole store, made from the same moment as every other file here, so"
            " verification.txt is its verification. To check it yourself with netwatch installed, write a file"
            " netwatch.toml holding these two lines (with the copy's full path):"
        )
        lines += ["    [store]", f'    path = "/full/path/to/{STORE_NAME}"', "", "and run:", ""]
        lines += ["    netwatch verify --config netwatch.toml", ""]
    else:
        lines += _para(
            "The store itself (the SQLite file every figure here comes from) is not in this bundle. The owner can"
            " provide it on request: netwatch evidence --with-store adds a copy to the bundle, with its"
            " verification."
        )
    return "\n".join(lines).rstrip() + "\n"
