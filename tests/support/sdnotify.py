"""systemd's notification socket as a test binds it, for tests of what the daemon tells systemd and when.

Owns ``NotifySocket``: a bound AF_UNIX datagram socket whose thread records every message with its monotonic
arrival time, and waiting for a message. Must not judge the messages (the tests do) or speak for systemd beyond
receiving: it never answers, and never kills a process whose watchdog ran out.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass
class NotifySocket:
    """A bound AF_UNIX datagram socket; a thread records every message with its monotonic arrival time."""

    path: Path
    messages: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.settimeout(0.1)
        self._closed = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._closed.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._changed:
                self.messages.append((time.monotonic(), data.decode()))
                self._changed.notify_all()

    def wait_for(self, what: str, match: Callable[[str], bool], timeout: float, start: int = 0) -> tuple[int, float]:
        """(index, arrival) of the first message from index ``start`` on that ``match``es."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for i in range(start, len(self.messages)):
                    if match(self.messages[i][1]):
                        return i, self.messages[i][0]
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no {what} within {timeout} s; received {[m for _, m in self.messages]}")
                self._changed.wait(left)

    def times(self, message: str) -> list[float]:
        with self._changed:
            return [t for t, m in self.messages if m == message]

    def close(self) -> None:
        self._closed.set()
        self._thread.join(2)
        self.sock.close()
