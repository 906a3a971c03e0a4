"""What the tests share, so that no test module defines it again or imports it from another test module.

Builders of the records tests feed netwatch (instants, targets, rounds, incidents, speed results, tickets,
coverage), stores and configurations made from them, the detector and line protocol fed with them, and the
harness around the real things: the simulated ISP in network namespaces, real InfluxDB and VictoriaMetrics
servers, the fake servers and runners started as child processes, the Grafana type checker. One module per
concept; each says what it owns and what it must not do.

Must not hold fixtures (they stay in the conftest.py files, which build them from these modules) or tests, and
must not change netwatch's behaviour: support code only builds inputs, starts processes and reads results.
"""
