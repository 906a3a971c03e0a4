"""The real daemon on a system that names no time zone (newcomer review 2, S2): business hours stay in UTC and its
log says, right after it started, how to set a zone. The system is this one with /etc hidden under an empty tmpfs
in a mount namespace of the daemon's own (root, for unshare and mount), probing loopback only."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from netwatch.adapters import localzone
from tests.support import configs
from tests.support.skipping import unavailable


def test_a_daemon_on_a_system_without_a_zone_logs_how_to_set_one(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        unavailable("needs root and unshare(1) to hide /etc in a mount namespace")
    config = configs.loopback(tmp_path, interval=0.2)
    script = f'mount -t tmpfs none /etc && exec "$0" -m netwatch run --config "{config}"'
    env = {**os.environ, "NETWATCH_STATE_DIR": str(tmp_path), "RUNTIME_DIRECTORY": str(tmp_path)}
    env.pop("JOURNAL_STREAM", None)
    with subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, sys.executable],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stderr is not None
        seen = [proc.stderr.readline().rstrip("\n")]
        try:
            while seen[-1] and "netwatch started:" not in seen[-1]:
                seen.append(proc.stderr.readline().rstrip("\n"))
        finally:
            # The line is logged right after "netwatch started", before the daemon can handle the signal.
            proc.send_signal(signal.SIGTERM)
        seen += proc.stderr.read().splitlines()  # through the same buffer readline filled (communicate would not)
        proc.wait(timeout=30)
    started = next(i for i, line in enumerate(seen) if "netwatch started:" in line)
    assert seen[started + 1].split(None, 3)[2:] == ["INFO", localzone.NO_ZONE], seen
