#!/bin/bash
# Run once by the influxdb:2 image after its first setup (mounted into /docker-entrypoint-initdb.d/ by
# docs/docker-compose.yml): lets InfluxQL clients such as Grafana's "netwatch (InfluxQL)" data source read the
# bucket through InfluxDB's v1 compatibility API.
#
# - a DBRP mapping: database NETWATCH_INFLUXQL_DATABASE, retention policy "autogen" -> the initial bucket;
# - a v1 authorization: user NETWATCH_INFLUXQL_USER / NETWATCH_INFLUXQL_PASSWORD, allowed to read that bucket.
#
# The image provides DOCKER_INFLUXDB_INIT_BUCKET_ID and DOCKER_INFLUXDB_INIT_ORG, and a configured `influx` CLI.
set -euo pipefail

influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db "${NETWATCH_INFLUXQL_DATABASE}" \
  --rp autogen \
  --default

influx v1 auth create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --username "${NETWATCH_INFLUXQL_USER}" \
  --password "${NETWATCH_INFLUXQL_PASSWORD}" \
  --read-bucket "${DOCKER_INFLUXDB_INIT_BUCKET_ID}"
