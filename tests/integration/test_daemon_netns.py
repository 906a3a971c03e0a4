"""The real daemon inside the simulated ISP: links are cut at known instants and the store must tell the truth.

One daemon (a round every 0.2 s) runs in the home namespace for the whole module; each test injects one fault,
notes the instants it took effect, and compares the incidents the daemon committed with that ground truth. The
crash test runs a second daemon of its own.
"""

from __future__ import annotations

import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwatch.adapters.store.sqlite import Store
from netwatch.core.model import Cause, Incident, Kind, Role, StoredTrace
from tests.support import configs
from tests.support.netns_daemon import (
    CONFIRM,
    INTERVAL,
    Daemon,
    bounded_by,
    incidents_since,
    module_config,
    rounds_since,
    settle,
    start_daemon,
    wait_for,
)
from tests.support.netns_isp import ANCHOR6, ANCHORS, GATEWAY, ISP_EDGE, Isp

pytestmark = pytest.mark.netns


@pytest.fixture(scope="module")
def daemon(isp: Isp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = start_daemon(isp, tmp_path_factory.mktemp("daemon"), "module", commit_interval=0.5)
    started = time.time()
    wait_for("the first committed rounds", lambda: rounds_since(d, started - 5) >= 5, 30, d)
    yield d
    if d.proc.poll() is None:
        d.proc.send_signal(signal.SIGTERM)
        d.proc.wait(timeout=10)


def assert_one_outage(daemon: Daemon, since: float, cut: float, restored: float, cause: Cause) -> Incident:
    def closed() -> list[Incident] | None:
        found = [i for i in incidents_since(daemon, since) if i.kind is Kind.OUTAGE]
        return found if found and all(i.end is not None for i in found) else None

    outages = wait_for("the outage to be closed", closed, 10, daemon)
    assert len(outages) == 1, outages
    (outage,) = outages
    assert outage.cause is cause, outage
    assert outage.end is not None
    with Store.open(daemon.store, readonly=True) as store:
        rounds = list(store.rounds(outage.start - 5, outage.end + 5))
    bounded_by(rounds, outage, cut, restored, dns=cause is Cause.DNS)
    return outage


def test_targets_are_discovered_and_ipv6_anchors_answer(daemon: Daemon) -> None:
    with Store.open(daemon.store, readonly=True) as store:
        last = wait_for("a round with the ISP hop", lambda: _with_isp(daemon), 15, daemon)
        assert [s.target.address for s in last.by_role(Role.GATEWAY)] == [GATEWAY]
        assert [s.target.address for s in last.by_role(Role.ISP)] == [ISP_EDGE]
        assert {s.target.address for s in last.by_role(Role.ANCHOR)} == {*ANCHORS, ANCHOR6}
        assert all(s.ok for s in last.samples), last
        assert [s.target.address for s in last.by_role(Role.DNS)] == ["example.test"]
        assert store.open_incidents() == []
    log = daemon.logs()
    assert f"<6>gateway is {GATEWAY} (default route)" in log
    assert f"<6>ISP hop is {ISP_EDGE} (first hop beyond the gateway)" in log


def _with_isp(daemon: Daemon):  # type: ignore[no-untyped-def]
    with Store.open(daemon.store, readonly=True) as store:
        last = store.last_round()
    return last if last is not None and last.by_role(Role.ISP) else None


@pytest.mark.parametrize(
    ("link", "cause"),
    [("lan", Cause.LOCAL), ("access", Cause.ISP), ("core", Cause.UPSTREAM), ("dns", Cause.DNS)],
)
def test_a_cut_is_exactly_one_outage_with_the_right_cause(daemon: Daemon, net: Isp, link: str, cause: Cause) -> None:
    since = settle(daemon)
    cut = net.cut(link)
    time.sleep(2.0)
    restored = net.restore(link) if link != "dns" else net.dns_fail(False)
    outage = assert_one_outage(daemon, since, cut, restored, cause)
    assert outage.rounds >= int(2.0 / INTERVAL) - 2
    log = daemon.logs()
    assert "<4>OUTAGE STARTED at " in log and "<4>OUTAGE ENDED at " in log
    # A traceroute towards the first IPv4 anchor was taken when the outage began, stored with it: it shows where
    # the path ended during the cut.
    with Store.open(daemon.store, readonly=True) as store:
        [stored] = [t for t in store.traces(since, time.time()) if t.incident_start == outage.start]
    assert (stored.reason, stored.incident_kind, stored.trace.destination) == (
        "outage started",
        Kind.OUTAGE,
        ANCHORS[0],
    )
    assert outage.start <= stored.at <= (outage.end or 0)
    last = stored.trace.last_answer
    ends_at = {"lan": None, "access": GATEWAY, "core": ISP_EDGE, "dns": ANCHORS[0]}[link]
    assert (last.address if last else None) == ends_at, stored.trace
    assert stored.trace.reached is (link == "dns")


def test_an_isp_hop_that_stops_answering_gets_a_traceroute(daemon: Daemon, net: Isp) -> None:
    """The ISP edge stops answering pings while the line works (no outage): the path is traced as evidence."""
    since = settle(daemon)
    net.mute_isp_hop(True)
    time.sleep((CONFIRM + 3) * INTERVAL + 1.0)
    net.mute_isp_hop(False)

    def traced() -> list[StoredTrace] | None:
        with Store.open(daemon.store, readonly=True) as store:
            found = [t for t in store.traces(since, time.time()) if t.reason == "the ISP hop stopped answering"]
        return found or None

    [stored] = wait_for("the traceroute", traced, 10, daemon)
    assert [i for i in incidents_since(daemon, since) if i.kind is Kind.OUTAGE] == []
    assert stored.trace.reached and stored.trace.destination == ANCHORS[0]
    assert [h.address for h in stored.trace.hops[:2]] == [GATEWAY, ISP_EDGE]  # it still forwards and says so


def test_a_cut_shorter_than_confirm_rounds_is_loss_not_an_outage(daemon: Daemon, net: Isp) -> None:
    since = settle(daemon)
    net.cut("core")
    time.sleep(INTERVAL * (CONFIRM - 1) - 0.1)
    net.restore("core")
    time.sleep(CONFIRM * INTERVAL + 1.0)
    outages = [i for i in incidents_since(daemon, since) if i.kind is Kind.OUTAGE]
    with Store.open(daemon.store, readonly=True) as store:
        rounds = list(store.rounds(since, time.time()))
    lost = [n for n, r in enumerate(rounds) if not any(s.ok for s in r.by_role(Role.ANCHOR))]
    assert lost and lost == list(range(lost[0], lost[-1] + 1)), "the blip is recorded as lost rounds, in a row"
    if len(lost) < CONFIRM:  # the case this test is about: fewer than CONFIRM rounds lost are loss, no outage
        assert outages == []
    else:  # a machine so busy that the sleep or the restore ran late made the blip CONFIRM rounds long: an outage
        assert [(o.start, o.end) for o in outages] == [(rounds[lost[0]].at, rounds[lost[-1] + 1].at)]


def test_ten_percent_loss_is_degraded_not_an_outage(daemon: Daemon, net: Isp) -> None:
    since = settle(daemon)
    net.set_loss("access", 10)
    # Long enough (about 100 rounds) for the ISP hop's one echo per round to show its share of the loss.
    time.sleep(20.0)
    net.set_loss("access", 0)

    def degraded_closed() -> list[Incident] | None:
        found = [i for i in incidents_since(daemon, since) if i.kind is Kind.DEGRADED]
        return found if found and all(i.end is not None for i in found) else None

    # Closing takes a window to clear and a whole window under the clear ratio: about 12 s here.
    degraded = wait_for("the degraded incident to close", degraded_closed, 40, daemon)
    assert [i for i in incidents_since(daemon, since) if i.kind is Kind.OUTAGE] == []
    assert len(degraded) == 1, degraded
    # Beyond the home network, never blamed on it (the gateway lost nothing). Whether the ISP hop is blamed
    # depends on its own echoes showing the loss: in this harness they have twice shown about a third of the
    # anchors' loss rate over the same link (not understood yet; see the session note), under the threshold:
    # then "upstream". The unit tests pin the localisation rule itself.
    assert degraded[0].cause in (Cause.ISP, Cause.UPSTREAM), degraded
    assert "gateway lost 0/" in degraded[0].detail and "ISP hop lost" in degraded[0].detail


def test_kill_9_during_an_outage_then_restart_keeps_the_data_consistent(
    net: Isp, tmp_path: Path, daemon: Daemon
) -> None:
    first = start_daemon(net, tmp_path, "crash", commit_interval=10.0)
    began = time.time()
    wait_for("the ISP hop", lambda: _with_isp(first) if first.store.exists() else None, 30, first)
    cut = net.cut("core")
    opened = wait_for("the outage to open", lambda: [i for i in incidents_since(first, began) if i.is_open], 10, first)
    time.sleep(1.0)
    first.proc.kill()
    first.proc.wait(timeout=10)
    killed = time.time()
    time.sleep(1.0)

    second = start_daemon(net, tmp_path, "crash", commit_interval=10.0)
    restarted = time.time()

    def after_restart(still_open: bool) -> list[Incident]:
        return [i for i in incidents_since(second, restarted) if i.start >= restarted and i.is_open == still_open]

    wait_for("a new outage after the restart", lambda: after_restart(True), 15, second)
    restored = net.restore("core")
    wait_for("the second outage to close", lambda: after_restart(False), 10, second)
    stop = time.time()
    second.proc.send_signal(signal.SIGTERM)
    assert second.proc.wait(timeout=30) == 0, second.logs()  # systemd's TimeoutStopSec

    with sqlite3.connect(second.store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    with Store.open(second.store, readonly=True) as store:
        outages = [i for i in store.incidents(began, time.time()) if i.kind is Kind.OUTAGE]
        sessions = store.sessions(began - 60, time.time())
        rounds = list(store.rounds(began - 60, time.time() + 60))
    assert len(outages) == 2, outages
    crashed, resumed = outages
    assert crashed.start == opened[0].start
    bounded_by(rounds, crashed, cut, None)  # it ended where the crash left it: at the last stored round
    assert crashed.end is not None and crashed.start < crashed.end <= killed
    assert resumed.start >= restarted
    bounded_by(rounds, resumed, None, restored)  # it began with the restart, the line already down
    assert crashed.end <= resumed.start, "incidents never overlap"
    assert [s.clean for s in sessions] == [False, True]
    assert sessions[0].end <= killed and sessions[1].start >= killed, "the crash gap is unmonitored"
    # SIGTERM flushed the last batch though no commit was due (commit_interval is 10 s): every round the second
    # daemon took is stored, and its session ends at the last of them.
    taken = re.search(r"netwatch stopped after (\d+) rounds", second.logs())
    assert taken is not None, second.logs()
    stored = [r for r in rounds if sessions[1].start <= r.at <= sessions[1].end]
    assert len(stored) == int(taken[1]) and stored[-1].at == sessions[1].end <= stop
    assert "closed outage (cause upstream)" in second.logs() and "left open by an unclean stop" in second.logs()
    with Store.open(second.store, readonly=True) as store:
        result = store.verify()  # kill -9 lost an uncommitted batch, never a sealed one: nothing looks tampered
    assert result.ok, result.breaks


def test_probe_prints_one_round_as_a_table(daemon: Daemon, net: Isp, tmp_path: Path) -> None:
    # The daemon's store, read without writing: probe takes the ISP hop it remembered (discovery is impossible
    # during a cut); its own state directory stays empty.
    cfg = configs.write(tmp_path / "probe.toml", module_config(daemon.store, commit_interval=1.0))
    with Store.open(daemon.store, readonly=True) as store:
        assert store.isp_hop() == ISP_EDGE
    command = ("env", f"NETWATCH_STATE_DIR={tmp_path}", sys.executable, "-m", "netwatch", "probe", "--config", str(cfg))
    done = net.run("home", *command)
    rows = [line.split() for line in done.stdout.splitlines()]
    assert rows[0] == ["TARGET", "ROLE", "RESULT"]
    by_target = {r[0]: r[1:] for r in rows[1:] if len(r) >= 3 and r[1] in {"gateway", "isp", "anchor", "dns"}}
    assert by_target[GATEWAY][0] == "gateway" and by_target[ISP_EDGE][0] == "isp"
    assert {t for t, r in by_target.items() if r[0] == "anchor"} == {*ANCHORS, ANCHOR6}
    assert all(r[2] == "ms" for r in by_target.values()), done.stdout
    assert done.stdout.endswith("Verdict: the line is up\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["probe.toml"], "probe stores nothing"

    net.cut("access")
    done = net.run("home", *command)
    assert done.stdout.endswith("Verdict: the line looks down, cause isp\n"), done.stdout


def test_run_without_icmp_permission_names_both_fixes(net: Isp) -> None:
    # Group 0 is outside ping_group_range "1 0", and raw sockets need the capability this process lacks.
    shared = Path(tempfile.mkdtemp(prefix="netwatch-perm-"))
    try:
        shared.chmod(0o755)
        auto = module_config(shared / "state" / "netwatch.db", commit_interval=1.0, probe={"mode": "auto"})
        cfg = configs.write(shared / "c.toml", auto)
        cfg.chmod(0o644)
        net.run("home", "sysctl", "-qw", "net.ipv4.ping_group_range=1 0")
        drop = ("setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw")  # root, but without CAP_NET_RAW
        environment = ("env", f"NETWATCH_STATE_DIR={shared / 'state'}", "PYTHONDONTWRITEBYTECODE=1")
        command = (*drop, *environment, sys.executable, "-m", "netwatch", "run", "--config", str(cfg))
        done = net.run("home", *command, check=False)
        assert done.returncode == 5, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith("netwatch: cannot open ICMP sockets: ")
        assert "net.ipv4.ping_group_range" in done.stderr and "CAP_NET_RAW" in done.stderr
        assert not (shared / "state").exists(), "nothing is created before probing is possible"
    finally:
        net.run("home", "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
        shutil.rmtree(shared)


def test_the_store_of_the_whole_module_verifies(daemon: Daemon) -> None:
    """Everything the scenarios above made the daemon write (outages of every cause, degradation, traceroutes,
    export-free commits every 0.5 s) is intact against its seals, read while the daemon keeps writing."""
    with Store.open(daemon.store, readonly=True) as store:
        result = store.verify()
    assert result.ok, result.breaks
    assert result.rounds > 100 and result.records >= 5
