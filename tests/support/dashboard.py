"""The web dashboard in process, as the tests drive it: its configuration, Starlette's TestClient on it with a fixed
"now", signing in, and reading back what a page said.

Owns the dashboard's test configuration (TOML text parsed with the test's state directory) and environment,
``serve`` (the application with its clock, speed test runner and a client, for a ``with`` block), the password the
tests set, signing in through the real sign-in form, the CSRF token of a page and the messages a page shows
(sign-in, the notice of a message page, a form's error, what was recorded). Must not decide what a page contains or
check it (the tests do), nor build the store the dashboard reads (``tests.support.dashboard_store`` does).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from netwatch import config
from netwatch.app import access
from netwatch.config import Config
from netwatch.web import routes
from netwatch.web.speedjob import SpeedJob

PASSWORD = "correct horse battery"
OFFICE = (
    '[cost]\nhourly = 60.0\n[claims]\nrules = "uk-ofcom"\n'
    '[business_hours]\ntimezone = "Europe/London"\nholidays = "GB"\n'
    '[business_hours.week]\nmon = "09:00-17:00"\ntue = "09:00-17:00"\nwed = "09:00-17:00"\n'
    'thu = "09:00-17:00"\nfri = "09:00-17:00"\n'
)


def dashboard_config(state: Path, text: str = OFFICE, *, file: bool = False) -> Config:
    """``text`` (TOML; by default a London office on uk-ofcom at £60 an hour) with ``state`` as the state
    directory, where the store is and the dashboard keeps its password file and session key. ``file``: written to
    STATE/netwatch.toml and loaded from it, as the dashboard's child processes (its documents) then load it too."""
    state.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "NETWATCH_STATE_DIR": str(state)}
    if not file:
        return config.parse(text, source=None, env=env)
    path = state / "netwatch.toml"
    path.write_text(text)
    return config.load(path, env)


@contextmanager
def serve(cfg: Config, now: float | Callable[[], float], run: Any = None) -> Iterator[TestClient]:
    """A client of the dashboard of ``cfg`` whose "now" is ``now`` (a fixed instant or a clock); ``run`` replaces
    the speed test runner (``netwatch.app.speedtest.run``'s signature)."""
    clock = now if callable(now) else lambda: now
    speed = SpeedJob(cfg) if run is None else SpeedJob(cfg, run=run)
    with TestClient(routes.application(cfg, speed=speed, clock=clock)) as client:
        yield client


def env(tmp_path: Path) -> dict[str, str]:
    """The dashboard's environment: ``tmp_path`` its state directory, ``tmp_path/run`` its RAM directory."""
    return {"NETWATCH_STATE_DIR": str(tmp_path), "RUNTIME_DIRECTORY": str(tmp_path / "run")}


def set_password(cfg: Config) -> None:
    access.set_password(cfg, PASSWORD)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, next_page: str = "/") -> str:
    """Sign in through the sign-in form (the password must be set); returns where it sent the browser."""
    page = client.get("/login")
    done = client.post(
        "/login", data={"csrf": csrf_of(page.text), "password": PASSWORD, "next": next_page}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    return str(done.headers["location"])


def said(page: str, attribute: str) -> str:
    """The text of the first element carrying ``attribute`` (``data-message``, ``data-error``, ``data-kept="open"``…),
    unescaped, with its markup and surrounding blanks removed."""
    found = re.search(rf"<(\w+)\b[^>]*(?<![\w-]){re.escape(attribute)}(?![\w-])[^>]*>(.*?)</\1>", page, re.S)
    assert found is not None, f"nothing with {attribute} in the page"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(2))).strip()


def message_of(page: str, attribute: str = "data-message") -> str:
    """The text of the first paragraph carrying ``attribute``, its quotes and ampersands unescaped."""
    found = re.search(rf"<p [^>]*{attribute}[^>]*>([^<]*)</p>", page)
    assert found is not None, page
    return found.group(1).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
