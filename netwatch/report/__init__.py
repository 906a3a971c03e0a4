"""Reports: the figures of a period and every document made of them.

Owns the pure figures (``compute`` and its parts: ``buckets``, ``speed``, ``tickets``, ``evidence``, ``cost``),
named periods (``period``), and the wording and formats: JSON (``jsonout``), CSV (``csvout``), the HTML evidence
report and the Markdown complaint letter (``render``, Jinja2 templates, with ``view``, ``speedview`` and
``letter``), PDF (``pdf``), notifications (``message``), and what the commands print (``status``, ``traces``,
``verification``, ``campaign``, ``rules``). Must not read the store, InfluxDB or the clock, or import an adapter:
everything is given.
"""
