"""The running daemon's live file as the tests write it: the state after its last round, in the test's own RAM
directory (the autouse ``runtime_directory`` fixture's ``$RUNTIME_DIRECTORY``), for what reads it (`netwatch
status`, the dashboard, a report or a ticket list that ends now).

Owns writing one ``Live`` for a store through netwatch's own ``adapters.live`` (its path and its bytes), written by
this test's process (which exists) on this boot, ``age`` seconds ago by both clocks. Must not decide whether such a
file means a running daemon: ``netwatch.app.now`` does, and the tests check it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

from netwatch.adapters import live
from netwatch.core.model import Incident, Live, Round


def write_live(
    store: Path,
    last_round: Round | None,
    *,
    session_start: float,
    open_incidents: Iterable[Incident] = (),
    interval: float = 1.0,
    age: float = 0.0,
    failing: int = 0,
) -> Path:
    """The live file of the daemon recording into ``store``: ``last_round`` and ``open_incidents`` after a round
    written ``age`` seconds ago (wall clock and monotonic clock alike), in the session that began at
    ``session_start``. Returns its path."""
    path = live.writable_path(store, os.environ)
    assert path is not None, "no RAM directory for the live file ($RUNTIME_DIRECTORY)"
    state = Live(
        pid=os.getpid(),
        boot_id=live.current_boot(),
        written=time.time() - age,
        mono=time.monotonic() - age,
        interval=interval,
        session_start=session_start,
        last_round=last_round,
        open_incidents=tuple(open_incidents),
        failing=failing,
        trusted=True,
    )
    live.write(path, state)
    return path
