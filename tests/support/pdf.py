"""Whether this machine can make and read a PDF: WeasyPrint (the ``pdf`` extra, with Pango) and poppler's pdftotext.

Owns the reason either is missing, with the command that installs it. Must not skip or fail a test itself (the
``pdf_tools`` fixture in tests/integration/conftest.py does, through ``tests.support.skipping``) or render anything.
"""

from __future__ import annotations

import importlib.util
import shutil


def missing() -> str | None:
    """Why a PDF cannot be made and read here, or None when it can."""
    if importlib.util.find_spec("weasyprint") is None:
        return "WeasyPrint is not installed (pip install 'netwatch[pdf]')"
    try:
        import weasyprint  # noqa: F401
    except OSError as err:
        return f"WeasyPrint cannot load its libraries ({err}); apt-get install libpango-1.0-0 libpangoft2-1.0-0"
    except DeprecationWarning as err:  # raised, as warnings are errors in the tests
        return f"WeasyPrint warns at import: {err} (apt-get install libharfbuzz-subset0)"
    if shutil.which("pdftotext") is None:
        return "pdftotext is not installed (apt-get install poppler-utils)"
    return None
