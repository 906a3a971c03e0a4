"""Speed test backends that run a tool as a child process, with fake or missing binaries: no network needed.

The fakes are shell scripts printing what the real tools print (the Ookla CLI's JSON result, its "Limit
reached" error, speedtest-cli's version banner); a missing binary or a hung one must still give a failed result
with the reason, at once when cancelled. Nothing here sends a packet.
"""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

from netwatch.adapters.probes.speed import make_backend

IPERF_HOST = "203.0.113.81"  # never contacted: every iperf3 here is missing or fake
OOKLA_RESULT = (Path(__file__).parent.parent / "unit" / "data" / "speed" / "ookla.json").read_text().strip()


def test_missing_binaries_are_failed_tests() -> None:
    cancel = threading.Event()
    iperf = make_backend("iperf3", {"host": IPERF_HOST, "binary": "/nonexistent/iperf3"}).run(cancel)
    assert not iperf.ok and iperf.error == (
        "iperf3 binary '/nonexistent/iperf3' not found: install the Debian package iperf3 or set the binary path"
    )
    ookla = make_backend("ookla", {"binary": "/nonexistent/speedtest"}).run(cancel)
    assert not ookla.ok and ookla.error == (
        "Ookla speedtest CLI '/nonexistent/speedtest' not found: install it from speedtest.net/apps/cli "
        "or set the binary path"
    )


def fake_binary(path: Path, script: str) -> str:
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_ookla_cli_output_becomes_a_result(tmp_path: Path) -> None:
    binary = fake_binary(
        tmp_path / "speedtest",
        f"""
case "$1" in
  --version) echo "Speedtest by Ookla 1.2.0.84 (ea6b6773cf) Linux/x86_64-linux-musl 6.1.0 x86_64"; exit 0 ;;
esac
[ "$*" = "--format=json --accept-license --accept-gdpr --server-id=16620" ] || exit 9
echo '{OOKLA_RESULT}'
""",
    )
    result = make_backend("ookla", {"binary": binary, "server_id": "16620"}).run(threading.Event())
    assert result.ok, result.error
    assert (result.tool, result.tool_version, result.server_id) == ("ookla", "1.2.0.84", "16620")
    assert result.download_mbps == 520.379


def test_ookla_limit_reached_and_impostors(tmp_path: Path) -> None:
    limited = fake_binary(
        tmp_path / "limited",
        """
[ "$1" = --version ] && { echo "Speedtest by Ookla 1.2.0.84 (ea6b6773cf)"; exit 0; }
printf '[2026-09-26 09:23:48.288] [error] Limit reached:\\n\\nSpeedtest CLI. Too many requests received.\\n' >&2
exit 173
""",
    )
    result = make_backend("ookla", {"binary": limited}).run(threading.Event())
    assert not result.ok
    assert result.error == "Ookla speedtest: Limit reached: Speedtest CLI. Too many requests received."
    impostor = fake_binary(tmp_path / "impostor", 'echo "speedtest-cli 2.1.3"; echo "Python 3.11.2"\n')
    result = make_backend("ookla", {"binary": impostor}).run(threading.Event())
    assert (
        result.error == f"{impostor!r} is not the Ookla speedtest CLI (that is speedtest-cli; use backend 'speedtest')"
    )


def test_cancel_stops_a_child_process_at_once(tmp_path: Path) -> None:
    slow = fake_binary(tmp_path / "iperf3", "sleep 30\n")
    cancel = threading.Event()
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    start = time.monotonic()
    result = make_backend("iperf3", {"host": IPERF_HOST, "binary": slow}).run(cancel)
    timer.join()
    assert result.cancelled and time.monotonic() - start < 1.5
