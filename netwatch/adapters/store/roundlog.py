"""The round log: rounds made durable between seals with a few hundred bytes each commit, instead of a transaction.

Owns the file ``<store>.roundlog`` and its records. A SQLite commit of ten rounds rewrites about nine 1-KiB pages
(the rounds' and their index's last pages, the minute's rollups, the session, the seal, the sequence) and a WAL
checkpoint writes them again: 18 times the data, on an SD card. So between seals the daemon appends the rounds it
buffered to this log and syncs it (``fdatasync``), each record in sectors of its own: a power cut then loses no more
than before (the rounds since the last commit), while the store is written once per seal, in whole pages. Every
transaction of the store that inserts rounds takes the logged ones too; the log is then started again from its first
byte (never truncated: a file that keeps its size needs no new blocks per sync, as SQLite's own WAL).

A record is ``MAGIC | length | CRC-32 | body``; its body (varints) holds the round sequence of the store when the
log began (``base``: the id after which its rounds will be inserted), the record's number in the log, the session
the rounds belong to, and the rounds (target set by id once the store has it, else by its JSON text; instant; RTT
blob; errors; whether stamped provisionally). Reading stops at the first record that is torn, damaged, out of order or
of another base: what a crash cut half-way, or what an earlier log left behind beyond the end of this one, or a
log whose rounds the store already took (it has moved past its base). Must not decide when to log or seal (the
daemon does) nor touch SQLite (``sqlite.Store`` does both, in its transactions).
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"NW"
_HEAD = struct.Struct("<2sII")  # magic, body length, CRC-32 of the body
MAX_BODY = 1 << 24  # a record is a commit's rounds (a few hundred bytes), at most MAX_ROUNDS; longer is damage
MAX_ROUNDS = 1000  # per record: a backlog (a disk that refused writes for a while) takes several
SECTOR = 512  # every record starts at a multiple of this
SECTORS = (SECTOR, 4096)  # the sector sizes direct writes try, smallest first: SD cards and most disks take 512
REFUSED = {errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}  # direct I/O not taken (as asked), so not a failure


def path_for(store: Path) -> Path:
    """The round log of the store at ``store``."""
    return store.with_name(f"{store.name}.roundlog")


@dataclass(frozen=True)
class LoggedRound:
    """One round as the log keeps it: its target set (``set_id``, or the set's JSON text when the store has no id
    for it yet), instant, RTT blob, errors JSON and whether it was stamped provisionally."""

    set_id: int
    set_text: str
    at_ms: int
    rtts: bytes
    errors: str | None
    provisional: bool


@dataclass(frozen=True)
class Record:
    """One commit's rounds: the log's base, the record's number in it, the session they belong to (0: none)."""

    base: int
    number: int
    session: int
    rounds: tuple[LoggedRound, ...]


def _varint(value: int, out: bytearray) -> None:
    """``value`` (>= 0) as LEB128: 7 bits a byte, low bits first."""
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)


def _zigzag(value: int) -> int:
    return value * 2 if value >= 0 else -value * 2 - 1


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def varint(self) -> int:
        value = shift = 0
        while True:
            byte = self.data[self.at]  # IndexError past the end: a damaged record
            self.at += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
            if shift > 63:
                raise ValueError("varint too long")

    def signed(self) -> int:
        value = self.varint()
        return value // 2 if value % 2 == 0 else -(value + 1) // 2

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise ValueError("past the end")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk


