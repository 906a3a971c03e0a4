"""netwatch: internet outage monitor and evidence collector."""

__version__ = "0.1.0"
