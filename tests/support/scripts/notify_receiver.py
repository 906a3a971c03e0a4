"""A tiny HTTP receiver for notification tests: records every POST it gets, as apprise's json:// and ntfy://
channels send them.

In-process (`Receiver`, a thread on 127.0.0.1) for the loopback tests: `start()` / `stop()` on the same port
simulate a channel that is down, then up. As a script inside a network namespace of the simulated ISP
(`python notify_receiver.py --listen 203.0.113.90 --port 8080 --log posts.jsonl`) for the end-to-end test:
each POST becomes one JSON line with the time it arrived; "ready" is printed once it listens.

Owns recording what arrives. Must not answer anything but 200 (a channel that is down is a stopped receiver) or
import anything beyond the standard library (it runs by path).
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _handler(record: Any) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                parsed: Any = json.loads(body)
            except ValueError:
                parsed = body.decode(errors="replace")
            record(
                {
                    "at": time.time(),
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type", ""),
                    "body": parsed,
                }
            )
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class Receiver:
    """Records POSTs in ``posts``; ``start()`` and ``stop()`` may be called again (same port)."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host, self.port = host, port or free_port()
        self.posts: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"{self.host}:{self.port}"

    def _record(self, post: dict[str, Any]) -> None:
        with self._lock:
            self.posts.append(post)

    def start(self) -> None:
        server = http.server.ThreadingHTTPServer((self.host, self.port), _handler(self._record))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="notify-receiver", daemon=True).start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.posts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    args = parser.parse_args()

    def record(post: dict[str, Any]) -> None:
        with args.log.open("a") as out:
            out.write(json.dumps(post) + "\n")

    server = http.server.ThreadingHTTPServer((args.listen, args.port), _handler(record))
    print("ready", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
