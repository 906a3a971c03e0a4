"""netwatch: internet outage monitor and evidence collector.

Owns the version. Must not import anything: importing a subpackage must not load the rest (see docs/ARCHITECTURE.md).
"""

__version__ = "0.1.0"
