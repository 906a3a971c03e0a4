"""The real `netwatch web` over https with a certificate of its own (openssl makes a self-signed one): pages are
served, plain http is not, and the session cookie is Secure, HttpOnly and SameSite=Strict."""

from __future__ import annotations

import http.client
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from tests.support.skipping import need


def test_the_dashboard_over_https(tmp_path: Path) -> None:
    openssl = need("openssl")
    cert, key = tmp_path / "web.crt", tmp_path / "web.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cfg = tmp_path / "netwatch.toml"
    cfg.write_text(f'[web]\nlisten = "127.0.0.1:{port}"\ntls_cert = "{cert}"\ntls_key = "{key}"\n')
    env = {**os.environ, "NETWATCH_STATE_DIR": str(tmp_path), "NETWATCH_CONFIG": ""}
    passwd = subprocess.run(
        [sys.executable, "-m", "netwatch", "web", "passwd", "--password-stdin", "--config", str(cfg)],
        input="a long password\n",
        env=env,
        capture_output=True,
        text=True,
    )
    assert passwd.returncode == 0, passwd.stderr
    web = subprocess.Popen(
        [sys.executable, "-m", "netwatch", "web", "--config", str(cfg)], env=env, stderr=subprocess.PIPE, text=True
    )
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=5)
                conn.request("GET", "/login")
                page = conn.getresponse()
                body = page.read().decode()
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                assert web.poll() is None and time.monotonic() < deadline, "the dashboard did not answer over https"
                time.sleep(0.2)
        assert page.status == 200
        cookie = page.getheader("set-cookie") or ""
        token = re.search(r'name="csrf" value="([^"]+)"', body)
        assert token is not None
        form = urllib.parse.urlencode({"csrf": token.group(1), "password": "a long password"})
        conn.request(
            "POST",
            "/login",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie.split(";")[0],
                "Origin": f"https://127.0.0.1:{port}",
            },
        )
        signed = conn.getresponse()
        signed.read()
        assert (signed.status, signed.getheader("location")) == (303, "/")
        flags = {part.strip().lower() for part in (signed.getheader("set-cookie") or "").split(";")}
        assert {"httponly", "samesite=strict", "secure"} <= flags
        conn.close()
        plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            plain.request("GET", "/")
            answered = plain.getresponse().status
        except (OSError, http.client.HTTPException):
            answered = None
        finally:
            plain.close()
        assert answered != 200  # nothing is served in clear text
    finally:
        web.terminate()
        _, err = web.communicate(timeout=30)
    assert web.returncode == 0, err
