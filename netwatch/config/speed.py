"""The speed-test backends as the configuration declares them: their names, the options each
``[speedtest.<backend>]`` table accepts, which of them are required, and the rules on their values.

Owns that one declaration (``netwatch.adapters.probes.speed.make_backend`` takes its keys and rules from here, so
a file that parses builds its backends), the smallest ``[speedtest] interval``, and the checks of the
``[speedtest]`` keys that name backends. Must not import the backends or build them: the rules here say, in the
same words, what the backends' constructors would refuse. Pure: no I/O.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from netwatch.config.checks import Issue, bounds, one_of, show
from netwatch.errors import Problem

# The smallest [speedtest] interval accepted. A speed test saturates the line for ~10-30 s; more often than once
# a minute would measure mostly itself. The netns integration test lowers it (it runs tests every few seconds).
SPEED_MIN_INTERVAL = 60.0

# The options given (present keys only: a backend's defaults always pass) → what is wrong with the first value its
# backend refuses, or None. A value of the wrong type is reported in Python's words (a TypeError or ValueError
# raised by the rule), as the backend's constructor reports it when called directly.
ValueRule = Callable[[Mapping[str, Any]], str | None]


def _nothing(_options: Mapping[str, Any]) -> None:
    return None


@dataclass(frozen=True)
class Backend:
    """What a ``[speedtest.<name>]`` table may hold. ``options``: the keys accepted, in the order messages list
    them; ``required``: those without a default; ``rule``: what is wrong with the values given. No kinds are
    declared: a value passes exactly when the backend takes it (``server_id = 4242`` as well as ``"4242"``)."""

    options: tuple[str, ...]
    required: tuple[str, ...] = ()
    rule: ValueRule = _nothing


_TUNING = ("streams", "duration", "warmup", "latency_count", "timeout", "max_bytes", "request_bytes")
_LIMITS = (
    ("streams", operator.lt, 1),
    ("duration", operator.le, 0),
    ("timeout", operator.le, 0),
    ("request_bytes", operator.lt, 1),
    ("max_bytes", operator.lt, 0),
)


def _tuning(options: Mapping[str, Any]) -> str | None:
    """The http and cloudflare backends' transfer settings (in the order the backend compares them)."""
    for name, below, limit in _LIMITS:
        if name in options and below(options[name], limit):
            return "streams, duration, timeout and request_bytes must be positive, max_bytes >= 0"
    return None


def _clamped(options: Mapping[str, Any]) -> str | None:
    """None: the backend raises a too small warmup or latency_count to its floor, so they only need to compare
    with a number (else the TypeError says why)."""
    for name, floor in (("warmup", 0.0), ("latency_count", 1)):
        if name in options:
            max(floor, options[name])
    return None


def _url(url: Any) -> str | None:
    """As the backend parses it: urlsplit's own TypeError or ValueError (a list, "http://[::1") is the message."""
    try:
        parts = urlsplit(url)
    except AttributeError:  # a number, a boolean or a date: urlsplit takes text only
        return f"not an http(s) URL: {show(url)}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {show(url)}"
    _ = parts.port  # raises ValueError for a port that is not a number from 0 to 65535
    return None


def _http(options: Mapping[str, Any]) -> str | None:
    urls = options["urls"]
    if not urls:
        return "the http backend needs at least one download URL"
    if problem := _tuning(options):
        return problem
    for url in urls:
        if problem := _url(url):
            return problem
    for name in ("upload_url", "latency_url"):  # "" = none
        if options.get(name) and (problem := _url(options[name])):
            return problem
    return _clamped(options)


def _cloudflare(options: Mapping[str, Any]) -> str | None:
    return _tuning(options) or _clamped(options)


def _iperf3(options: Mapping[str, Any]) -> str | None:
    if not options["host"]:
        return "iperf3 needs a server host"
    for name in ("duration", "omit"):  # whole seconds: int() must take them
        if name in options:
            int(options[name])
    return None


BACKENDS: dict[str, Backend] = {
    "speedtest": Backend(("server_id", "upload", "share", "secure", "timeout", "deadline")),
    "ookla": Backend(("binary", "server_id", "timeout")),
    "http": Backend(("urls", "upload_url", "latency_url", *_TUNING), ("urls",), _http),
    "iperf3": Backend(
        ("host", "port", "streams", "duration", "omit", "upload", "connect_timeout", "binary"), ("host",), _iperf3
    ),
    "cloudflare": Backend(("upload", *_TUNING), (), _cloudflare),
}


def problems(name: str, options: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with backend ``name`` configured by ``options`` (its ``[speedtest.<name>]`` table): an
    unknown backend; else every unknown option; else the first required option missing; else the first value
    the backend refuses. [] when the backend can be built from them."""
    backend = BACKENDS.get(name)
    if backend is None:
        known = ", ".join(BACKENDS)
        return [Problem("speedtest.backend", f"unknown backend {name!r}", f"use one of {known}")]
    unknown = sorted(set(options) - set(backend.options))
    if unknown:
        accepts = ", ".join(backend.options)
        return [
            Problem(f"speedtest.{name}.{key}", "unknown option", f"remove it; {name} accepts {accepts}")
            for key in unknown
        ]
    for key in backend.required:
        if key not in options:
            return [Problem(f"speedtest.{name}.{key}", "missing", f"set {key} to use the {name} backend")]
    try:
        refused = backend.rule(options)
    except (TypeError, ValueError, OverflowError) as err:
        refused = str(err)
    return [Problem(f"speedtest.{name}", refused, "fix the option")] if refused else []


# --- the [speedtest] keys that name backends, and the rules across its keys -----------------------------------


def speed_interval(key: str, value: float) -> Iterator[Issue]:
    # Reads SPEED_MIN_INTERVAL at check time (not import time), so the documented constant can be lowered.
    yield from bounds(SPEED_MIN_INTERVAL)(key, value)


def each_backend(key: str, items: list[str]) -> Iterator[Issue]:
    for i, item in enumerate(items):
        for _, message, fix in one_of(*BACKENDS)(f"{key}[{i}]", item):
            yield f"[{i}]", message, fix


def speedtest_backends(values: Mapping[str, Any], given: Collection[str]) -> Iterator[Problem]:
    """jitter below interval; the chosen backend not among its fallbacks; every backend used or given a
    ``[speedtest.<name>]`` table configured by it as ``problems`` says."""
    interval, jitter = values.get("speedtest.interval"), values.get("speedtest.jitter")
    if interval is not None and jitter is not None and jitter >= interval:
        yield Problem(
            "speedtest.jitter",
            f"must be less than speedtest.interval ({show(interval)}), got {show(jitter)}",
            f"set speedtest.jitter below {show(interval)}, e.g. a sixth of it",
        )
    backend, fallback = values.get("speedtest.backend"), values.get("speedtest.fallback")
    options: Mapping[str, Mapping[str, Any]] = values.get("speedtest.options", {})
    if backend is not None and fallback is not None and backend in fallback:
        i = list(fallback).index(backend)
        yield Problem(f"speedtest.fallback[{i}]", f"repeats speedtest.backend ({show(backend)})", "remove it")
    used = [backend] if backend is not None else []
    used += list(fallback or ())
    for name in dict.fromkeys([*used, *options]):  # in order, once each
        if name in BACKENDS:
            yield from problems(name, options.get(name, {}))
