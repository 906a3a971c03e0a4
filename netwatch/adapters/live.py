"""The running daemon's state after each round, in a small file in RAM: how a page or a command knows the line's
state within a round, while the store commits only every ``[store] commit_interval`` seconds.

Owns where the file lives and its bytes. It is written after every round, in place through one descriptor kept
open (``LiveFile``), its document followed by its checksum, so that a reader that meets a write half-way reads it
again rather than take it for a state; into a RAM directory only — systemd's ``$RUNTIME_DIRECTORY``
(/run/netwatch), else /run/netwatch when writable, else ``$XDG_RUNTIME_DIR/netwatch`` — never to the SD card: with
no RAM directory the daemon writes nothing and readers fall back to the store. The file is named after the store
(``live-<hash>.json``), so that two daemons with two stores never mix, and removed on a clean stop. Also tells
the facts a reader judges a file by: this machine's boot (``current_boot``; a file's monotonic instant compares
only within one) and whether its writer's process still exists (``process_exists``). Must not decide whether the
daemon still runs (``netwatch.app.now`` does, from the file's age and pid) nor be written anywhere but from the
probe loop.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netwatch.core.model import Cause, Incident, Kind, Live, Role, Round, Sample, Target

SYSTEM_DIR = Path("/run/netwatch")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
MAX_BYTES = 256 * 1024  # a live file is a few kilobytes; anything larger is not ours


def name_for(store: Path) -> str:
    """The file's name for the store at ``store``: the same for the daemon and every reader."""
    digest = hashlib.sha256(str(store.resolve()).encode()).hexdigest()[:12]
    return f"live-{digest}.json"


def directories(env: Mapping[str, str]) -> list[Path]:
    """The RAM directories the file may be in, the daemon's choice first."""
    found = [Path(env["RUNTIME_DIRECTORY"].split(":")[0])] if env.get("RUNTIME_DIRECTORY") else []
    found.append(SYSTEM_DIR)
    if env.get("XDG_RUNTIME_DIR"):
        found.append(Path(env["XDG_RUNTIME_DIR"]) / "netwatch")
    found.append(Path(f"/run/user/{os.getuid()}") / "netwatch")
    return list(dict.fromkeys(found))


def writable_path(store: Path, env: Mapping[str, str]) -> Path | None:
    """Where the daemon writes the file: the first RAM directory it can create and write; None when none."""
    for directory in directories(env):
        if not directory.parent.is_dir():
            continue
        try:
            directory.mkdir(mode=0o755, exist_ok=True)
        except OSError:
            continue
        if os.access(directory, os.W_OK):
            return directory / name_for(store)
    return None


def _sample(s: Sample) -> list[Any]:
    return [s.target.role.value, s.target.address, s.rtt_ms, s.error]


def _incident(i: Incident) -> dict[str, Any]:
    return {"kind": i.kind.value, "cause": i.cause.value, "start": i.start, "rounds": i.rounds, "detail": i.detail}


