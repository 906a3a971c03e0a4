"""The dashboard's templates: its own pages first, then the report's templates (with the owner's ``[report]
templates`` before them), so that a page includes the report's summary cards, timeline, charts and claims as the
HTML report draws them.

Owns the one Jinja2 environment of the dashboard (built once: templates compile once per process), its filters on
top of the report's (times near "now", the line's state and causes in words) and rendering a page or a fragment by
name. Must not compute figures or read the store: pages hand in what they show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from netwatch import __version__
from netwatch.config import Config
from netwatch.core.text import clock_time, duration, iso_utc, recent, weekday_date, weekday_long, weekday_short
from netwatch.report import now as words
from netwatch.report.render import CAUSES, KINDS, environment

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


class Pages:
    """Renders the dashboard's templates for one configuration."""

    def __init__(self, cfg: Config) -> None:
        self.zone: ZoneInfo = cfg.business_hours.timezone
        env = environment("html", cfg.report.templates, self.zone, cfg.cost.currency)
        assert env.loader is not None
        env.loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(TEMPLATES), env.loader])
        zone = self.zone
        env.filters.update(
            {
                "recent": lambda at, now: recent(at, now, zone),
                "clock": lambda at: clock_time(at, zone),
                "weekday_date": weekday_date,
                "weekday_short": weekday_short,
                "weekday_long": weekday_long,
                "iso": iso_utc,
                "cause_text": words.cause_text,
                "duration": duration,
            }
        )
        env.globals.update(
            {
                "version": __version__,
                "state_names": words.NAMES,
                "headlines": words.HEADLINES,
                "cause_words": words.CAUSES,
                "causes": CAUSES,
                "kinds": KINDS,
                "timezone": zone.key,
            }
        )
        self.env = env

    def render(self, name: str, context: dict[str, Any]) -> str:
        return self.env.get_template(name).render(context)
