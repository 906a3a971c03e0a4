"""How the pool commands read: `netwatch pool verify`'s lines, and what `pool id`, `withdraw` and
`admin add-household` print.

Owns the wording of a ``PoolCheck`` (the verdict, what was compared, every break with where and when) and of the
other pool commands' results. Must not read the pool or the store.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from netwatch.core.model import PoolCheck
from netwatch.core.text import local


def check_lines(result: PoolCheck, store: Path, tz: ZoneInfo) -> list[str]:
    """A verdict line, what was compared, then every break with where and when."""
    breaks = [*result.breaks, *result.store.breaks]
    n = len(breaks)
    verdict = f"MISMATCH in {n} place{'s' if n != 1 else ''}" if n else "match"
    lines = [
        f"Household {result.household}: its records in the pool ({result.database}) and its store {store}: {verdict}"
    ]
    lines.append(
        f"  compared {result.checked} publications with the pool; the store's evidence chain is "
        f"{'intact' if result.store.ok else 'BROKEN'} (seal {result.store.head_seal} sha256:{result.store.head_digest})"
    )
    for brk in result.breaks:
        when = f" [{local(brk.at, tz)}]" if brk.at is not None else ""
        lines.append(f"  MISMATCH: {brk.where}{when}: {brk.what}")
    for brk in result.store.breaks:
        when = f" [{local(brk.at, tz)}]" if brk.at is not None else ""
        lines.append(f"  BROKEN: {brk.where}{when}: {brk.what}")
    return lines


def id_line(household: str, withdrawn: bool, database: str) -> str:
    if withdrawn:
        return f"{household} (withdrew from the pool: nothing is published)"
    return f"{household} (its records go to {database}; give this id to the pool's operator)"


def withdrawn_line(household: str) -> str:
    return (
        f"household {household} withdrew: its records were deleted from the pool, and nothing will be published again"
        " (its store keeps them, and the chain records the withdrawal)"
    )


def added_lines(household: str, database: str, password: str) -> list[str]:
    return [
        f"household {household} added: database and user {database}",
        "give the household these lines for its [pool] table (the password is shown only now):",
        f'  username = "{database}"',
        f'  password = "{password}"',
    ]
