"""What the daemon's children inherit: a speed-test tool and a notification command run by a process that holds
CAP_NET_RAW as an ambient capability (as the service grants it) get no capability at all, while the process itself
keeps it. A real non-root process made with setpriv; needs root to make it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.skipping import need, unavailable

CHILD = """
import json, threading
from netwatch.adapters.probes.speed._proc import run_command
from netwatch.adapters.notify import CommandChannel
from netwatch.core.model import Message

def caps(text):
    return {k: v.strip() for k, v in (line.split(":", 1) for line in text.splitlines() if line.startswith("Cap"))}

mine = caps(open("/proc/self/status").read())
tool = caps(run_command(["cat", "/proc/self/status"], threading.Event(), 10).stdout)
CommandChannel(["sh", "-c", "grep ^Cap /proc/self/status > $OUT"], 10).send(
    Message(key="k", event="test", title="t", text="x", markdown="x", data={}), threading.Event()
)
after = caps(open("/proc/self/status").read())
print(json.dumps({"daemon": mine, "tool": tool, "after": after}))
"""


def test_children_get_none_of_the_daemons_ambient_capabilities() -> None:
    if os.geteuid() != 0:
        unavailable("needs root: setpriv makes a non-root process holding an ambient capability")
    need("setpriv", "apt-get install util-linux")
    with tempfile.TemporaryDirectory() as shared:  # the test's own tmp_path is root's only
        Path(shared).chmod(0o777)
        run(Path(shared))


def run(tmp_path: Path) -> None:
    out = tmp_path / "command.txt"
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    ambient = ["--inh-caps=+net_raw", "--ambient-caps=+net_raw"]
    env = {**os.environ, "OUT": str(out)}
    done = subprocess.run(
        [*nobody, *ambient, sys.executable, "-c", CHILD], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    net_raw = f"{1 << 13:016x}"
    assert seen["daemon"]["CapAmb"] == seen["daemon"]["CapEff"] == net_raw  # what the service grants the daemon
    assert seen["tool"]["CapAmb"] == seen["tool"]["CapEff"] == seen["tool"]["CapPrm"] == "0" * 16
    assert seen["after"]["CapEff"] == net_raw  # the daemon keeps its own: raw sockets for traceroutes
    command = {k: v.strip() for k, v in (line.split(":", 1) for line in out.read_text().splitlines())}
    assert command["CapAmb"] == command["CapEff"] == command["CapPrm"] == "0" * 16
