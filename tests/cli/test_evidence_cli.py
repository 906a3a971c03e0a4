"""`netwatch verify` and `netwatch evidence` as a user meets them: verdicts, exit codes, the places a forged store
breaks, and a bundle whose every file matches its manifest."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.cli import ExitCode
from netwatch.core.model import Hop, Kind, StoredTrace, Trace
from netwatch.core.text import local_time
from tests.support import incidents
from tests.support.cli import invoke, isolate
from tests.support.instants import ts
from tests.support.rounds import Line
from tests.support.targets import A1, GW

T0 = ts("2026-11-03T09:00")  # a Tuesday, 09:00 UTC = 09:00 in London
LINE = Line.of(GW, A1)


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    store = isolate(monkeypatch, tmp_path, chdir=True) / "netwatch.db"
    outage = incidents.outage(T0 + 60, rounds=3, detail="gateway 3/3, ISP hop 0/3")
    with Store.open(store) as s:
        s.begin_session(T0)
        for i in range(180):
            s.add_round(LINE.answers(T0 + i, 0.4, None if 60 <= i < 120 else 9.5))
            if i == 62:
                s.save_incident(outage)
                hops = (Hop(1, "192.168.1.1", 0.4), Hop(2, None, None))
                s.save_trace(
                    StoredTrace(Trace("1.1.1.1", T0 + 62, hops, False), "outage started", Kind.OUTAGE, T0 + 60)
                )
            if i == 120:
                s.save_incident(outage.closed_at(T0 + 120))
            if i % 10 == 9:
                s.commit()
        s.end_session(T0 + 179)
    return store


def test_verify_says_intact_and_names_the_newest_seal(state: Path) -> None:
    with Store.open(state, readonly=True) as store:
        head = store.head()
    code, out, err = invoke("verify")
    assert (code, err) == (0, "")
    assert out == (
        f"Evidence chain of {state}: intact\n"
        f"  checked in full: {head.seal_id} seals, 180 rounds from 2026-11-03 09:00:00 UTC to 2026-11-03 09:02:59 UTC"
        " and 3 records\n"
        f"  newest seal: {head.seal_id} sha256:{head.digest.hex()}\n"
        "  note: the chain cannot show that nothing was removed after its newest seal: compare that seal with the"
        " newest digest you published or were sent, or with a trusted timestamp kept elsewhere\n"
        f"  checkpoint: seal {head.seal_id} verified in full, sealed in seal {head.seal_id + 1}; the next verify goes"
        " on from it\n"
    )
    code, out, _ = invoke("verify", "--expect", head.digest.hex()[:12])
    assert code == 0 and "the expected seal is in the chain" in out


def test_verify_places_every_forgery_and_exits_9(state: Path) -> None:
    conn = sqlite3.connect(state, isolation_level=None)
    try:  # the provider's "no outage happened" edit: answers put back, the incident shortened
        conn.execute("UPDATE rounds SET rtts = (SELECT rtts FROM rounds WHERE id = 1) WHERE id = 90")
        conn.execute("UPDATE incidents SET end_ms = start_ms + 5000")
    finally:
        conn.close()
    code, out, err = invoke("verify")
    assert (code, err) == (ExitCode.VERIFY, "")
    lines = out.splitlines()
    assert lines[0] == f"Evidence chain of {state}: BROKEN in 4 places"
    conn = sqlite3.connect(state)
    [(seal,)] = conn.execute("SELECT id FROM seals WHERE first_round <= 90 AND last_round >= 90").fetchall()
    conn.close()
    assert lines[3] == (
        f"  BROKEN: seal {seal} (rounds 81-90) [2026-11-03 09:01:20 UTC]: its rounds were altered (or the seal itself)"
    )
    assert lines[4].startswith("  BROKEN: outage incident 1 [2026-11-03 09:01:00 UTC]: differs from its sealed version")
    assert lines[4].endswith(f"end_ms {int((T0 + 120) * 1000)} → {int((T0 + 65) * 1000)}")
    minute = int(T0 + 60) // 60
    assert lines[5] == (
        f"  BROKEN: rollups of minute {minute} [2026-11-03 09:01:00 UTC]: do not add up to the rounds of that minute"
    )
    assert lines[6] == (
        "  BROKEN: outage incident 1 [2026-11-03 09:01:05 UTC]: its end does not follow from its rounds: every anchor"
        " still failed then, and the run went on"
    )
    code, out, _ = invoke("verify", "--json")
    doc = json.loads(out)
    assert code == ExitCode.VERIFY and doc["ok"] is False and len(doc["breaks"]) == 4


def test_verify_an_unknown_published_digest_fails(state: Path) -> None:
    code, out, _ = invoke("verify", "--expect", "0123456789abcdef")
    assert code == ExitCode.VERIFY
    assert out.splitlines()[0] == (
        f"Evidence chain of {state}: NOT THE HISTORY YOU PUBLISHED: the seal sha256:0123456789abcdef is not in this"
        " store (another store, or its history was rewritten since)"
    )


def test_the_evidence_bundle_holds_everything_and_matches_its_manifest(state: Path, tmp_path: Path) -> None:
    assert invoke("ticket", "open", "--reported", "2026-11-03 09:01:30", "--ref", "F-9", "--channel", "web")[0] == 0
    code, out, err = invoke("evidence", "--since", "2026-11-03", "--until", "2026-11-03")
    assert code == 0, err
    bundle = tmp_path / "netwatch-evidence-2026-11-03--2026-11-03.zip"
    assert out.startswith(f"evidence written to {bundle.name}: ")
    assert ", 180 rounds, chain intact, seal " in out
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        manifest = json.loads(z.read("manifest.json"))
        files = {name: z.read(name) for name in names}
    assert names == [
        "report.html",
        "report.pdf",
        "report.json",
        "letter.md",
        "letter.txt",
        "rounds.csv",
        "incidents.json",
        "incidents.csv",
        "tickets.json",
        "config.toml",
        "method.json",
        "verification.txt",
        "verification.json",
        "README.txt",
        "manifest.json",
        "SHA256SUMS",
    ]
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == set(names) - {"manifest.json", "SHA256SUMS"}
    for name, entry in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == entry["sha256"] and len(files[name]) == entry["bytes"]
    sums = dict(reversed(line.split("  ")) for line in files["SHA256SUMS"].decode().splitlines())
    assert sums.keys() == set(names) - {"SHA256SUMS"}
    assert sums["manifest.json"] == hashlib.sha256(files["manifest.json"]).hexdigest()
    assert manifest["verified"] is True and manifest["rounds"] == 180 and manifest["incidents"] == 1
    assert manifest["tickets"] == 1
    [ticket] = json.loads(files["tickets.json"])["tickets"]
    # Reported 09:01:30 during the outage of 09:01-09:02: 30 s down after the report, back at 09:02.
    assert (ticket["ref"], ticket["channel"], ticket["down_after_report_seconds"], ticket["restored"]) == (
        "F-9",
        "web",
        30.0,
        "2026-11-03T09:02:00Z",
    )
    assert files["report.pdf"].startswith(b"%PDF")
    assert files["config.toml"].decode().splitlines()[:2] == [
        f"# The configuration when this bundle was made ({manifest['generated_at']}), not necessarily the one the data",
        "# was recorded with: method.json holds the settings each session recorded when it began.",
    ]
    # The session was begun without a method, as one begun before schema 18: said so, never today's settings.
    assert json.loads(files["method.json"]) == {
        "sessions": [{"start": "2026-11-03T09:00:00Z", "end": "2026-11-03T09:02:59Z", "recorded": False}]
    }
    rows = files["rounds.csv"].decode().splitlines()
    assert rows[0] == "time_utc,gateway 192.168.1.1 rtt_ms,anchor 1.1.1.1 rtt_ms,errors,clock"
    assert rows[1] == "2026-11-03T09:00:00Z,0.4,9.5,,"
    assert rows[61] == "2026-11-03T09:01:00Z,0.4,lost,,"
    assert len(rows) == 181
    [incident] = json.loads(files["incidents.json"])["incidents"]
    assert (incident["start"], incident["end"], incident["business_seconds"]) == (
        "2026-11-03T09:01:00Z",
        "2026-11-03T09:02:00Z",
        60.0,
    )
    assert incident["traceroutes"][0]["summary"].startswith("the path to 1.1.1.1 ends after hop 1 (192.168.1.1)")
    incident_rows = files["incidents.csv"].decode().splitlines()
    assert incident_rows[0].startswith("kind,cause,start,end,")
    assert incident_rows[1].startswith("outage,") and len(incident_rows) == 2
    report = json.loads(files["report.json"])
    assert report["seal"]["sha256"] == manifest["seal"]["sha256"]
    assert b"BROKEN" not in files["verification.txt"]


def test_a_secret_never_reaches_the_bundle(state: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(
        f'[store]\npath = "{state}"\n[influxdb]\nurl = "http://influx.lan:8086"\norg = "home"\nbucket = "nw"\n'
        'token = "s3cr3t-token"\n'
    )
    code, _, err = invoke("evidence", "--config", str(cfg), "--period", "today", "--output", str(tmp_path / "e.zip"))
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "e.zip") as z:
        everything = b"".join(z.read(n) for n in z.namelist())
        assert 'token = "***"' in z.read("config.toml").decode()
    assert b"s3cr3t-token" not in everything


def test_evidence_errors_are_one_line(state: Path, tmp_path: Path) -> None:
    code, _, err = invoke("evidence", "--period", "today", "--since", "2026-11-01")
    assert (code, err) == (
        ExitCode.USAGE,
        "netwatch: --period names the whole period: use it or --since/--until, not both\n",
    )
    code, _, err = invoke("evidence", "--output", "bundle.tar")
    assert (code, err) == (
        ExitCode.USAGE,
        'netwatch: --output: the evidence bundle is a zip file; name it "bundle.zip"\n',
    )
    code, _, err = invoke("evidence", "--output", str(tmp_path / "missing" / "e.zip"))
    assert code == ExitCode.REPORT
    target = tmp_path / "missing" / "e.zip"
    assert err == f"netwatch: cannot write {target}: No such file or directory; choose a writable --output\n"
    assert io.StringIO(err).read().count("\n") == 1


def test_status_shows_the_seal_and_a_clock_not_synchronised_yet(state: Path) -> None:
    code, out, _ = invoke("status")
    with Store.open(state, readonly=True) as store:
        head = store.head()
    assert code == 0
    assert f"Evidence:  seal {head.seal_id} sha256:{head.digest.hex()[:16]} (`netwatch verify` checks it all)" in out
    assert "Clock:" not in out
    with Store.open(state) as store:  # a run that started before NTP set the clock, still running
        store.begin_session(T0 + 3600, boot_id="b", offset=5.0, provisional=True)
        for i in range(12):
            store.add_round(LINE.answers(T0 + 3600 + i, 0.4, 9.5))
        store.commit()
        _, out, _ = invoke("status")
        store.end_session(T0 + 3611)
    assert (
        "Clock:     not synchronised yet: 12 rounds since 2026-11-03 10:00:00 UTC timed provisionally (re-timed when"
        " NTP sets the clock; exports wait)"
    ) in out


def test_a_bundle_of_an_empty_store_says_nothing_is_sealed_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = isolate(monkeypatch, tmp_path, chdir=True) / "netwatch.db"
    with Store.open(store):  # the daemon made the store and stopped before its first commit
        pass
    code, out, _ = invoke("evidence", "--since", "2026-11-01", "--until", "2026-11-02", "--output", "empty.zip")
    assert (code, out) == (
        ExitCode.VERIFY,
        "evidence written to empty.zip: 14 files, 0 rounds, nothing sealed yet: the store holds no record; start"
        " monitoring (`netwatch run` or the service), then make the bundle again\n",
    )
    assert "seal 0" not in out and "sha256:" not in out and "BROKEN" not in out
    with zipfile.ZipFile(tmp_path / "empty.zip") as z:
        readme = " ".join(z.read("README.txt").decode().split())
    assert "the store held no sealed record: there is nothing to rely on yet." in readme
    assert "FAILED" not in readme and "sha256:" not in readme


def _tamper(store: Path) -> None:
    """The owner's edit after the fact: a round of the outage made to answer, the outage shortened."""
    conn = sqlite3.connect(store, isolation_level=None)
    try:
        conn.execute("UPDATE rounds SET rtts = (SELECT rtts FROM rounds WHERE id = 1) WHERE id = 90")
        conn.execute("UPDATE incidents SET end_ms = start_ms + 5000")
    finally:
        conn.close()


