"""The outbox in a real SQLite store: one row per message and channel, queueing twice is a no-op, due entries
in order, attempts recorded (sent, retried, given up), survives reopening, and a version-3 store migrates."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

from netwatch.adapters.store import migrations
from netwatch.adapters.store.sqlite import Store
from netwatch.core.model import Message
from netwatch.core.outbox import Backoff, entry_state

UTC = ZoneInfo("UTC")
CHANNELS = [("apprise:aaaa", "ntfy://ntfy.example.test/topic"), ("command:bbbb", "command /usr/bin/alert")]


def message(key: str) -> Message:
    return Message(key=key, event="outage", title=f"title {key}", text="text", markdown="**md**", data={"probe": "p"})


def test_queue_is_one_row_per_channel_and_idempotent(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        assert store.queue_notification(message("outage A"), CHANNELS, 100.0) == 2
        assert store.queue_notification(message("outage A"), CHANNELS, 200.0) == 0  # the same event again
        assert store.queue_notification(message("outage A"), [*CHANNELS, ("apprise:cccc", "new")], 300.0) == 1
        entries = store.notifications(10)
    assert [(e.key, e.channel, e.created) for e in entries] == [
        ("outage A", "apprise:cccc", 300.0),
        ("outage A", "command:bbbb", 100.0),
        ("outage A", "apprise:aaaa", 100.0),
    ]
    assert entries[-1].message == message("outage A")
    assert all(e.pending and e.attempts == 0 and e.next_at == e.created for e in entries)


def test_due_entries_and_the_outcome_of_attempts(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    backoff = Backoff(first=10.0, factor=2.0, cap=3600.0, give_up=100.0)
    with Store.open(path) as store:
        store.queue_notification(message("outage A"), CHANNELS, 100.0)
        store.queue_notification(message("outage B"), CHANNELS[:1], 150.0)
        ids = ["apprise:aaaa", "command:bbbb"]
        assert [(e.key, e.channel) for e in store.due_notifications(120.0, ids)] == [
            ("outage A", "apprise:aaaa"),
            ("outage A", "command:bbbb"),
        ]
        assert store.due_notifications(120.0, []) == []
        assert [e.channel for e in store.due_notifications(200.0, ["command:bbbb"])] == ["command:bbbb"]
        first, second = store.due_notifications(120.0, ids)
        store.record_notification(first.id, 121.0)  # delivered
        retry = backoff.next_attempt(second.created, 1, 121.0)
        store.record_notification(second.id, 121.0, "command /usr/bin/alert: exited 1", retry)
        assert store.next_notification_at(ids) == 131.0
        assert store.due_notifications(130.0, ids) == []  # the retry is not due yet, outage B not before 150
        assert [(e.key, e.channel) for e in store.due_notifications(140.0, ids)] == [("outage A", "command:bbbb")]
        third = store.due_notifications(160.0, ["apprise:aaaa"])[0]
        store.record_notification(third.id, 260.0, "ntfy: 503", backoff.next_attempt(third.created, 1, 260.0))
    with Store.open(path, readonly=True) as store:  # everything survived a restart
        by_key = {(e.key, e.channel): e for e in store.notifications(10)}
        assert store.next_notification_at(ids) == 131.0
    sent = by_key[("outage A", "apprise:aaaa")]
    assert (sent.sent_at, sent.attempts, sent.error, sent.pending) == (121.0, 1, "", False)
    assert entry_state(sent, UTC) == "sent 1970-01-01 00:02:01 UTC (1 attempt)"
    retried = by_key[("outage A", "command:bbbb")]
    assert (retried.attempts, retried.next_at, retried.error, retried.error_at) == (
        1,
        131.0,
        "command /usr/bin/alert: exited 1",
        121.0,
    )
    assert entry_state(retried, UTC) == "pending, next attempt not before 1970-01-01 00:02:11 UTC (1 attempt so far)"
    given_up = by_key[("outage B", "apprise:aaaa")]  # 260 + 10 is more than 100 s after it was queued at 150
    assert (given_up.given_up_at, given_up.pending, given_up.error) == (260.0, False, "ntfy: 503")
    assert entry_state(given_up, UTC) == "given up 1970-01-01 00:04:20 UTC after 1 attempt"


def test_a_version_3_store_gains_the_outbox(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    index = next(i for i, script in enumerate(migrations.MIGRATIONS) if "CREATE TABLE outbox" in script)
    for number, script in enumerate(migrations.MIGRATIONS[:index], 1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.close()
    with Store.open(path) as store:
        assert store.queue_notification(message("digest daily 2026-03-24"), CHANNELS, 1.0) == 2
    assert migrations.version(sqlite3.connect(path)) == migrations.LATEST
