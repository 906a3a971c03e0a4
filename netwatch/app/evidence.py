"""The evidence bundle and the verification of the chain: what `netwatch evidence` and `netwatch verify` do.

Owns verifying the configured store (``verify``) and writing one zip for a period (``evidence``, ``write_bundle``):
the report (HTML, PDF when WeasyPrint is installed, JSON, and the Markdown letter, each told what the verification
found, first of all when it failed), the raw rounds as CSV, the incidents as CSV (the report's rows) and as JSON
(with their traceroutes), the fault tickets as JSON, the configuration when the bundle was made with its secrets
redacted (labelled so), the probing method each session recorded (``method.json``), the verification of the evidence
chain, on request a copy of the store from the same snapshot, a README.txt for its reader, and a manifest with every
file's SHA-256 (also as ``SHA256SUMS`` for ``sha256sum -c``) and the coverage of the period (first: how much of it
netwatch was not running). A document that cannot be made here (a PDF without WeasyPrint, a letter for a period
netwatch never ran in) is left out, and the manifest and a warning say why. The zip is written next to its
destination and renamed into place, so a reader never sees half of it. Must not compute a figure itself: it reads
the store and renders through the report modules.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from netwatch import __version__, config
from netwatch.adapters.store.migrations import read_only_file_system
from netwatch.adapters.store.sqlite import Store
from netwatch.adapters.store.verify import TokenCheck
from netwatch.app import documents, reports, stores
from netwatch.app import timestamps as stamping
from netwatch.app.files import private_mode, replacing
from netwatch.app.reports import claims_from_store, unsynced
from netwatch.core import extras
from netwatch.core.model import Period, Target, Verification, Verified
from netwatch.core.text import iso_utc, local_time, period_text
from netwatch.errors import InputError, ReportError, StoreError
from netwatch.report.compute import Report
from netwatch.report.csvout import safe_cell, to_csv
from netwatch.report.evidence import Checked, EvidenceFigures, failed_notice
from netwatch.report.jsonout import settings_json, ticket_json, trace_json
from netwatch.report.pdf import MISSING
from netwatch.report.readme import STORE_NAME, BundleFacts, readme
from netwatch.report.unmonitored import not_running
from netwatch.report.verification import verification_json, verification_lines

Progress = Callable[[int], None]
NO_PDF = f"install the pdf extra (WeasyPrint: {extras.install('pdf')}) to include it"
NO_LETTER = "netwatch measured nothing in the period, so there is no letter to write"


@dataclass(frozen=True)
class Omitted:
    """A document left out of the bundle, and why (said in the manifest and as a warning)."""

    reason: str


# --- the bundle ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bundle:
    """What was written: the zip, its files with their SHA-256, and the verification inside it."""

    path: Path
    files: tuple[tuple[str, int, str], ...]  # (name, bytes, sha256 hex)
    verification: Verification
    rounds: int
    warnings: tuple[str, ...] = ()


def _header(targets: list[Target]) -> list[str]:
    return ["time_utc", *(f"{t.role.value} {t.address} rtt_ms" for t in targets), "errors", "clock"]


def rounds_csv(
    store: Store, period: Period, provisional: list[tuple[float, float]], progress: Progress | None = None
) -> Iterator[str]:
    """The raw rounds of ``period`` as CSV text, a chunk at a time: one row per round, one column per target
    probed in the period (the RTT in ms, "lost" when it did not answer, empty when it was not probed in that
    round), the error texts, and "provisional" for rounds whose times were never corrected after an
    unsynchronised start."""
    targets = store.targets_between(period.since, period.until)
    column = {t: i for i, t in enumerate(targets)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_header(targets))
    n = 0
    for rnd in store.rounds(period.since, period.until):
        cells = [""] * len(targets)
        errors = []
        for sample in rnd.samples:
            cells[column[sample.target]] = "lost" if sample.rtt_ms is None else f"{sample.rtt_ms:g}"
            if sample.error:
                errors.append(f"{sample.target.address}: {sample.error}")
        clock = "provisional" if any(a <= rnd.at <= b for a, b in provisional) else ""
        writer.writerow([iso_utc(rnd.at), *cells, safe_cell("; ".join(errors)), clock])
        n += 1
        if n % 5000 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            if progress is not None:
                progress(5000)
    if progress is not None:
        progress(n % 5000)
    yield out.getvalue()


def tickets_json(store: Store, cfg: config.Config, period: Period) -> dict[str, Any]:
    """The fault tickets of the period with the outages each covers, exactly as the report has them (the owner's
    notes only with [report] ticket_notes: the bundle goes to the provider)."""
    found = claims_from_store(store, cfg, period, store.incidents(period.since, period.until)).tickets
    period_doc = {"since": iso_utc(period.since), "until": iso_utc(period.until)}
    return {"period": period_doc, "tickets": [ticket_json(f, cfg.report.ticket_notes) for f in found]}


def incidents_json(store: Store, cfg: config.Config, period: Period) -> dict[str, Any]:
    """Every incident overlapping the period with its full evidence, and the traceroutes taken for them."""
    business = cfg.business_hours
    traces = EvidenceFigures(traces=tuple(store.traces(period.since, period.until)))
    incidents = []
    for inc in store.incidents(period.since, period.until):
        end = inc.end if inc.end is not None else period.until
        mine = traces.traces_of(inc)
        incidents.append(
            {
                "kind": inc.kind.value,
                "cause": inc.cause.value,
                "start": iso_utc(inc.start),
                "end": None if inc.end is None else iso_utc(inc.end),
                "duration_seconds": round(inc.duration(period.until), 3),
                "business_seconds": round(business.seconds_ts(inc.start, end), 3),
                "rounds": inc.rounds,
                "cause_rounds": {c.value: n for c, n in inc.cause_rounds},
                "evidence": inc.detail,
                "traceroutes": [trace_json(t) for t in mine],
            }
        )
    return {"period": {"since": iso_utc(period.since), "until": iso_utc(period.until)}, "incidents": incidents}


class _Zip:
    """A zip being written, hashing every member as it goes."""

    def __init__(self, fileobj: Any, stamp: float) -> None:
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.when = time.gmtime(stamp)[:6]
        self.files: list[tuple[str, int, str]] = []

    def add(self, name: str, chunks: Iterator[bytes] | bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=self.when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        digest, size = hashlib.sha256(), 0
        with self.zip.open(info, "w", force_zip64=True) as member:
            for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
                member.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        self.files.append((name, size, digest.hexdigest()))


def _config_label(generated_at: float) -> str:
    return (
        f"# The configuration when this bundle was made ({iso_utc(generated_at)}), not necessarily the one the data\n"
        "# was recorded with: method.json holds the settings each session recorded when it began.\n"
    )


def method_json(store: Store, period: Period) -> dict[str, Any]:
    """The probing method each session of the period recorded when it began (``recorded: false`` for sessions
    begun before netwatch recorded it), for method.json."""
    sessions = store.session_methods(period.since, period.until)
    return {
        "sessions": [{"start": iso_utc(s.start), "end": iso_utc(s.end), **settings_json(s.method)} for s in sessions]
    }


def write_bundle(
    store: Store,
    cfg: config.Config,
    period: Period,
    output: Path,
    *,
    verification: Verification,
    generated_at: float,
    render: Callable[[str], str | bytes | Omitted],
    figures: Report,
    rounds_progress: Progress | None = None,
    with_store: bool = False,
) -> Bundle:
    """Write the evidence zip of ``period`` to ``output``, with ``verification`` (of ``store``, just made) in it,
    and a copy of the store when ``with_store`` (call it inside the snapshot verified, so that it is the copy
    verified). ``render(fmt)`` gives the report (``figures``) as "html", "pdf", "json", "md" or "txt", or why that
    format cannot be made here (``Omitted``). Raises ReportError when the file cannot be written."""
    provisional = [(u.start, u.end) for u in unsynced(store, period.since, period.until) if not u.retimed]
    warnings: list[str] = []
    omitted: dict[str, list[str]] = {}  # why a document could not be made: the documents
    rounds = 0
    with replacing(output, mode=private_mode()) as raw:
        bundle = _Zip(raw, generated_at)
        for name, fmt in (
            ("report.html", "html"),
            ("report.pdf", "pdf"),
            ("report.json", "json"),
            ("letter.md", "md"),
            ("letter.txt", "txt"),  # the same letter as plain text: the one to paste into an e-mail
        ):
            data = render(fmt)
            if isinstance(data, Omitted):
                omitted.setdefault(data.reason, []).append(name)  # letter.md and letter.txt: one line for both
                continue
            bundle.add(name, data.encode() if isinstance(data, str) else data)
        for reason, names in omitted.items():
            warnings.append(f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'} not in the bundle: {reason}")

        def counted(n: int) -> None:
            nonlocal rounds
            rounds += n
            if rounds_progress is not None:
                rounds_progress(n)

        bundle.add("rounds.csv", (c.encode() for c in rounds_csv(store, period, provisional, counted)))
        incidents = incidents_json(store, cfg, period)
        bundle.add("incidents.json", (json.dumps(incidents, indent=2, ensure_ascii=False) + "\n").encode())
        bundle.add("incidents.csv", to_csv(figures).encode())  # a long period's PDF lists incidents by these rows
        tickets = tickets_json(store, cfg, period)
        bundle.add("tickets.json", (json.dumps(tickets, indent=2, ensure_ascii=False) + "\n").encode())
        bundle.add("config.toml", (_config_label(generated_at) + config.render(cfg)).encode())
        methods = method_json(store, period)
        bundle.add("method.json", (json.dumps(methods, indent=2, ensure_ascii=False) + "\n").encode())
        stored = store.timestamps()
        for name, data in stamping.bundle_files(stored, cfg.timestamp.ca_file):
            bundle.add(name, data)
        text = "\n".join(verification_lines(verification, cfg.store.path, cfg.business_hours.timezone)) + "\n"
        bundle.add("verification.txt", text.encode())
        doc = verification_json(verification, cfg.store.path)
        bundle.add("verification.json", (json.dumps(doc, indent=2) + "\n").encode())
        if with_store:
            _add_store(bundle, store, output)
        notice = failed_notice(figures.evidence, cfg.business_hours.timezone)
        facts = BundleFacts(
            names=(*(n for n, _, _ in bundle.files), "manifest.json", "SHA256SUMS"),
            verification=verification,
            failed_notice=notice,
            period_text=period_text(period.since, period.until, cfg.business_hours.timezone),
            generated_at=generated_at,
            version=__version__,
            timestamps=len(stored),
        )
        bundle.add("README.txt", readme(facts, cfg.business_hours.timezone).encode())
        manifest = {
            "generator": f"netwatch {__version__}",
            "generated_at": iso_utc(generated_at),
            "period": {"since": iso_utc(period.since), "until": iso_utc(period.until)},
            "timezone": str(cfg.business_hours.timezone),
            "coverage": {
                "not_running": not_running(figures) or None,
                "monitored_seconds": round(figures.monitored_seconds, 3),
                "unmonitored_seconds": round(figures.unmonitored_seconds, 3),
            },
            "store": str(cfg.store.path),
            "seal": {"seal": verification.head_seal, "sha256": verification.head_digest},
            "verified": verification.ok,
            "warning": notice,
            "rounds": rounds,
            "incidents": len(incidents["incidents"]),
            "tickets": len(tickets["tickets"]),
            "files": [{"name": n, "bytes": size, "sha256": h} for n, size, h in bundle.files],
            "missing": warnings,
        }
        bundle.add("manifest.json", (json.dumps(manifest, indent=2) + "\n").encode())
        bundle.add("SHA256SUMS", "".join(f"{h}  {n}\n" for n, _, h in bundle.files).encode())
        bundle.zip.close()
    return Bundle(output, tuple(bundle.files), verification, rounds, tuple(warnings))


def _add_store(bundle: _Zip, store: Store, output: Path) -> None:
    """A copy of the store as the current snapshot sees it, made beside ``output`` (not in /tmp: on a Pi that is
    RAM, and the store may be larger) and deleted once in the zip."""
    with tempfile.TemporaryDirectory(dir=output.resolve().parent, prefix=".netwatch-store-") as work:
        copy = Path(work) / STORE_NAME
        store.copy_to(copy)
        with copy.open("rb") as data:
            bundle.add(STORE_NAME, iter(lambda: data.read(1 << 20), b""))


# --- the operations ------------------------------------------------------------------------------------------

ProgressBar = Callable[[str, int], AbstractContextManager[Progress]]
"""(label, total) → a context manager yielding the callable that advances a progress bar by n: a face's own."""


