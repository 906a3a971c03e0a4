"""Fixtures for integration tests that need the simulated ISP (see tests/support/netns_isp.py), real servers or
speed test servers inside it.

``isp`` builds one simulated ISP per test module and removes it afterwards; ``net`` is the same object for one
test, with every fault undone after it (use it whenever a test cuts, slows or breaks something). Without root or
network namespaces the tests are skipped with the reason, except under CI (``$CI`` set), where that is a failure:
CI has them, so a skip there would hide a broken harness.

``influxdb1`` and ``victoria`` are real servers on loopback (see tests/support/servers.py), one per test module,
started from the Debian packages' binaries with everything in a temporary directory; without the binary the tests
are skipped (a failure under CI), like the netns tests.

``http_server`` and ``iperf_server`` are speed test servers inside `internet` (tests/support/speed.py says where),
one per test module that asks for them.

``pdf_tools`` skips a test module (a failure under CI) when WeasyPrint or pdftotext is missing here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from tests.support import pdf
from tests.support.netns_isp import REASON, Isp, NetnsUnavailable, missing_requirements
from tests.support.processes import stop, wait_line
from tests.support.scripts import SPEED_HTTP_SERVER
from tests.support.servers import InfluxDB1, ServerUnavailable, VictoriaMetrics
from tests.support.skipping import unavailable
from tests.support.speed import HTTP, HTTP_HOST, IPERF_HOST, IPERF_PORTS


def _unavailable(detail: str) -> None:
    unavailable(f"{REASON} ({detail})")


@pytest.fixture(scope="module")
def pdf_tools() -> None:
    """WeasyPrint and pdftotext, or a skip with the reason (a failure under CI)."""
    reason = pdf.missing()
    if reason is not None:
        unavailable(reason)


@pytest.fixture(scope="module")
def isp() -> Iterator[Isp]:
    """A set-up simulated ISP shared by the tests of one module."""
    missing = missing_requirements()
    if missing:
        _unavailable(missing)
    sim = Isp()
    try:
        sim.setup()
    except NetnsUnavailable as err:
        _unavailable(str(err))
    try:
        yield sim
    finally:
        sim.teardown()


@pytest.fixture
def net(isp: Isp) -> Iterator[Isp]:
    """The module's simulated ISP, reset (links restored, no loss or rate limit, DNS answering) after the test."""
    try:
        yield isp
    finally:
        isp.reset()


S = TypeVar("S", InfluxDB1, VictoriaMetrics)


def _running(kind: type[S], directory: Path) -> Iterator[S]:
    """A started server of ``kind`` in ``directory``, stopped afterwards; skipped (failed under CI) when missing."""
    try:
        server = kind(directory)
    except ServerUnavailable as err:
        unavailable(str(err))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def influxdb1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB1]:
    """A running influxd 1.x on 127.0.0.1 with auth enabled: `.url`, `.username`, `.password`, `.query(q, db)`,
    `.rows(q, db)`, `.create_database(name)`, `.write(lines, db)`, and `.stop()` / `.start()` for an outage."""
    yield from _running(InfluxDB1, tmp_path_factory.mktemp("influxdb1"))


@pytest.fixture(scope="module")
def victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetrics]:
    """A running victoria-metrics on 127.0.0.1 (InfluxDB write APIs): `.url`, `.export(match)`, `.stop()`/`.start()`."""
    yield from _running(VictoriaMetrics, tmp_path_factory.mktemp("victoria"))


@pytest.fixture(scope="module")
def http_server(isp: Isp) -> Iterator[str]:
    """tests/support/scripts/speed_http_server.py listening on HTTP_HOST in `internet`; its base URL."""
    isp.add_host(HTTP_HOST)
    proc = isp.popen(
        "internet",
        sys.executable,
        str(SPEED_HTTP_SERVER),
        "--listen",
        HTTP_HOST,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_line(proc, "ready")
        yield HTTP
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def iperf_server(isp: Isp) -> Iterator[str]:
    """Two long-running iperf3 servers on IPERF_HOST in `internet`: port 5201 for measurements, 5202 for the
    cancel test; the host."""
    if shutil.which("iperf3") is None:
        unavailable("iperf3 is not installed (apt-get install iperf3)")
    isp.add_host(IPERF_HOST)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [isp.popen("internet", "iperf3", "-s", "-B", IPERF_HOST, "-p", str(p), **quiet) for p in IPERF_PORTS]
    try:
        deadline = time.monotonic() + 10
        while not all(f"{IPERF_HOST}:{p}" in isp.run("internet", "ss", "-Htln").stdout for p in IPERF_PORTS):
            assert time.monotonic() < deadline, "iperf3 servers did not start listening"
            time.sleep(0.05)
        yield IPERF_HOST
    finally:
        for proc in procs:
            stop(proc)
