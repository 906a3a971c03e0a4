"""A stalled probe loop reported with its stack from a helper thread, once per stall, at the error priority.

The loop is a real thread held in ``a_hung_probe`` (an event it waits on, as a probe that never returns would hold
the loop); the report is read back from the reporter (with a clock the test moves) or from the log records its
helper thread writes (with the real clock), formatted as the journal gets them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from netwatch.adapters.logs import JournalFormatter
from netwatch.app.daemon.stall import StallReporter
from tests.support.clocks import Clock

HEADLINE = (
    "the probe loop has made no round for {:.1f} s (a round ends at most 1.5 s after the one before); it is stuck"
    " here (most recent call last):"
)


def a_hung_probe(release: threading.Event) -> None:
    release.wait(60)  # held until the test has read the report: the bound only ends a broken test


WAITS = f'  File "{__file__}", line {a_hung_probe.__code__.co_firstlineno + 1}, in a_hung_probe'


class Loop:
    """A thread that follows (or starts) ``reporter`` on itself, then hangs in ``a_hung_probe`` until released."""

    def __init__(self, reporter: StallReporter, start: bool) -> None:
        self.release = threading.Event()
        self.following = threading.Event()

        def run() -> None:
            reporter.start() if start else reporter.follow()
            self.following.set()
            a_hung_probe(self.release)

        self.thread = threading.Thread(target=run, name="test-loop")
        self.thread.start()
        assert self.following.wait(60)

    def end(self) -> None:
        self.release.set()
        self.thread.join()


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    found: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = found.append  # type: ignore[method-assign]
    logger = logging.getLogger("netwatch")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_stall_is_reported_once_with_the_loops_stack(records: list[logging.LogRecord]) -> None:
    clock = Clock()
    reporter = StallReporter(1.5, clock=clock)
    loop = Loop(reporter, start=False)
    try:
        clock.now += 1.5
        assert reporter.check() is None, "a gap as long as the limit is a healthy round"
        clock.now += 2.5
        report = reporter.check()
        assert report is not None
        lines = report.splitlines()
        assert lines[0] == HEADLINE.format(4.0)
        # The loop's thread, innermost call last: its hung probe, then only the event's wait inside threading.
        at = lines.index(WAITS)
        assert lines[at + 1] == (
            "    release.wait(60)  # held until the test has read the report: the bound only ends a broken test"
        )
        inner = lines[at + 2 :: 2]
        assert inner and all(line.startswith('  File "') and "threading.py" in line for line in inner), report
        assert any(line.endswith(", in run") for line in lines), report
        clock.now += 100.0
        assert reporter.check() is None, "once per stall"
        assert reporter.reports == 1
        reporter.beat()
        assert [r.getMessage() for r in records] == ["the probe loop is running again, after a stall of 104.0 s"]
        assert records[0].levelno == logging.WARNING
        clock.now += 2.0
        second = reporter.check()
        assert second is not None and second.startswith(HEADLINE.format(2.0)), "a new stall, a new report"
    finally:
        loop.end()


def test_the_helper_thread_logs_the_stall_at_the_error_priority_on_every_line(
    records: list[logging.LogRecord],
) -> None:
    reporter = StallReporter(0.1)
    reported = threading.Event()
    handler = logging.Handler()
    handler.emit = lambda record: reported.set()  # type: ignore[method-assign]
    logging.getLogger("netwatch").addHandler(handler)
    loop = Loop(reporter, start=True)
    try:
        assert reported.wait(60), "no stall reported"
    finally:
        loop.end()
        reporter.stop()
        logging.getLogger("netwatch").removeHandler(handler)
    [record] = [r for r in records if r.levelno == logging.ERROR]
    journal = JournalFormatter("%(message)s").format(record).splitlines()
    assert journal[0].startswith("<3>the probe loop has made no round for ")
    assert all(line.startswith("<3> ") for line in journal[1:]), journal
    assert f"<3> {WAITS}" in journal
