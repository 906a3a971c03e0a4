"""Replication of the local store to InfluxDB, a replica that may be unreachable exactly when the line is down.

Owns ``points`` (the schema as line protocol: pure), ``sinks`` (the v1 and v2 write APIs behind the ``Sink``
Protocol, and their errors), ``exporter`` (the thread that follows the store's cursor, with backoff) and
``backfill`` (`netwatch influx check` and `backfill`). Must not write to the store except through a ``Ledger``,
nor ever slow probing. influxdb-client is imported only when api = "v2" is used.
"""
