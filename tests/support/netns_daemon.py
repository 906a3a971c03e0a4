"""The real daemon (`python -m netwatch run`) inside the `home` namespace of the simulated ISP.

Owns starting it the way systemd would (``$JOURNAL_STREAM`` set, so its log lines carry syslog priorities such as
``<4>``; no proxy variables) and stopping it so (SIGTERM, timed), its log file and store, waiting for a condition
while it runs (the test fails with its log when it exits), and the configuration of the daemons the netns tests
share: a round every ``INTERVAL`` s, gateway and ISP hop discovered, every anchor of the simulated ISP. Must not
inject faults (the tests do that through ``Isp``) or read what the daemon recorded on a test's behalf.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from netwatch.adapters.store.sqlite import Store
from netwatch.core.model import Incident, Role, Round
from tests.support import configs, processes
from tests.support.netns_isp import ANCHOR6, ANCHORS, Isp

INTERVAL = 0.2
TIMEOUT = 0.15
CONFIRM = 3
# A round starts at most one interval after an instant; a reply in flight at a cut was sent at most TIMEOUT
# before it. Scheduling on a busy 2-core machine adds a little.
SLACK = INTERVAL + TIMEOUT + 0.1
# A round stamped more than TIMEOUT before a cut has had its answer before it; 0.05 s more for the stamp to the
# echo leaving and the nft transaction. No upper bound is a time: when the next round starts depends on the
# machine's load, so the rounds themselves are checked against the instants of the cut (see ``bounded_by``).
BEFORE = TIMEOUT + 0.05
T = TypeVar("T")


@dataclass
class Daemon:
    proc: subprocess.Popen[bytes]
    store: Path
    log: Path

    def logs(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 10.0) -> float:
        """SIGTERM, as systemd stops it, and wait up to ``timeout`` s for it to exit: the seconds that took (its
        exit status is ``proc.returncode``)."""
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        return time.monotonic() - sent


def environment(state: Path) -> dict[str, str]:
    """This process's environment without proxies ("no proxies, ever"), the state directory ``state``."""
    plain = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return {**plain, "NETWATCH_STATE_DIR": str(state)}


def start(
    isp: Isp,
    cfg: Path,
    store: Path,
    log: Path,
    *,
    state: Path | None = None,
    python: Sequence[str] = ("-m", "netwatch"),
) -> Daemon:
    """`netwatch run --config cfg` in home, its stderr appended to ``log``; ``python`` are the interpreter's
    arguments before ``run`` (another entry point that ends in netwatch's, say). The state directory is
    ``state``, or the one holding ``cfg``."""
    with log.open("ab") as err:
        # As under systemd: $JOURNAL_STREAM names the device and inode of the daemon's stderr.
        st = os.fstat(err.fileno())
        env = {**environment(state or cfg.parent), "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
        proc = isp.popen("home", sys.executable, *python, "run", "--config", str(cfg), env=env, stderr=err)
    return Daemon(proc, store, log)


def module_config(store: Path, commit_interval: float, **tables: Mapping[str, Any]) -> dict[str, Any]:
    """The shared daemon's configuration: every anchor of the simulated ISP, gateway and ISP hop discovered, an
    outage confirmed after ``CONFIRM`` rounds; ``tables`` adds tables or keys (see ``configs.daemon``)."""
    document = configs.daemon(
        store,
        (*ANCHORS, ANCHOR6),
        interval=INTERVAL,
        timeout=TIMEOUT,
        dns_names=["example.test"],
        commit_interval=commit_interval,
        targets={"gateway": "auto", "isp": "auto"},
        detect={"confirm": CONFIRM, "window": 30, "loss_percent": 5.0},
    )
    return configs.merged(document, tables)


def start_daemon(
    isp: Isp,
    tmp: Path,
    name: str,
    commit_interval: float,
    store: Path | None = None,
    state: Path | None = None,
    **tables: Mapping[str, Any],
) -> Daemon:
    """A daemon with ``module_config`` (and ``tables``) in home; its store is ``store`` or NAME.db in ``tmp``,
    its configuration NAME.toml and its log NAME.log there, its state directory ``state`` or ``tmp``."""
    store = store or tmp / f"{name}.db"
    cfg = configs.write(tmp / f"{name}.toml", module_config(store, commit_interval, **tables))
    return start(isp, cfg, store, tmp / f"{name}.log", state=state or tmp)


def wait_for(what: str, check: Callable[[], T | None], timeout: float, daemon: Daemon, *, every: float = 0.05) -> T:
    """``check``'s first true value, asked every ``every`` s (an exception counts as none yet: the store may not
    exist); the test fails with the daemon's log if it exits first or ``timeout`` s pass."""
    return processes.wait_for(
        what, check, timeout, proc=daemon.proc, log=daemon.logs, every=every, tolerate=(Exception,)
    )


def incidents_since(daemon: Daemon, since: float) -> list[Incident]:
    with Store.open(daemon.store, readonly=True) as store:
        return store.incidents(since, time.time() + 60)


def rounds_since(daemon: Daemon, since: float) -> int:
    with Store.open(daemon.store, readonly=True) as store:
        return sum(1 for _ in store.rounds(since, time.time() + 60))


def settle(daemon: Daemon) -> float:
    """Wait until the line has been up for a while (the previous test's faults are gone); return now."""
    time.sleep(CONFIRM * INTERVAL + 0.5)
    return time.time()


def bounded_by(
    rounds: list[Round], outage: Incident, cut: float | None, restored: float | None, *, dns: bool = False
) -> None:
    """The outage starts at the first failed round after a cut and ends at the first answered round after the
    restore, as the rounds themselves show: the round before its start answered, so it was stamped before the
    cut took effect (``cut``: the instant the nft transaction had committed); the round before its end failed, so
    it was stamped before the restore did. None skips a side (a start or an end the daemon did not see)."""

    def down(rnd: Round) -> bool:
        role = Role.DNS if dns else Role.ANCHOR
        return not any(sample.ok for sample in rnd.by_role(role))

    def failed(rnd: Round) -> bool:
        """Down, or its names failing: a run of failed rounds is backdated to its first, which may be the round
        the cut took effect in (its echoes answered, its DNS query timed out across the cut)."""
        return down(rnd) or not any(sample.ok for sample in rnd.by_role(Role.DNS))

    stamps = [r.at for r in rounds]
    if cut is not None:
        first = stamps.index(outage.start)
        assert first > 0 and failed(rounds[first]) and not failed(rounds[first - 1]), rounds[first - 1 : first + 1]
        assert cut - BEFORE <= outage.start and rounds[first - 1].at < cut, (outage.start - cut, outage)
    if restored is not None:
        assert outage.end is not None
        back = stamps.index(outage.end)
        assert not down(rounds[back]) and down(rounds[back - 1]), rounds[back - 1 : back + 1]
        assert restored - BEFORE <= outage.end and rounds[back - 1].at < restored, (outage.end - restored, outage)
