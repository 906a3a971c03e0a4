"""A clock the test moves by hand, for code that takes its clock as an argument (``clock=``).

Owns ``Clock``: it reads ``now`` (1000.0 until the test sets it) and never moves by itself. Must not read a real
clock or sleep.
"""

from __future__ import annotations


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
