"""Notifications delivered for real on loopback: e-mail through apprise's mailto:// to a local SMTP server
(aiosmtpd), apprise json:// and ntfy:// posts to a local HTTP receiver, the local command, and the daemon's
NotifyTask over a real store: retried until a receiver that was down comes up (delivered exactly once), held
back while the line is down, abandoned (and kept) at a stop, and the missed digest caught up once.
`netwatch notify test`, `notify list` and `check-config` as a user runs them."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from netwatch import config
from netwatch.adapters.notify import Channel, NotifyError, check
from netwatch.adapters.store.sqlite import Store
from netwatch.app.daemon.notify import NotifyTask
from netwatch.app.daemon.writer import Writer
from netwatch.cli import ExitCode
from netwatch.core.model import Cause, Incident, Kind, Message, OutboxEntry
from netwatch.core.outbox import Backoff
from netwatch.report.message import incident_message
from tests.support import stores
from tests.support.cli import invoke
from tests.support.processes import wait_for
from tests.support.scripts.notify_receiver import Receiver
from tests.support.sockets import free_port

UTC = ZoneInfo("UTC")
START = 1774354200.0  # 2026-03-24 12:10:00 UTC
OUTAGE = Incident(
    Kind.OUTAGE,
    Cause.ISP,
    START,
    START + 5730.0,
    rounds=5730,
    detail="gateway answered 5730/5730 rounds, ISP hop 0/5730",
)


def cfg_of(text: str, tmp: Path) -> config.Config:
    return config.parse(text, source=str(tmp / "netwatch.toml"), env={"NETWATCH_STATE_DIR": str(tmp)})


def summary(cfg: config.Config, inc: Incident = OUTAGE) -> Message:
    return incident_message(inc, business=cfg.business_hours, cost=cfg.cost, probe="office-pi", prefix="[nw] ")


def channels_of(cfg: config.Config) -> list[Channel]:
    return check(cfg.notify)


# --- the channels ------------------------------------------------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.mails: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.mails.append(envelope)
        return "250 OK"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[int, Mailbox]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    try:
        yield r
    finally:
        r.stop()


def test_email_through_mailto_to_a_local_smtp_server(smtp: tuple[int, Mailbox], tmp_path: Path) -> None:
    port, box = smtp
    # mailto:// (not mailtos://) is plain SMTP: no TLS, and no login without a user and password.
    url = f"mailto://127.0.0.1:{port}?from=netwatch@example.test&to=owner@example.test"
    cfg = cfg_of(f'[notify]\nurls = ["{url}"]\n[cost]\nhourly = 85.0\n', tmp_path)
    (channel,) = channels_of(cfg)
    assert channel.label == f"mailto://127.0.0.1:{port}/owner%40example.test"
    before = len(box.mails)
    message = summary(cfg)
    channel.send(message, threading.Event())
    assert len(box.mails) == before + 1
    mail = box.mails[-1]
    assert (mail.mail_from, mail.rcpt_tos) == ("netwatch@example.test", ["owner@example.test"])
    parsed = email.message_from_bytes(mail.original_content or b"", policy=email.policy.default)
    assert parsed["Subject"] == "[nw] Outage of 1h 35m 30s ended on office-pi (ISP)"
    html = parsed.get_body(("html",))
    plain = parsed.get_body(("plain",))
    assert html is not None and plain is not None
    html_text = html.get_content()  # type: ignore[attr-defined]
    assert "<li><strong>Cause:</strong> ISP (your router answered, the ISP's first hop did not)</li>" in html_text
    # Default business hours (Mon-Fri 09:00-17:00 UTC) hold the whole outage: 1h 35m 30s at 85 an hour.
    assert "<li><strong>Cost:</strong> £135.29 at £85.00 an hour of business downtime</li>" in html_text
    plain_text = plain.get_content()  # type: ignore[attr-defined]
    assert "Start: Tue 24 Mar 2026 12:10:00 UTC (2026-03-24 12:10:00 UTC)" in plain_text


def test_json_and_ntfy_posts_to_a_local_http_receiver(receiver: Receiver, tmp_path: Path) -> None:
    urls = [f"json://{receiver.url}/hook", f"ntfy://{receiver.url}/office-alerts?mode=private"]
    cfg = cfg_of(f"[notify]\nurls = {json.dumps(urls)}\n", tmp_path)
    message = summary(cfg)
    for channel in channels_of(cfg):
        channel.send(message, threading.Event())
    hook, ntfy = receiver.received()
    assert hook["path"] == "/hook" and hook["content_type"].startswith("application/json")
    assert hook["body"]["title"] == message.title
    assert hook["body"]["message"] == message.markdown  # json:// passes markdown through
    assert hook["body"]["type"] == "warning"
    assert ntfy["path"] == "/"
    assert (ntfy["body"]["topic"], ntfy["body"]["title"]) == ("office-alerts", message.title)
    assert ntfy["body"]["message"] == message.text  # ntfy shows plain text


def test_a_refused_connection_is_an_error_naming_the_channel(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    cfg = cfg_of(f'[notify]\nurls = ["json://127.0.0.1:{port}/hook"]\n', tmp_path)
    (channel,) = channels_of(cfg)
    with pytest.raises(NotifyError) as caught:
        channel.send(summary(cfg), threading.Event())
    assert str(caught.value) == (
        f"json://127.0.0.1:{port}/hook: A Connection error occurred sending JSON notification to 127.0.0.1."
    )


RECORDER = """
import json, os, sys
payload = json.load(sys.stdin)
env = {k: v for k, v in os.environ.items() if k.startswith("NETWATCH_")}
with open(sys.argv[1], "a") as out:
    out.write(json.dumps({"payload": payload, "env": env}) + "\\n")
