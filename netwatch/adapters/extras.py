"""Which optional parts of netwatch this environment has: the packages of its extras, and the programs some
backends run.

Owns asking the import system whether a module could be imported (``importlib.util.find_spec``: the module is not
imported, so nothing heavy such as WeasyPrint is loaded) and PATH whether a program is there. Must not decide what
a missing part means (``netwatch.report.doctor`` words it) nor import the packages themselves.
"""

from __future__ import annotations

import importlib.util
import shutil


def installed(module: str) -> bool:
    """Whether the top-level ``module`` can be imported here."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def program(name: str) -> bool:
    """Whether the program ``name`` is on PATH (or, with a slash, is an executable file)."""
    return shutil.which(name) is not None
