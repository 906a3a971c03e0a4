"""The service's limits: enough file descriptors that no local client can take them all (the metrics endpoint is
bounded too: tests/integration/test_metrics_flood.py)."""

from __future__ import annotations

from tests.support.units import settings


def test_the_daemon_may_open_more_than_systemds_default_1024_files() -> None:
    assert settings("netwatch.service")["LimitNOFILE"] == ["16384"]