def encode(live: Live) -> bytes:
    rnd = live.last_round
    doc = {
        "pid": live.pid,
        "boot_id": live.boot_id,
        "written": live.written,
        "mono": live.mono,
        "interval": live.interval,
        "session_start": live.session_start,
        "last_round": None if rnd is None else {"at": rnd.at, "samples": [_sample(s) for s in rnd.samples]},
        "open_incidents": [_incident(i) for i in live.open_incidents],
        "failing": live.failing,
        "trusted": live.trusted,
        "version": live.version,
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def decode(data: bytes) -> Live:
    """The record of a file's bytes; raises ValueError (or KeyError, TypeError) for anything else."""
    doc = json.loads(data)
    rnd = doc["last_round"]
    last = None
    if rnd is not None:
        samples = tuple(
            Sample(Target(Role(role), str(address)), None if rtt is None else float(rtt), str(error))
            for role, address, rtt, error in rnd["samples"]
        )
        last = Round(float(rnd["at"]), samples)
    incidents = tuple(
        Incident(
            Kind(i["kind"]), Cause(i["cause"]), float(i["start"]), rounds=int(i["rounds"]), detail=str(i["detail"])
        )
        for i in doc["open_incidents"]
    )
    return Live(
        pid=int(doc["pid"]),
        boot_id=str(doc["boot_id"]),
        written=float(doc["written"]),
        mono=float(doc["mono"]),
        interval=float(doc["interval"]),
        session_start=float(doc["session_start"]),
        last_round=last,
        open_incidents=incidents,
        failing=int(doc["failing"]),
        trusted=bool(doc["trusted"]),
        version=str(doc["version"]),
    )


TRAILER = 10  # bytes after the document: "\n", its CRC-32 in 8 hex digits, "\n"
READ_TRIES = 3  # reads of a file that met a write half-way before it is passed over


def framed(body: bytes, size: int = 0) -> bytes:
    """``body`` as the file holds it: padded with spaces (JSON's whitespace) to at least ``size`` bytes in all, so
    that a shorter state rewritten in place leaves nothing of a longer one, then the trailer, the CRC-32 of
    everything before it: a reader that met a write half-way sees a mismatch."""
    padded = body + b" " * (size - TRAILER - len(body))
    return b"%s\n%08x\n" % (padded, zlib.crc32(padded))


def unframed(data: bytes) -> bytes | None:
    """The document of a file's bytes; None when its trailer does not match (a write was met half-way). A file
    without a trailer (the atomic file of netwatch 0.x, until it restarts) is the document itself."""
    if not data.endswith(b"\n"):
        return data
    body, newline, crc = data[:-1].rpartition(b"\n")
    if not newline or len(crc) != 8:
        return None
    try:
        return body if int(crc, 16) == zlib.crc32(body) else None
    except ValueError:
        return None


def write(path: Path, live: Live) -> None:
    """Write ``live`` to ``path`` once, as the daemon's ``LiveFile`` does (tests and tools). Raises OSError."""
    once = LiveFile(path)
    try:
        once.write(live)
    finally:
        once.close()


class LiveFile:
    """The daemon's file, written after every round in place through one descriptor kept open: one ``pwrite`` a
    round, where a temporary file renamed over it cost an open, a close and a rename (on a disk, the rename also
    starts the new file's writeback), all the daemon's largest system cost. The trailer's checksum stands in for
    the rename's atomicity. ``remove`` closes and unlinks it; the next ``write`` creates it again, as it does, within
    ``RELINK_EVERY`` writes, when someone else deleted the file under the open descriptor (readers would otherwise
    never see the daemon again)."""

    RELINK_EVERY = 60  # writes between looks at whether the file is still linked (one fstat)

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._size = 0  # the longest state written: a shorter one is padded to it
        self._writes = 0

    def write(self, live: Live) -> None:
        """The file holds ``live`` once this returns. Raises OSError."""
        self._writes += 1
        if self._fd is not None and self._writes % self.RELINK_EVERY == 0 and os.fstat(self._fd).st_nlink == 0:
            self.close()
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            self._size = 0
        data = framed(encode(live), self._size)
        written = 0
        while written < len(data):
            written += os.pwrite(self._fd, memoryview(data)[written:], written)
        self._size = len(data)

    def remove(self) -> None:
        """Unlink the file (a clean stop, or monitoring paused): readers then know at once that nothing is
        measured."""
        remove(self.path)
        self.close()

    def close(self) -> None:
        """Let go of the descriptor, leaving the file as it is; the next ``write`` opens it again."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read(store: Path, env: Mapping[str, str]) -> Live | None:
    """The newest live file of ``store`` in any RAM directory; None when there is none (or it is not readable)."""
    found: list[Live] = []
    for directory in directories(env):
        path = directory / name_for(store)
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError:
            continue
        if len(data) > MAX_BYTES:
            continue
        with contextlib.suppress(ValueError, KeyError, TypeError):
            found.append(decode(_document(path, data)))
    return max(found, key=lambda live: live.written, default=None)


def _document(path: Path, data: bytes) -> bytes:
    """The document of the file at ``path`` (``data``, its bytes as first read), read again while it was met half-way
    through a write; raises ValueError when it still is."""
    for attempt in range(1, READ_TRIES + 1):
        body = unframed(data)
        if body is not None:
            return body
        if attempt == READ_TRIES:
            break
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError as err:
            raise ValueError(str(err)) from err
    raise ValueError(f"{path} was being written at each of {READ_TRIES} reads")


def remove(path: Path) -> None:
    """Remove the file at ``path`` (a clean stop): readers then know at once that the daemon is not running."""
    with contextlib.suppress(OSError):
        path.unlink()


def current_boot() -> str:
    """This boot's id, as the daemon writes it into the file ("" when it cannot be read)."""
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""


def process_exists(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (one of another user counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
