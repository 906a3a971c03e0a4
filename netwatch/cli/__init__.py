"""The `netwatch` command line: click over the application layer.

Owns the ``main`` group and which commands it has (each module of this package holds a few, named here). A command
parses its options, makes one call into ``netwatch.app`` and prints the result through ``netwatch.report``'s
wording; ``command.py`` holds what they share (exit codes, errors, ``--config``). A command's module is imported
only when that command runs (or help lists it): `netwatch run`, a daemon that lives for months on a Pi, keeps
only what monitoring needs in memory, not the reports', claims' and campaigns' code. Must not hold domain rules or
touch the store, the network or InfluxDB itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import click

from netwatch import __version__
from netwatch.app.lean import asyncio_without_tls
from netwatch.cli.command import ExitCode

# Command name → (module of this package, attribute).
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("monitor", "run"),
    "check-config": ("monitor", "check_config"),
    "status": ("monitor", "status"),
    "probe": ("monitor", "probe"),
    "traceroute": ("monitor", "traceroute"),
    "speedtest": ("monitor", "speedtest"),
    "doctor": ("doctor", "doctor"),
    "report": ("reports", "report"),
    "verify": ("evidence", "verify"),
    "evidence": ("evidence", "evidence"),
    "timestamp": ("evidence", "timestamp"),
    "influx": ("influx", "influx"),
    "notify": ("notify", "notify"),
    "ticket": ("tickets", "ticket"),
    "claims": ("claims", "claims"),
    "campaign": ("campaign", "campaign"),
    "pool": ("pool", "pool"),
}


class LazyGroup(click.Group):
    """A click group whose commands are made by factories called the first time a command is asked for."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.factories: dict[str, Callable[[], click.Command]] = {}

    def lazy(self, name: str, factory: Callable[[], click.Command]) -> None:
        """Add the command ``name``, made by ``factory`` when first needed."""
        self.factories[name] = factory

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.factories})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        factory = self.factories.pop(cmd_name, None)
        if factory is not None:
            self.add_command(factory(), cmd_name)
        return super().get_command(ctx, cmd_name)


# The modules whose commands' event loops never speak TLS: asyncio is imported for them without ssl (``app.lean``),
# which keeps about 5 MB out of the daemon's memory.
WITHOUT_TLS = frozenset({"monitor"})


def _command(module: str, attribute: str) -> Callable[[], click.Command]:
    def load() -> click.Command:
        if module in WITHOUT_TLS:
            asyncio_without_tls()
        command = getattr(importlib.import_module(f"netwatch.cli.{module}"), attribute)
        assert isinstance(command, click.Command)
        return command

    return load


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Debug logging, and tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="netwatch")
def main(debug: bool) -> None:
    """netwatch: monitors your internet line and collects evidence of every outage."""


for _name, (_module, _attribute) in COMMANDS.items():
    main.lazy(_name, _command(_module, _attribute))

__all__ = ["ExitCode", "main"]
