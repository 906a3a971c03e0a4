"""PDF output: the HTML report laid out on pages by WeasyPrint, an optional dependency (the ``pdf`` extra), in a
process of its own.

Owns the WeasyPrint process (started ahead, once a face knows a PDF is coming: ``preload``; it imports WeasyPrint
while this process reads the store and renders the HTML, on another core), what it is given (the HTML) and gives
back (the PDF, or what went wrong), the message naming what to install when WeasyPrint is missing, and translating
its errors. Must not fetch anything: the HTML is self-contained, and a URL fetcher that refuses every scheme but
``data:`` makes sure a template cannot make the conversion reach the network or read local files.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from netwatch.core import extras

if TYPE_CHECKING:
    import subprocess

# The WeasyPrint process imports this module too: what only the asking process needs (subprocess, netwatch's
# errors) is imported where it is used, off the PDF's critical path.

MISSING = extras.PDF_MISSING

# How the WeasyPrint process ends when it made no PDF: the parent process says it in its own words.
NOT_INSTALLED = 3
REFUSED = 4
FAILED = 5

_ready: list[subprocess.Popen[bytes]] = []


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


def _start() -> subprocess.Popen[bytes]:
    """The WeasyPrint process: this interpreter, with this environment and working directory, so that it finds
    the netwatch this process runs. Raises OSError when it cannot be started."""
    import subprocess

    return subprocess.Popen(
        [sys.executable, "-m", "netwatch.report.pdf"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@atexit.register
def _stop_unused() -> None:
    while _ready:
        process = _ready.pop()
        process.kill()
        process.communicate()


def preload() -> None:
    """Start the WeasyPrint process for a PDF that comes next: its import (about 0.3 s of CPU here) runs on
    another core while this process reads the store and renders the HTML."""
    if not _ready:
        with contextlib.suppress(OSError):  # to_pdf starts it again, and says what is wrong
            _ready.append(_start())


def to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML report. Raises ReportError when WeasyPrint (68 or later) or its system
    libraries are missing, and when the HTML refers to anything outside itself (``data:`` URLs excepted)."""
    from netwatch.errors import ReportError

    try:
        process = _ready.pop() if _ready else _start()
    except OSError as err:
        raise ReportError(f"cannot start {sys.executable} to make the PDF: {err.strerror or err}") from err
    try:
        pdf, said = process.communicate(html.encode(errors="surrogatepass"))
    except OSError as err:
        process.kill()
        process.communicate()
        raise ReportError(f"WeasyPrint could not lay out the report: {err}") from err
    words = said.decode(errors="replace").strip().splitlines()
    reason = words[-1] if words else ""
    if process.returncode == NOT_INSTALLED:
        raise ReportError(MISSING)
    if process.returncode == REFUSED:
        raise ReportError(
            f"the report must be self-contained, but it refers to {reason}; remove that reference from the template "
            "(embed images as data: URLs)"
        )
    if process.returncode < 0:  # killed: on a Pi, most likely by the kernel when memory ran out
        raise ReportError(
            f"the process making the PDF was killed ({_signal_name(-process.returncode)}) before it "
            "finished; try again, and if it happens again check the free memory (free -m)"
        )
    if process.returncode != 0 or not pdf.startswith(b"%PDF"):
        raise ReportError(f"WeasyPrint could not lay out the report: {reason or f'exit code {process.returncode}'}")
    return pdf


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def convert(html: str) -> tuple[int, bytes | str]:
    """In the WeasyPrint process: the PDF of ``html`` (0 and its bytes), or why there is none (an exit code above
    and its one line)."""
    try:
        _load()
        import weasyprint
        from weasyprint.urls import FatalURLFetchingError
    except (ImportError, OSError) as err:  # OSError: the Python package is there but Pango is not
        return NOT_INSTALLED, str(err)

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
        return REFUSED, refused[-1] if refused else str(err)
    except Exception as err:  # WeasyPrint has no exception base class of its own
        return FAILED, " ".join(str(err).split())
    if not isinstance(pdf, bytes):
        return FAILED, "WeasyPrint returned no PDF"
    return 0, pdf


def main() -> None:
    """The WeasyPrint process: WeasyPrint imported at once, then the HTML read to its end from standard input
    and the PDF written to standard output; nothing at all when the HTML never comes (the report failed)."""
    with contextlib.suppress(ImportError, OSError):  # convert says so, once the HTML has come
        _load()
    html = sys.stdin.buffer.read().decode(errors="surrogatepass")
    if not html:
        return
    code, out = convert(html)
    if isinstance(out, bytes):
        sys.stdout.buffer.write(out)
    else:
        print(out, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    # The asking process waits for this one's end: freeing WeasyPrint's objects one by one at exit took 0.1 s of a
    # month's PDF, and nothing here needs it (the PDF is written and flushed, no file is open).
    os._exit(code)


if __name__ == "__main__":
    main()
