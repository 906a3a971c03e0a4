"""Delivery channels: apprise URLs and a local command, behind one small Protocol.

Owns building the channels of ``[notify]`` (reading ``urls_file``, asking apprise whether it understands each
URL, finding the command's program), with a ``Problem`` naming the key and the fix for each one that cannot be
built, where a channel delivers (``endpoint``), and delivering one message on one channel within
``notify.timeout``: apprise's connect and read timeouts are capped to it, and the command is killed (its whole
process group) when it overruns or when delivery is cancelled at shutdown. apprise is imported only when URLs
are configured. Must not decide when to send (that is ``task``) nor touch the store; never logs or stores a URL
unmasked (apprise's own privacy form is the label).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from netwatch.adapters import textfiles
from netwatch.adapters.children import drop_ambient
from netwatch.config.checks import each_apprise_url
from netwatch.config.records import NotifyConfig
from netwatch.core import extras
from netwatch.core.model import Message
from netwatch.errors import ConfigError, NetwatchError, Problem

if TYPE_CHECKING:
    from apprise import NotifyBase

log = logging.getLogger("netwatch")

EXTRA_FIX = f"install the notify extra: {extras.install('notify')}"
STDERR_LIMIT = 300  # characters of a failing command's stderr kept as the error
URLS_LIMIT = 1024 * 1024  # bytes of notify.urls_file: thousands of URLs


class NotifyError(NetwatchError):
    """A message could not be delivered on one channel; the message says which and why."""


class Channel(Protocol):
    """Somewhere notifications go. ``id`` is stable across restarts (a hash of the URL or command line) and
    keys the outbox; ``label`` is what people see, credentials masked."""

    id: str
    label: str

    def send(self, message: Message, cancel: threading.Event) -> None:
        """Deliver ``message`` or raise NotifyError saying why; returns within about the configured timeout."""


def _digest(kind: str, text: str) -> str:
    return f"{kind}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"


class _Captured(logging.Handler):
    """apprise reports why a delivery failed only in its log: keep this thread's warnings, as our error."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


class AppriseChannel:
    def __init__(self, url: str, plugin: NotifyBase, timeout: float) -> None:
        self.id = _digest("apprise", url.strip())
        # apprise's privacy form masks each service's secrets; its query string only repeats the defaults.
        self.label = str(plugin.url(privacy=True)).partition("?")[0]  # type: ignore[no-untyped-call]
        self._plugin = plugin
        for name in ("socket_connect_timeout", "socket_read_timeout"):
            current = getattr(plugin, name, None)
            if isinstance(current, int | float) and not isinstance(current, bool):
                setattr(plugin, name, min(float(current), timeout))

    def send(self, message: Message, cancel: threading.Event) -> None:
        from apprise import NotifyFormat, NotifyType

        markdown = _renders_markdown(self._plugin, NotifyFormat.TEXT)
        kind = NotifyType.INFO if message.event in ("digest", "test") else NotifyType.WARNING
        captured = _Captured()
        logger = logging.getLogger("apprise")
        logger.addHandler(captured)
        try:
            ok = self._plugin.notify(
                body=message.markdown if markdown else message.text,
                title=message.title,
                notify_type=kind,
                body_format=NotifyFormat.MARKDOWN if markdown else NotifyFormat.TEXT,
            )
        except Exception as err:  # a plugin bug must not kill the delivery thread
            raise NotifyError(f"{self.label}: {err!r}") from err
        finally:
            logger.removeHandler(captured)
        if not ok:
            why = "; ".join(dict.fromkeys(captured.messages[-2:])) or "apprise reported a failure"
            raise NotifyError(f"{self.label}: {why}")


def endpoint(channel: Channel) -> tuple[str, int] | None:
    """Where an apprise channel delivers, as (host, port), for a look without sending anything; None for a command,
    or a service apprise names no host for. A service with a fixed API (Telegram, Discord...) declares its URL;
    e-mail goes to its SMTP server; the rest to the URL's host, on its port or the scheme's default."""
    if not isinstance(channel, AppriseChannel):
        return None
    plugin = channel._plugin
    fixed = getattr(type(plugin), "notify_url", None)
    if isinstance(fixed, str) and fixed.startswith(("http://", "https://")):
        parts = urllib.parse.urlsplit(fixed)
        if parts.hostname:
            return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    host = getattr(plugin, "smtp_host", None) or getattr(plugin, "host", None)
    if not isinstance(host, str) or not host:
        return None
    port = getattr(plugin, "port", None)
    if not isinstance(port, int) or isinstance(port, bool):
        port = 443 if getattr(plugin, "secure", False) else 80
    return host, port


def _renders_markdown(plugin: Any, text: Any) -> bool:
    """Markdown where the channel renders it (apprise turns it into HTML for e-mail), plain text where it only
    shows text. apprise 2 plugins may declare several formats, and a ``format=`` in the URL picks one."""
    declared = getattr(plugin, "notify_format", text)
    formats = declared if isinstance(declared, tuple) else (declared,)
    chosen = getattr(plugin, "_format_override", None)
    return any(f != text for f in ((chosen,) if chosen is not None else formats))


