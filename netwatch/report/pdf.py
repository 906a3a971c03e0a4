"""PDF output: the HTML report laid out on pages by WeasyPrint, an optional dependency (the ``pdf`` extra).

Owns importing WeasyPrint lazily (in the background once a face knows a PDF is coming: ``preload``), with a
message naming what to install when it is missing, and translating its errors. Must not fetch anything: the HTML
is self-contained, and a URL fetcher that refuses every scheme but ``data:`` makes sure a template cannot make the
conversion reach the network or read local files.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import Any

from netwatch.core import extras
from netwatch.errors import ReportError

MISSING = extras.PDF_MISSING

_loading: list[threading.Thread] = []


def _not_found(name: str) -> None:
    return None


def _load() -> None:
    """Import WeasyPrint. Raises ImportError, or OSError when its C libraries are missing.

    WeasyPrint tries several names for each of its C libraries, the Windows and macOS ones first; cffi looks each
    name it cannot open up with ``ctypes.util.find_library``, which on Linux runs ``ldconfig``, ``gcc`` and ``ld``
    for it: some 60 programs, 0.3 s here, and more on a Pi. On Linux the names it then tries are the libraries'
    sonames, which the dynamic linker opens itself, so the first import goes without those lookups; should it fail
    (a system whose libraries have other names), the import is tried again the usual way."""
    if sys.platform.startswith("linux") and "weasyprint" not in sys.modules:
        import ctypes.util

        lookup = ctypes.util.find_library
        ctypes.util.find_library = _not_found
        try:
            import weasyprint
        except OSError:
            pass  # tried again below, with the lookups
        finally:
            ctypes.util.find_library = lookup
    import weasyprint  # noqa: F401


def _import() -> None:
    with contextlib.suppress(Exception):  # to_pdf imports it again, and says what is missing
        _load()


def preload() -> None:
    """Start importing WeasyPrint in a thread of its own, for a PDF that comes next: the import (about 0.4 s of
    CPU here) overlaps reading the store and rendering the HTML."""
    if not _loading:
        _loading.append(threading.Thread(target=_import, name="import-weasyprint"))
        _loading[0].start()


def to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML report. Raises ReportError when WeasyPrint (68 or later) or its system
    libraries are missing, and when the HTML refers to anything outside itself (``data:`` URLs excepted)."""
    for thread in _loading:
        thread.join()
    try:
        _load()
        import weasyprint
        from weasyprint.urls import FatalURLFetchingError
    except (ImportError, OSError) as err:  # OSError: the Python package is there but Pango is not
        raise ReportError(MISSING) from err

    refused: list[str] = []

    class Fetcher(weasyprint.URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type hints
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                refused.append(url)
                raise ValueError(f"refused {url}")
            return super().fetch(url, headers)

    try:
        pdf = weasyprint.HTML(string=html, url_fetcher=Fetcher(fail_on_errors=True)).write_pdf()
    except FatalURLFetchingError as err:  # a BaseException: it is meant to stop the rendering
        url = refused[-1] if refused else str(err)
        raise ReportError(
            f"the report must be self-contained, but it refers to {url}; remove that reference from the template "
            "(embed images as data: URLs)"
        ) from err
    except Exception as err:  # WeasyPrint has no exception base class of its own
        raise ReportError(f"WeasyPrint could not lay out the report: {err}") from err
    if not isinstance(pdf, bytes):
        raise ReportError("WeasyPrint returned no PDF")
    return pdf
