"""Speed tests: several backends behind the ``SpeedBackend`` Protocol, and the factory that builds them by name.

Owns ``make_backend`` (name + options table → backend) and the public names of the package. Backends:
``speedtest`` (speedtest-cli, the ``speedtest`` extra), ``ookla`` (the official Ookla CLI), ``http`` (URLs of
the user's choice), ``iperf3`` (the user's own iperf3 server) and ``cloudflare`` (``http`` against
speed.cloudflare.com). It must not schedule tests or store results: the daemon does.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from netwatch.core.model import CANCELLED, SpeedResult
from netwatch.errors import ConfigError, Problem

from .base import SpeedBackend, run_safely, run_with_fallback, unavailable
from .http import CLOUDFLARE_DOWN, CLOUDFLARE_LATENCY, CLOUDFLARE_UP, HttpBackend
from .iperf3 import Iperf3Backend
from .ookla import OoklaBackend
from .speedtest_cli import SpeedtestCliBackend

__all__ = [
    "BACKENDS",
    "CANCELLED",
    "SpeedBackend",
    "SpeedResult",
    "make_backend",
    "options_of",
    "run_safely",
    "run_with_fallback",
    "unavailable",
]


def _cloudflare(*, upload: bool = True, **options: Any) -> HttpBackend:
    options.setdefault("name", "cloudflare")
    up = CLOUDFLARE_UP if upload else ""
    return HttpBackend([CLOUDFLARE_DOWN], upload_url=up, latency_url=CLOUDFLARE_LATENCY, **options)


_HTTP_TUNING = ("streams", "duration", "warmup", "latency_count", "timeout", "max_bytes", "request_bytes")

# name -> (constructor, the option keys it accepts)
BACKENDS: dict[str, tuple[Callable[..., SpeedBackend], tuple[str, ...]]] = {
    "speedtest": (SpeedtestCliBackend, ("server_id", "upload", "share", "secure", "timeout", "deadline")),
    "ookla": (OoklaBackend, ("binary", "server_id", "timeout")),
    "http": (HttpBackend, ("urls", "upload_url", "latency_url", *_HTTP_TUNING)),
    "iperf3": (Iperf3Backend, ("host", "port", "streams", "duration", "omit", "upload", "connect_timeout", "binary")),
    "cloudflare": (_cloudflare, ("upload", *_HTTP_TUNING)),
}


def options_of(name: str) -> tuple[str, ...]:
    """The option keys backend ``name`` accepts (for configuration validation)."""
    return BACKENDS[name][1]


def make_backend(name: str, options: Mapping[str, Any] | None = None) -> SpeedBackend:
    """The backend called ``name`` built from ``options`` (its ``[speedtest.<name>]`` table; missing keys take
    the backend's defaults). Raises ``ConfigError`` naming ``speedtest.<name>.<key>`` for an unknown backend
    or option, a missing required option (``http.urls``, ``iperf3.host``) or an invalid value. Builds only:
    nothing is imported or contacted until ``run``."""
    if name not in BACKENDS:
        known = ", ".join(BACKENDS)
        raise ConfigError([Problem("speedtest.backend", f"unknown backend {name!r}", f"use one of {known}")])
    factory, accepted = BACKENDS[name]
    given = dict(options or {})
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise ConfigError(
            [
                Problem(f"speedtest.{name}.{key}", "unknown option", f"remove it; {name} accepts {', '.join(accepted)}")
                for key in unknown
            ]
        )
    params = inspect.signature(factory).parameters
    for key in accepted:
        param = params.get(key)
        if param is not None and param.default is inspect.Parameter.empty and key not in given:
            raise ConfigError([Problem(f"speedtest.{name}.{key}", "missing", f"set {key} to use the {name} backend")])
    try:
        return factory(**given)
    except (TypeError, ValueError) as err:
        raise ConfigError([Problem(f"speedtest.{name}", str(err), "fix the option")]) from err
