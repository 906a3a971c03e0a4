"""Speed tests in the simulated ISP: where the test servers listen inside `internet`, the quick options of the
``http`` backend, and how close a measurement must come to the rate a link is shaped to.

Owns those addresses and that tolerance. Must not start servers (tests/integration/conftest.py does, as
fixtures) or shape links (the tests do, through ``Isp.rate_limit``).
"""

from __future__ import annotations

from typing import Any

HTTP_HOST, IPERF_HOST, SPEEDTEST_HOST = "203.0.113.80", "203.0.113.81", "203.0.113.82"
HTTP = f"http://{HTTP_HOST}"
IPERF_PORTS = (5201, 5202)  # measurements; the cancel test
TOLERANCE = 0.15
# The http backend's options for a quick test that still fills a 20 Mbit/s line.
HTTP_FAST: dict[str, Any] = {"streams": 4, "duration": 3, "warmup": 0.5, "latency_count": 5, "timeout": 2}


def within(measured: float | None, expected: float, tolerance: float = TOLERANCE) -> bool:
    """Whether ``measured`` is within ``tolerance`` (a fraction) of ``expected``."""
    return measured is not None and abs(measured - expected) <= tolerance * expected