def _bundle(*args: str) -> tuple[int, dict[str, bytes], dict[str, Any]]:
    code, _, _ = invoke("evidence", "--since", "2026-11-03", "--until", "2026-11-03", "--output", "e.zip", *args)
    with zipfile.ZipFile("e.zip") as z:
        files = {name: z.read(name) for name in z.namelist()}
    return code, files, json.loads(files["manifest.json"])


def _made_on(manifest: dict[str, Any]) -> str:
    made = datetime.fromisoformat(manifest["generated_at"].replace("Z", "+00:00")).timestamp()
    return local_time(made, ZoneInfo(manifest["timezone"]), "long")


def test_a_bundle_of_a_tampered_store_says_first_that_it_failed(state: Path) -> None:
    _tamper(state)
    code, files, manifest = _bundle()
    assert code == ExitCode.VERIFY
    notice = (
        f"This store FAILED verification on {_made_on(manifest)}: the records below may have been changed after"
        " they were sealed; see verification.txt"
    )
    assert manifest["verified"] is False and manifest["warning"] == notice
    letter = files["letter.md"].decode()
    assert letter.startswith(f"**{notice}.**\n\n")
    head = manifest["seal"]
    assert (
        "The records were sealed with SHA-256 as they were stored, but when this letter was written some of them no"
        f" longer matched their seals (the newest is number {head['seal']}, sha256:{head['sha256']}): they may have"
        " been changed after they were sealed, so the figures above cannot be relied on as measured. verification.txt"
        " in the evidence bundle lists every place that failed.\n"
    ) in letter
    assert "so any later change to them can be detected" not in letter
    html = files["report.html"].decode()
    body = html[html.index("<body>") + len("<body>") :].lstrip()
    assert body.startswith(f'<p class="notice failed" id="verification-failed"><strong>{notice}.</strong></p>')
    assert 'data-verified="failed"' in html
    report = json.loads(files["report.json"])
    assert report["verification"] == {"ok": False, "at": manifest["generated_at"]}
    assert files["README.txt"].decode().startswith(f"WARNING: {notice[:80]}")
    assert " ".join(files["README.txt"].decode().split("\n\n")[0].split()) == f"WARNING: {notice}."