def verify_store(
    store: Store,
    *,
    full: bool = False,
    expect: str | None = None,
    now: float | None = None,
    check_token: TokenCheck | None = None,
    progress: Progress | None = None,
    read_only: str = "",
) -> Verified:
    """Verify the evidence chain of an open store: ``full`` from the first seal, else what was sealed since the
    newest checkpoint still valid (``verification.resumed`` says which; none: in full). An intact verification that
    found anything new is sealed as a checkpoint when the store is writable; when it is read-only, ``unwritten``
    says so (``read_only``: why, when the caller knows). The one call for every face and `netwatch doctor`."""
    now = time.time() if now is None else now
    verification = store.verify(expect, progress, now=now, check_token=check_token, full=full)
    if not verification.ok:
        return Verified(verification)
    if store.readonly:
        why = read_only or f"the store {store.path} was opened read-only"
        return Verified(verification, unwritten=f"{why}, so this verification was not sealed as a checkpoint")
    return Verified(verification, store.checkpoint(verification, now, __version__))


def _for_checkpoint(cfg: config.Config) -> tuple[Store, str]:
    """The configured store, read-write when this user may write it (a checkpoint is written), else read-only with
    the reason."""
    path = cfg.store.path
    why = _unwritable(path)
    if not why:
        try:
            return stores.adding(cfg, "the checkpoint"), ""
        except StoreError as err:
            why = str(err)
    return stores.reading(cfg), why


