"""Writing a file so that a reader, a crash or a power cut never leaves half of it.

Owns the one atomic writer: the data goes to a temporary file beside the destination, which is flushed and
fsync'ed, given its mode, renamed over the destination, and then the directory is fsync'ed so that the rename
itself survives a power cut. Every report, letter and evidence bundle netwatch writes goes through it. Must not
decide what is written or where: errors name the option the user can change.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from netwatch.errors import ReportError


def document_mode() -> int:
    """0640 less the process's umask: a report names the owner, their address and account, so it is for its owner
    and the group (the service's group netwatch, that the owner joins) to read and send on, not every user."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o640 & ~umask


def private_mode() -> int:
    """0600 less the process's umask: a file of business data (the evidence bundle) for its owner to pass on."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o600 & ~umask


@contextlib.contextmanager
def replacing(path: Path, *, mode: int | None = None, option: str = "--output") -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new content into; on a clean exit of the block it replaces ``path``
    (with ``mode``, default ``document_mode()``), on an error ``path`` is untouched and the temporary file gone.
    Raises ReportError naming ``option`` when it cannot be written."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as err:
        raise ReportError(f"cannot write {path}: {err.strerror}; choose a writable {option}") from err
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, document_mode() if mode is None else mode)
        os.replace(tmp, path)
        sync_directory(directory)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise ReportError(f"cannot write {path}: {err.strerror}; choose a writable {option}") from err
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: str | bytes, option: str = "--output") -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) so that readers see the old file or the new one."""
    with replacing(path, option=option) as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)


def sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a power cut right after must not bring the old file back)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