def test_a_bundle_of_an_intact_store_says_when_it_was_checked(state: Path) -> None:
    code, files, manifest = _bundle()
    assert code == 0 and manifest["warning"] is None
    letter = files["letter.md"].decode()
    head = manifest["seal"]
    assert (
        f"The records are sealed with SHA-256 as they are stored, and on {_made_on(manifest)} every one of them still"
        f" matched its seal; the newest seal was number {head['seal']}, sha256:{head['sha256']}, so any later change"
        " to them can be detected.\n"
    ) in letter
    assert "FAILED" not in letter and "FAILED" not in files["report.html"].decode()
    assert 'data-verified="intact"' in files["report.html"].decode()


def test_a_report_on_its_own_does_not_claim_a_check_it_did_not_make(state: Path) -> None:
    _tamper(state)  # not verified here (too slow on a Pi): the documents say how to check, never that they did
    code, letter, err = invoke("report", "--since", "2026-11-03", "--until", "2026-11-03", "--format", "md")
    assert code == 0, err
    with Store.open(state, readonly=True) as store:
        head = store.head()
    assert (
        "The records are sealed with SHA-256 in an evidence chain as they are stored; when this letter was written"
        f" the newest seal was number {head.seal_id}, sha256:{head.digest.hex()}. This letter did not check them:"
        " `netwatch verify` checks that no record changed since it was sealed.\n"
    ) in letter
    code, html, _ = invoke("report", "--since", "2026-11-03", "--until", "2026-11-03", "--format", "html")
    assert code == 0 and 'data-verified="not checked"' in html and "FAILED" not in html
    assert "This report did not check the records against their seals: <code>netwatch verify</code> checks" in html


