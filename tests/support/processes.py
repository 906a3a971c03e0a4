"""Child processes the tests start: waiting for the line that says one is ready, stopping one for good, and
polling for a condition while one runs.

Owns those three steps for every helper process (fake servers, real servers, the daemon): ``wait_line``,
``stop`` (SIGTERM, SIGKILL when it lingers, then its pipes closed) and ``wait_for`` (a condition polled until it
holds, the test failed with the process's log when it exits or time runs out). Must not start processes (each
test or harness knows its command) or judge their output beyond the line it waits for.
"""

from __future__ import annotations

import contextlib
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


def wait_line(proc: subprocess.Popen[str], expected: str, timeout: float = 10.0) -> None:
    """Read one line of ``proc``'s stdout; raise unless it is ``expected`` within ``timeout`` s."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline().strip() if ready else ""
    if line != expected:
        err = proc.stderr.read() if proc.stderr and proc.poll() is not None else ""
        raise RuntimeError(f"server said {line!r}, expected {expected!r}: {err}")


def stop(proc: subprocess.Popen[Any], timeout: float = 5.0) -> int:
    """SIGTERM (SIGKILL after ``timeout`` s) unless it has exited, then close its pipes; its exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    return proc.returncode


def wait_for(
    what: str,
    check: Callable[[], T | None],
    timeout: float = 10.0,
    *,
    proc: subprocess.Popen[Any] | None = None,
    log: Path | Callable[[], str] | None = None,
    every: float = 0.05,
    tolerate: tuple[type[Exception], ...] = (),
) -> T:
    """Call ``check`` every ``every`` s until it returns something true, and return that. Fail the test when
    ``proc`` exits first or ``timeout`` s pass, with ``log`` (a file, or a function giving the text). An
    exception of a type in ``tolerate`` counts as "not yet" (a store that does not exist yet, say)."""

    def logs() -> str:
        if log is None:
            return ""
        return "; log:\n" + (log.read_text(errors="replace") if isinstance(log, Path) else log())

    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the process exited ({proc.returncode}) while waiting for {what}{logs()}")
        try:
            value = check()
        except tolerate:
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}{logs()}")
        time.sleep(every)
