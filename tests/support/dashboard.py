"""The web dashboard in process, as the tests drive it through Starlette's TestClient: the environment of its state
directory, the password the tests set, signing in through the real sign-in form, the CSRF token of a page and the
message a page shows.

Owns those steps and the test password. Must not decide what a page contains or check it (the tests do), and must
not build the store the dashboard reads (``tests.support.dashboard_store`` does).
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from netwatch.app import access
from netwatch.config import Config

PASSWORD = "correct horse battery"


def env(tmp_path: Path) -> dict[str, str]:
    """The dashboard's environment: ``tmp_path`` its state directory, ``tmp_path/run`` its RAM directory."""
    return {"NETWATCH_STATE_DIR": str(tmp_path), "RUNTIME_DIRECTORY": str(tmp_path / "run")}


def set_password(cfg: Config) -> None:
    access.set_password(cfg, PASSWORD)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient) -> None:
    """Sign in through the sign-in form (the password must be set), which sends the browser to the Now page."""
    page = client.get("/login")
    done = client.post("/login", data={"csrf": csrf_of(page.text), "password": PASSWORD}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/")


def message_of(html: str, attribute: str = "data-message") -> str:
    """The text of the first paragraph carrying ``attribute``, its quotes and ampersands unescaped."""
    found = re.search(rf"<p [^>]*{attribute}[^>]*>([^<]*)</p>", html)
    assert found is not None, html
    return found.group(1).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
