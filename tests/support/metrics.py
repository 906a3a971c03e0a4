"""Prometheus exposition as the tests read it: a scrape parsed into one value per (name, labels).

Owns scraping an endpoint (from any network namespace) and looking values up by name and labels. Must not
compute a metric itself: the values are netwatch's, and the tests check them.
"""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.support.netns_isp import in_netns

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(exposition: str) -> Samples:
    """Every sample of a text exposition, by name and label set."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }


def scrape(url: str, *, netns: str | None = None, timeout: float = 5.0) -> Samples:
    """GET ``url`` (from inside ``netns`` when given) and parse it; the answer must be the text format 0.0.4."""

    def get() -> str:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            return str(resp.read().decode())

    return parse(in_netns(netns, get))


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """The sample ``name`` with exactly ``labels``, None when there is none."""
    return samples.get((name, frozenset(labels.items())))


def on(samples: Samples, name: str, label: str) -> list[str]:
    """The label values of a 0/1 gauge that are 1 (the state of netwatch_line_state, ...)."""
    return [dict(k[1])[label] for k, v in samples.items() if k[0] == name and v == 1.0]
