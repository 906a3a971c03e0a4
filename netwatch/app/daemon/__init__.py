"""The daemon: the monitoring loop and the tasks that run beside it.

Owns ``loop`` (the ``Daemon``: rounds on a fixed cadence, the detector, the clock), ``writer`` (every store call
on one thread), ``targets`` (what each round probes), ``service`` (what systemd is told), the tasks — scheduled
speed tests (``speed``), traceroutes (``traces``), notifications (``notify``, ``digest``) and the InfluxDB
exporter (``export``) — and ``runtime``, the narrow interface those tasks see of the run. Must not be imported by
the core, the adapters or report.
"""
