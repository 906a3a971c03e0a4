"""Runs speed test backends the way the daemon will, for the integration tests: inside a namespace, on a worker
thread, with SIGTERM setting the cancel event. Prints one JSON object: ``results`` (every attempt, as
``SpeedResult.to_dict()``) and ``after_cancel`` (seconds from SIGTERM to the results, or null).

Owns that wrapping of netwatch's own backends (``make_backend``, ``run_with_fallback``). Must not measure
anything itself or import from ``tests`` (it runs by path, inside a namespace).

    python speed_runner.py '{"chain": [["http", {"urls": ["http://203.0.113.80/blob"]}]]}'
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from types import FrameType

from netwatch.adapters.probes.speed import make_backend, run_with_fallback
from netwatch.core.model import SpeedResult


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    backends = [make_backend(name, options) for name, options in spec["chain"]]
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def on_term(signum: int, frame: FrameType | None) -> None:
        cancelled_at.append(time.monotonic())
        cancel.set()

    signal.signal(signal.SIGTERM, on_term)
    results: list[tuple[SpeedResult, ...]] = []
    worker = threading.Thread(target=lambda: results.append(run_with_fallback(backends, cancel)))
    worker.start()
    print("started", flush=True)
    while worker.is_alive():
        worker.join(0.05)
    done = time.monotonic()
    after = round(done - cancelled_at[0], 3) if cancelled_at else None
    print(json.dumps({"results": [r.to_dict() for r in results[0]], "after_cancel": after}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
