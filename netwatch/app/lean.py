"""The monitoring commands' memory: asyncio imported without its TLS support.

Owns one decision. Importing asyncio makes it import ``ssl``, and with it libssl and libcrypto: about 5 MB of
resident memory here, a sixth of the daemon's. netwatch's event loop never speaks TLS: the daemon's TLS clients
(InfluxDB, notifications, the pool, speed tests) use blocking sockets in threads and import ``ssl`` themselves,
only when one is configured. ``asyncio_without_tls`` imports asyncio while ``ssl`` is hidden, so that asyncio's
own TLS support is off in that process, then unhides it. Must not be used by a process whose event loop serves
or opens TLS connections (the dashboard, `netwatch web`), and does nothing once asyncio or ssl is imported.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, cast


def asyncio_without_tls() -> bool:
    """Import asyncio with ``ssl`` hidden, unless either is imported already; True when it did."""
    if "asyncio" in sys.modules or "ssl" in sys.modules:
        return False
    modules = cast(dict[str, Any], sys.modules)
    modules["ssl"] = None  # `import ssl` raises ImportError while this is set: asyncio then sets its ssl to None
    try:
        importlib.import_module("asyncio")
    finally:
        del modules["ssl"]
    return True
