"""The Grafana dashboards and provisioning in config/grafana/, checked as files (no Grafana, no InfluxDB).

Every dashboard parses and has a unique uid and a schema version; every panel, query and annotation uses a
provisioned data source; every InfluxQL query names only measurements, fields and tags of netwatch's schema
(README "InfluxDB") and filters by the probe variable; causes have the reports' names and colours. The queries
are run against a real InfluxDB in tests/integration/test_grafana.py, and the JSON is type-checked against
@grafana/schema there too.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from netwatch.core.model import Cause, Kind, Role
from netwatch.core.pool import PROVIDER_CAUSES
from netwatch.report.render import CAUSES
from tests.support.grafana import dashboards as g

# netwatch's InfluxDB schema, as dashboards may rely on it: measurement -> (tags, fields).
SCHEMA: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "netwatch_ping": (frozenset({"probe", "target", "role"}), frozenset({"rtt_ms", "up"})),
    "netwatch_status": (frozenset({"probe"}), frozenset({"up", "cause"})),
    "netwatch_incident": (
        frozenset({"probe", "kind", "cause"}),
        frozenset({"start", "end", "duration_s", "business_s", "open", "superseded"}),
    ),
    "netwatch_speed": (
        frozenset({"probe", "backend", "server"}),
        frozenset({"download_mbps", "upload_mbps", "latency_ms", "jitter_ms"}),
    ),
}
TAG_VALUES = {
    "kind": {k.value for k in Kind},
    "cause": {c.value for c in Cause},
    "role": {r.value for r in Role},
}
# The only unquoted words an InfluxQL query of ours may contain: keywords and functions. Identifiers must be
# double-quoted, so that this test can tell every one of them apart.
INFLUXQL_WORDS = frozenset(
    {
        "select",
        "from",
        "where",
        "and",
        "or",
        "group",
        "by",
        "time",
        "fill",
        "null",
        "none",
        "previous",
        "linear",
        "order",
        "asc",
        "desc",
        "limit",
        "slimit",
        "offset",
        "as",
        "show",
        "tag",
        "values",
        "with",
        "key",
        "tz",
        "now",
        "true",
        "false",
        "mean",
        "median",
        "count",
        "sum",
        "last",
        "first",
        "min",
        "max",
        "spread",
        "stddev",
        "percentile",
        "distinct",
        "integral",
        "difference",
        "non_negative_difference",
        "derivative",
        "elapsed",
    }
)
PROBE_FILTER = '"probe" =~ /^$probe$/'
DASHBOARDS = g.dashboard_files()
PROBE_DASHBOARDS = g.probe_dashboards()
INFLUXQL = [q for q in g.probe_queries() if q.language == "InfluxQL"]
POOL_QUERIES = g.pool_queries()
# The neighbourhood pool's schema (netwatch/core/pool.py): measurement -> (tags, fields).
POOL_SCHEMA: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "netwatch_pool_incident": (
        frozenset({"household", "isp", "area", "kind", "cause"}),
        frozenset(
            {"start", "end", "duration_s", "hour_monitored_s", "asn", "digest", "seal", "head_seal", "head_digest"}
        ),
    ),
    "netwatch_pool_coverage": (
        frozenset({"household", "isp", "area"}),
        frozenset({"start", "end", "monitored_s", "asn"}),
    ),
}


def _ids(items: list[Any]) -> list[str]:
    return [str(i) for i in items]


def test_the_main_dashboard_and_the_provisioning_exist() -> None:
    assert "netwatch-influxql.json" in [p.name for p in DASHBOARDS]
    assert g.DATASOURCES_YAML.is_file()
    assert g.DASHBOARDS_YAML.is_file()


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def test_dashboard_parses_with_schema_version_title_and_uid(path: Any) -> None:
    dash = g.load_json(path)
    assert isinstance(dash.get("schemaVersion"), int) and dash["schemaVersion"] >= 36
    assert dash.get("title")
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", dash.get("uid", "")), "uid: lower case, at most 40 characters"
    assert "id" not in dash or dash["id"] is None, "a provisioned dashboard must not carry a database id"


def test_dashboard_uids_are_unique() -> None:
    uids = Counter(g.load_json(p)["uid"] for p in DASHBOARDS)
    assert [uid for uid, n in uids.items() if n > 1] == []


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def test_panels_have_unique_ids_and_do_not_overlap(path: Any) -> None:
    dash = g.load_json(path)
    panels = list(g.panels(dash))
    ids = Counter(p["id"] for p in panels)
    assert [i for i, n in ids.items() if n > 1] == []
    cells: dict[tuple[int, int], str] = {}
    for p in panels:
        pos = p["gridPos"]
        assert pos["x"] >= 0 and pos["w"] > 0 and pos["x"] + pos["w"] <= 24, f"panel {p['id']} is off the grid"
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"panel {p['id']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = f"panel {p['id']} {p.get('title', '')!r}"


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def test_everything_uses_a_provisioned_datasource(path: Any) -> None:
    sources = g.provisioned_datasources()
    dash = g.load_json(path)
    refs: list[tuple[str, Any]] = []
    for p in g.panels(dash):
        if p["type"] == "row":
            continue
        refs.append((f"panel {p['id']}", p.get("datasource")))
        refs += [(f"panel {p['id']} target {t['refId']}", t.get("datasource")) for t in p.get("targets", [])]
        assert p.get("targets"), f"panel {p['id']} has no query"
    for a in dash["annotations"]["list"]:
        if not a.get("builtIn"):
            refs += [
                (f"annotation {a['name']}", a.get("datasource")),
                (f"annotation {a['name']} target", a["target"].get("datasource")),
            ]
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            refs.append((f"variable {v['name']}", v.get("datasource")))
    assert refs
    for where, ref in refs:
        assert isinstance(ref, dict), f"{where}: no datasource reference"
        assert ref.get("uid") in sources, f"{where}: {ref} is not a provisioned data source"
        assert ref.get("type") == sources[ref["uid"]]["type"], f"{where}: wrong type in {ref}"


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def test_queries_match_their_datasource_language(path: Any) -> None:
    for q in g.queries(path.name, g.load_json(path)):
        assert q.language in ("InfluxQL", "Flux"), f"{q}: unknown data source {q.datasource}"
        looks_flux = q.text.lstrip().startswith(("from(", "import ", "//"))
        assert looks_flux == (q.language == "Flux"), f"{q}: a {q.language} data source runs {q.text[:40]!r}"


def _strip(text: str) -> tuple[str, list[str], list[str]]:
    """The query without literals and macros; its double-quoted identifiers; its string literals."""
    strings = re.findall(r"'((?:[^'\\]|\\.)*)'", text)
    text = re.sub(r"'(?:[^'\\]|\\.)*'", " ", text)
    text = re.sub(r"(=~|!~)\s*/(?:[^/\\]|\\.)*/", " ", text)  # regex literals
    idents = re.findall(r'"((?:[^"\\]|\\.)*)"', text)
    text = re.sub(r'"(?:[^"\\]|\\.)*"', " ", text)
    text = re.sub(r"\$\w+", " ", text)
    text = re.sub(r"\b\d+(\.\d+)?(ns|u|µ|ms|s|m|h|d|w)?\b", " ", text)
    return text, idents, strings


@pytest.mark.parametrize("query", INFLUXQL, ids=_ids(INFLUXQL))
def test_influxql_names_only_the_schema(query: g.Query) -> None:
    rest, idents, _ = _strip(query.text)
    words = {w.lower() for w in re.findall(r"[A-Za-z_]\w*", rest)}
    assert words <= INFLUXQL_WORDS, f"unquoted words {sorted(words - INFLUXQL_WORDS)}: quote identifiers"
    measurements = set(re.findall(r'\bFROM\s+"(\w+)"', query.text, flags=re.IGNORECASE))
    assert measurements, 'no FROM "measurement"'
    assert measurements <= set(SCHEMA), f"unknown measurements {sorted(measurements - set(SCHEMA))}"
    known = set(measurements)
    for m in measurements:
        known |= SCHEMA[m][0] | SCHEMA[m][1]
    aliases = set(re.findall(r'\bAS\s+"((?:[^"\\]|\\.)*)"', query.text, flags=re.IGNORECASE))
    assert set(idents) <= known | aliases, (
        f"not in the schema of {sorted(measurements)}: {sorted(set(idents) - known - aliases)}"
    )


@pytest.mark.parametrize("query", INFLUXQL, ids=_ids(INFLUXQL))
def test_influxql_compares_tags_with_existing_values(query: g.Query) -> None:
    for tag, value in re.findall(r"\"(\w+)\"\s*!?=\s*'([^']*)'", query.text):
        assert tag in TAG_VALUES, f"{tag} = '{value}': compare only tags with known values"
        assert value in TAG_VALUES[tag], f"{tag} has no value {value!r}"


@pytest.mark.parametrize("query", INFLUXQL, ids=_ids(INFLUXQL))
def test_influxql_filters_by_probe_and_time(query: g.Query) -> None:
    if query.where == "variable probe":
        return
    assert PROBE_FILTER in query.text
    assert "$timeFilter" in query.text
    if "GROUP BY time(" in query.text:
        assert "GROUP BY time($__interval)" in query.text, "group by the panel's interval"


def test_incident_queries_skip_superseded_points() -> None:
    for q in INFLUXQL:
        if '"netwatch_incident"' in q.text:
            assert '"superseded" = false' in q.text, (
                f"{q}: counts a superseded point (see netwatch/adapters/influx/points.py)"
            )


@pytest.mark.parametrize("path", PROBE_DASHBOARDS, ids=[p.name for p in PROBE_DASHBOARDS])
def test_probe_variable_lists_the_probes_and_allows_several(path: Any) -> None:
    dash = g.load_json(path)
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    probe = variables.get("probe")
    assert probe is not None, "no probe variable"
    assert probe["type"] == "query" and probe["multi"] is True and probe["includeAll"] is True
    if g.provisioned_datasources()[probe["datasource"]["uid"]]["jsonData"]["version"] == "InfluxQL":
        assert probe["query"] == 'SHOW TAG VALUES FROM "netwatch_status" WITH KEY = "probe"'


def test_plan_speed_variables_exist_with_numeric_defaults() -> None:
    for path in PROBE_DASHBOARDS:
        variables = {v["name"]: v for v in g.load_json(path)["templating"]["list"]}
        for name in ("plan_download_mbps", "plan_upload_mbps"):
            var = variables[name]
            assert var["type"] in ("textbox", "constant")
            assert float(var["query"]) > 0 and var["current"]["value"] == var["query"]


def _cause_colours(node: Any, where: str, out: list[tuple[str, str, str, str | None]]) -> None:
    """(where, cause, colour, label) of every value mapping and by-name override that names a cause."""
    if isinstance(node, dict):
        if node.get("type") == "value" and isinstance(node.get("options"), dict):
            for key, result in node["options"].items():
                if key in TAG_VALUES["cause"]:
                    out.append((where, key, result.get("color", ""), result.get("text")))
        matcher = node.get("matcher")
        if (
            isinstance(matcher, dict)
            and matcher.get("id") == "byName"
            and matcher.get("options") in TAG_VALUES["cause"]
        ):
            for prop in node.get("properties", []):
                if prop["id"] == "color":
                    out.append((where, matcher["options"], prop["value"].get("fixedColor", ""), None))
        for value in node.values():
            _cause_colours(value, where, out)
    elif isinstance(node, list):
        for item in node:
            _cause_colours(item, where, out)


@pytest.mark.parametrize("path", PROBE_DASHBOARDS, ids=[p.name for p in PROBE_DASHBOARDS])
def test_cause_colours_and_names_are_the_reports(path: Any) -> None:
    dash = g.load_json(path)
    report = {info.key: info for info in CAUSES.values()}
    by_panel: dict[str, set[str]] = {}
    for p in g.panels(dash):
        found: list[tuple[str, str, str, str | None]] = []
        _cause_colours(p.get("fieldConfig", {}), f"panel {p['id']} {p.get('title')!r}", found)
        for where, cause, colour, label in found:
            assert colour.lower() == report[cause].colour.lower(), f"{where}: {cause} is {colour}"
            if label is not None:
                assert label == report[cause].label, f"{where}: {cause} is called {label!r}"
            by_panel.setdefault(where, set()).add(cause)
    assert by_panel, "no panel colours causes"
    for where, causes in by_panel.items():
        assert causes == set(report), f"{where} colours only {sorted(causes)}"


def test_datasources_are_influxql_and_flux_with_documented_env_placeholders() -> None:
    sources = g.provisioned_datasources()
    versions = {uid: ds["jsonData"]["version"] for uid, ds in sources.items()}
    assert versions == {"netwatch-influxql": "InfluxQL", "netwatch-flux": "Flux", "netwatch-pool": "InfluxQL"}
    influxql, flux = sources["netwatch-influxql"], sources["netwatch-flux"]
    assert influxql["url"] == flux["url"] == "${INFLUX_URL}"
    assert influxql["jsonData"]["dbName"] == "${INFLUX_DATABASE}"
    assert influxql["user"] == "${INFLUX_USER}" and influxql["secureJsonData"]["password"] == "${INFLUX_PASSWORD}"
    assert flux["jsonData"]["organization"] == "${INFLUX_ORG}"
    assert flux["jsonData"]["defaultBucket"] == "${INFLUX_BUCKET}"
    assert flux["secureJsonData"]["token"] == "${INFLUX_TOKEN}"
    for ds in sources.values():
        assert ds["type"] == "influxdb" and ds["access"] == "proxy"
        assert not {"password", "token"} & set(ds["jsonData"]), "secrets belong in secureJsonData"
    text = g.DATASOURCES_YAML.read_text(encoding="utf-8")
    header = text.split("apiVersion:")[0]
    for var in set(re.findall(r"\$\{(\w+)\}", text.split("apiVersion:")[1])):
        assert re.search(rf"^#\s+{var}\s", header, flags=re.MULTILINE), f"${{{var}}} is not documented in the header"


def test_dashboard_provider_loads_the_dashboards_folder_from_files() -> None:
    providers = g.load_yaml(g.DASHBOARDS_YAML)["providers"]
    assert len(providers) == 1
    provider = providers[0]
    assert provider["type"] == "file"
    assert provider["options"]["path"].startswith("/")


# --- the neighbourhood pool's dashboard ------------------------------------------------------------------------


def test_the_pool_dashboard_repeats_a_panel_per_household() -> None:
    dash = g.load_json(g.DASHBOARD_DIR / g.POOL_DASHBOARD)
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    household = variables["household"]
    assert (household["query"], household["regex"]) == ("SHOW DATABASES", "/^netwatch_pool_[0-9a-f]{12}$/")
    assert household["multi"] is True and household["includeAll"] is True
    assert household["datasource"] == {"type": "influxdb", "uid": "netwatch-pool"}
    assert {variables["isp"]["type"], variables["area"]["type"]} == {"textbox"}
    (panel,) = g.panels(dash)
    assert (panel["repeat"], panel["repeatDirection"]) == ("household", "v")


@pytest.mark.parametrize("query", POOL_QUERIES, ids=_ids(POOL_QUERIES))
def test_pool_queries_name_only_the_pools_schema_and_filter_by_area(query: g.Query) -> None:
    if query.where.startswith("variable"):
        return
    measurements = set(re.findall(r'\bFROM\s+"\$household"\.\."(\w+)"', query.text))
    assert measurements and measurements <= set(POOL_SCHEMA), query.text
    _, idents, _ = _strip(query.text)
    known = {"$household", *measurements} | {n for m in measurements for n in POOL_SCHEMA[m][0] | POOL_SCHEMA[m][1]}
    assert set(idents) <= known, sorted(set(idents) - known)
    for fragment in ('"isp" =~ /^$isp$/', '"area" =~ /^$area$/', "$timeFilter"):
        assert fragment in query.text


def test_the_pool_dashboard_colours_the_providers_causes_as_the_reports() -> None:
    dash = g.load_json(g.DASHBOARD_DIR / g.POOL_DASHBOARD)
    report = {info.key: info for info in CAUSES.values()}
    (panel,) = g.panels(dash)
    found: list[tuple[str, str, str, str | None]] = []
    _cause_colours(panel["fieldConfig"], "pool", found)
    assert {cause for _, cause, _, _ in found} == {c.value for c in PROVIDER_CAUSES}
    for _, cause, colour, _ in found:
        assert colour.lower() == report[cause].colour.lower()
    names = {o["matcher"]["options"]: o["properties"][1]["value"] for o in panel["fieldConfig"]["overrides"]}
    assert names == {cause: report[cause].label for cause in names}
