"""Who may change anything through the web dashboard: its password file, the hash in it, and the key that signs
its sessions.

Owns the password's hash (PBKDF2-HMAC-SHA256 from the standard library, ``ITERATIONS`` rounds and a random salt:
``pbkdf2_sha256$<rounds>$<salt>$<hash>``, base64), checking a new password (``MIN_LENGTH``), writing the file
``[web] password_file`` atomically (mode 0640, owned like its directory so that the service's user reads what
root wrote), reading it back, the epoch that ends every session when the password changes, and the session
signing key (``SESSION_KEY`` in the state directory, mode 0600, made once, so that a restart keeps people signed
in). Must not know HTTP, cookies or forms: the dashboard (``netwatch.web``) does.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from netwatch.app.files import replacing
from netwatch.config import Config
from netwatch.errors import InputError, ReportError, WebError

log = logging.getLogger("netwatch")

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 600_000  # OWASP's figure for PBKDF2-HMAC-SHA256; ~0.15 s here, well under a second on a Pi 4
MIN_LENGTH = 8
SESSION_KEY = "web-session.key"


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The line a password file holds for ``password``."""
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{ALGORITHM}${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def matches(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` (a line of ``hash_password``) was made from; False for a
    malformed line. Takes the time of one hash (the caller limits how often it is asked)."""
    try:
        algorithm, rounds, salt, digest = stored.split("$")
        if algorithm != ALGORITHM or not 1 <= int(rounds) <= 10_000_000:
            return False
        expected = base64.b64decode(digest, validate=True)
        found = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt, validate=True), int(rounds))
    except ValueError:
        return False
    return hmac.compare_digest(found, expected)


def well_formed(stored: str) -> bool:
    parts = stored.split("$")
    return len(parts) == 4 and parts[0] == ALGORITHM and parts[1].isdigit()


def epoch(stored: str) -> str:
    """A short fingerprint of the stored hash: a session made under another password is over."""
    return hashlib.sha256(stored.encode()).hexdigest()[:16]


def check_new(password: str, again: str | None = None) -> str:
    """A new password as typed: refused when short or when its repetition differs. Raises InputError."""
    if again is not None and again != password:
        raise InputError("the two passwords differ; type the same password twice")
    if len(password) < MIN_LENGTH:
        raise InputError(f"the password is {len(password)} characters long; use at least {MIN_LENGTH}")
    if password != password.strip() or "\n" in password:
        raise InputError("the password starts or ends with a blank; leave them out (they are easily mistyped)")
    return password


def password_path(cfg: Config) -> Path:
    """Where the hash is kept; raises WebError when ``[web] password_file`` is "" (sign-in switched off)."""
    path = cfg.web.password_file
    if path is None:
        raise WebError(
            'web.password_file is "": sign-in is switched off; set it to a file, e.g. password_file = "web-password"'
        )
    return path


def set_password(cfg: Config, password: str) -> Path:
    """Write the hash of ``password`` (checked by ``check_new``) into the password file; returns its path. When
    run as root the file gets the owner of its directory, so that the service's user can read it. Raises
    WebError when it cannot be written."""
    path = password_path(cfg)
    line = hash_password(check_new(password)) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path, mode=0o640, option="web.password_file") as out:
            out.write(line.encode())
        if os.geteuid() == 0:
            owner = path.parent.stat()
            os.chown(path, owner.st_uid, owner.st_gid)
    except (OSError, ReportError) as err:
        reason = err.strerror if isinstance(err, OSError) else str(err).split(": ", 1)[-1].split(";")[0]
        raise WebError(
            f"cannot write the password file {path} ({reason}); run as the user of the state directory "
            "(sudo), or set web.password_file to a writable file"
        ) from err
    return path


def stored_hash(cfg: Config) -> str | None:
    """The hash in the password file; None when sign-in is off or no password was set yet. Raises WebError when
    the file cannot be read or holds no hash."""
    path = cfg.web.password_file
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not text"
        raise WebError(
            f"cannot read the password file {path} ({reason}); let the dashboard's user read it, "
            "or set the password again with `netwatch web passwd`"
        ) from err
    if not well_formed(text):
        raise WebError(f"{path} holds no password hash; set the password again with `netwatch web passwd`")
    return text


def session_key(cfg: Config) -> bytes:
    """The key that signs the dashboard's sessions: read from the state directory, made there (0600) the first
    time. When it cannot be kept, a key for this run only (everyone signs in again after a restart)."""
    path = cfg.state_dir / SESSION_KEY
    with contextlib.suppress(OSError):
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    key = secrets.token_bytes(32)
    try:
        cfg.state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key)
    except OSError as err:
        log.warning("cannot keep the session key in %s (%s): sign-ins last until a restart", path, err.strerror)
    return key
