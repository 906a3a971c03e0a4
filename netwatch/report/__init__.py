"""Reports: pure figures (``compute`` and its parts), period parsing (``period``), and output: JSON, CSV, the
HTML evidence report and the Markdown complaint letter (``render``, Jinja2 templates), PDF (``pdf``)."""
