"""End to end in the simulated ISP: the real daemon in `home` notifies an HTTP receiver that runs inside
`internet`, so it is reachable only while the line is up. The access link is cut for a few seconds: the
notification must arrive after the restore, once, and say what the store recorded (start, end, cause).
Nothing leaves the namespaces.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.core.model import Cause, Incident, Kind
from netwatch.core.text import duration, local_time, utc
from netwatch.report.message import incident_key
from tests.support import configs
from tests.support.netns_daemon import start, wait_for
from tests.support.netns_isp import ANCHORS, Isp
from tests.support.processes import stop, wait_line
from tests.support.scripts import NOTIFY_RECEIVER

pytestmark = pytest.mark.netns

RECEIVER = "203.0.113.90"
PORT = 8080
PROBE = "netns-home"
UTC = ZoneInfo("UTC")


@pytest.fixture(scope="module")
def posts(isp: Isp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The receiver's log of POSTs (one JSON line each), the receiver listening inside `internet`."""
    isp.add_host(RECEIVER)
    log = tmp_path_factory.mktemp("receiver") / "posts.jsonl"
    argv = (
        sys.executable,
        str(NOTIFY_RECEIVER),
        "--listen",
        RECEIVER,
        "--port",
        str(PORT),
        "--log",
        str(log),
    )
    proc = isp.popen("internet", *argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_line(proc, "ready")
        yield log
    finally:
        stop(proc)


def read_posts(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def outages(store: Path) -> list[Incident]:
    try:
        with Store.open(store, readonly=True) as reader:
            return [i for i in reader.incidents(0, time.time() + 60) if i.kind is Kind.OUTAGE]
    except Exception:
        return []  # not created yet


def test_the_notification_arrives_after_the_restore(net: Isp, posts: Path, tmp_path: Path) -> None:
    store = tmp_path / "notify.db"
    notify = {"urls": [f"json://{RECEIVER}:{PORT}/hook"], "min_duration": 0, "timeout": 2}
    document = configs.daemon(
        store, ANCHORS, interval=0.2, timeout=0.15, probe={"name": PROBE}, detect={"confirm": 3}, notify=notify
    )
    log = tmp_path / "daemon.log"
    daemon = start(net, configs.write(tmp_path / "netwatch.toml", document), store, log)
    proc = daemon.proc
    try:
        wait_for(
            "notifications to start",
            lambda: f"notifications via json://{RECEIVER}:{PORT}/hook" in log.read_text(),
            20,
            daemon,
        )
        wait_for("the ISP hop", lambda: "ISP hop is " in log.read_text(), 20, daemon)
        time.sleep(1.0)  # a few good rounds
        assert read_posts(posts) == []
        net.cut("access")
        time.sleep(3.0)
        assert read_posts(posts) == [], "nothing can be sent while the line is down"
        restored = net.restore("access")
        (post,) = wait_for("the notification", lambda: read_posts(posts), 15, daemon)
        (outage,) = wait_for("the closed outage", lambda: [i for i in outages(store) if i.end is not None], 5, daemon)
        time.sleep(1.5)
        assert len(read_posts(posts)) == 1, "delivered exactly once"
    finally:
        daemon.stop(timeout=30)  # within systemd's TimeoutStopSec
    assert proc.returncode == 0, daemon.logs()

    assert post["at"] >= restored, "the receiver is only reachable once the access link is back"
    assert outage.cause is Cause.ISP and outage.end is not None
    assert outage.end <= post["at"]
    body = post["body"]
    assert body["title"] == f"[netwatch] Outage of {duration(outage.duration())} ended on {PROBE} (ISP)"
    assert body["type"] == "warning"
    lines = body["message"].splitlines()
    assert lines[0] == f"The internet line is back: it was down for {duration(outage.duration())}."
    assert "- **Cause:** ISP (your router answered, the ISP's first hop did not)" in lines
    assert f"- **Start:** {local_time(outage.start, UTC, 'full')} ({utc(outage.start)})" in lines
    assert f"- **End:** {local_time(outage.end, UTC, 'full')} ({utc(outage.end)})" in lines
    assert f"- **Evidence:** {outage.detail}" in lines
    with Store.open(store, readonly=True) as reader:
        (entry,) = reader.notifications(10)
    assert entry.key == incident_key(outage)  # the store's incident, by kind and start
    assert entry.sent_at is not None and entry.attempts == 1 and entry.error == ""
    text = log.read_text()
    assert "OUTAGE ENDED at " in text and "notification sent via json://" in text
