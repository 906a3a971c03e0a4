"""The store a command opens: the one the daemon records into, read-only for reading, never a new one.

Owns how every operation but the daemon opens the configured store: ``reading`` (read-only: it needs no write
access, so a copied file, another user's store or a read-only file system can be read) and ``adding`` (read-write
for the records a command adds, such as tickets and campaigns, but never creating a store: only `netwatch run`
does), ``recorded`` (whether there is a store yet), ``missing``, the one-line refusal that names every place a
store was looked for and the one that holds one, if any, and ``used``, the line `check-config` shows about the
store. Must not decide where the state directory is (``settings`` and ``netwatch.config`` do) nor word anything
beyond those two lines.
"""

from __future__ import annotations

from pathlib import Path

from netwatch.adapters.store.sqlite import Store
from netwatch.app import settings
from netwatch.config import Config
from netwatch.errors import StoreError


def recorded(cfg: Config) -> bool:
    """Whether the daemon has created the configured store yet (a fresh install has none: a face shows an empty
    page rather than an error). Raises StoreError when this user may not even look."""
    return _exists(cfg.store.path)


def reading(cfg: Config) -> Store:
    """The configured store, read-only. Raises StoreError (``missing`` when there is none)."""
    if not _exists(cfg.store.path):
        raise missing(cfg)
    return Store.open(cfg.store.path, readonly=True)


def adding(cfg: Config, what: str) -> Store:
    """The configured store, read-write, to add ``what`` (e.g. "the ticket") to it; never created. Raises
    StoreError (``missing``, saying that ``what`` was not recorded, when there is none)."""
    try:
        if not _exists(cfg.store.path):
            raise missing(cfg)
        return Store.open(cfg.store.path, create=False)
    except StoreError as err:
        raise StoreError(f"{what} was not recorded: {err}") from err


def missing(cfg: Config) -> StoreError:
    """No store at ``cfg.store.path``: the places looked at, and the store found at another one if any."""
    places = settings.store_places(cfg)
    (path, origin), others = places[0], places[1:]
    found = [(other, why) for other, why in others if _is_file(other)]
    if found:
        other, why = found[0]
        fix = f'give this command the --config the daemon runs with, or set store.path = "{other}" in its configuration'
        if cfg.state_origin == "$NETWATCH_STATE_DIR" and path.is_relative_to(cfg.state_dir):
            # The variable, not the configuration, sent this command elsewhere: undoing it is the fix.
            fix = f"unset NETWATCH_STATE_DIR (it sends this command to {cfg.state_dir}), or set it to {other.parent}"
        return StoreError(f"no store at {path} ({origin}), but netwatch has recorded into {other} ({why}): {fix}")
    looked = ", ".join(str(other) for other, _ in others)
    return StoreError(
        f"no store at {path} ({origin}): netwatch has not recorded anything yet (looked also at {looked});"
        " start monitoring first (`./bootstrap run` in a checkout, `netwatch run`, or the service), or give this"
        " command the --config the daemon runs with"
    )


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; StoreError when this user may not even look (the service's state directory is
    readable by the group netwatch only)."""
    try:
        return path.exists()
    except PermissionError:
        raise StoreError(_unreachable(path)) from None


def _unreachable(path: Path) -> str:
    """The refusal of a store in a directory this user may not enter."""
    return (
        f"cannot read store {path}: this user may not enter {path.parent}; run the command with sudo, or join the"
        " group netwatch (`sudo usermod -aG netwatch $USER`, then log in again)"
    )


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a directory this user may not enter: nothing to tell from here
        return False


def used(cfg: Config) -> str:
    """Which store the commands use, whether it is there, and where a store is instead, in one line."""
    path = cfg.store.path
    try:
        if path.is_file():
            return f"store {path} (recorded by netwatch; {path.stat().st_size / 1e6:.1f} MB)"
    except PermissionError:
        return f"store {path} (this user may not look into {path.parent}: use sudo, or join the group netwatch)"
    found = [(other, why) for other, why in settings.store_places(cfg)[1:] if _is_file(other)]
    elsewhere = f"; there is one at {found[0][0]} ({found[0][1]})" if found else ""
    return f"store {path} (not there yet: `netwatch run` creates it){elsewhere}"
