"""Trusted timestamps (RFC 3161): a time-stamping authority signs that a statement existed at a time; anyone
holding the authority's root certificate can check it later, with netwatch or with ``openssl ts -verify``.

Owns the request (the SHA-256 of the statement, a nonce, the authority's certificate asked for), the HTTP
exchange with the authority, and checking a reply against the root certificate: its status, signature,
certificate chain, the time-stamping key usage, the nonce and the message imprint, through rfc3161-client (the
``timestamp`` extra, imported only here and only when used). Must not know what the statement says, nor store
anything.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netwatch.adapters import textfiles
from netwatch.core import extras
from netwatch.errors import ConfigError, Problem, TimestampError

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

MISSING = "needs the rfc3161-client package, which is not installed"
MISSING_FIX = f'install the timestamp extra ({extras.install("timestamp")}), or set timestamp.url = ""'
REPLY_LIMIT = 64 * 1024  # bytes: a token with its certificates is a few kilobytes
CA_LIMIT = 256 * 1024


@dataclass(frozen=True)
class Token:
    """An authority's reply: the DER TimeStampResp (what ``openssl ts -verify -in`` reads) and the time it
    certifies, in Unix milliseconds."""

    der: bytes
    at_ms: int


def _client() -> Any:
    try:
        import rfc3161_client
    except ImportError as err:
        raise ConfigError([Problem("timestamp.url", MISSING, MISSING_FIX)]) from err
    return rfc3161_client


def available() -> bool:
    """Whether tokens can be requested and checked here (the ``timestamp`` extra is installed)."""
    try:
        _client()
    except ConfigError:
        return False
    return True


def load_roots(path: Path, key: str = "timestamp.ca_file") -> list[Certificate]:
    """The root certificates in a PEM file; ConfigError naming ``key`` when it cannot be read or holds none."""
    _client()
    from cryptography import x509

    text = textfiles.read(path, key, CA_LIMIT, "the authority's root certificate (PEM)")
    try:
        roots = x509.load_pem_x509_certificates(text.encode())
    except ValueError as err:
        fix = "give the PEM file of the authority's root certificate (-----BEGIN CERTIFICATE-----)"
        raise ConfigError([Problem(key, f"{path} holds no certificate netwatch can read", fix)]) from err
    return list(roots)


def _verifier(rfc: Any, roots: list[Certificate], request: Any = None) -> Any:
    builder = rfc.VerifierBuilder.from_request(request) if request is not None else rfc.VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    return builder.build()


def _why(err: Exception) -> str:
    """rfc3161-client's reason in a reader's words (it passes OpenSSL's error stack through)."""
    text = str(err)
    if "unable to get local issuer certificate" in text or "certificate verify error" in text:
        return "it is not signed by the authority of the configured root certificate"
    if "Mismatch between messages" in text:
        return "it certifies another statement"
    if "Nonce mismatch" in text:
        return "it answers another request (nonce)"
    return text.splitlines()[0][:200] if text else type(err).__name__


def _ms(gen_time: Any) -> int:
    seconds: float = gen_time.timestamp()
    return round(seconds * 1000)


def request(url: str, statement: bytes, roots: list[Certificate], timeout: float) -> Token:
    """Ask the authority at ``url`` to timestamp ``statement``; the reply is checked before it is returned.
    Raises TimestampError saying what failed (unreachable, refused, a reply that does not hold)."""
    rfc = _client()
    query = (
        rfc.TimestampRequestBuilder()
        .data(statement)
        .hash_algorithm(rfc.HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    post = urllib.request.Request(
        url, data=query.as_bytes(), headers={"Content-Type": "application/timestamp-query"}, method="POST"
    )
    try:
        with urllib.request.urlopen(post, timeout=timeout) as reply:
            der = reply.read(REPLY_LIMIT + 1)
    except urllib.error.HTTPError as err:
        raise TimestampError(f"{url} refused the request: HTTP {err.code} {err.reason}") from err
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
        why = getattr(err, "reason", None) or err
        raise TimestampError(f"cannot reach {url}: {why}") from err
    if len(der) > REPLY_LIMIT:
        raise TimestampError(f"{url} sent a reply larger than {REPLY_LIMIT // 1024} KiB: not a timestamp")
    try:
        response = rfc.decode_timestamp_response(der)
        _verifier(rfc, roots, query).verify_message(response, statement)
    except (ValueError, rfc.VerificationError) as err:
        raise TimestampError(f"the reply of {url} does not hold: {_why(err)}") from err
    return Token(der, _ms(response.tst_info.gen_time))


def check(statement: bytes, der: bytes, roots: list[Certificate]) -> tuple[bool, int | None, str]:
    """(whether the token ``der`` certifies ``statement`` under one of ``roots``, the time it certifies in ms when
    it can be read, why not)."""
    rfc = _client()
    try:
        response = rfc.decode_timestamp_response(der)
    except ValueError as err:
        return False, None, f"it is not a timestamp reply ({_why(err)})"
    at = _ms(response.tst_info.gen_time)
    try:
        _verifier(rfc, roots).verify_message(response, statement)
    except (ValueError, rfc.VerificationError) as err:
        return False, at, _why(err)
    return True, at, ""
