"""The rule pack's amounts as a face shows them: `netwatch claims rules`.

Owns choosing the day the amounts are read for (``--on``, default today in the configured zone) and reading the
pack ``[claims] rules`` picks, with the ``[claims.amounts]`` overrides and the owner's situation. What a period
earns is in the report. Must not word anything (``netwatch.report.rules``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from netwatch.config import Config
from netwatch.core.calendar import local_date
from netwatch.core.claims import PackAmount, load, pack_items
from netwatch.core.claims.loader import Pack
from netwatch.core.claims.model import Situation
from netwatch.errors import InputError


@dataclass(frozen=True)
class Rules:
    """The chosen pack, its amounts in force on ``on``, and who the owner is to its rules."""

    pack: Pack
    on: date
    items: tuple[PackAmount, ...]
    situation: Situation = Situation()  # noqa: RUF009 (frozen)


def rules_on(cfg: Config, on: str | None, now: float) -> Rules | None:
    """The amounts of ``[claims] rules`` in force on ``on`` (YYYY-MM-DD, default today); None without a pack."""
    try:
        day = date.fromisoformat(on) if on else local_date(now, cfg.business_hours.timezone)
    except ValueError:
        raise InputError(f'"{on}" is not a date; write it as YYYY-MM-DD, e.g. 2026-04-01', "on") from None
    rules = cfg.claims.rules
    if rules == "none":
        return None
    return Rules(load(rules), day, tuple(pack_items(rules, day, cfg.claims.amounts)), cfg.claims.situation)
