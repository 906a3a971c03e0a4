"""InfluxDB, the replica: writing netwatch's points to it and reading them back with InfluxQL.

Owns the schema as line protocol (``points``), the v1 and v2 write APIs behind the ``Sink`` Protocol (``sinks``),
the InfluxQL client (``query``), one probe's history for a report (``history``) and a second witness's rounds
(``witness``). influxdb-client is imported only when api = "v2" is used. Must not write to the store or follow its
cursor: the exporter that does is ``netwatch.app.daemon.export``.
"""