def test_the_bundle_readme_says_what_it_proves_and_its_sums_check(state: Path, tmp_path: Path) -> None:
    code, files, _ = _bundle()
    assert code == 0
    text = files["README.txt"].decode()
    assert "  rounds.csv        every probe round of the period: the time, each target's answer time in" in text
    assert "netwatch.db" not in [line.split()[0] for line in text.splitlines() if line.startswith("  ")]
    flat = " ".join(text.split())
    assert (
        "Unzip the bundle and, in its folder, run:\n\n    sha256sum -c SHA256SUMS\n\nEvery line must end in OK." in text
    )
    assert (
        "The bundle holds no trusted timestamp. Unless the owner sent you a seal digest earlier (every netwatch report"
        " and letter prints the newest), the seals, SHA256SUMS and verification.txt are the owner's own statement:"
        " they show that no record was changed after it was sealed unless the whole chain was rewritten, which"
        " whoever holds the store can do."
    ) in flat
    assert (
        "The owner can provide it on request: netwatch evidence --with-store adds a copy to the bundle, with its"
        " verification."
    ) in flat
    assert max(len(line) for line in text.splitlines()) <= 100
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile("e.zip") as z:
        z.extractall(unpacked)
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=unpacked, capture_output=True, text=True)
    assert checked.returncode == 0
    assert sorted(checked.stdout.splitlines()) == sorted(f"{name}: OK" for name in files if name != "SHA256SUMS")


