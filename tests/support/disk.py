"""A full disk, for real: a small tmpfs mounted for one test, and a file that takes its last byte.

Owns mounting and unmounting the tmpfs (root only; skipped, or failed under CI, without) and filling a disk.
Must not touch any file system it did not mount itself.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.support.skipping import unavailable


@contextlib.contextmanager
def tmpfs(tmp_path: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of ``size`` (e.g. "512k") mounted in ``tmp_path``, unmounted afterwards (needs root)."""
    if os.geteuid() != 0:
        unavailable(f"full-disk test needs root to mount a {size} tmpfs")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True, text=True, check=False
    )
    if mounted.returncode != 0:
        unavailable(f"full-disk test cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def fill(path: Path) -> None:
    """Write ``path`` until the disk it is on has no byte left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (65536, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as err:
                assert err.errno == errno.ENOSPC
    finally:
        os.close(fd)
