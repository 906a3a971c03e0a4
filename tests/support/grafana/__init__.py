"""The Grafana helpers of the tests: dashboards.py reads config/grafana/ for the Python tests, and a small npm
project (typecheck.mjs, dashboard-types.ts, package.json, package-lock.json, tsconfig.json) type-checks the
dashboards against @grafana/schema with tsc.

Owns those two views of the dashboards. Must not change config/grafana/ (both only read it); node_modules comes
from ``npm ci`` here (``./bootstrap test`` runs it) and is never committed.
"""
