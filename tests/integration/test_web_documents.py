"""The dashboard's documents (issue 14): the report (HTML, PDF), the letter and the evidence zip made by `netwatch
report` and `netwatch evidence` in a child process with the same configuration file (their memory stays out of the
dashboard's process). In-process through Starlette's TestClient, with real child processes."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from netwatch import config
from netwatch.web import routes
from tests.support.dashboard import env, message_of, set_password, sign_in
from tests.support.dashboard_store import NOW, record


def test_the_documents_download_signed_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each document is made by `netwatch report` or `netwatch evidence` in a child process with the same
    configuration file."""
    for key, value in env(tmp_path).items():
        monkeypatch.setenv(key, value)
    (tmp_path / "run").mkdir()
    path = tmp_path / "netwatch.toml"
    path.write_text('[business_hours]\ntimezone = "Europe/London"\n[owner]\nname = "A. Owner"\n')
    cfg = config.load(path, env(tmp_path))
    record(cfg.store.path)
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
        pdf = test.get("/download/2026-03/report.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        bundle = test.get("/download/2026-03/evidence.zip")
        assert bundle.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
        assert "SHA256SUMS" in names and any(n.endswith(".json") for n in names)
        missing = test.get("/download/2026-03/secrets.txt")
        assert (missing.status_code, message_of(missing.text)) == (
            404,
            '"secrets.txt" is not a document: report.html, report.pdf, letter.md, evidence.zip',
        )
    assert not list(Path(tempfile.gettempdir()).glob("netwatch-download-*")), "the temporary files are gone"
