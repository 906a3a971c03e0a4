"""Programs the tests start as child processes, by path: fake servers standing in for the outside world (a DNS
server, speedtest.net, an HTTP speed test server, a notification receiver) and a runner for speed test backends.

Owns where those programs are (the paths below), for ``python PATH ...`` inside a network namespace or on loopback.
Must not make a program depend on the ``tests`` package: each runs by path, where only the standard library and
netwatch can be imported (notify_receiver's ``Receiver`` is also used in-process, which changes nothing).
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent

DNS_SERVER = _HERE / "dns_server.py"
FAKE_SPEEDTEST = _HERE / "fake_speedtest.py"
SPEED_HTTP_SERVER = _HERE / "speed_http_server.py"
NOTIFY_RECEIVER = _HERE / "notify_receiver.py"
SPEED_RUNNER = _HERE / "speed_runner.py"
