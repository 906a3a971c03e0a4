"""What `journalctl -u netwatch -p warning` shows when the real daemon fails: its stderr connected to a local server
speaking journald's stream protocol, as systemd connects a service's (a header asking for ``<N>`` level prefixes,
$JOURNAL_STREAM naming the socket). A bad configuration's error, every line of it, and the stack dump of the
watchdog's SIGABRT (on a stream of its own) arrive at the error priority; ordinary lines keep theirs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support import configs
from tests.support.journald import Journald
from tests.support.sdnotify import NotifySocket


def run_under_journal(journald: Journald, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``argv`` with its stderr a journal stream (level prefixes on, priority info by default) and $JOURNAL_STREAM."""
    stream = journald.connect("netwatch", 6, level_prefix=True)
    with stream:
        st = os.fstat(stream.fileno())
        env = {**os.environ, **env, "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
        return subprocess.Popen(argv, env=env, stderr=stream.fileno(), stdout=subprocess.DEVNULL)


def test_a_bad_configuration_is_an_error_in_the_journal(journald: Journald, tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[probe]\ninterval = "fast"\n')
    argv = [sys.executable, "-m", "netwatch", "run", "--config", str(cfg)]
    proc = run_under_journal(journald, argv, {"NETWATCH_STATE_DIR": str(tmp_path)})
    assert proc.wait(timeout=30) == 3
    journald.close()
    [(header, text)] = journald.streams
    assert header[2:4] == ["6", "1"]
    assert bytes(text).decode() == (
        f"<3>netwatch: 1 configuration problem in {cfg}:\n"
        '<3>  probe.interval: must be a number, not a string ("fast"); write a number of seconds, e.g. interval = 1.0\n'
    )


def test_the_watchdogs_stack_dump_is_an_error_in_the_journal(journald: Journald, tmp_path: Path) -> None:
    notify = NotifySocket(tmp_path / "notify")
    try:
        env = {"NOTIFY_SOCKET": str(notify.path), "NETWATCH_STATE_DIR": str(tmp_path)}
        argv = [sys.executable, "-m", "netwatch", "run", "--config", str(configs.loopback(tmp_path, interval=0.1))]
        proc = run_under_journal(journald, argv, env)
        try:
            notify.wait_for("READY=1", lambda m: m.startswith("READY=1"), 30)
            proc.send_signal(signal.SIGABRT)  # what systemd's WatchdogSignal= sends by default
            died = proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        notify.close()
    journald.close()
    # As in test_service_daemon: a dump that catches a thread running Python may crash half-way (SIGSEGV).
    assert died in (-signal.SIGABRT, -signal.SIGSEGV)
    [(stderr_header, stderr), (header, dump)] = journald.streams
    assert stderr_header[2:4] == ["6", "1"]
    assert "<6>netwatch started: unprivileged ICMP" in bytes(stderr).decode()
    assert header == ["netwatch", "", "3", "0", "0", "0", "0"]  # every line at priority err, no prefixes parsed
    text = bytes(dump).decode()
    assert text.startswith("Fatal Python error: Aborted\n"), text
    assert "Fatal Python error" not in bytes(stderr).decode()
