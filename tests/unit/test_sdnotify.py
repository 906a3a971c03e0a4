"""The sd_notify client against real AF_UNIX datagram sockets (a path and an abstract one): the exact datagrams,
the watchdog's PID rule, the no-op without $NOTIFY_SOCKET, and failures that are logged once and never raised."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from netwatch.adapters import sdnotify
from netwatch.adapters.sdnotify import Notifier, Settings, settings
from tests.support.sockets import received


def test_the_exact_datagrams_on_a_path_socket(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    assert notifier.enabled and notifier.watchdog is None
    assert notifier.ready("line up · 6 targets · 0 open incidents")
    assert notifier.status("OUTAGE since 10:15:02 GMT\n(cause isp)")
    assert notifier.extend_timeout(15)
    assert not notifier.ping()  # no watchdog was asked for: nothing is sent
    assert notifier.stopping("stopping: flushing")
    assert notifier.send("X_NETWATCH=1")
    assert received(sock) == [
        "READY=1\nSTATUS=line up · 6 targets · 0 open incidents".encode(),
        b"STATUS=OUTAGE since 10:15:02 GMT (cause isp)",  # STATUS is one line
        b"EXTEND_TIMEOUT_USEC=15000000",
        b"STOPPING=1\nSTATUS=stopping: flushing",
        b"X_NETWATCH=1",
    ]
    assert (notifier.sent, notifier.failures) == (5, 0)
    notifier.close()


def test_an_abstract_socket_is_written_with_a_leading_at_sign() -> None:
    name = f"netwatch-test-{os.getpid()}-{id(object())}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        notifier = Notifier.from_env({"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "4000000"})
        assert notifier.address == "\0" + name
        assert notifier.watchdog == 4.0
        assert notifier.ready()
        assert notifier.ping()
        assert notifier.set_watchdog(12.5)
        assert notifier.watchdog == 12.5
        assert received(sock) == [b"READY=1", b"WATCHDOG=1", b"WATCHDOG_USEC=12500000"]
        notifier.close()


def test_the_watchdog_is_ours_only_when_watchdog_pid_is_unset_or_our_pid() -> None:
    env = {"NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "30000000"}
    assert settings(env, pid=1234) == Settings("/run/systemd/notify", 30.0)
    assert settings({**env, "WATCHDOG_PID": "1234"}, pid=1234) == Settings("/run/systemd/notify", 30.0)
    # Inherited from a parent that the watchdog is meant for (systemd documents this check).
    assert settings({**env, "WATCHDOG_PID": "999"}, pid=1234) == Settings("/run/systemd/notify", None)
    assert settings({**env, "WATCHDOG_USEC": "0"}, pid=1234).watchdog is None
    assert settings({**env, "WATCHDOG_USEC": "soon"}, pid=1234).watchdog is None
    assert settings({**env, "WATCHDOG_PID": "me"}, pid=1234).watchdog is None
    assert settings({"WATCHDOG_USEC": "30000000"}, pid=1234) == Settings(None, None)  # nowhere to send pings


def test_a_watchdog_pid_mismatch_sends_no_pings(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"})
    assert notifier.watchdog is None
    assert not notifier.ping()
    assert not notifier.set_watchdog(30)
    assert notifier.ready()
    assert received(sock) == [b"READY=1"]
    notifier.close()


def test_without_notify_socket_everything_is_a_no_op() -> None:
    for env in ({}, {"NOTIFY_SOCKET": ""}, {"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": str(os.getpid())}):
        notifier = Notifier.from_env(env)
        assert not notifier.enabled
        calls = (
            notifier.ready("x"),
            notifier.status("x"),
            notifier.ping(),
            notifier.stopping(),
            notifier.extend_timeout(5),
            notifier.set_watchdog(5),
            notifier.send("READY=1"),
        )
        assert not any(calls)
        assert notifier._sock is None  # not even a socket is created
        assert (notifier.sent, notifier.failures) == (0, 0)


def test_an_address_of_another_kind_is_refused_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "netwatch"):
        notifier = Notifier.from_env({"NOTIFY_SOCKET": "vsock:2:1234"})
    assert not notifier.enabled
    assert caplog.messages == [
        "NOTIFY_SOCKET=vsock:2:1234 is neither a path nor an @abstract socket: systemd is not notified"
    ]


def test_send_failures_are_logged_once_and_never_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "notify"  # nobody listens yet
    notifier = Notifier.from_env({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "2000000"})
    with caplog.at_level(logging.INFO, "netwatch"):
        assert not notifier.ready()
        assert not notifier.ping()
        assert not notifier.status("still nobody")
        assert caplog.messages == [
            f"cannot notify systemd at {path}: No such file or directory (the service may be restarted if its "
            "watchdog misses pings)"
        ]
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(str(path))
            assert notifier.ping()
            assert notifier.ping()
            assert received(sock) == [b"WATCHDOG=1", b"WATCHDOG=1"]
        assert caplog.messages[1:] == [f"systemd notification socket {path} works again"]
        assert not notifier.ping()  # the listener is gone again: logged once more, as a new failure
    assert (notifier.sent, notifier.failures) == (2, 4)
    assert len(caplog.messages) == 3
    assert caplog.messages[2].startswith(f"cannot notify systemd at {path}: Connection refused")
    notifier.close()


def test_a_full_queue_drops_the_message_instead_of_blocking(
    listener: tuple[socket.socket, str], caplog: pytest.LogCaptureFixture
) -> None:
    sock, path = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"})
    with caplog.at_level(logging.WARNING, "netwatch"):
        results = [notifier.ping() for _ in range(5000)]  # nobody reads: the receive queue fills up
    assert results[0] and not results[-1]
    assert notifier.sent == results.count(True) and notifier.failures == results.count(False)
    assert caplog.messages == [
        f"cannot notify systemd at {path}: Resource temporarily unavailable (the service may be restarted if its "
        "watchdog misses pings)"
    ]
    assert len(received(sock)) == notifier.sent
    notifier.close()


def test_from_environ_hides_the_variables_from_child_processes(
    listener: tuple[socket.socket, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sock, path = listener
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "3000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    notifier = sdnotify.from_environ()
    assert (notifier.address, notifier.watchdog) == (path, 3.0)
    assert not set(sdnotify.VARIABLES) & set(os.environ)
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; print(sorted(k for k in os.environ if k in {'NOTIFY_SOCKET', "
            "'WATCHDOG_USEC', 'WATCHDOG_PID'}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert child.stdout == "[]\n"
    assert notifier.ping()  # our own copy still works
    assert received(sock) == [b"WATCHDOG=1"]
    notifier.close()
