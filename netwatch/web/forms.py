"""The Act page's forms: their fields as the application reads them, and the application's errors in the page's
words.

Owns reading a form's fields (text only, trimmed, at most ``MAX_FIELD`` characters: anything longer is refused
before the application sees it), turning a browser's date-time field ("2026-03-24T10:15", or empty for "now") into
the owner's WHEN words, with the offset the owner chose when that local time happened twice (the field cannot hold
one: ``FIELD-offset`` is the choice the page offers then), and ``worded``: an ``InputError`` behind the label of the
field it names ("Reported at: …"), with the fix this page offers (its forms, its list of tickets). Must not record
anything or check a value's meaning: ``netwatch.app.tickets`` does, and refuses before it writes.
"""

from __future__ import annotations

import re

from starlette.datastructures import FormData

from netwatch.errors import InputError, TicketClosed, TicketExists, TicketUnknown, TimeSkipped, TimeTwice

MAX_FIELD = 2000  # characters: a note of a few paragraphs; a form is never a way to fill the disk

LABELS = {
    "ref": "Provider's reference",
    "channel": "How you reported it",
    "reported": "Reported at",
    "note": "Note",
    "fixed": "Repaired at",
    "at": "Appointment the engineer missed",
}
OFFSET = re.compile(r"[+-]\d\d:\d\d")


def text(form: FormData, name: str) -> str:
    """A text field (missing: ""). Raises InputError when it is a file or too long."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise InputError("expected text, not a file", name)
    if len(value) > MAX_FIELD:
        raise InputError(f"{len(value)} characters is too long; at most {MAX_FIELD}", name)
    return value.strip()


def when(form: FormData, name: str, *, empty: str = "now") -> str:
    """A date-time field as WHEN: ``empty`` when left empty ("now"; "" where no default makes sense, as for a booked
    time); the browser's "YYYY-MM-DDTHH:MM" as "YYYY-MM-DD HH:MM", with the offset chosen for a time that happened
    twice (``NAME-offset``), if any."""
    value = text(form, name)
    if not value:
        return empty
    offset = form.get(f"{name}-offset", "")
    chosen = offset if isinstance(offset, str) and OFFSET.fullmatch(offset) else ""
    return value.replace("T", " ", 1) + chosen


def worded(err: InputError) -> str:
    """``err`` as this page says it: behind its field's label, with the fix the page offers."""
    said = str(err)
    if isinstance(err, TimeTwice):
        said = f"{err.problem}: choose which time you mean below and send it again"
    elif isinstance(err, TimeSkipped):
        said = f"{err.problem}; give the time as the clocks showed it"
    elif isinstance(err, TicketExists):
        said += ": close it with the Repaired form of that ticket below, or give the new fault its own reference"
    elif isinstance(err, TicketUnknown):
        said += " (listed below); open one with the form above"
    elif isinstance(err, TicketClosed):
        said += ": it cannot be closed twice"
    label = LABELS.get(err.field or "")
    return f"{label}: {said}" if label else said
