"""A real systemd 252 as PID 1 of a `systemd-nspawn` container, for the tests of the installed service.

Owns the container's root file system (a minbase Debian bookworm made by debootstrap, cached under the temporary
directory keyed by its suite and package list, so that the next run of the suite reuses it), booting it when the
host's PID 1 is not systemd (no machined, no D-Bus: ``--register=no --keep-unit``, a cgroup of its own in every
writable hierarchy, the unified hierarchy and the ``bpf`` system call so that IPAddressDeny= and DevicePolicy= are
really enforced, ``adjtimex`` so that netwatch can read the NTP state), running commands inside it, stopping it,
and the wheelhouse that `./bootstrap install --wheelhouse` installs from (the container has no network).

Commands run with ``Container.run`` are nsenter'd: they keep the host's capabilities and have no seccomp filter.
Whatever must be checked under a unit's sandbox goes through ``Container.in_unit`` (`systemd-run --wait --pipe`).
Must not decide what a test checks, and must not touch the host's systemd, network or packages.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
# systemd as PID 1 and D-Bus; python3-venv (with the pip wheel, so `python3 -m venv` works offline) for `./bootstrap
# install`; iproute2 and nftables for the simulated ISP inside; procps for pgrep.
PACKAGES = ("systemd", "systemd-sysv", "dbus", "python3", "python3-venv", "iproute2", "nftables", "procps")
# nspawn's seccomp allowlist leaves out bpf (without it IPAddressDeny= and DevicePolicy= are silently not
# enforced) and allows the @clock calls only with CAP_SYS_TIME (netwatch reads the NTP state with adjtimex).
SYSCALLS = "bpf adjtimex clock_adjtime"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HIERARCHIES = ("/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup")
REPO = Path(__file__).parents[2]


class NspawnUnavailable(Exception):
    """This machine cannot boot the container (the message says why)."""


def missing() -> str | None:
    """Why no container can boot here, or None."""
    if os.geteuid() != 0:
        return "needs root to boot a systemd-nspawn container"
    absent = [tool for tool in ("systemd-nspawn", "debootstrap", "nsenter") if shutil.which(tool) is None]
    if absent:
        return f"needs {', '.join(absent)} (./bootstrap test installs systemd-container and debootstrap)"
    return None


def cache_dir() -> Path:
    """Where the root file system is kept between runs: a change of suite or package list makes a new one."""
    key = hashlib.sha256(" ".join((SUITE, MIRROR, *PACKAGES)).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"netwatch-nspawn-{SUITE}-{key}"


def rootfs(log: Path) -> Path:
    """The cached root file system, built first (about a minute, from the Debian mirror) when it is not there.

    Built beside its final place and renamed when complete, under a lock, so that an interrupted or concurrent
    build never leaves a half-made tree where a later run would use it."""
    final = cache_dir()
    final.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{final}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / "usr/bin/python3").exists():
            return final
        building = Path(f"{final}.building")
        # An interrupted debootstrap can leave /proc or /sys mounted inside: never delete through a mount.
        mounted = [m for m in Path("/proc/self/mounts").read_text().split() if m.startswith(f"{building}/")]
        if mounted:
            raise NspawnUnavailable(f"an interrupted build left mounts: umount {' '.join(mounted)}")
        shutil.rmtree(building, ignore_errors=True)
        command = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(building), MIRROR]
        with log.open("wb") as out:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, timeout=900)
        if done.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            raise NspawnUnavailable(f"debootstrap failed (exit {done.returncode}); see {log}")
        for debs in (building / "var/cache/apt/archives").glob("*.deb"):
            debs.unlink()
        shutil.rmtree(building / "var/lib/apt/lists", ignore_errors=True)
        (building / "etc/hostname").write_text("netwatch-test\n")
        building.rename(final)
        return final


def wheelhouse(directory: Path, extras: str) -> Path:
    """Wheels of netwatch's dependencies (with ``extras``) and of its build backend, made from this checkout with
    the host's pip, for an install without network; the checkout itself is built inside (as bootstrap does)."""
    source = directory / "source"
    wheels = directory / "wheels"
    source.mkdir(parents=True)
    pack = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    )
    for name in pack.stdout.decode().split("\0"):
        if name and (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "-w", str(wheels), f"{source}[{extras}]"], check=True, capture_output=True)
    subprocess.run([*pip, "download", "-d", str(wheels), "setuptools>=68", "wheel"], check=True, capture_output=True)
    for built in wheels.glob("netwatch-*.whl"):
        built.unlink()  # bootstrap installs the checkout, not a wheel made outside
    return wheels