def _unwritable(path: Path) -> str:
    """Why this user cannot write the store at ``path`` (SQLite writes beside it too), or ""."""
    if read_only_file_system(path):
        return f"{path} is on a read-only file system"
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return f"this user may not write to {path}"
    return ""


def verify(
    cfg: config.Config, expect: str | None = None, bar: ProgressBar | None = None, *, full: bool = False
) -> Verified:
    """Verify the evidence chain of the configured store (against a published digest ``expect``), in ``full`` or
    from its newest valid checkpoint, leaving a checkpoint when this user may write the store."""
    check = stamping.checker(cfg)
    opened, why = _for_checkpoint(cfg)
    with opened as store:
        if bar is None:
            return verify_store(store, full=full, expect=expect, check_token=check, read_only=why)
        total = store.count_rounds(float("-inf"), float("inf")) if full else store.unverified_rounds()
        with bar("Verifying", total) as advance:
            return verify_store(store, full=full, expect=expect, check_token=check, progress=advance, read_only=why)


def default_name(period: Period, tz: ZoneInfo) -> Path:
    """netwatch-evidence-FIRST--LAST.zip, from the local dates of the period's first and last instant."""

    first, last = period.since, max(period.since, period.until - 0.001)
    return Path(f"netwatch-evidence-{local_time(first, tz, 'iso_date')}--{local_time(last, tz, 'iso_date')}.zip")


