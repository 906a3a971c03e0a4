"""Fixtures for integration tests that need the simulated ISP (see netns_isp.py).

``isp`` builds one simulated ISP per test module and removes it afterwards; ``net`` is the same object for one
test, with every fault undone after it (use it whenever a test cuts, slows or breaks something). Without root or
network namespaces the tests are skipped with the reason, except under CI (``$CI`` set), where that is a failure:
CI has them, so a skip there would hide a broken harness.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .netns_isp import REASON, Isp, NetnsUnavailable, missing_requirements


def _unavailable(detail: str) -> None:
    reason = f"{REASON} ({detail})"
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{reason}; CI is set, so this is a failure rather than a skip", pytrace=False)
    pytest.skip(reason)


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
