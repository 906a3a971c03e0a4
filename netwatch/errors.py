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
    own usage errors.

    Face-neutral: ``field`` names the input it is about ("ref", "reported", "since"; None: the input as a whole)
    and the message says what is wrong without naming how a face asks for it. Each face puts its own name for the
    field in front (the command line its option, "--reported: …"; a form its label, "Reported at: …"), and the
    subclasses below carry what a face needs to say the fix in its own way (a command to run, a form to use)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class LocalTimeError(InputError):
    """A local time the clocks skipped (spring forward) or passed twice (fall back). The message is ``problem``,
    then ``advice`` for a face that takes typed text (the offsets that make it exact); a face that cannot take an
    offset words its own from ``problem``."""

    def __init__(self, problem: str, advice: str, field: str | None = None) -> None:
        super().__init__(f"{problem}; {advice}", field)
        self.problem = problem


class TimeSkipped(LocalTimeError):
    """A local time that did not exist: the clocks went forward over it."""


class TimeTwice(LocalTimeError):
    """A local time that happened twice: ``choices`` are its two instants, the first and the second time, each as
    (offset, Unix seconds): (("+01:00", …), ("+00:00", …))."""

    def __init__(
        self, problem: str, advice: str, field: str | None, choices: tuple[tuple[str, float], tuple[str, float]]
    ) -> None:
        super().__init__(problem, advice, field)
        self.choices = choices


class TicketExists(InputError):
    """A fault ticket with reference ``ref`` is recorded already: a face says how to close it or give another
    reference."""

    def __init__(self, message: str, ref: str) -> None:
        super().__init__(message)
        self.ref = ref


class TicketUnknown(InputError):
    """No fault ticket has the reference given: a face says where the tickets are listed and how to open one."""


class TicketClosed(InputError):
    """The fault ticket is closed already: a face says how to replace its repair time, if it can."""


class PeriodEmpty(InputError):
    """The period asked for holds no time: its start (``since``, as the owner wrote it, or the first record's time
    when none was given) is in the future (``until`` None), or its end (``until`` as written; ``whole_day``: a bare
    date, so the end of that day) is not after it (``before``: is before it). ``said`` words it with a face's
    names for the two inputs."""

    def __init__(
        self, since: str, until: str | None, *, given: bool = True, whole_day: bool = False, before: bool = False
    ) -> None:
        self.since, self.until, self.given, self.whole_day, self.before = since, until, given, whole_day, before
        super().__init__(self.said("since", "until"))

    def said(self, since_name: str, until_name: str) -> str:
        start = f"{since_name} {self.since}" if self.given else f"the first record ({self.since})"
        if self.until is None:
            return f"{start} is in the future: nothing is recorded yet after it"
        end = f"{until_name} {self.until}{' (the end of that day)' if self.whole_day else ''}"
        return f"the period is empty: {end} is {'before' if self.before else 'not after'} {start}"


class NothingMeasured(InputError):
    """A letter was asked for a period in which netwatch measured nothing: a face says how to choose another."""


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
