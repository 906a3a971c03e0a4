"""The daemon built in the test's own process and not run, for tests of its parts (what it tells systemd, the line
it reports): on the simulated ISP's documentation addresses, so that nothing it might probe is a real host.

Owns ``make_daemon``: netwatch's own ``Daemon`` over a configuration of a gateway, two anchors and a DNS name in
London, plus the test's TOML, with the gateway resolved. Must not run its loop or probe anything (tests that run
the daemon start it for real: tests/support/netns_daemon.py), and must not stand in for any of its parts.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from netwatch import config
from netwatch.adapters.sdnotify import Notifier
from netwatch.app.daemon.loop import Daemon


def make_daemon(tmp_path: Path, text: str, notifier: Notifier) -> Daemon:
    """The daemon of that configuration with ``text`` (TOML) added, its state in ``tmp_path``, telling ``notifier``."""
    cfg = config.parse(
        '[targets]\ngateway = "198.18.1.1"\nisp = ""\nanchors = ["192.0.2.1", "198.51.100.1"]\n'
        '[dns]\nnames = ["example.test"]\n[business_hours]\ntimezone = "Europe/London"\n' + text,
        source=None,
        env={"NETWATCH_STATE_DIR": str(tmp_path)},
    )
    daemon = Daemon(cfg, asyncio.Event(), notifier=notifier)
    daemon.targets.resolve_gateway()
    return daemon