class Container:
    """One booted container (``--volatile=overlay``: the cached tree stays clean, every boot starts from it)."""

    def __init__(self, name: str, root: Path, log: Path, *binds: tuple[Path, str]) -> None:
        self.name = name
        self.root = root
        self.log = log
        self.binds = binds
        self.leader = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def _cgroups(self) -> list[Path]:
        """A cgroup of its own in every writable hierarchy: without host systemd nspawn puts the container under
        the caller's cgroup, and two containers started from one cgroup would share (and fight over) it."""
        own = []
        for hierarchy in HIERARCHIES:
            if os.access(f"{hierarchy}/cgroup.procs", os.W_OK):
                path = Path(hierarchy, f"nspawn-{self.name}")
                path.mkdir(exist_ok=True)
                own.append(path / "cgroup.procs")
        return own

    def start(self, timeout: float = 60.0) -> str:
        """Boot; the state `systemctl is-system-running --wait` reports once boot is done (running or degraded)."""
        procs = self._cgroups()

        def enter_own_cgroups() -> None:
            for procs_file in procs:
                procs_file.write_text(str(os.getpid()))

        command = [
            "systemd-nspawn",
            "-D",
            str(self.root),
            f"--machine={self.name}",
            "--boot",
            "--register=no",
            "--keep-unit",
            "--private-network",
            "--console=read-only",
            "--volatile=overlay",
            f"--system-call-filter={SYSCALLS}",
            *(f"--bind-ro={host}:{inside}" for host, inside in self.binds),
        ]
        env = dict(os.environ, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY="1")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=enter_own_cgroups,
            )
        deadline = time.monotonic() + timeout
        while not self.leader:
            if self.proc.poll() is not None:
                raise NspawnUnavailable(f"systemd-nspawn exited {self.proc.returncode}: {self.log.read_text()}")
            if time.monotonic() > deadline:
                raise NspawnUnavailable(f"no systemd in the container after {timeout:g} s: {self.log.read_text()}")
            self.leader = self._find_leader()
            time.sleep(0.05)
        while True:  # "offline" until PID 1 answers on its private socket
            state = self.run("systemctl", "is-system-running", "--wait", check=False, timeout=timeout).stdout.strip()
            if state in ("running", "degraded"):
                return state
            if time.monotonic() > deadline:
                raise NspawnUnavailable(f"the container's systemd says {state!r}: {self.log.read_text()}")
            time.sleep(0.1)

    def _find_leader(self) -> int:
        """nspawn's child once it has become systemd (PID 1 inside); 0 before."""
        assert self.proc is not None
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            for pid in children:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "systemd":
                    return int(pid)
        return 0

    def run(
        self, *argv: str, check: bool = True, timeout: float = 60.0, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``argv`` inside the container's namespaces, as root with the host's capabilities and no seccomp, and a
        clean environment (the host's, e.g. its pip settings, must not leak in)."""
        env = {"PATH": PATH, "LANG": "C.UTF-8"}
        command = ["nsenter", "-t", str(self.leader), "-a", "--wdns=/", *argv]
        done = subprocess.run(command, env=env, text=True, capture_output=True, timeout=timeout, input=input)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
        return done

    def in_unit(
        self, *argv: str, properties: tuple[str, ...] = (), check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """``argv`` as a transient service of the container's systemd with these properties (``Key=value``), its
        output piped back: what runs there is confined as a unit's process is."""
        options = [f"--property={p}" for p in properties]
        return self.run("systemd-run", "--wait", "--pipe", "--quiet", "--collect", *options, *argv, check=check)

    def stop(self, timeout: float = 30.0) -> int | None:
        """Power off (SIGRTMIN+3 to PID 1), wait for nspawn, remove the cgroups it leaves; nspawn's exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None and self.leader:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.leader, signal.SIGRTMIN + 3)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for hierarchy in HIERARCHIES:
            own = Path(hierarchy, f"nspawn-{self.name}")
            for directory in sorted(own.glob("**/"), key=lambda p: -len(p.parts)):
                with contextlib.suppress(OSError):
                    directory.rmdir()
        return self.proc.returncode
