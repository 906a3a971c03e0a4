"""A month's documents from the dashboard: the evidence report (HTML, PDF), the complaint letter and the evidence zip.

Owns the download addresses (``/download/YYYY-MM/<name>``, only signed in: the documents carry the owner's name,
address and account) and how each is made: `netwatch report` and `netwatch evidence` themselves, with this
configuration, in a child process, its output streamed from a temporary file. A month's report is built and laid
out in tens of megabytes (WeasyPrint's PDF in a hundred), which the dashboard's own process must not hold for the
rest of its life (its budget is 60 MB), and a month's zip is never held in memory. One child at a time: a second
request waits up to ``WAIT_S`` for the first, then is told the dashboard is busy. A refusal is said in the page's
words: a letter of a month netwatch never ran in is "No letter" (404), not the command line's hint; an evidence
bundle of a store that fails verification is "Evidence chain broken" (409: what to run, and that the other
documents are still there). Must not
compute figures.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import anyio
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from netwatch.app import settings
from netwatch.config import Config
from netwatch.errors import NetwatchError, ReportError
from netwatch.web.dashboard import dashboard
from netwatch.web.pages import Month, message, month_of, parse_month, today
from netwatch.web.session import signed_in

NAMES = {
    "report.html": ("html", "text/html; charset=utf-8"),
    "report.pdf": ("pdf", "application/pdf"),
    "letter.md": ("md", "text/markdown; charset=utf-8"),
    "letter.txt": ("txt", "text/plain; charset=utf-8"),
    "evidence.zip": ("zip", "application/zip"),
}
CHILD_TIMEOUT_S = 600.0
WAIT_S = 60.0  # a second tap waits this long for the document being made, then is told to try again
BAD_INPUT = 2  # `netwatch`'s exit code for input it refuses (README "Exit codes"): for a letter, nothing measured
UNVERIFIED = 9  # its exit code when the evidence chain does not verify (broken, or nothing sealed yet)


class Refused(ReportError):
    """The command refused the month as input (exit code ``BAD_INPUT``): a letter of a month it never ran in."""


class Unverified(ReportError):
    """`netwatch evidence` found the store failing verification (exit code ``UNVERIFIED``); ``empty``: nothing is
    sealed in it yet."""

    def __init__(self, message: str, *, empty: bool) -> None:
        super().__init__(message)
        self.empty = empty


async def _child(cfg: Config, argv: list[str], output: Path) -> None:
    """Run `netwatch ARGV --output OUTPUT` with this configuration and state directory, holding no worker thread
    while it runs. Raises ReportError with its message when it fails (Refused when it refused its input)."""
    env = {**os.environ, "NETWATCH_STATE_DIR": str(cfg.state_dir)}
    if cfg.source is not None:
        env["NETWATCH_CONFIG"] = str(cfg.source)
    else:
        env.pop("NETWATCH_CONFIG", None)
    command = [sys.executable, "-m", "netwatch", *argv, "--output", str(output)]
    with anyio.move_on_after(CHILD_TIMEOUT_S) as scope:
        done = await anyio.run_process(command, env=env, check=False)
    if scope.cancelled_caught:
        took = f"`netwatch {argv[0]}` took more than {CHILD_TIMEOUT_S:.0f} s"
        raise ReportError(f"{took}; make it with the command line")
    if done.returncode != 0:
        lines = [line for line in done.stderr.decode(errors="replace").splitlines() if line.strip()]
        said = lines[-1].removeprefix("netwatch: ") if lines else f"`netwatch {argv[0]}` failed"
        if done.returncode == UNVERIFIED and argv[0] == "evidence":
            raise Unverified(said, empty=b"nothing sealed yet" in done.stdout)
        raise (Refused if done.returncode == BAD_INPUT else ReportError)(said)


def _unverified(month: Month, *, empty: bool) -> tuple[str, str]:
    """The title and words of the page that refuses an evidence bundle the store cannot back."""
    others = f"The report (HTML and PDF) and the letter of {month.label} are still available."
    if empty:
        return (
            "Nothing sealed yet",
            "The store holds no sealed record yet, so there is no evidence to bundle: start netwatch "
            f"({settings.start_command()}) and come back once it has recorded a while. {others}",
        )
    return (
        "Evidence chain broken",
        "The store failed verification: some of what it holds no longer matches its seals, so no evidence bundle"
        f" of {month.label} is made from it. Run `netwatch verify` on the Pi to see where, and keep a copy of the"
        f" store as it is. {others}",
    )


def _argv(kind: str, month: Month) -> list[str]:
    """The command that makes a ``kind`` document of ``month``."""
    head = ["evidence"] if kind == "zip" else ["report", "--format", kind]
    return [*head, "--since", month.first.isoformat(), "--until", month.last.isoformat()]


async def download(request: Request) -> Response:
    board = dashboard(request)
    if not signed_in(request):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    name = request.path_params["name"]
    if name not in NAMES:
        return message(request, "No such document", f'"{name}" is not a document: {", ".join(NAMES)}', 404)
    try:
        month = month_of(parse_month(request.path_params["month"], today(board)))
    except NetwatchError as err:
        return message(request, "No such month", str(err), 404)
    kind, media = NAMES[name]
    filename = f"netwatch-{month.key}{'-letter' if kind in ('md', 'txt') else ''}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    if month.first > today(board):
        return message(request, "Not yet", f"{month.label} has not begun yet: nothing is recorded.", 404)
    with anyio.move_on_after(WAIT_S) as waiting:
        await board.documents.acquire()
    if waiting.cancelled_caught:
        busy = message(
            request,
            "Busy",
            f"Another document is being made (one at a time, to spare the Pi's memory): try the {name} of "
            f"{month.label} again in a minute.",
            503,
        )
        busy.headers["Retry-After"] = "60"
        return busy
    work = Path(tempfile.mkdtemp(prefix="netwatch-download-"))
    try:
        await _child(board.cfg, _argv(kind, month), work / filename)
    except BaseException as err:
        shutil.rmtree(work, ignore_errors=True)
        if isinstance(err, Refused) and kind in ("md", "txt"):
            gone = f"netwatch was not running at any time in {month.label}, so there is nothing measured to put in it"
            return message(request, "No letter", f"{gone}: choose a month it was running in.", 404)
        if isinstance(err, Unverified):
            return message(request, *_unverified(month, empty=err.empty), 409)
        if isinstance(err, NetwatchError):
            said = f"The {name} of {month.label} could not be made: {err}"
            return message(request, "Not made", said, 400 if isinstance(err, Refused) else 500)
        raise
    finally:
        board.documents.release()
    return FileResponse(
        work / filename,
        media_type=media,
        headers=disposition,
        background=BackgroundTask(shutil.rmtree, work, ignore_errors=True),
    )
