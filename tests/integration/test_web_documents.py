"""The dashboard's documents (issue 14): the report (HTML, PDF), the letter and the evidence zip made by `netwatch
report` and `netwatch evidence` in a child process with the same configuration file (their memory stays out of the
dashboard's process). In-process through Starlette's TestClient, with real child processes."""

from __future__ import annotations

import io
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from netwatch import config
from netwatch.report.plaintext import plain_letter
from netwatch.web import routes
from tests.support.dashboard import env, message_of, set_password, sign_in
from tests.support.dashboard_store import NOW, record


def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> config.Config:
    """The configuration (the owner named) of a dashboard and of the children it starts, its store recorded."""
    for key, value in env(tmp_path).items():
        monkeypatch.setenv(key, value)
    (tmp_path / "run").mkdir()
    path = tmp_path / "netwatch.toml"
    path.write_text('[business_hours]\ntimezone = "Europe/London"\n[owner]\nname = "A. Owner"\n')
    cfg = config.load(path, env(tmp_path))
    record(cfg.store.path)
    return cfg


def test_the_documents_download_signed_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each document is made by `netwatch report` or `netwatch evidence` in a child process with the same
    configuration file."""
    cfg = recorded(tmp_path, monkeypatch)
    set_password(cfg)
    with TestClient(routes.application(cfg, clock=lambda: NOW)) as test:
        assert test.get("/download/2026-03/report.html", follow_redirects=False).status_code == 303
        sign_in(test)
        html = test.get("/download/2026-03/report.html")
        assert html.headers["content-disposition"] == 'attachment; filename="netwatch-2026-03.html"'
        assert html.text.lstrip().lower().startswith("<!doctype html>") and "Internet outage report" in html.text
        letter = test.get("/download/2026-03/letter.md")
        assert letter.headers["content-disposition"] == 'attachment; filename="netwatch-2026-03-letter.md"'
        assert "A. Owner" in letter.text
        plain = test.get("/download/2026-03/letter.txt")
        assert plain.headers["content-disposition"] == 'attachment; filename="netwatch-2026-03-letter.txt"'
        assert plain.headers["content-type"] == "text/plain; charset=utf-8"
        assert plain.text == plain_letter(letter.text)
        pdf = test.get("/download/2026-03/report.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        bundle = test.get("/download/2026-03/evidence.zip")
        assert bundle.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
        assert "SHA256SUMS" in names and any(n.endswith(".json") for n in names)
        missing = test.get("/download/2026-03/secrets.txt")
        assert (missing.status_code, message_of(missing.text)) == (
            404,
            '"secrets.txt" is not a document: report.html, report.pdf, letter.md, letter.txt, evidence.zip',
        )
    assert not list(Path(tempfile.gettempdir()).glob("netwatch-download-*")), "the temporary files are gone"


def test_an_evidence_bundle_of_a_store_that_fails_verification_is_refused_in_the_pages_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = recorded(tmp_path, monkeypatch)
    with sqlite3.connect(cfg.store.path) as conn:  # an edit after sealing: the chain no longer verifies
        conn.execute("UPDATE tickets SET note = 'edited'")
    set_password(cfg)
    with TestClient(routes.application(cfg, clock=lambda: NOW)) as test:
        sign_in(test)
        bundle = test.get("/download/2026-03/evidence.zip")
        assert (bundle.status_code, bundle.headers["content-type"]) == (409, "text/html; charset=utf-8")
        assert message_of(bundle.text) == (
            "The store failed verification: some of what it holds no longer matches its seals, so no evidence bundle"
            " of March 2026 is made from it. Run `netwatch verify` on the Pi to see where, and keep a copy of the"
            " store as it is. The report (HTML and PDF) and the letter of March 2026 are still available."
        )
        assert "<h1>Evidence chain broken</h1>" in bundle.text
        assert test.get("/download/2026-03/report.html").status_code == 200  # still available, as it says
    assert not list(Path(tempfile.gettempdir()).glob("netwatch-download-*")), "the temporary files are gone"
