"""netwatch's own exception tree.

Owns every exception type that crosses a module boundary. Third-party exceptions are translated into these at the
edge (``raise ProbeError(...) from err``); only the command line (``netwatch.cli.command``) turns them into exit
codes. Must not hold behaviour beyond a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class NetwatchError(Exception):
    """Base of every error netwatch raises on purpose; its message is meant for the user."""


@dataclass(frozen=True)
class Problem:
    """One configuration problem: where it is, what is wrong, and how to fix it."""

    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}; {self.fix}"


class ConfigError(NetwatchError):
    """The configuration is invalid. Carries every problem found, not just the first."""

    SHOWN = 20  # problems listed one by one; the rest are counted

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        head = f"{count} configuration problem{'s' if count != 1 else ''}{where}"
        listed = [f"  {p}" for p in self.problems[: self.SHOWN]]
        if count > self.SHOWN:
            listed.append(f"  … and {count - self.SHOWN} more")
        super().__init__(head + ":\n" + "\n".join(listed))


class ProbeError(NetwatchError):
    """A probe could not run at all (as opposed to a target not answering, which is data)."""


class OwnFault(ProbeError):
    """netwatch itself could not probe: its own file descriptors, memory or buffers ran out, or this machine refused
    to send. Nothing was measured, so the time is unmonitored (with this reason), never an outage."""


class IcmpPermissionError(ProbeError):
    """Neither unprivileged nor privileged ICMP sockets can be opened."""


class StoreError(NetwatchError):
    """The local store cannot be opened, read or written. ``condition`` names the problem without what changes
    while it lasts (how many rounds are waiting), so that it is reported once, not at every retry."""

    def __init__(self, message: str, condition: str | None = None) -> None:
        super().__init__(message)
        self.condition = condition if condition is not None else message


class InputError(NetwatchError):
    """What the owner typed cannot be recorded as given (a ticket reference, an instant): exit code 2, as click's
    own usage errors."""


class ReportError(NetwatchError):
    """A report cannot be produced from the given period, store or format."""


class ExportError(NetwatchError):
    """Measurements could not be replicated to a sink (InfluxDB); the message says what failed and the fix."""


class TransientError(ExportError):
    """Worth retrying: the sink is unreachable, overloaded or failing for now (network down, 5xx, 429)."""


class PermanentError(ExportError):
    """Retrying cannot help until the configuration or the server changes (bad token, missing bucket)."""


class TimestampError(NetwatchError):
    """A trusted timestamp could not be obtained (the authority is unreachable, refused, or its reply does not hold);
    the message says which."""


class CampaignError(NetwatchError):
    """A speed campaign cannot be planned, run or evaluated as asked (none planned, a window too short, a plan
    that can no longer follow the regulator's procedure); the message says which rule and the fix."""


class WebError(NetwatchError):
    """The web dashboard cannot start or sign anyone in as configured (a network address without a password, an
    unreadable password or certificate file, the port taken); the message says what and the fix, in one line."""
