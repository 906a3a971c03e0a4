"""Whether the files the configuration names can be used, before anything runs on them: `check-config` says so,
rather than the daemon finding out hours later.

Owns reading each of them as its user will (through ``adapters.textfiles``: a regular file, not too large,
UTF-8): the InfluxDB secret files, and the time-stamping authority's root certificate with the extra it needs.
The notification channels (apprise's word on each URL, the URLs file) are ``app.notify``'s. Must not print.
"""

from __future__ import annotations

from netwatch.adapters import textfiles
from netwatch.config import Config
from netwatch.errors import ConfigError, Problem


def problems(cfg: Config) -> list[Problem]:
    """Every problem with a file the configuration names (none: each can be read as it will be)."""
    found: list[Problem] = []
    influx = cfg.influxdb
    secrets = (("influxdb.token_file", influx.token_file), ("influxdb.password_file", influx.password_file))
    for key, path in secrets:
        if influx.enabled and path is not None:
            try:
                textfiles.read_secret(path, key)
            except ConfigError as err:
                found += err.problems
    if cfg.timestamp.enabled and cfg.timestamp.ca_file is not None:
        from netwatch.adapters.timestamps import load_roots

        try:
            load_roots(cfg.timestamp.ca_file)
        except ConfigError as err:
            found += err.problems
    return found


def check(cfg: Config) -> None:
    """Raise ConfigError with every problem of ``problems``."""
    found = problems(cfg)
    if found:
        raise ConfigError(found, str(cfg.source) if cfg.source else None)