def evidence(
    cfg: config.Config,
    *,
    named: str | None,
    since: str | None,
    until: str | None,
    output: Path | None,
    now: float,
    bar: ProgressBar | None = None,
    with_store: bool = False,
) -> tuple[Bundle, tuple[str, ...]]:
    """Write the evidence bundle of a period (see ``build``'s words for it), with a copy of the store when
    ``with_store``; returns the bundle and the notes its report gave (each "warning: ..." or "note: ...").
    Everything in it is read from one snapshot of the store, so the report, the rounds, the copy and the
    verification agree; the documents say what the verification found (first of all when it failed)."""
    chosen = reports.named_period(named, since, until, cfg, now)
    if output is not None and output.suffix.lower() != ".zip":
        raise InputError(f'the evidence bundle is a zip file; name it "{output.stem}.zip"', "output")
    notes: list[str] = []
    with stores.reading(cfg) as store, store.snapshot():
        chosen = chosen or reports.period_in(store, since, until, cfg, now)
        figures, warning = reports.witnessed(reports.from_store(store, cfg, chosen), cfg)
        notes += [f"warning: {w}" for w in documents.beside("html", figures, [warning])]
        output = output or default_name(chosen, cfg.business_hours.timezone)
        check = stamping.checker(cfg)
        if bar is None:
            verification = store.verify(now=now, check_token=check)
        else:
            with bar("Verifying", store.count_rounds(float("-inf"), float("inf"))) as advance:
                verification = store.verify(progress=advance, now=now, check_token=check)
        if not verification.empty:  # an empty store has no seal: its documents say so already
            figures = replace(figures, evidence=replace(figures.evidence, checked=Checked(verification.ok, now)))
        checked = figures

        def render(fmt: str) -> str | bytes | Omitted:
            try:
                done = documents.render(fmt, checked, cfg, now)
            except InputError:  # a letter refused: nothing was measured in the period
                if fmt in ("md", "txt"):
                    return Omitted(NO_LETTER)
                raise
            except ReportError as err:
                if fmt == "pdf" and str(err) == MISSING:
                    return Omitted(NO_PDF)
                raise
            if fmt == "md":
                note = documents.placeholders_note(done.warnings)
                notes.extend([f"note: {note}"] if note else [])
            elif fmt == "txt":
                pass  # letter.md's words: its placeholders were noted with it
            else:
                notes.extend(f"warning: {w}" for w in done.warnings)
            return done.data

        def write(advance: Progress | None) -> Bundle:
            return write_bundle(
                store,
                cfg,
                chosen,
                output,
                verification=verification,
                generated_at=now,
                render=render,
                figures=checked,
                rounds_progress=advance,
                with_store=with_store,
            )

        if bar is None:
            return write(None), tuple(notes)
        with bar("Writing rounds", store.count_rounds(chosen.since, chosen.until)) as advance:
            return write(advance), tuple(notes)
