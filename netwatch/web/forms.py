"""The Act page's forms: their fields as the application reads them, and its errors in the page's words.

Owns reading a form's fields (text only, trimmed, at most ``MAX_FIELD`` characters: anything longer is refused
before the application sees it), turning a browser's date-time field ("2026-03-24T10:15", or empty for "now") into
the owner's WHEN words the command line takes, and rewording the application's one-line errors, which name the
command line's options ("--ref: …"), with the form's labels ("Reference: …"). Must not record anything or check a
value's meaning: ``netwatch.app.tickets`` does, and refuses before it writes.
"""

from __future__ import annotations

import re

from starlette.datastructures import FormData

from netwatch.errors import InputError

MAX_FIELD = 2000  # characters: a note of a few paragraphs; a form is never a way to fill the disk

LABELS = {
    "--ref": "Reference",
    "--reported": "Reported at",
    "--fixed": "Repaired at",
    "--at": "Appointment at",
}
_CLI = (
    (re.compile(r"`netwatch ticket close [^`]*`"), "the Repaired form of that ticket below"),
    (re.compile(r"\(`netwatch ticket list`\)"), "(listed below)"),
    (re.compile(r"open one with `netwatch ticket open`"), "open one with the form above"),
    (re.compile(r"add --correct to replace that time"), "it cannot be closed twice"),
    (re.compile(r"its own --ref"), "its own reference"),
)


def text(form: FormData, name: str, label: str) -> str:
    """A text field (missing: ""). Raises InputError when it is a file or too long."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise InputError(f"{label}: expected text, not a file")
    if len(value) > MAX_FIELD:
        raise InputError(f"{label}: {len(value)} characters is too long; at most {MAX_FIELD}")
    return value.strip()


def when(form: FormData, name: str, label: str) -> str:
    """A date-time field as WHEN: "now" when left empty; the browser's "YYYY-MM-DDTHH:MM" as "YYYY-MM-DD HH:MM"."""
    value = text(form, name, label)
    return value.replace("T", " ", 1) if value else "now"


def reworded(err: InputError) -> str:
    """The application's message with the form's labels instead of the command line's options."""
    message = str(err)
    option, colon, rest = message.partition(": ")
    if colon and option in LABELS:
        message = f"{LABELS[option]}: {rest}"
    for pattern, words in _CLI:
        message = pattern.sub(words, message)
    return message
