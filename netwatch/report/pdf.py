"""PDF output: the HTML report laid out on pages by WeasyPrint, an optional dependency (the ``pdf`` extra).

Owns importing WeasyPrint lazily, with a message naming what to install when it is missing, and translating
its errors. Must not fetch anything: the HTML is self-contained, and a URL fetcher that refuses every scheme but
``data:`` makes sure a template cannot make the conversion reach the network or read local files.
"""

from __future__ import annotations

from typing import Any

from netwatch.core import extras
from netwatch.errors import ReportError

MISSING = extras.PDF_MISSING


def to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML report. Raises ReportError when WeasyPrint (68 or later) or its system
    libraries are missing, and when the HTML refers to anything outside itself (``data:`` URLs excepted)."""
    try:
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
