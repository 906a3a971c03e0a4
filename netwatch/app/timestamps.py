"""Trusted timestamps of the evidence chain: an authority outside the machine signs that the newest seal existed.

Owns the statement that is stamped (one line naming the seal and its digest, so that anyone can read what was
certified), taking a timestamp of the chain head now (`netwatch timestamp`, and the daemon's task), the token
check that `netwatch verify` uses, and the files a third party needs to check a timestamp without netwatch (the
statement, the token, the authority's root certificate, and the ``openssl ts -verify`` command). Must not print.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from netwatch.adapters import textfiles, timestamps
from netwatch.adapters.store.sqlite import Store
from netwatch.adapters.store.verify import TokenCheck
from netwatch.config import Config
from netwatch.core.model import StoredTimestamp
from netwatch.errors import ConfigError, TimestampError

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

NOT_SET = "no time-stamping authority is configured here (timestamp.url and timestamp.ca_file)"


def statement(seal_id: int, digest: str) -> bytes:
    """The exact bytes an authority stamps for seal ``seal_id`` with ``digest`` (hex)."""
    return f"netwatch evidence chain: seal {seal_id} sha256:{digest}\n".encode()


def take(store: Store, cfg: Config, roots: list[Certificate] | None = None) -> StoredTimestamp:
    """Have the configured authority stamp the chain head of ``store`` and keep its token (chained). Raises
    TimestampError when it cannot be had, ConfigError when the authority or its certificate is not usable."""
    found = store.head()
    if not found.seal_id:
        raise TimestampError(f"the store {store.path} holds no seal yet: there is nothing to timestamp")
    digest = found.digest.hex()
    said = statement(found.seal_id, digest)
    roots = roots if roots is not None else _roots(cfg)
    token = timestamps.request(cfg.timestamp.url, said, roots, cfg.timestamp.timeout)
    stamp = StoredTimestamp(found.seal_id, digest, cfg.timestamp.url, token.at_ms / 1000, said, token.der)
    store.save_timestamp(stamp)
    return stamp


def _roots(cfg: Config) -> list[Certificate]:
    if not cfg.timestamp.enabled or cfg.timestamp.ca_file is None:
        raise TimestampError(f"{NOT_SET}: set them in the configuration first")
    return timestamps.load_roots(cfg.timestamp.ca_file)


def stamp_now(cfg: Config) -> StoredTimestamp:
    """`netwatch timestamp`: the chain head of the configured store stamped now."""
    _roots(cfg)  # said before the store is opened for writing
    with Store.open(cfg.store.path) as store:
        return take(store, cfg)


def checker(cfg: Config) -> TokenCheck:
    """How `netwatch verify` checks the stored tokens: against ``timestamp.ca_file``; when that cannot be done
    here (none configured, the extra missing, an unreadable file) every token is "not checked", saying why."""
    try:
        roots = _roots(cfg)
    except TimestampError:
        return _unchecked(NOT_SET)
    except ConfigError as err:
        return _unchecked("; ".join(f"{p.key}: {p.message}" for p in err.problems))

    def check(said: bytes, token: bytes) -> tuple[bool | None, int | None, str]:
        return timestamps.check(said, token, roots)

    return check


def _unchecked(why: str) -> TokenCheck:
    def check(_said: bytes, _token: bytes) -> tuple[bool | None, int | None, str]:
        return None, None, why

    return check


HOW_TO_CHECK = """These files let anyone check, without netwatch, that the evidence chain's seals existed at the times
a time-stamping authority certified (RFC 3161). For each seal N:

  seal-N.txt   the exact statement that was stamped: the seal's number and its SHA-256 digest
  seal-N.tsr   the authority's signed reply (a DER TimeStampResp)

Check one with OpenSSL, using the authority's root certificate (tsa-root.pem, a copy of the one netwatch was
configured with; better, one you obtained from the authority yourself):

  openssl ts -verify -in seal-N.tsr -data seal-N.txt -CAfile tsa-root.pem -attime GENTIME

where GENTIME is the time in the reply as Unix seconds (`openssl ts -reply -in seal-N.tsr -text` shows it;
-attime checks the certificates as they were then, not now). "Verification: OK" means the statement existed at
that time. `netwatch verify --expect DIGEST` on the store then shows that nothing sealed up to that seal has
changed since.
"""


def bundle_files(stamps: list[StoredTimestamp], ca_file: Path | None) -> list[tuple[str, bytes]]:
    """(name, bytes) of the files a third party needs to check the timestamps: empty when there are none."""
    if not stamps:
        return []
    files = [("timestamps/HOW-TO-CHECK.txt", HOW_TO_CHECK.encode())]
    for stamp in stamps:
        files += [(f"timestamps/seal-{stamp.seal_id}.txt", stamp.statement)]
        files += [(f"timestamps/seal-{stamp.seal_id}.tsr", stamp.token)]
    if ca_file is not None:
        try:
            pem = textfiles.read(ca_file, "timestamp.ca_file", timestamps.CA_LIMIT, "a PEM certificate")
        except ConfigError:
            pass  # the manifest lists what is there; the authority's certificate can be had from it
        else:
            files.append(("timestamps/tsa-root.pem", pem.encode()))
    return files