class CommandChannel:
    """A local program: the message as JSON on stdin, NETWATCH_EVENT, NETWATCH_KEY, NETWATCH_TITLE and
    NETWATCH_PROBE in its environment; exit status 0 means delivered."""

    def __init__(self, argv: Sequence[str], timeout: float) -> None:
        self.argv = tuple(argv)
        self.id = _digest("command", json.dumps(self.argv))
        self.label = f"command {self.argv[0]}"
        self.timeout = timeout

    def send(self, message: Message, cancel: threading.Event) -> None:
        env = {
            **os.environ,
            "NETWATCH_EVENT": message.event,
            "NETWATCH_KEY": message.key,
            "NETWATCH_TITLE": message.title,
            "NETWATCH_PROBE": str(message.data.get("probe", "")),
        }
        drop_ambient()  # a notification command gets no raw sockets from the daemon's CAP_NET_RAW
        try:
            proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,  # its own process group: a timeout kills what it started too
            )
        except OSError as err:
            raise NotifyError(f"{self.label}: cannot run it: {err.strerror or err}") from err
        deadline = time.monotonic() + self.timeout
        payload: bytes | None = (message.to_json() + "\n").encode()
        while True:
            try:
                _, err_bytes = proc.communicate(payload, timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                payload = None  # sent (or being sent) already: communicate() continues where it was
            if cancel.is_set() or time.monotonic() >= deadline:
                _kill(proc)
                why = f"killed after {self.timeout:g} s (notify.timeout)"
                why = "cancelled at shutdown" if cancel.is_set() else why
                raise NotifyError(f"{self.label}: {why}")
        if proc.returncode != 0:
            tail = err_bytes.decode(errors="replace").strip().splitlines()[-1:] if err_bytes else []
            said = f": {tail[0][:STDERR_LIMIT]}" if tail else ""
            status = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exited {proc.returncode}"
            raise NotifyError(f"{self.label}: {status}{said}")


def _kill(proc: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    # Something that left the process group may still hold its stderr open: do not wait for it for long.
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.communicate(timeout=2.0)


# --- building ------------------------------------------------------------------------------------------------


def _urls_from_file(path: Path, problems: list[Problem]) -> list[tuple[str, str]]:
    """(key for messages, URL) of every URL line; '#' comments and blank lines are skipped."""
    key = "notify.urls_file"
    try:
        text = textfiles.read(path, key, URLS_LIMIT, "one apprise URL a line", secret=True)
    except ConfigError as err:
        problems += err.problems
        return []
    found: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        url = line.strip()
        if not url or url.startswith("#"):
            continue
        where = f"{key} line {number}"
        problems += [Problem(where, message, fix) for _, message, fix in each_apprise_url(where, [url])]
        found.append((where, url))
    if not found and not problems:
        problems.append(Problem(key, f"{path} holds no URL", "write one apprise URL a line, or remove urls_file"))
    return found


def _quiet_apprise() -> None:
    # Our log says once what failed (with apprise's reason); its own lines would repeat every attempt.
    if not log.isEnabledFor(logging.DEBUG):
        logging.getLogger("apprise").propagate = False


def _apprise_channels(urls: list[tuple[str, str]], cfg: NotifyConfig, problems: list[Problem]) -> list[Channel]:
    """A channel per (key, URL) apprise understands; a Problem for each other one, or one when apprise is missing.
    Keys that already have a problem (a malformed line of the URLs file) are skipped."""
    # apprise 2.x imports imghdr (deprecated since Python 3.11) when it loads its plugins, on the first URL.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import apprise
        except ImportError:
            key = "notify.urls" if cfg.urls else "notify.urls_file"
            problems.append(Problem(key, "needs apprise, which is not installed", EXTRA_FIX))
            return []
        _quiet_apprise()
        found: list[Channel] = []
        for key, url in urls:
            if any(p.key == key for p in problems):
                continue
            plugin = apprise.Apprise.instantiate(url.strip())
            if plugin is None:
                scheme = url.strip().partition("://")[0]
                problems.append(
                    Problem(
                        key,
                        f"apprise cannot use this {scheme}:// URL (an unknown service, or a part missing or malformed)",
                        'check it against apprise\'s page for that service (README "Notifications" has examples)',
                    )
                )
                continue
            found.append(AppriseChannel(url, plugin, cfg.timeout))
    return found


def build(cfg: NotifyConfig) -> tuple[list[Channel], list[Problem]]:
    """The channels of ``[notify]`` that can be built, and a Problem for each one that cannot (same URL twice:
    one channel)."""
    problems: list[Problem] = []
    urls = [(f"notify.urls[{i}]", url) for i, url in enumerate(cfg.urls)]
    if cfg.urls_file is not None:
        urls += _urls_from_file(cfg.urls_file, problems)
    channels: dict[str, Channel] = {}
    if urls:
        for channel in _apprise_channels(urls, cfg, problems):
            channels.setdefault(channel.id, channel)
    if cfg.command:
        program = cfg.command[0]
        found = shutil.which(program)
        if found is None:
            where = "is not an executable file" if "/" in program else "is not found on PATH"
            problems.append(
                Problem(
                    "notify.command",
                    f'the program "{program}" {where}',
                    "give the absolute path of an executable program",
                )
            )
        else:
            command = CommandChannel(cfg.command, cfg.timeout)
            channels.setdefault(command.id, command)
    return list(channels.values()), problems


def check(cfg: NotifyConfig, source: Path | None = None) -> list[Channel]:
    """Every channel of ``[notify]``; raises ConfigError naming each one that cannot be built (in ``source``,
    the configuration file)."""
    channels, problems = build(cfg)
    if problems:
        raise ConfigError(problems, str(source) if source else None)
    return channels
