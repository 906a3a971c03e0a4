"""The formats a report is made in, and getting ready to make one.

Owns the formats' names (and which of them people read), telling the format from an output file's name, and what
is started ahead for a format before the report is built (a PDF's WeasyPrint process). Light on purpose: a face
asks for it before it imports what builds and renders a report, so that the PDF's process starts first. Must not
build, render or write a report (``netwatch.app.documents``).
"""

from __future__ import annotations

from pathlib import Path

from netwatch.errors import InputError

FORMATS = ("html", "pdf", "md", "txt", "csv", "json")  # txt: the letter as plain text, for an e-mail
READ = ("html", "pdf", "md", "txt")  # the documents people read (the provider too); csv and json are for machines
EXTENSIONS = {
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".md": "md",
    ".txt": "txt",
    ".csv": "csv",
    ".json": "json",
}


def report_format(fmt: str | None, output: Path | None) -> str:
    """The format asked for, else the one the output file's extension names, else JSON (on stdout)."""
    if fmt is not None:
        return fmt
    if output is None:
        return "json"
    guessed = EXTENSIONS.get(output.suffix.lower())
    if guessed is None:
        raise InputError(
            f'--output: cannot tell the format from "{output.name}"; pass --format ({", ".join(FORMATS)}) or use '
            f"one of the extensions {', '.join(EXTENSIONS)}"
        )
    return guessed


def prepare(kind: str) -> None:
    """Get ready to render ``kind``, before the report is built: for a PDF, WeasyPrint's process starts, and
    imports WeasyPrint on another core meanwhile."""
    if kind == "pdf":
        from netwatch.report.pdf import preload

        preload()