def encode(record: Record) -> bytes:
    """A record's bytes. Varints throughout; consecutive rounds of one set with RTT blobs of one length share a
    group header; each instant is the difference from the one before, so a round costs about its RTT blob plus
    three bytes."""
    groups: list[list[LoggedRound]] = []
    for rnd in record.rounds:
        head = groups[-1][0] if groups else None
        if head is not None and (head.set_id, head.set_text, len(head.rtts)) == (
            rnd.set_id,
            rnd.set_text,
            len(rnd.rtts),
        ):
            groups[-1].append(rnd)
        else:
            groups.append([rnd])
    body = bytearray()
    for value in (record.base, record.number, record.session, len(groups)):
        _varint(value, body)
    previous = 0
    for group in groups:
        first = group[0]
        text = b"" if first.set_id else first.set_text.encode()
        for value in (first.set_id, len(text), len(group), len(first.rtts)):
            _varint(value, body)
        body += text
        for rnd in group:
            errors = (rnd.errors or "").encode()
            _varint(_zigzag(rnd.at_ms - previous), body)
            previous = rnd.at_ms
            _varint(len(errors) * 2 + rnd.provisional, body)
            body += rnd.rtts
            body += errors
    if len(body) > MAX_BODY:
        raise ValueError(f"a round log record of {len(body)} bytes (at most {MAX_BODY})")
    return _HEAD.pack(MAGIC, len(body), zlib.crc32(body)) + bytes(body)


