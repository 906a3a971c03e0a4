"""The store the dashboard tests read: a London office's line from Monday 23 March 2026 08:00 to a minute before
Tuesday 24 March 15:00 (``NOW``), one round a minute (the last one ending the session, as a clean stop does), with
an outage of the owner's own router on Monday evening, one of the provider's access network on Tuesday morning
(its traceroute taken) and an open fault ticket.

Owns that line (its targets, outages, traceroute and ticket, each round coherent with the outages) and writing it
through ``tests.support.stores``. Must not start the dashboard or check what it shows: the tests do.
"""

from __future__ import annotations

from pathlib import Path

from netwatch.core.model import Cause, Channel, Hop, Incident, Kind, Round, StoredTrace, Ticket, Trace
from tests.support import stores
from tests.support.instants import local_at
from tests.support.rounds import Line
from tests.support.targets import A1, A3, GW, ISP

NOW = local_at(2026, 3, 24, 15, 0)  # a Tuesday
START = local_at(2026, 3, 23, 8, 0)
ANCHORS = (A1, A3)
LINE = Line.of(GW, ISP, *ANCHORS)
ANSWERS = (0.5, 3.0, 12.0, 13.0)  # ms, target by target, when it answers
ISP_OUTAGE = Incident(
    Kind.OUTAGE,
    Cause.ISP,
    local_at(2026, 3, 24, 10, 15),
    local_at(2026, 3, 24, 10, 45),
    30,
    ((Cause.ISP, 30),),
    "ISP hop 0/30",
)
LOCAL_OUTAGE = Incident(Kind.OUTAGE, Cause.LOCAL, local_at(2026, 3, 23, 20, 0), local_at(2026, 3, 23, 20, 5), 5, (), "")
TRACE = Trace("1.1.1.1", ISP_OUTAGE.start + 1, (Hop(1, "192.168.1.1", 0.5), Hop(2, None, None)), False)
TICKET = Ticket("VM-1", ISP_OUTAGE.start + 600, Channel.PHONE, "spoke to Sam")


def round_at(t: float) -> Round:
    """The round at ``t``: the layers an outage then open takes down are silent, the others answer."""
    down = next((i.cause for i in (ISP_OUTAGE, LOCAL_OUTAGE) if i.start <= t < (i.end or NOW)), None)
    return LINE.round(t, down, rtt=lambda index: ANSWERS[index])


def record(path: Path) -> Path:
    """The day and a half in the store at ``path``: its rounds, both outages, the traceroute and the ticket (saved a
    second after it was reported); the session ends at its last round, a minute before ``NOW``."""
    rounds = [round_at(START + 60 * n) for n in range(round((NOW - 60 - START) / 60) + 1)]
    trace = StoredTrace(TRACE, "outage started", Kind.OUTAGE, ISP_OUTAGE.start)
    return stores.record(
        path,
        START,
        NOW - 60,
        rounds,
        (LOCAL_OUTAGE, ISP_OUTAGE),
        tickets=((TICKET, TICKET.reported + 1),),
        traces=(trace,),
    )
