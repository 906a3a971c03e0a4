"""Speed tests: several backends behind the ``SpeedBackend`` Protocol, and the factory that builds them by name.

Owns ``make_backend`` (name + options table → backend) and the public names of the package. Backends:
``speedtest`` (speedtest-cli, the ``speedtest`` extra), ``ookla`` (the official Ookla CLI), ``http`` (URLs of
the user's choice), ``iperf3`` (the user's own iperf3 server) and ``cloudflare`` (``http`` against
speed.cloudflare.com). The options each accepts, which are required and the rules on their values are declared
once, by ``netwatch.config.speed``. It must not schedule tests or store results: the daemon does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from netwatch.config import speed as declared
from netwatch.core.model import CANCELLED, SpeedResult
from netwatch.errors import ConfigError, Problem

from .base import SpeedBackend, run_safely, run_with_fallback, unavailable
from .http import CLOUDFLARE_DOWN, CLOUDFLARE_LATENCY, CLOUDFLARE_UP, HttpBackend
from .iperf3 import Iperf3Backend
from .ookla import OoklaBackend
from .speedtest_cli import SpeedtestCliBackend

__all__ = [
    "CANCELLED",
    "FACTORIES",
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


# The constructor of each backend netwatch.config.speed declares.
FACTORIES: dict[str, Callable[..., SpeedBackend]] = {
    "speedtest": SpeedtestCliBackend,
    "ookla": OoklaBackend,
    "http": HttpBackend,
    "iperf3": Iperf3Backend,
    "cloudflare": _cloudflare,
}


def options_of(name: str) -> tuple[str, ...]:
    """The option keys backend ``name`` accepts (for configuration validation)."""
    return declared.BACKENDS[name].options


def make_backend(name: str, options: Mapping[str, Any] | None = None) -> SpeedBackend:
    """The backend called ``name`` built from ``options`` (its ``[speedtest.<name>]`` table; missing keys take
    the backend's defaults). Raises ``ConfigError`` naming ``speedtest.<name>.<key>`` for an unknown backend
    or option, a missing required option (``http.urls``, ``iperf3.host``) or an invalid value, as
    ``netwatch.config.speed.problems`` (what ``config.parse`` reports) says. Builds only: nothing is imported or
    contacted until ``run``."""
    given = dict(options or {})
    problems = declared.problems(name, given)
    if problems:
        raise ConfigError(problems)
    try:
        return FACTORIES[name](**given)
    except (TypeError, ValueError) as err:  # a refusal the declared rules do not foresee is still the option's
        raise ConfigError([Problem(f"speedtest.{name}", str(err), "fix the option")]) from err
