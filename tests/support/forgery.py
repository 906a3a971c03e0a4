"""A store edited behind netwatch's back, as a forger would, and what verification finds.

Owns running SQL on a store's file outside netwatch (``tamper``) and the (where, what) of a verification's breaks
(``breaks``). Must not open the store through netwatch: the edits are the ones netwatch did not make.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from netwatch.core.model import Verification


def tamper(path: Path, *statements: str) -> None:
    """Run ``statements`` on the store at ``path``, each committed at once."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


def breaks(result: Verification) -> list[tuple[str, str]]:
    """Where and what of every break, in order."""
    return [(b.where, b.what) for b in result.breaks]
