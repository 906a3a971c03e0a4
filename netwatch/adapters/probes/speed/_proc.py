"""Running a speed test tool as a child process that a cancel event or a deadline can stop at once.

Owns starting the process (without the daemon's ambient capabilities), collecting its output (into temporary
files, so a chatty tool can never block on a full pipe), and terminating it (SIGTERM, then SIGKILL half a second
later). It must not interpret the output.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO

from netwatch.adapters.children import drop_ambient

OUTPUT_LIMIT = 4_000_000  # bytes of stdout / stderr read back; tools print kilobytes
POLL = 0.05  # seconds between checks of the cancel event
GRACE = 0.5  # seconds between SIGTERM and SIGKILL


@dataclass(frozen=True)
class Outcome:
    """How a child process ended. ``returncode`` is None when it never started or was stopped by us."""

    returncode: int | None
    stdout: str = ""
    stderr: str = ""
    cancelled: bool = False
    timed_out: bool = False
    start_error: str = ""  # why it could not be started (binary missing, not executable)
    duration: float = 0.0

    @property
    def completed(self) -> bool:
        return self.returncode is not None


def run_command(
    argv: Sequence[str],
    cancel: threading.Event,
    timeout: float,
    env: Mapping[str, str] | None = None,
) -> Outcome:
    """Run ``argv`` to completion, or until ``cancel`` is set or ``timeout`` seconds pass (then it is stopped).

    Never raises for the child's sake: a missing or non-executable binary is an ``Outcome`` with
    ``start_error``. Returns within about ``POLL + GRACE`` seconds of ``cancel`` being set.
    """
    start = time.monotonic()
    drop_ambient()  # a speed-test tool gets no raw sockets from the daemon's CAP_NET_RAW
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=dict(env) if env is not None else None,
            )
        except FileNotFoundError:
            return Outcome(None, start_error=f"{argv[0]!r} not found", duration=time.monotonic() - start)
        except PermissionError:
            return Outcome(None, start_error=f"{argv[0]!r} is not executable", duration=time.monotonic() - start)
        except OSError as error:
            return Outcome(None, start_error=f"cannot start {argv[0]!r}: {error}", duration=time.monotonic() - start)
        cancelled = timed_out = False
        deadline = start + timeout
        while proc.poll() is None:
            if cancel.is_set():
                cancelled = True
                break
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            cancel.wait(min(POLL, left))
        if cancelled or timed_out:
            _stop(proc)
        return Outcome(
            None if (cancelled or timed_out) else proc.returncode,
            _read(out),
            _read(err),
            cancelled=cancelled,
            timed_out=timed_out,
            duration=time.monotonic() - start,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        proc.wait(timeout=GRACE)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()


def _read(stream: IO[bytes]) -> str:
    stream.seek(0, os.SEEK_SET)
    return stream.read(OUTPUT_LIMIT).decode("utf-8", errors="replace")


def tail(text: str, lines: int = 3) -> str:
    """The last non-empty ``lines`` of ``text`` joined on one line: the usual place of a tool's error."""
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(kept[-lines:])
