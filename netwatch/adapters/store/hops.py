"""The ISP hop the daemon found, remembered in the store: the SQL behind ``Store.remember_isp_hop`` and
``Store.isp_hop``.

Owns the ``isp_hops`` table (migration 8): a row each time the daemon finds an ISP hop other than the last one, so
that a start while the access link is down (when no hop can be discovered) still tells ``isp`` from ``upstream``,
whichever state directory it runs with. Which hop each round probed is kept by the rounds themselves (their target
sets, chained); this table is the daemon's memory across restarts, not evidence, so it is not chained. Functions
take an open connection; the ``Store`` owns transactions. Must not read the clock.
"""

from __future__ import annotations

import sqlite3


def remember(conn: sqlite3.Connection, address: str, found_ms: int) -> bool:
    """Add ``address`` unless it is already the hop remembered; whether it was added."""
    if last(conn) == address:
        return False
    conn.execute("INSERT INTO isp_hops (address, found_ms) VALUES (?, ?)", (address, found_ms))
    return True


def last(conn: sqlite3.Connection) -> str | None:
    """The hop found last, or None when none ever was."""
    row = conn.execute("SELECT address FROM isp_hops ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else str(row[0])
