"""A local RFC 3161 time-stamping authority for tests: a root CA and a TSA certificate made with `openssl`, and an
HTTP server that answers each timestamp query with `openssl ts -reply` (what a real authority does, signed by a
key of its own). ``rogue`` makes a second, unrelated authority, for the tokens that must not verify."""

from __future__ import annotations

import http.server
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CONFIG = """
[ req ]
distinguished_name = dn
[ dn ]
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_tsa ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = .
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_alg = sha256
"""
# No "certs =" above: OpenSSL would then embed an unsorted (non-DER) certificate SET, which rfc3161-client refuses.


def make_pki(directory: Path, name: str = "netwatch test TSA") -> Path:
    """A root CA (``ca.crt``) and a TSA certificate signed by it in ``directory``; returns the root's path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tsa.cnf").write_text(CONFIG)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    root = ["req", "-config", "tsa.cnf", "-x509", "-new", *ec, "-days", "3650", "-subj", f"/CN={name} root"]
    run(*root, "-extensions", "v3_ca", "-keyout", "ca.key", "-out", "ca.crt")
    run("req", "-config", "tsa.cnf", "-new", *ec, "-subj", f"/CN={name}", "-keyout", "tsa.key", "-out", "tsa.csr")
    sign = ["x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"]
    run(*sign, "-days", "3650", "-extfile", "tsa.cnf", "-extensions", "v3_tsa", "-out", "tsa.crt")
    (directory / "tsaserial").write_text("01\n")
    return directory / "ca.crt"


@dataclass(frozen=True)
class Authority:
    url: str
    root: Path  # the PEM of its root certificate


def _handler(pki: Path) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415)
                return
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with tempfile.NamedTemporaryFile(suffix=".tsq") as q:
                q.write(query)
                q.flush()
                reply = subprocess.run(
                    ["openssl", "ts", "-reply", "-config", "tsa.cnf", "-queryfile", q.name],
                    cwd=pki,
                    capture_output=True,
                    check=False,
                )
            if reply.returncode or not reply.stdout:
                self.send_error(500)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply.stdout)))
            self.end_headers()
            self.wfile.write(reply.stdout)

        def log_message(self, *_: object) -> None:
            pass

    return Handler


@contextmanager
def authority(directory: Path) -> Iterator[Authority]:
    """An authority answering on 127.0.0.1 (one request at a time: `openssl ts -reply` bumps its serial file
    without a lock)."""
    root = make_pki(directory)
    server = http.server.HTTPServer(("127.0.0.1", 0), _handler(directory))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Authority(f"http://127.0.0.1:{server.server_address[1]}/tsr", root)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
