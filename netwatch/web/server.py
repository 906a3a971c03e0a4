"""Starting the dashboard: the checks before it listens, the socket, and uvicorn.

Owns ``serve`` (`netwatch web`: the checks, then the dashboard's own process in its place) and ``run`` (that
process): refusing to start where it would be unsafe or could not work, each with its fix in one line (an address
beyond this machine without a password, an unreadable password or certificate file, the port taken, the web extra
missing), then running the application (``netwatch.web.routes``) on uvicorn's pure-Python HTTP/1.1 server (h11)
until SIGTERM or Ctrl-C, waiting at most ``GRACE_S`` for open live streams at a stop. The dashboard's process loads
only the web face and what it calls (``python -m netwatch.web``), not the whole command line: its memory is the
Pi's. Imports Starlette and uvicorn only when called: `netwatch` itself must start without the web extra. Must not
decide what a page shows.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import sys
from types import FrameType

from netwatch.app import access
from netwatch.config import Config
from netwatch.config.checks import is_loopback, listen_on, parse_listen
from netwatch.core import extras
from netwatch.errors import WebError

log = logging.getLogger("netwatch")

GRACE_S = 2  # seconds a stop waits for open live streams (uvicorn would otherwise wait for them forever)
EXTRA = f"the web dashboard needs the web extra: {extras.install('web')}"


def address(cfg: Config, listen: str | None) -> tuple[str, int, str]:
    """(host, port, listen text) of ``--listen``, else ``[web] listen``. Raises WebError for a bad ``--listen``."""
    text = listen or cfg.web.listen
    parsed = parse_listen(text)
    if isinstance(parsed, str):
        fix = next(iter(listen_on(8480)("--listen", text)))[2]
        raise WebError(f"--listen {text}: {parsed}; {fix}")
    return parsed[0], parsed[1], text


def check(cfg: Config, host: str, listen: str) -> None:
    """Refuse what must not start: an address beyond this machine without a password; TLS files that cannot be
    read. Raises WebError."""
    stored = access.stored_hash(cfg)
    if not is_loopback(host) and stored is None:
        if cfg.web.password_file is None:
            raise WebError(
                f'{listen} reaches beyond this machine, but sign-in is switched off (web.password_file = ""): set '
                'web.password_file = "web-password" and run `netwatch web passwd`, or listen on 127.0.0.1'
            )
        raise WebError(
            f"{listen} reaches beyond this machine, but no password is set: run `netwatch web passwd` (it writes "
            f"{cfg.web.password_file}), or listen on 127.0.0.1"
        )
    if cfg.web.tls_cert is not None and cfg.web.tls_key is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(cfg.web.tls_cert, cfg.web.tls_key)
        except (OSError, ssl.SSLError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            raise WebError(
                f"cannot use the certificate {cfg.web.tls_cert} with the key {cfg.web.tls_key} ({reason}); "
                "point web.tls_cert and web.tls_key at readable PEM files that belong together"
            ) from err


def bind(host: str, port: int, listen: str) -> socket.socket:
    """The listening socket. Raises WebError (the port taken, an address this machine does not have)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise WebError(
            f"cannot listen on {listen} ({err.strerror}): is the dashboard running already? choose another port "
            "with --listen or [web] listen"
        ) from err
    sock.set_inheritable(True)
    return sock


def serve(cfg: Config, listen: str | None = None) -> None:
    """`netwatch web`: check what must not start (raises WebError), then become the dashboard's own lean process
    (``python -m netwatch.web`` with the same configuration, in this process's place: same pid for systemd), which
    loads only what it serves, not the whole command line. Returns only when that cannot be done."""
    host, _, text = address(cfg, listen)
    check(cfg, host, text)
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401  # the web extra, before anything is replaced
    except ImportError as err:
        raise WebError(EXTRA) from err
    argv = [sys.executable, "-m", "netwatch.web", "--listen", text]
    if cfg.source is not None:
        argv += ["--config", str(cfg.source)]
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)


def run(cfg: Config, listen: str | None = None) -> None:
    """Run the dashboard until SIGTERM or SIGINT. Raises WebError when it cannot start."""
    host, port, text = address(cfg, listen)
    check(cfg, host, text)
    try:
        import uvicorn

        from netwatch.web.routes import application
    except ImportError as err:
        raise WebError(EXTRA) from err
    sock = bind(host, port, text)
    tls = cfg.web.tls_cert is not None and cfg.web.tls_key is not None
    scheme = "https" if tls else "http"
    shown = f"[{host}]" if ":" in host else host
    config = uvicorn.Config(
        application(cfg, secure=tls),
        loop="asyncio",
        http="h11",
        ws="none",
        lifespan="on",
        access_log=False,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=GRACE_S,
        ssl_certfile=str(cfg.web.tls_cert) if tls else None,
        ssl_keyfile=str(cfg.web.tls_key) if tls else None,
    )

    class Server(uvicorn.Server):
        """A stop by SIGTERM or Ctrl-C is a clean exit (0), as for `netwatch run`: uvicorn would raise the signal
        again once it has shut down gracefully."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

    log.info("dashboard on %s://%s:%d/ (store %s)", scheme, shown, port, cfg.store.path)
    try:
        Server(config).run(sockets=[sock])
    finally:
        sock.close()
