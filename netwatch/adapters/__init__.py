"""The adapters: netwatch's edges to the world, each behind a small interface.

Owns talking to everything outside the process: probes (ICMP, DNS, traceroutes, speed tests), the SQLite store,
InfluxDB (writing points, reading InfluxQL), notification channels, systemd's notification socket, the Prometheus
endpoint, the real clocks, logging and locks between processes. Third-party errors become netwatch's here. Must
not decide anything about the line (the core does) or import ``report``, ``app`` or a face.
"""