def test_with_store_the_bundle_holds_the_store_as_verified(state: Path, tmp_path: Path) -> None:
    _tamper(state)
    code, files, manifest = _bundle("--with-store")
    assert code == ExitCode.VERIFY
    copy = tmp_path / "copy" / "netwatch.db"
    copy.parent.mkdir()
    copy.write_bytes(files["netwatch.db"])
    assert hashlib.sha256(files["netwatch.db"]).hexdigest() in files["SHA256SUMS"].decode()
    assert not list(Path().glob(".netwatch-store-*"))  # the working copy is gone
    cfg = tmp_path / "copy" / "netwatch.toml"
    cfg.write_text(f'[store]\npath = "{copy}"\n')
    copy.chmod(0o444)  # as received: the copy reads without writing (no write-ahead log to make)
    code, out, _ = invoke("verify", "--config", str(cfg))
    assert code == ExitCode.VERIFY
    expected = files["verification.txt"].decode().replace(str(state), str(copy))
    assert out == expected
    assert f"newest seal: {manifest['seal']['seal']} sha256:{manifest['seal']['sha256']}" in out
    flat = " ".join(files["README.txt"].decode().split())
    assert (
        "netwatch.db is a copy of the whole store, made from the same moment as every other file here, so"
        " verification.txt is its verification."
    ) in flat
    assert (
        '    [store]\n    path = "/full/path/to/netwatch.db"\n\nand run:\n\n'
        "    netwatch verify --config netwatch.toml\n"
    ) in files["README.txt"].decode()


def test_a_broken_store_without_the_published_seal_says_both(state: Path) -> None:
    _tamper(state)
    code, out, _ = invoke("verify", "--expect", "sha256:0123456789abcdef")
    lines = out.splitlines()
    assert code == ExitCode.VERIFY and lines[0] == f"Evidence chain of {state}: BROKEN in 4 places"
    assert lines[3] == (
        "  NOT THE HISTORY YOU PUBLISHED: the seal sha256:0123456789abcdef is not in this store (another store, or"
        " its history was rewritten since)"
    )
