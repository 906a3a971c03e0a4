"""A small HTTP server for the ``http`` speed test backend's tests: inside the `internet` namespace of the simulated
ISP, or on 127.0.0.1 for `netwatch campaign` (tests/cli/test_campaign_cli.py).

Endpoints: ``GET /down?bytes=N`` (N bytes of incompressible data), ``GET /blob`` (a fixed 2 MiB body, for plain
URLs fetched again and again), ``HEAD`` of either, ``GET /latency`` (2 bytes), ``POST /up`` (the body is read and
thrown away), ``GET /status/CODE`` (that status), ``GET /stall`` (never answers) and ``GET /trickle`` (headers,
then silence). Prints ``ready`` once listening.

Owns those endpoints. Must not listen on anything but the address given, or import anything beyond the standard
library (it runs by path).

    python speed_http_server.py --listen 203.0.113.80 --port 80
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BLOCK = memoryview(os.urandom(65_536))
BLOB_SIZE = 2 * 1024 * 1024
STALL = threading.Event()  # never set: stalled handlers wait on it until the client goes away


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "netwatch-test-speed/1"

    def log_message(self, format: str, *args: object) -> None:  # quiet: the tests read only "ready"
        pass

    def _size(self) -> int | None:
        url = urlsplit(self.path)
        if url.path == "/blob":
            return BLOB_SIZE
        if url.path == "/latency":
            return 2
        if url.path == "/down":
            return int(parse_qs(url.query).get("bytes", ["0"])[0])
        return None

    def _headers(self, status: int, length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def do_HEAD(self) -> None:
        if urlsplit(self.path).path == "/stall":
            STALL.wait(120)
            return
        size = self._size()
        self._headers(200 if size is not None else 404, size or 0)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path.startswith("/status/"):
            self._headers(int(url.path.rsplit("/", 1)[1]), 0)
            return
        if url.path == "/stall":
            STALL.wait(120)
            return
        if url.path == "/trickle":
            self._headers(200, 10_000_000)
            self.wfile.flush()
            STALL.wait(120)
            return
        size = self._size()
        if size is None:
            self._headers(404, 0)
            return
        self._headers(200, size)
        left = size
        while left > 0:
            n = min(left, len(BLOCK))
            self.wfile.write(BLOCK[:n])
            left -= n

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            chunk = self.rfile.read(min(length, 65_536))
            if not chunk:
                return
            length -= len(chunk)
        self._headers(200, 0)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hang up mid-transfer by design (end of a test, cancel)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--port", type=int, default=80)
    args = parser.parse_args()
    server = Server((args.listen, args.port), Handler)
    print("ready", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
