"""journald's stream socket as a client sees it, for tests of what reaches the journal and at which priority.

Owns ``Journald``: a local AF_UNIX stream server bound where the test chooses, recording every connection's
header (identifier, unit id, priority, level prefix, forward to syslog, kmsg, console) and text, and opening a
stream the way systemd opens one for a service's stderr. Must not parse priorities out of the text or decide what
netwatch should log: the tests check that.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path


class Journald:
    """journald's stdout socket, as far as a client sees it: every connection sends a header (identifier, unit id,
    priority, level prefix, forward to syslog, kmsg, console), then text. Records each connection's header and text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen()
        self.server.settimeout(0.05)
        self.streams: list[tuple[list[str], bytearray]] = []
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        """Until closed, and then until no connection is left waiting in the backlog."""
        while True:
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                if self._closing.is_set():
                    return
                continue
            conn.settimeout(None)
            header: list[str] = []
            text = bytearray()
            self.streams.append((header, text))
            reader = threading.Thread(target=self._read, args=(conn, header, text), daemon=True)
            reader.start()
            self._threads.append(reader)

    @staticmethod
    def _read(conn: socket.socket, header: list[str], text: bytearray) -> None:
        data = bytearray()
        with conn:
            while chunk := conn.recv(65536):
                data += chunk
        parts = bytes(data).split(b"\n", 7)
        header.extend(part.decode() for part in parts[:7])
        text.extend(parts[7] if len(parts) > 7 else b"")

    def connect(self, identifier: str, priority: int, level_prefix: bool) -> socket.socket:
        """A stream as systemd opens it for a service's stderr."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(str(self.path))
        sock.sendall(f"{identifier}\n\n{priority}\n{int(level_prefix)}\n0\n0\n0\n".encode())
        return sock

    def close(self) -> None:
        """Stop accepting, then wait for every stream to end (its client closed it)."""
        self._closing.set()
        self._accepting.join(10)
        self.server.close()
        for reader in self._threads:
            reader.join(10)
