"""netwatch's Grafana files as the tests see them: dashboards, provisioned data sources and every query.

Owns finding the files under config/grafana/, walking a dashboard's panels, annotations and variables for their
queries (with the data source each runs on), and substituting Grafana's macros and variables the way Grafana
renders them into InfluxQL. Must not write files, start servers or judge what it finds (it only reads).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[3]
GRAFANA = REPO / "config" / "grafana"
DASHBOARD_DIR = GRAFANA / "dashboards"
DATASOURCES_YAML = GRAFANA / "provisioning" / "datasources" / "netwatch.yaml"
DASHBOARDS_YAML = GRAFANA / "provisioning" / "dashboards" / "netwatch.yaml"
TYPECHECK = Path(__file__).resolve().parent / "typecheck.mjs"
POOL_DASHBOARD = "netwatch-pool.json"  # the neighbourhood pool's: households' databases, not a probe's

# How the tests render Grafana's macros and the dashboards' variables into a query (longest name first, so that
# $__interval is not taken for $__interval_ms's prefix). Multi-value variables in a regex are rendered by Grafana
# as an alternation of the escaped values, e.g. /^(home|office)$/.
TEST_TIME_FILTER = "time > now() - 6h"
TEST_VALUES = {
    "$timeFilter": TEST_TIME_FILTER,
    "$__interval": "1m",
    "$probe": "(home|office)",
    "$role": "(gateway|isp|anchor|dns)",
    "$plan_download_mbps": "100",
    "$plan_upload_mbps": "20",
}


@dataclass(frozen=True)
class Query:
    """One query of a dashboard: where it is, the data source uid it runs on, its language and text."""

    dashboard: str  # file name, e.g. netwatch-influxql.json
    where: str  # e.g. 'panel 5 "Latency per target" A', 'annotation "Outages"', 'variable probe'
    datasource: str
    language: str  # "InfluxQL" or "Flux", from the data source's jsonData.version
    text: str

    def __str__(self) -> str:
        return f"{self.dashboard}: {self.where}"


def dashboard_files() -> list[Path]:
    return sorted(DASHBOARD_DIR.glob("*.json"))


def load_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: a dashboard is a JSON object"
    return data


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def provisioned_datasources() -> dict[str, dict[str, Any]]:
    """The provisioned data sources by uid."""
    return {ds["uid"]: ds for ds in load_yaml(DATASOURCES_YAML)["datasources"]}


def panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those collapsed inside rows (rows themselves too)."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def queries(name: str, dashboard: Mapping[str, Any]) -> list[Query]:
    """Every query of a dashboard: panel targets, annotation targets and query variables."""
    sources = provisioned_datasources()

    def make(where: str, ref: Mapping[str, Any] | None, text: str) -> Query:
        uid = (ref or {}).get("uid", "")
        version = sources.get(uid, {}).get("jsonData", {}).get("version", "?")
        return Query(name, where, uid, version, text)

    out: list[Query] = []
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            ref = target.get("datasource") or panel.get("datasource")
            out.append(make(f'panel {panel["id"]} "{panel.get("title", "")}" {target["refId"]}', ref, target["query"]))
    for anno in dashboard.get("annotations", {}).get("list", []):
        if anno.get("builtIn"):
            continue
        target = anno.get("target", {})
        out.append(
            make(f'annotation "{anno["name"]}"', target.get("datasource") or anno["datasource"], target["query"])
        )
    for var in dashboard.get("templating", {}).get("list", []):
        if var["type"] == "query":
            text = var["query"] if isinstance(var["query"], str) else var["query"]["query"]
            out.append(make(f"variable {var['name']}", var["datasource"], text))
    return out


def all_queries() -> list[Query]:
    return [q for path in dashboard_files() for q in queries(path.name, load_json(path))]


def probe_dashboards() -> list[Path]:
    """The dashboards of netwatch's own replica (every one but the pool's)."""
    return [p for p in dashboard_files() if p.name != POOL_DASHBOARD]


def probe_queries() -> list[Query]:
    return [q for q in all_queries() if q.dashboard != POOL_DASHBOARD]


def pool_queries() -> list[Query]:
    return [q for q in all_queries() if q.dashboard == POOL_DASHBOARD]


def substitute(text: str, values: Mapping[str, str] = TEST_VALUES) -> str:
    """`text` with every Grafana macro and variable of `values` replaced; raises ValueError if one is left."""
    for name in sorted(values, key=len, reverse=True):
        text = text.replace(name, values[name])
    left = re.findall(r"\$\{?\w+", text)
    if left:
        raise ValueError(f"no test value for {', '.join(sorted(set(left)))} in {text!r}")
    return text
