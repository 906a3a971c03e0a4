"""Benchmark: how long `netwatch doctor` takes, whole (a new process, as the owner runs it), with a store of DAYS
simulated days (see store_size.py) and with InfluxDB and a notification channel answering at once, refusing, or
never answering (a loopback port whose accept queue is full drops the connections' SYNs, as a firewall that drops
packets does). Budget: a few seconds on a Raspberry Pi whatever is unreachable, so at most about 4 s here
(``DEADLINE`` for the network checks, plus starting Python and the quick store check). Also prints the store's
size and how long its verification took, beside ``QUICK_VERIFY``. A figure, never a pass/fail test.

    .venv/bin/python benchmarks/bench_doctor.py [--days 1] [--runs 3]
"""

from __future__ import annotations

import argparse
import http.server
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.store_size import simulate
from netwatch.app.doctor import DEADLINE, QUICK_VERIFY

BUDGET = 4.0  # seconds here, for "a few seconds on a Pi"


class _Accepting(http.server.BaseHTTPRequestHandler):
    """InfluxDB 1.x's /write as far as the doctor sees it: 204 No Content."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(cfg: Path, runs: int) -> tuple[float, str]:
    """The median wall time of `netwatch doctor --config CFG` over ``runs`` runs, and its last output."""
    times, out = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "netwatch", "doctor", "--config", str(cfg)],
            capture_output=True,
            text=True,
            env={**os.environ, "NETWATCH_STATE_DIR": str(cfg.parent)},
            check=False,
        )
        times.append(time.perf_counter() - started)
        out = done.stdout
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=1.0, help="days of 1 s rounds in the store")
    parser.add_argument("--runs", type=int, default=3, help="runs of each case (the median is printed)")
    args = parser.parse_args()
    up = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Accepting)
    threading.Thread(target=up.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp, up:
        with socket.create_server(("127.0.0.1", 0), backlog=0) as hole, socket.create_connection(hole.getsockname()):
            store = Path(tmp) / "netwatch.db"
            simulate(store, int(args.days * 86_400))
            closed = closed_port()
            cases = {
                "nothing to reach": "",
                "InfluxDB and notify answering": _remote(up.server_address[1]),
                "InfluxDB and notify refusing (closed port)": _remote(closed),
                "InfluxDB and notify never answering (black hole)": _remote(hole.getsockname()[1]),
            }
            size = store.stat().st_size
            print(f"store: {args.days:g} days, {size / 1e6:.1f} MB (quick check up to {QUICK_VERIFY / 1e6:.0f} MB)")
            for name, extra in cases.items():
                cfg = Path(tmp) / "netwatch.toml"
                cfg.write_text(f'[store]\npath = "{store}"\n{extra}')
                seconds, out = timed(cfg, args.runs)
                print(f"{name}: {seconds:.2f} s (budget {BUDGET:g} s; network deadline {DEADLINE:g} s)")
            print("last screen:")
            print(out, end="")
        up.shutdown()
    return 0


def _remote(port: int) -> str:
    return (
        f'[influxdb]\nurl = "http://127.0.0.1:{port}"\napi = "v1"\ndatabase = "netwatch"\n'
        f'[notify]\nurls = ["json://127.0.0.1:{port}/"]\n'
    )


if __name__ == "__main__":
    sys.exit(main())
