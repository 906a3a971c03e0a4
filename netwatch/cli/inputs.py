"""The command line's words for input it refuses: the application names the field and says what is wrong, this
says it the command line's way.

Owns ``said``: an ``InputError``'s message behind the option its field is given with ("--reported: …"), and the
commands that fix what the error is about (`netwatch ticket close REF --fixed WHEN` for a ticket that exists,
`--correct` for one already closed, `--since` before `--until` for an empty period). Must not decide whether an
input is good (``netwatch.app`` and ``netwatch.core.when`` do) nor print (``command.errors`` does).
"""

from __future__ import annotations

import shlex

from netwatch.errors import (
    InputError,
    NothingMeasured,
    PeriodEmpty,
    TicketClosed,
    TicketExists,
    TicketUnknown,
)


def option(field: str) -> str:
    """The option a field is given with: every field is the option of its name ("reported": "--reported")."""
    return f"--{field}"


def said(err: InputError) -> str:
    """``err`` as the command line says it, in one line."""
    text = str(err)
    if isinstance(err, TicketExists):
        close = f"`netwatch ticket close {shlex.quote(err.ref)} --fixed WHEN`"
        text += f": close it with {close}, or give the new fault its own {option('ref')}"
    elif isinstance(err, TicketUnknown):
        text += " (`netwatch ticket list`); open one with `netwatch ticket open`"
    elif isinstance(err, TicketClosed):
        text += ": add --correct to replace that time"
    elif isinstance(err, PeriodEmpty):
        text = err.said(option("since"), option("until"))
    elif isinstance(err, NothingMeasured):
        text += " (without --period, --since and --until a report covers all it recorded)"
    return f"{option(err.field)}: {text}" if err.field else text
