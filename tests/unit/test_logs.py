"""The daemon's log lines: each probe error once per failing streak, and what reaches the journal at which priority.

The journal side is checked against a local server speaking journald's stream protocol (a header of seven lines,
then the text), bound where the test chooses: stderr is a connection to it, as systemd connects a service's.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from netwatch.adapters import logs
from netwatch.app.daemon.probe_errors import MAX_PER_TARGET, ProbeErrors
from netwatch.core.model import Role, Sample, Target
from tests.support.journald import Journald

ANCHOR = Target(Role.ANCHOR, "192.0.2.1")
OTHER = Target(Role.ANCHOR, "198.51.100.1")
UNREACHABLE = "destination unreachable (code 1)"


def test_an_error_that_comes_and_goes_during_one_outage_is_logged_once() -> None:
    """A router rate-limiting its ICMP errors: one round unreachable, the next a plain timeout, and so on."""
    errors = ProbeErrors()
    logged = []
    for i in range(60):
        logged += errors.new([Sample(ANCHOR, None, UNREACHABLE if i % 2 else ""), Sample(OTHER, None, "")])
    assert logged == [f"192.0.2.1: {UNREACHABLE}"]


def test_each_distinct_error_of_a_streak_once_and_again_after_the_target_answered() -> None:
    errors = ProbeErrors()
    assert errors.new([Sample(ANCHOR, None, UNREACHABLE)]) == [f"192.0.2.1: {UNREACHABLE}"]
    assert errors.new([Sample(ANCHOR, None, "network unreachable")]) == ["192.0.2.1: network unreachable"]
    assert errors.new([Sample(ANCHOR, None, UNREACHABLE)]) == []
    assert errors.new([Sample(ANCHOR, 12.0)]) == []
    assert errors.new([Sample(ANCHOR, None, UNREACHABLE)]) == [f"192.0.2.1: {UNREACHABLE}"], "a new streak"


def test_a_target_that_left_the_list_starts_afresh() -> None:
    errors = ProbeErrors()
    errors.new([Sample(ANCHOR, None, UNREACHABLE)])
    errors.new([Sample(OTHER, 3.0)])
    assert errors.new([Sample(ANCHOR, None, UNREACHABLE)]) == [f"192.0.2.1: {UNREACHABLE}"]


def test_a_long_outage_with_ever_new_errors_logs_a_bounded_number() -> None:
    errors = ProbeErrors()
    logged = [line for i in range(1000) for line in errors.new([Sample(ANCHOR, None, f"rcode {i}")])]
    assert len(logged) == MAX_PER_TARGET


def journal_env(sock: socket.socket) -> dict[str, str]:
    st = os.fstat(sock.fileno())
    return {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}


def test_a_fatal_error_line_carries_the_error_priority_only_in_the_journal(
    journald: Journald, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = journald.connect("netwatch", 6, level_prefix=True)
    with stream, stream.makefile("w") as stderr:
        monkeypatch.setattr(sys, "stderr", stderr)
        assert logs.error_line("netwatch: bad", journal_env(stream)) == "<3>netwatch: bad"
        assert logs.error_line("netwatch: bad", {}) == "netwatch: bad"
        # journald reads the priority of every line from its own prefix
        assert (
            logs.error_line("netwatch: 1 problem:\n  x: bad", journal_env(stream))
            == "<3>netwatch: 1 problem:\n<3>  x: bad"
        )


def test_the_crash_stream_is_a_journal_stream_of_its_own_at_the_error_priority(
    journald: Journald, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = journald.connect("netwatch", 6, level_prefix=True)
    monkeypatch.setattr(logs, "_fatal", [])
    with stream, stream.makefile("w") as stderr:
        monkeypatch.setattr(sys, "stderr", stderr)
        fatal = logs.fatal_stream(journal_env(stream))
        assert fatal is logs.fatal_stream(journal_env(stream)), "one stream for the life of the process"
        fatal.write("Fatal Python error: Aborted\n")
        fatal.close()
    journald.close()
    [(stderr_header, _), (header, text)] = journald.streams
    assert stderr_header == ["netwatch", "", "6", "1", "0", "0", "0"]
    assert header == ["netwatch", "", "3", "0", "0", "0", "0"]
    assert bytes(text) == b"Fatal Python error: Aborted\n"


def test_the_crash_stream_is_stderr_outside_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "_fatal", [])
    with (tmp_path / "err").open("w") as f:
        st = os.fstat(f.fileno())
        # A terminal that inherited the variable: stderr is not that file.
        assert logs.fatal_stream({"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}) is sys.stderr
        # A file named by the variable is not a journal socket either.
        monkeypatch.setattr(sys, "stderr", f)
        assert logs.fatal_stream({"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}) is f
    assert logs._fatal == []
