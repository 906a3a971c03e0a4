"""Persistence: the local SQLite store, netwatch's source of truth (exporters replicate from it).

Owns everything on disk about measurements: ``sqlite`` (the ``Store``: batching, durability, retention,
rollups, queries), ``codec`` (compact column encodings) and ``migrations`` (schema versions and opening).
Must not decide anything about the line; callers pass every instant in.
"""

from netwatch.adapters.store.sqlite import Store

__all__ = ["Store"]
