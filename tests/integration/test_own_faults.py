"""The probes tell netwatch's own failures from the line's, for real: a process out of file descriptors cannot open
its DNS socket, and a ping this machine's firewall drops is refused at sendto (EPERM, which icmplib reports as
"Broadcast is not allowed"). Both end the probe with the real reason as netwatch's own fault, so that the daemon
records unmonitored time rather than an outage (tests/unit/test_daemon_clock.py has the daemon's side)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from textwrap import dedent

from icmplib.exceptions import SocketBroadcastError

from netwatch.adapters.probes.resources import own_fault
from tests.support.skipping import unavailable


def run(code: str, *wrap: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*wrap, sys.executable, "-c", dedent(code)], capture_output=True, text=True, check=False)


def test_a_dns_probe_out_of_descriptors_is_netwatchs_own_fault() -> None:
    done = run(
        """
        import asyncio, resource
        from netwatch.adapters.probes.dns import DnsProber
        probe = DnsProber(["example.test"], ["127.0.0.1"], 0.2)
        loop = asyncio.new_event_loop()  # its own descriptors first: then every other one is taken
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        hold = []
        while True:
            try:
                hold.append(open("/dev/null"))
            except OSError:
                break
        try:
            loop.run_until_complete(probe.probe())
        except Exception as err:
            print(type(err).__name__, err)
        for f in hold:
            f.close()
        loop.close()
        """
    )
    assert done.stdout == (
        "OwnFault netwatch itself could not probe (opening a DNS socket): too many open files (EMFILE)\n"
    ), done.stderr


def test_icmplibs_broadcast_error_is_said_as_what_it_is() -> None:
    try:
        try:  # what icmplib does with any PermissionError of sendto
            raise PermissionError(errno.EPERM, "Operation not permitted")
        except PermissionError:
            raise SocketBroadcastError()  # noqa: B904 (icmplib raises it so, inside the handler)
    except SocketBroadcastError as err:
        fault = own_fault(err, "sending an ICMP echo")
    assert str(fault) == (
        "netwatch itself could not probe (sending an ICMP echo): sending refused by this machine (EPERM: a firewall"
        " rule or the service's sandbox drops it)"
    )


def test_a_ping_the_local_firewall_drops_is_not_a_lost_answer() -> None:
    if os.geteuid() != 0:
        unavailable("needs root: a network namespace of its own with an nftables rule")
    for tool in ("unshare", "nft", "ip"):
        if shutil.which(tool) is None:
            unavailable(f"needs {tool}")
    setup = (
        "ip link set lo up && nft add table inet t && nft add chain inet t out '{ type filter hook output priority 0;"
        ' }\' && nft add rule inet t out icmp type echo-request drop && exec "$@"'
    )
    done = run(
        """
        import asyncio
        from netwatch.adapters.probes.icmp import IcmpProber
        from netwatch.core.model import Role, Target
        prober = IcmpProber(True, 0.3)
        try:
            print(asyncio.run(prober.probe([Target(Role.ANCHOR, "127.0.0.1")])))
        except Exception as err:
            print(type(err).__name__, err)
        """,
        "unshare",
        "--net",
        "sh",
        "-c",
        setup,
        "sh",
    )
    assert done.stdout == (
        "OwnFault netwatch itself could not probe (sending an ICMP echo): sending refused by this machine (EPERM: a"
        " firewall rule or the service's sandbox drops it)\n"
    ), done.stderr
