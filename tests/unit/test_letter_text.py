"""The letter as plain text (newcomer review 2, S12): the same words as letter.md, read as a complaint handler reads an
e-mail: no bold markers, pipes, backslashes or trailing spaces; paragraphs on one line each; tables aligned."""

from __future__ import annotations

import re
from dataclasses import replace

from netwatch.report.plaintext import cells, plain_letter
from tests.support.reports import OWNER, letter_of, sample_report

RULE = re.compile(r"^[-=:| ]+$")  # a heading's underline, a table's rule or alignment row


def words(text: str) -> list[str]:
    """The words of a letter (one without values holding Markdown characters), its markup and rules dropped: what
    both letters must share."""
    kept = "\n".join(line for line in text.splitlines() if not RULE.match(line))
    unmarked = re.sub(r"\*\*|`|\||^#+ (?! )", " ", kept, flags=re.M)
    return re.sub(r"\\(.)", r"\1", unmarked).split()


def test_the_plain_letter_has_the_markdown_letters_words_and_no_markup() -> None:
    md = letter_of(sample_report()).text
    text = plain_letter(md)
    for mark in ("**", "\\", "|", "`", "## "):
        assert mark not in text, mark
    assert not [line for line in text.splitlines() if line != line.rstrip()]
    assert "Subject: loss of internet service, 23 November 2026 to 29 November 2026, account EB-4471" in text
    lines = text.splitlines()
    start = lines.index("Outages")
    assert lines[start : start + 8] == [
        "Outages",
        "-------",
        "",
        "#  Start                         End                             Duration  In business hours  Cause",
        "-  ----------------------------  ----------------------------  ----------  -----------------"
        "  ------------------",
        "1  Mon 23 Nov 2026 09:30:00 GMT  Mon 23 Nov 2026 10:30:00 GMT  1h 00m 00s         1h 00m 00s"
        "  ISP access network",
        "2  Mon 23 Nov 2026 20:00:00 GMT  Mon 23 Nov 2026 20:10:00 GMT     10m 00s                 0s  ISP upstream",
        "3  Wed 25 Nov 2026 08:45:00 GMT  Wed 25 Nov 2026 09:15:00 GMT     30m 00s            15m 00s  DNS",
    ]
    # A paragraph is one line (the e-mail program wraps it); the sender's block keeps its lines.
    assert (
        "In the time it monitored, the line was down 4 times, for 1h 40m 20s in total, of which 1h 15m 00s fell"
        " within our business hours. 1h 40m 00s of it is attributable to your network (your access network, upstream"
        " connectivity or name service), as the monitoring records below show; for the other 20s the records do not"
        " show where the fault was."
    ) in lines
    assert lines[:6] == [
        "Smith Design",
        "Jane Smith",
        "12 Mill Lane",
        "Ambridge AB1 2CD",
        "jane@example.org",
        "01632 960000",
    ]


def test_every_word_of_the_markdown_letter_is_in_the_plain_one_in_order() -> None:
    md = letter_of(sample_report()).text
    assert "**" in md and "|" in md and "  \n" in md  # bold, tables and hard breaks to take out
    assert words(plain_letter(md)) == words(md)


def test_a_value_with_markdown_characters_reads_as_typed() -> None:
    owner = replace(OWNER, business="Smith_&_Sons *Design* | Print", name="Jane \\ Smith")
    text = plain_letter(letter_of(sample_report(), owner=owner).text)
    assert text.splitlines()[:2] == ["Smith_&_Sons *Design* | Print", "Jane \\ Smith"]
    assert "Yours faithfully,\n\nJane \\ Smith\nSmith_&_Sons *Design* | Print\n" in text


def test_a_table_cell_may_hold_an_escaped_pipe() -> None:
    assert cells("| a \\| b | c |") == ["a \\| b", "c"]
