"""A fake speedtest.net for speedtest-cli, run inside the `internet` namespace of the simulated ISP.

Speaks what speedtest-cli 2.1.3 uses: ``/speedtest-config.php`` (client, thread and test-length settings),
``/speedtest-servers-static.php`` and ``/speedtest-servers.php`` (one server, ``speedtest.fake-isp.test:8080``),
``/speedtest/latency.txt``, ``/speedtest/randomNxN.jpg`` (about 2·N² bytes, like the real images),
``POST /speedtest/upload.php`` and ``POST /api/api.php`` (the share link). It listens on ports 80, 8080 and 443
(TLS, with the certificate given), so the real host names, pointed at it through the home namespace's hosts
file, work in secure mode too.

Faults: before each request it reads the JSON ``--control`` file, e.g. ``{"config": 403, "servers": 429,
"download": 403}``, and answers that stage with that status. Every request is appended to ``--log`` as
``PORT METHOD PATH STATUS``. Prints ``ready`` once all ports listen.

Owns those answers and the request log. Must not contact the real speedtest.net, import anything beyond the
standard library (it runs by path), or listen outside the address it is given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

BLOCK = memoryview(os.urandom(65_536))
SERVER_ID = 4242
SERVER_HOST = "speedtest.fake-isp.test"
HOSTS = ("www.speedtest.net", "c.speedtest.net", SERVER_HOST)
RESULT_ID = 987654321

CONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<settings>
<client ip="{ip}" lat="51.5072" lon="-0.1276" isp="Simulated ISP" isprating="3.7" rating="0" ispdlavg="0"
 ispulavg="0" loggedin="0" country="GB" />
<server-config threadcount="4" ignoreids="" notonmap="" forcepingid="" preferredserverid=""/>
<licensekey>netwatch-test</licensekey>
<customer>speedtest</customer>
<odometer start="19601573884" rate="12"/>
<times dl1="5000000" dl2="35000000" dl3="800000000" ul1="1000000" ul2="8000000" ul3="35000000"/>
<download testlength="{length}" initialtest="250K" mintestsize="250K" threadsperurl="4"/>
<upload testlength="{length}" ratio="5" initialtest="0" mintestsize="32K" threads="2" maxchunksize="512K"
 maxchunkcount="50" threadsperurl="4"/>
<latency testlength="10" waittime="50" timeout="20"/>
</settings>
"""

SERVERS = f"""<?xml version="1.0" encoding="UTF-8"?>
<settings>
<servers>
<server url="http://{SERVER_HOST}:8080/speedtest/upload.php" lat="51.5171" lon="-0.1062" name="London"
 country="United Kingdom" cc="GB" sponsor="Fake ISP" id="{SERVER_ID}" host="{SERVER_HOST}:8080" />
<server url="http://far.invalid:8080/speedtest/upload.php" lat="-33.86" lon="151.2" name="Sydney"
 country="Australia" cc="AU" sponsor="Far Away" id="4343" host="far.invalid:8080" />
</servers>
</settings>
"""

STAGES = {  # path -> the control key that can make it fail
    "/speedtest-config.php": "config",
    "/speedtest-servers-static.php": "servers",
    "/speedtest-servers.php": "servers",
    "/speedtest/latency.txt": "latency",
    "/speedtest/upload.php": "upload",
    "/api/api.php": "share",
}
RANDOM_RE = re.compile(r"^/speedtest/random(\d+)x(\d+)\.jpg$")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-speedtest/1"
    control: Path
    log: Path
    length: int
    log_lock = threading.Lock()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _note(self, status: int) -> None:
        port = self.connection.getsockname()[1]
        with self.log_lock, self.log.open("a") as f:
            f.write(f"{port} {self.command} {urlsplit(self.path).path} {status}\n")

    def _forced(self, path: str) -> int | None:
        stage = "download" if RANDOM_RE.match(path) else STAGES.get(path)
        try:
            control = json.loads(self.control.read_text() or "{}")
        except (OSError, ValueError):
            control = {}
        status = control.get(stage) if stage else None
        return int(status) if status else None

    def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self._note(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        forced = self._forced(path)
        if forced:
            self._reply(forced, f"forced {forced}\n".encode())
            return
        if path == "/speedtest-config.php":
            xml = CONFIG.format(ip=self.client_address[0], length=self.length)
            self._reply(200, xml.encode(), "text/xml")
        elif path in ("/speedtest-servers-static.php", "/speedtest-servers.php"):
            self._reply(200, SERVERS.encode(), "text/xml")
        elif path == "/speedtest/latency.txt":
            self._reply(200, b"test=test\n")
        elif m := RANDOM_RE.match(path):
            self._random(2 * int(m.group(1)) * int(m.group(2)))
        else:
            self._reply(404, b"not found\n")

    def _random(self, size: int) -> None:
        self._note(200)
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        left = size
        while left > 0:
            n = min(left, len(BLOCK))
            self.wfile.write(BLOCK[:n])
            left -= n

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        received = 0
        while received < length:
            chunk = self.rfile.read(min(length - received, 65_536))
            if not chunk:
                return
            received += len(chunk)
        forced = self._forced(path)
        if forced:
            self._reply(forced, f"forced {forced}\n".encode())
        elif path == "/speedtest/upload.php":
            self._reply(200, f"size={received}".encode())
        elif path == "/api/api.php":
            self._reply(200, f"resultid={RESULT_ID}&date=1%2F1%2F2026&time=12%3A00+PM&rating=0".encode())
        else:
            self._reply(404, b"not found\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # speedtest-cli hangs up at the end of each timed test by design


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--control", required=True, type=Path)
    parser.add_argument("--log", required=True, type=Path)
    parser.add_argument("--length", type=int, default=3, help="download and upload test length, seconds")
    args = parser.parse_args()
    Handler.control, Handler.log, Handler.length = args.control, args.log, args.length
    servers = [Server((args.listen, port), Handler) for port in (80, 8080, 443)]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    servers[2].socket = context.wrap_socket(servers[2].socket, server_side=True)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        servers[0].serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