"""


def recorder(tmp: Path) -> tuple[Path, Path]:
    script = tmp / "recorder.py"
    script.write_text(RECORDER)
    return script, tmp / "received.jsonl"


def received(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def test_the_command_gets_the_json_and_the_environment(tmp_path: Path) -> None:
    script, out = recorder(tmp_path)
    cfg = cfg_of(f"[notify]\ncommand = {json.dumps([sys.executable, str(script), str(out)])}\n", tmp_path)
    (channel,) = channels_of(cfg)
    assert channel.label == f"command {sys.executable}"
    message = summary(cfg)
    channel.send(message, threading.Event())
    (got,) = received(out)
    assert got["payload"] == message.payload()
    assert {k: v for k, v in got["env"].items() if k != "NETWATCH_STATE_DIR"} == {
        "NETWATCH_EVENT": "outage",
        "NETWATCH_KEY": "outage 2026-03-24T12:10:00.000Z",
        "NETWATCH_TITLE": "[nw] Outage of 1h 35m 30s ended on office-pi (ISP)",
        "NETWATCH_PROBE": "office-pi",
    }


def test_a_failing_or_hanging_command(tmp_path: Path) -> None:
    failing = tmp_path / "failing.py"
    failing.write_text("import sys\nprint('pager: no route to host', file=sys.stderr)\nsys.exit(3)\n")
    cfg = cfg_of(f"[notify]\ncommand = {json.dumps([sys.executable, str(failing)])}\n", tmp_path)
    (channel,) = channels_of(cfg)
    with pytest.raises(NotifyError) as caught:
        channel.send(summary(cfg), threading.Event())
    assert str(caught.value) == f"command {sys.executable}: exited 3: pager: no route to host"

    pid_file = tmp_path / "child.pid"
    hanging = tmp_path / "hanging.py"  # starts a child of its own: the whole process group must go
    hanging.write_text(
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen(['sleep', '60'])\nopen({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    cfg = cfg_of(f"[notify]\ncommand = {json.dumps([sys.executable, str(hanging)])}\ntimeout = 1.0\n", tmp_path)
    (channel,) = channels_of(cfg)
    started = time.monotonic()
    with pytest.raises(NotifyError) as caught:
        channel.send(summary(cfg), threading.Event())
    assert str(caught.value) == f"command {sys.executable}: killed after 1 s (notify.timeout)"
    assert time.monotonic() - started < 5
    child = int(pid_file.read_text())
    wait_for(
        "the command's child to be gone",
        lambda: not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2],
        5,
    )

    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(NotifyError) as caught:
        channel.send(summary(cfg), cancel)
    assert str(caught.value) == f"command {sys.executable}: cancelled at shutdown"


# --- the task over a real store ----------------------------------------------------------------------------


class Harness:
    """A NotifyTask over a real store and writer, run in an event loop on a thread of its own."""

    def __init__(self, cfg: config.Config, store: Path, *, backoff: Backoff, clock: Callable[[], float] = time.time):
        self.cfg, self.line = cfg, threading.Event()
        self.line.set()
        self.store = Store.open(store)
        self.writer = Writer(self.store)
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.task: NotifyTask | None = None
        self.finished = threading.Event()
        self.backoff, self.clock = backoff, clock
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        wait_for("the task to start", lambda: self.task is not None)

    def _run(self) -> None:
        async def main() -> None:
            self.stop_event = asyncio.Event()
            self.task = NotifyTask(
                self.cfg,
                self.writer,
                check(self.cfg.notify),
                self.line.is_set,
                self.stop_event,
                backoff=self.backoff,
                clock=self.clock,
            )
            await self.task.run()

        self.loop.run_until_complete(main())
        self.finished.set()

    def call(self, fn: Callable[[], Any]) -> None:
        self.loop.call_soon_threadsafe(fn)

    def entries(self) -> list[OutboxEntry]:
        return self.writer.submit(self.store.notifications, 100).result()

    def stop(self) -> float:
        """Stop the task; returns how long it took."""
        started = time.monotonic()
        assert self.stop_event is not None
        self.loop.call_soon_threadsafe(self.stop_event.set)
        assert self.finished.wait(10), "the task did not stop"
        took = time.monotonic() - started
        self.writer.submit(self.store.close)
        self.writer.close()
        self.loop.close()
        return took


def test_a_receiver_down_then_up_gets_the_message_exactly_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "netwatch")
    down = Receiver()  # its port is known, nothing listens yet
    cfg = cfg_of(f'[notify]\nurls = ["json://{down.url}/hook"]\nmin_duration = 0\n', tmp_path)
    h = Harness(cfg, tmp_path / "s.db", backoff=Backoff(first=0.3, factor=2.0, cap=1.0))
    try:
        h.call(lambda: h.task.closed(OUTAGE))  # type: ignore[union-attr]
        wait_for("failed attempts", lambda: [e for e in h.entries() if e.attempts >= 2])
        (entry,) = h.entries()
        assert entry.pending and entry.error.endswith(
            "A Connection error occurred sending JSON notification to 127.0.0.1."
        )
        down.start()
        wait_for("the delivery", lambda: down.received())
        time.sleep(1.5)  # more than the longest backoff: a second delivery would have happened by now
        (sent,) = h.entries()
        assert sent.sent_at is not None and sent.error == "" and sent.attempts >= 3
    finally:
        h.stop()
        down.stop()
    (post,) = down.received()
    assert post["body"]["title"] == "[netwatch] Outage of 1h 35m 30s ended on " + h.task.probe + " (ISP)"  # type: ignore[union-attr]
    failed = [r for r in caplog.records if r.getMessage().startswith("notification failed")]
    assert len(failed) == 1, "the same error is logged once, not at every retry"
    assert any(r.getMessage() == f"notifications via json://{down.url}/hook work again" for r in caplog.records)


def test_nothing_is_attempted_while_the_line_is_down(receiver: Receiver, tmp_path: Path) -> None:
    cfg = cfg_of(f'[notify]\nurls = ["json://{receiver.url}/hook"]\n', tmp_path)
    h = Harness(cfg, tmp_path / "s.db", backoff=Backoff())
    try:
        h.line.clear()
        h.call(lambda: h.task.queue(summary(cfg)))  # type: ignore[union-attr]
        wait_for("the message in the outbox", h.entries)
        time.sleep(1.5)  # the task looks at the line every second
        (entry,) = h.entries()
        assert entry.attempts == 0 and receiver.received() == []
        h.line.set()
        wait_for("the delivery", receiver.received, 5)
        wait_for("the delivery recorded", lambda: h.entries()[0].sent_at is not None)
    finally:
        h.stop()
    assert len(receiver.received()) == 1


def test_a_stop_abandons_a_hanging_delivery_and_the_next_start_sends_it(tmp_path: Path) -> None:
    silent = socket.socket()  # accepts connections (the kernel's backlog) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    cfg = cfg_of(f'[notify]\nurls = ["json://127.0.0.1:{port}/hook"]\ntimeout = 30\n', tmp_path)
    h = Harness(cfg, tmp_path / "s.db", backoff=Backoff())
    try:
        h.call(lambda: h.task.queue(summary(cfg)))  # type: ignore[union-attr]
        wait_for("a delivery in progress", lambda: any(t.name == "netwatch-notify" for t in threading.enumerate()))
        time.sleep(0.3)
    finally:
        took = h.stop()
        silent.close()
    assert took < 2.0, took  # SIGTERM is honoured within 2 s even with a delivery blocked for 30
    with Store.open(tmp_path / "s.db", readonly=True) as store:
        (entry,) = store.notifications(10)
    assert entry.pending and entry.attempts == 0  # kept for the next start

    up = Receiver(port=port)
    up.start()
    h = Harness(cfg, tmp_path / "s.db", backoff=Backoff())
    try:
        wait_for("the delivery after the restart", up.received)
        wait_for("the delivery recorded", lambda: h.entries()[0].sent_at is not None)
    finally:
        h.stop()
        up.stop()
    assert len(up.received()) == 1


def test_the_missed_digest_is_caught_up_once(tmp_path: Path) -> None:
    script, out = recorder(tmp_path)
    cfg = cfg_of(
        f'[notify]\ncommand = {json.dumps([sys.executable, str(script), str(out)])}\ndigest = "daily"\n'
        'digest_at = "08:00"\n[cost]\nhourly = 60\n',
        tmp_path,
    )
    day = 1774310400.0  # 2026-03-24 00:00 UTC
    with Store.open(tmp_path / "s.db") as store:  # a day monitored, with one outage
        store.begin_session(day - 60)
        store.save_incident(OUTAGE)
        store.end_session(day + 86400 + 60)
    began = time.monotonic()
    clock = lambda: day + 86400 + 9 * 3600 + (time.monotonic() - began)  # noqa: E731 (25 Mar, 09:00 UTC)
    h = Harness(cfg, tmp_path / "s.db", backoff=Backoff(), clock=clock)
    try:
        wait_for("the digest", lambda: received(out))
        wait_for("the digest recorded", lambda: h.entries()[0].sent_at is not None)
    finally:
        h.stop()
    (got,) = received(out)
    payload = got["payload"]
    assert payload["key"] == "digest daily 2026-03-24" and payload["event"] == "digest"
    assert payload["digest"]["summary"]["outage_count"] == 1
    assert payload["digest"]["summary"]["downtime_seconds"] == 5730.0
    # Default business hours (Mon-Fri 09:00-17:00 UTC) hold the whole outage: 1h 35m 30s at 60 an hour.
    assert payload["digest"]["money"]["business_downtime_cost"] == 95.5
    assert "Outages: 1 outage, down 1h 35m 30s in total (1h 35m 30s inside business hours)" in payload["text"]
    with Store.open(tmp_path / "s.db", readonly=True) as reader:  # the digest carries the seal out of the machine
        head = reader.head()
    assert payload["seal"] == {"seal": head.seal_id, "sha256": head.digest.hex()}
    assert f"Evidence seal: {head.seal_id} sha256:{head.digest.hex()} (keep it" in payload["text"]

    h = Harness(cfg, tmp_path / "s.db", backoff=Backoff(), clock=clock)  # a restart the same morning
    try:
        time.sleep(1.0)
        assert [e.key for e in h.entries()] == ["digest daily 2026-03-24"]
    finally:
        h.stop()
    assert len(received(out)) == 1


def test_only_the_kinds_and_durations_asked_for_are_queued(tmp_path: Path) -> None:
    script, out = recorder(tmp_path)
    cfg = cfg_of(
        f"[notify]\ncommand = {json.dumps([sys.executable, str(script), str(out)])}\nmin_duration = 120\n", tmp_path
    )
    h = Harness(cfg, tmp_path / "s.db", backoff=Backoff())
    try:
        short = Incident(Kind.OUTAGE, Cause.ISP, START, START + 119)
        degraded = Incident(Kind.DEGRADED, Cause.ISP, START, START + 600)
        for inc in (short, degraded, OUTAGE):
            h.call(lambda inc=inc: h.task.closed(inc))  # type: ignore[union-attr, misc]
        wait_for("the delivery", lambda: received(out))
        time.sleep(0.5)
    finally:
        h.stop()
    assert [r["payload"]["key"] for r in received(out)] == ["outage 2026-03-24T12:10:00.000Z"]


# --- the command line ----------------------------------------------------------------------------------------


def test_notify_test_and_list(receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(tmp_path))
    closed = free_port()
    path = tmp_path / "netwatch.toml"
    path.write_text(
        f'[probe]\nname = "office-pi"\n[notify]\nurls = ["json://{receiver.url}/hook", '
        f'"json://127.0.0.1:{closed}/hook"]\n[store]\npath = "{tmp_path / "s.db"}"\n'
    )
    code, out, err = invoke("notify", "test", "--config", str(path))
    assert code == ExitCode.NOTIFY == 10
    lines = out.splitlines()
    assert lines[0].startswith(f"OK      json://{receiver.url}/hook (") and lines[0].endswith(" ms)")
    assert lines[1] == (
        f"FAILED  json://127.0.0.1:{closed}/hook: A Connection error occurred sending JSON notification to 127.0.0.1."
    )
    assert err == "netwatch: 1 of 2 channel(s) failed\n"
    (post,) = receiver.received()
    assert post["body"]["title"] == "[netwatch] Test notification from office-pi"

    code, out, err = invoke("notify", "list", "--config", str(path))
    assert code == ExitCode.STORE and "no store at" in err  # nothing recorded yet: the daemon creates the store
    with Store.open(tmp_path / "s.db") as store:
        message = summary(cfg_of("", tmp_path))
        store.queue_notification(message, [("apprise:x", f"json://{receiver.url}/hook")], START + 6000)
        (entry,) = store.notifications(1)
        store.record_notification(entry.id, START + 6001, "json://...: refused", START + 6031)
    code, out, err = invoke("notify", "list", "--config", str(path))
    assert (code, err) == (0, "")
    assert out == (
        "[nw] Outage of 1h 35m 30s ended on office-pi (ISP)\n"
        f"  via json://{receiver.url}/hook: pending, next attempt not before 2026-03-24 13:50:31 UTC "
        "(1 attempt so far)\n"
        "  last error: json://...: refused\n"
    )


def test_check_config_asks_apprise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETWATCH_STATE_DIR", str(tmp_path))
    path = tmp_path / "netwatch.toml"
    path.write_text('[notify]\nurls = ["nosuchservice://secret@x/y"]\n')
    code, out, err = invoke("check-config", "--config", str(path))
    assert code == ExitCode.CONFIG and out == ""
    assert err == (
        f"netwatch: 1 configuration problem in {path}:\n"
        "  notify.urls[0]: apprise cannot use this nosuchservice:// URL (an unknown service, or a part missing or "
        'malformed); check it against apprise\'s page for that service (README "Notifications" has examples)\n'
    )
    code, out, err = invoke("notify", "test", "--config", str(tmp_path / "absent.toml"))
    assert code == ExitCode.CONFIG
    path.write_text("")
    code, out, err = invoke("notify", "test", "--config", str(path))
    assert (code, out) == (ExitCode.CONFIG, "")
    assert err == (
        "netwatch: 1 configuration problem:\n  notify: has no channel, so nothing is notified; list apprise URLs, "
        'e.g. urls = ["ntfy://ntfy.sh/your-topic"], or set urls_file or command\n'
    )


def test_a_passed_deadline_of_an_open_ticket_notifies_once(receiver: Receiver, tmp_path: Path) -> None:
    # A fault reported Monday 4 March 2024 10:00 (London): Ofcom's compensation runs from Thursday 7 March. The task
    # looks at the tickets at start; at Thursday 12:00 that deadline has passed (ADR's, Monday 29 April, has not):
    # one message, and none again when the daemon starts anew.
    from netwatch.core.model import Ticket

    cfg = cfg_of(
        f'[notify]\nurls = ["json://{receiver.url}/hook"]\n[claims]\nrules = "uk-ofcom"\n'
        '[business_hours]\ntimezone = "Europe/London"\n',
        tmp_path,
    )
    reported = 1709546400.0  # 2024-03-04 10:00 GMT
    thursday_noon = 1709812800.0  # 2024-03-07 12:00 GMT
    with Store.open(tmp_path / "s.db") as store:
        store.save_ticket(Ticket("A-1", reported), reported + 60)

    def delivered(h: Harness) -> bool:
        return any(e.sent_at is not None for e in h.entries())

    def looked(h: Harness) -> bool:  # the task has queued the deadline it found (a no-op in the outbox)
        return h.task is not None and bool(h.task._deadlines_queued)

    first = Harness(cfg, tmp_path / "s.db", backoff=Backoff(), clock=lambda: thursday_noon)
    try:
        wait_for("the delivery recorded", partial(delivered, first))
        (sent,) = first.entries()
    finally:
        first.stop()
    again = Harness(cfg, tmp_path / "s.db", backoff=Backoff(), clock=lambda: thursday_noon)
    try:
        wait_for("the tickets looked at", partial(looked, again))
        assert again.entries() == [sent]  # the outbox keys it by ticket, deadline and instant: queued once
    finally:
        again.stop()
    (post,) = receiver.received()
    assert post["body"]["title"] == "[netwatch] Deadline passed, ticket A-1: Ofcom automatic compensation"
    assert post["body"]["message"].startswith(
        "Ofcom automatic compensation is due for every day from Thu 7 Mar 2024 it is not repaired.\n\n"
        "- **Ticket:** A-1, reported Mon 04 Mar 2024 10:00:00 GMT\n"
        "- **Counted:** 2 full working days after the day of the report: Tue 5 Mar 2024 and Wed 6 Mar 2024\n"
        "- **From:** Thu 07 Mar 2024 00:00:00 GMT (2024-03-07 00:00:00 UTC)\n"
        "- **What to do:** keep the ticket open until the fault is repaired, then close it with the time of the "
        "repair\n"
    )


def test_no_deadline_is_notified_for_a_line_back_before_compensation_would_start(
    receiver: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The fault of the test above, but the line was measured back at 10:45 on the Monday and up for hours after:
    # Thursday's compensation deadline would tell the owner to expect money the rules do not give (S9).
    from netwatch.core.model import Ticket

    cfg = cfg_of(
        f'[notify]\nurls = ["json://{receiver.url}/hook"]\n[claims]\nrules = "uk-ofcom"\n'
        '[business_hours]\ntimezone = "Europe/London"\n',
        tmp_path,
    )
    reported = 1709546400.0  # 2024-03-04 10:00 GMT
    thursday_noon = 1709812800.0
    down = Incident(Kind.OUTAGE, Cause.ISP, reported - 600, reported + 2700, rounds=3300, detail="ISP hop 0/3300")
    stores.record(tmp_path / "s.db", reported - 3600, reported + 4 * 3600, (), [down])
    with Store.open(tmp_path / "s.db") as store:
        store.save_ticket(Ticket("A-1", reported), reported + 60)

    caplog.set_level(logging.INFO, "netwatch")
    harness = Harness(cfg, tmp_path / "s.db", backoff=Backoff(), clock=lambda: thursday_noon)
    try:
        wait_for("the tickets looked at", lambda: harness.task is not None and bool(harness.task._deadlines_withheld))
        assert harness.entries() == []
    finally:
        harness.stop()
    assert receiver.received() == []
    assert (
        "ticket A-1: the line was back at 10:45 on Mon 4 Mar 2024, before compensation would start; its deadlines "
        "are not notified (close it once repaired)"
    ) in caplog.messages