def _decode_body(body: bytes) -> Record:
    reader = _Reader(body)
    base, number, session, count = (reader.varint() for _ in range(4))
    rounds: list[LoggedRound] = []
    previous = 0
    for _ in range(count):
        set_id, text_len, n, rtt_len = (reader.varint() for _ in range(4))
        text = reader.take(text_len).decode()
        for _ in range(n):
            at_ms = previous + reader.signed()
            previous = at_ms
            flags = reader.varint()
            rtts = reader.take(rtt_len)
            errors = reader.take(flags // 2).decode() if flags // 2 else None
            rounds.append(LoggedRound(set_id, text, at_ms, rtts, errors, bool(flags % 2)))
    if reader.at != len(body):
        raise ValueError("trailing bytes")
    return Record(base, number, session, tuple(rounds))


def records(data: bytes) -> Iterator[Record]:
    """The records of a log's bytes, in order, up to the first that is torn, damaged or does not follow (another
    base, a number out of sequence). A record starts where the one before ends (as earlier versions wrote
    them) or at the next sector after it, the bytes between them zeros (as it writes them now); a sector of zeros
    is skipped (a log written in larger sectors pads further)."""
    at, expected, base = 0, 0, None
    while at + _HEAD.size <= len(data):
        if data[at : at + len(MAGIC)] != MAGIC:
            boundary = at + (-at % SECTOR or SECTOR)
            if any(data[at:boundary]):  # neither padding nor a sector of zeros: the end of this log
                return
            at = boundary
            continue
        _magic, length, crc = _HEAD.unpack_from(data, at)
        end = at + _HEAD.size + length
        if length > MAX_BODY or end > len(data):
            return
        body = data[at + _HEAD.size : end]
        if zlib.crc32(body) != crc:
            return
        try:
            record = _decode_body(body)
        except (IndexError, ValueError):  # UnicodeDecodeError is a ValueError
            return
        if record.number != expected or (base is not None and record.base != base):
            return
        base = record.base
        yield record
        expected += 1
        at = end


class RoundLog:
    """The open log of one store: append records and sync them; start again after a seal. Not thread-safe (the
    store's writer thread owns it).

    Each record starts on a sector of its own and fills what it writes of its last one with zeros, so that the
    kernel never writes an earlier, synced record again with it: a write torn by a power cut can then damage only
    the record being written (SQLite pads its WAL's commits to a sector for the same reason; what a card's own
    controller does inside is beyond any program). The sectors go straight to the disk (``O_DIRECT``) where the
    file system allows it: a commit of ten rounds is then usually one 512-byte sector where a buffered write and
    ``fdatasync`` send a whole 4-KiB page. Where direct writes are refused (``EINVAL``, ``EOPNOTSUPP``: a file
    system without them, or sectors larger than tried) the log tries 4096-byte sectors, then buffered writes,
    each record then padded to the end of its page (the page is what the kernel writes). Either way, on ext4 a
    sync 10 s after the last also made the file system commit its journal (about 13 kB, measured on a loop
    device; ``lazytime`` made no difference): the number of syncs a day (``store.commit_interval``) is what
    wears a card most.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._offset = 0  # where the next record starts: a multiple of SECTOR (of the page, when buffered)
        self._number = 0
        self.base = 0  # the store's round sequence when this log began
        self._align = SECTORS[0]  # the sector size direct writes use; 0: buffered writes

    @property
    def empty(self) -> bool:
        return self._number == 0

    @property
    def direct(self) -> int:
        """The sector size direct writes use, or try first until one is refused (0: buffered writes). A file
        system may take direct writes and still buffer them (btrfs does): this says what was asked."""
        return self._align

    def append(self, session: int, rounds: Sequence[LoggedRound]) -> None:
        """Write one record after the last, in sectors of its own, and sync it to the disk. Raises OSError; the
        record is then not acknowledged, and the next one is written at the same place (when it reached the disk
        all the same, a crash before then leaves it to be read back: real rounds, not yet in the store)."""
        data = encode(Record(self.base, self._number, session, tuple(rounds)))
        fd = self._open()
        size = self._write(fd, data)
        os.fdatasync(fd)
        self._offset += size
        self._number += 1

    def _write(self, fd: int, data: bytes) -> int:
        """``data`` at ``_offset``, zeros after it to the end of its last sector (of its page, when buffered); the
        bytes written. Falls back to a larger sector, then to buffered writes, where the file system refuses
        direct ones."""
        while True:
            align = self._align
            size = len(data) + -(self._offset + len(data)) % (align or mmap.PAGESIZE)
            # Direct I/O wants an aligned buffer as well: an anonymous map starts on a page, and is zeros.
            with mmap.mmap(-1, size) as buffer, memoryview(buffer) as view:
                view[: len(data)] = data
                try:
                    written = os.pwrite(fd, view, self._offset)
                except OSError as err:
                    if not align or err.errno not in REFUSED:
                        raise
                    self._refused(fd, align)
                    continue
                if written < size:
                    self._rest(fd, view, written)
            return size

    def _rest(self, fd: int, data: memoryview, written: int) -> None:
        """The rest of a short write, written again: the kernel then says why it stopped (a full disk, a file
        size limit), or it was only interrupted and now completes."""
        while written < len(data):
            try:
                with data[written:] as rest:  # released before any error leaves: the buffer's map can close
                    more = os.pwrite(fd, rest, self._offset + written)
            except OSError as err:
                if err.errno in REFUSED:  # a direct write's rest that is not whole sectors
                    raise OSError(errno.EIO, f"short write to {self.path} ({written} of {len(data)} bytes)") from err
                raise
            if more == 0:
                raise OSError(errno.ENOSPC, f"nothing more written to {self.path} ({written} of {len(data)} bytes)")
            written += more

    def _refused(self, fd: int, align: int) -> None:
        """Direct writes in ``align``-byte sectors were refused: try the next size where the next record can
        start (a multiple of it), else write through the page cache from now on."""
        self._align = next((s for s in SECTORS if s > align and self._offset % s == 0), 0)
        if not self._align:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_DIRECT)

    def restart(self, base: int) -> None:
        """The store took every logged round (its round sequence is now ``base``): the next record starts the log
        again at its first byte. Nothing is written now; what is left beyond the new records is never read as
        theirs (another base)."""
        self.base = base
        self._offset = 0
        self._number = 0

    def _open(self) -> int:
        if self._fd is None:
            created = not self.path.exists()
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
            try:
                self._fd = os.open(self.path, flags | (os.O_DIRECT if self._align else 0), 0o644)
            except OSError as err:
                if err.errno not in REFUSED:
                    raise
                self._align = 0  # a file system without direct I/O
                self._fd = os.open(self.path, flags, 0o644)
            if created:  # the new name must survive a power cut as well as what is written into it
                directory = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
                try:
                    os.fsync(directory)
                finally:
                    os.close(directory)
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read(path: Path) -> list[Record]:
    """The records of the log at ``path`` (none when there is no log). Raises OSError when it cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    return list(records(data))
