"""Reports: pure figures (``compute``), period parsing (``period``) and, later, rendering with Jinja2."""
