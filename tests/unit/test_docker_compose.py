"""docs/docker-compose.yml and what it refers to, checked without Docker (which these tests do not have).

The compose file parses; every file it mounts or builds from exists; every variable it needs is in
docs/env.example; Grafana gets every variable the provisioned data sources use, and the dashboards where the
provider looks; netwatch runs in the host's network with CAP_NET_RAW and a configuration that netwatch itself
accepts and that points at the InfluxDB container's org, bucket, port and token secret.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from netwatch import config
from tests.support.grafana import dashboards as g

DOCS = g.REPO / "docs"
COMPOSE = DOCS / "docker-compose.yml"
ENV_EXAMPLE = DOCS / "env.example"
INIT_SCRIPT = DOCS / "influxdb-init" / "netwatch-influxql.sh"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = g.load_yaml(COMPOSE)
    assert isinstance(data, dict)
    return data


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "write environment as a mapping"
    return {k: str(v) for k, v in env.items()}


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """target -> source of the service's volumes (short syntax)."""
    out = {}
    for spec in service.get("volumes", []):
        source, target = spec.split(":")[:2]
        out[target] = source
    return out


def test_services_and_the_plain_statement_that_it_was_not_run(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"influxdb", "grafana", "netwatch"}
    assert "NOT RUN" in COMPOSE.read_text(encoding="utf-8").split("name:")[0]


def test_bind_mounts_and_build_files_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for target, source in _mounts(service).items():
            if source.startswith("."):
                assert (DOCS / source).exists(), f"{name}: {source} (mounted on {target}) does not exist"
            else:
                assert source in compose["volumes"], f"{name}: named volume {source} is not declared"
    build = compose["services"]["netwatch"]["build"]
    context = (DOCS / build["context"]).resolve()
    assert context == g.REPO
    dockerfile = context / build["dockerfile"]
    assert dockerfile.is_file()
    # BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile: it must let in everything COPY needs.
    allowed = {
        line[1:].rstrip("/")
        for line in (dockerfile.parent / f"{dockerfile.name}.dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (context / source).exists(), f"{dockerfile.name} copies {source}, which does not exist"
                assert source.rstrip("/") in allowed, f"{source} is left out of the build context by .dockerignore"


def test_every_variable_is_in_env_example(compose: dict[str, Any]) -> None:
    needed = set(re.findall(r"\$\{(\w+)", COMPOSE.read_text(encoding="utf-8")))
    needed |= {s["environment"] for s in compose.get("secrets", {}).values() if "environment" in s}
    documented = set(re.findall(r"^(\w+)=", ENV_EXAMPLE.read_text(encoding="utf-8"), flags=re.MULTILINE))
    assert needed == documented


def test_grafana_gets_the_provisioning_dashboards_and_every_datasource_variable(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    mounts = {target: (DOCS / source).resolve() for target, source in _mounts(grafana).items() if source[0] == "."}
    assert mounts["/etc/grafana/provisioning/datasources"] == g.DATASOURCES_YAML.parent
    assert mounts["/etc/grafana/provisioning/dashboards"] == g.DASHBOARDS_YAML.parent
    provider_path = g.load_yaml(g.DASHBOARDS_YAML)["providers"][0]["options"]["path"]
    assert mounts[provider_path] == g.DASHBOARD_DIR
    env = _env(grafana)
    used = set(re.findall(r"\$\{(\w+)\}", g.DATASOURCES_YAML.read_text(encoding="utf-8").split("apiVersion:")[1]))
    assert used <= set(env), f"Grafana lacks {sorted(used - set(env))}"
    influx = _env(compose["services"]["influxdb"])
    assert env["INFLUX_URL"] == "http://influxdb:8086"
    assert env["INFLUX_ORG"] == influx["DOCKER_INFLUXDB_INIT_ORG"]
    assert env["INFLUX_BUCKET"] == influx["DOCKER_INFLUXDB_INIT_BUCKET"]
    assert env["INFLUX_DATABASE"] == influx["NETWATCH_INFLUXQL_DATABASE"]
    assert env["INFLUX_USER"] == influx["NETWATCH_INFLUXQL_USER"]
    assert env["INFLUX_PASSWORD"] == influx["NETWATCH_INFLUXQL_PASSWORD"]
    assert env["INFLUX_TOKEN"] == influx["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"]
    home = env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith(provider_path + "/") and (g.DASHBOARD_DIR / Path(home).name).is_file()


def test_influxdb_is_set_up_for_influxql(compose: dict[str, Any]) -> None:
    influx = compose["services"]["influxdb"]
    env = _env(influx)
    assert env["DOCKER_INFLUXDB_INIT_MODE"] == "setup"
    for key in ("USERNAME", "PASSWORD", "ORG", "BUCKET", "ADMIN_TOKEN"):
        assert env[f"DOCKER_INFLUXDB_INIT_{key}"]
    assert (DOCS / _mounts(influx)["/docker-entrypoint-initdb.d"]).resolve() == INIT_SCRIPT.parent
    assert os.access(INIT_SCRIPT, os.X_OK), "the image runs only executable init scripts"
    script = INIT_SCRIPT.read_text(encoding="utf-8")
    assert "influx v1 dbrp create" in script and "influx v1 auth create" in script
    for var in set(re.findall(r"\$\{(\w+)\}", script)):
        assert var in env or var in ("DOCKER_INFLUXDB_INIT_BUCKET_ID",), f"{var} is not set for the init script"
    bash = shutil.which("bash")
    assert bash is not None
    subprocess.run([bash, "-n", str(INIT_SCRIPT)], check=True)
    assert influx["ports"] == ["127.0.0.1:8086:8086"]


def test_netwatch_probes_from_the_host_network_with_net_raw(compose: dict[str, Any]) -> None:
    netwatch = compose["services"]["netwatch"]
    assert netwatch["network_mode"] == "host"
    assert netwatch["cap_add"] == ["NET_RAW"]
    assert netwatch["cap_drop"] == ["ALL"]


def test_netwatch_config_is_valid_and_points_at_the_influxdb_container(compose: dict[str, Any]) -> None:
    netwatch = compose["services"]["netwatch"]
    source = DOCS / _mounts(netwatch)["/etc/netwatch/netwatch.toml"]
    dockerfile = (g.REPO / netwatch["build"]["dockerfile"]).read_text(encoding="utf-8")
    assert '"--config", "/etc/netwatch/netwatch.toml"' in dockerfile
    cfg = config.parse(source.read_text(encoding="utf-8"), source=str(source), env={"NETWATCH_STATE_DIR": "/x"})
    influx = _env(compose["services"]["influxdb"])
    assert cfg.influxdb.api == "v2"
    assert cfg.influxdb.url == "http://" + compose["services"]["influxdb"]["ports"][0].rsplit(":", 1)[0]
    assert cfg.influxdb.org == influx["DOCKER_INFLUXDB_INIT_ORG"]
    assert cfg.influxdb.bucket == influx["DOCKER_INFLUXDB_INIT_BUCKET"]
    assert netwatch["secrets"] == ["influx_token"]
    assert str(cfg.influxdb.token_file) == "/run/secrets/influx_token"
    assert compose["secrets"]["influx_token"]["environment"] == "INFLUX_TOKEN"
    assert influx["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"].startswith("${INFLUX_TOKEN")
