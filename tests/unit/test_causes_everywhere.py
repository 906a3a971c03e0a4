"""Every cause is worded, drawn and filtered everywhere: a cause added to ``Cause`` without its words in every table
keyed by cause made every dashboard page fail (review 1, B1: ``isp_or_upstream``).

The tables are found, not listed: every module of netwatch that writes a ``Cause.UNKNOWN:`` entry is imported and
each of its module-level mappings keyed by causes must name every cause. The sequences of causes (the timeline's
drawing order, the Outages page's filter chips) and the dashboard's colour dots are checked by name."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import netwatch
from netwatch.core.model import Cause
from netwatch.report import now, render, view
from netwatch.web import pages
from netwatch.web.templating import STATIC

ROOT = Path(netwatch.__file__).parent


def tables() -> Iterator[tuple[str, Mapping[Any, Any]]]:
    """(module.NAME, mapping) of every module-level mapping with a cause among its keys, in every module of
    netwatch whose source has a ``Cause.UNKNOWN:`` entry."""
    for path in sorted(ROOT.rglob("*.py")):
        if "Cause.UNKNOWN:" not in path.read_text():
            continue
        name = ".".join(("netwatch", *path.relative_to(ROOT).with_suffix("").parts))
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if isinstance(value, Mapping) and any(isinstance(key, Cause) for key in value):
                yield f"{name}.{attribute}", value


def test_every_table_keyed_by_cause_has_every_cause() -> None:
    found = dict(tables())
    assert {
        "netwatch.report.now.CAUSES",
        "netwatch.report.render.CAUSES",
        "netwatch.report.message.CAUSES",
        "netwatch.report.message.SHORT_CAUSES",
    } <= set(found)
    for name, table in found.items():
        assert set(table) == set(Cause), f"{name} lacks {', '.join(sorted(set(Cause) - set(table)))}"


def test_every_cause_is_drawn_filtered_and_coloured() -> None:
    assert sorted(view.CAUSES) == sorted(Cause)
    assert [cause for _, cause in pages.CAUSE_FILTERS] == list(view.CAUSES)
    assert all(key == cause.value for key, cause in pages.CAUSE_FILTERS)
    css = (STATIC / "app.css").read_text()
    dots = dict(re.findall(r"\.cause-(\w+) \.dot \{ background: (#[0-9a-f]{6}); \}", css))
    assert dots == {info.key: info.colour for info in render.CAUSES.values()}


def test_every_cause_reads_as_a_sentence() -> None:
    for cause in Cause:
        words = now.CAUSES[cause]
        assert now.cause_text(cause) == f"{words.where}: {words.why}"
        # The owner's own faults are never read out to the provider; every other cause is.
        told = (words.tell, words.told)
        assert told == (None, None) if cause is Cause.LOCAL else all(told), cause
