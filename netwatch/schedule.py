"""The public home of ``BusinessHours`` (``netwatch.schedule.BusinessHours``), kept for scripts that use it.

Owns nothing: the schedule lives in ``netwatch.core.schedule``. Must not grow code of its own.
"""

from netwatch.core.schedule import BusinessHours

__all__ = ["BusinessHours"]
