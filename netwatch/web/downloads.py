"""A month's documents from the dashboard: the evidence report (HTML, PDF), the complaint letter and the evidence zip.

Owns the download addresses (``/download/YYYY-MM/<name>``, only signed in: the documents carry the owner's name,
address and account) and how each is made. HTML and the letter are rendered here through the same operations as
`netwatch report` (``netwatch.app.reports``, ``netwatch.app.documents``). The PDF and the zip run `netwatch report`
and `netwatch evidence` themselves, with this configuration, in a child process: WeasyPrint takes a hundred
megabytes to lay out a PDF, which the dashboard's own process must not hold for the rest of its life, and a month's
zip is streamed from a temporary file, never held in memory. Must not compute figures.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import anyio
from anyio import to_thread
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from netwatch.app import documents, reports
from netwatch.config import Config
from netwatch.errors import NetwatchError, ReportError
from netwatch.web.dashboard import dashboard
from netwatch.web.pages import message, month_of, parse_month, today
from netwatch.web.session import signed_in

NAMES = {
    "report.html": ("html", "text/html; charset=utf-8"),
    "report.pdf": ("pdf", "application/pdf"),
    "letter.md": ("md", "text/markdown; charset=utf-8"),
    "evidence.zip": ("zip", "application/zip"),
}
CHILD_TIMEOUT_S = 600.0


async def _child(cfg: Config, argv: list[str], output: Path) -> None:
    """Run `netwatch ARGV --output OUTPUT` with this configuration and state directory, holding no worker thread
    while it runs. Raises ReportError with its message when it fails."""
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
        raise ReportError(lines[-1].removeprefix("netwatch: ") if lines else f"`netwatch {argv[0]}` failed")


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
    cfg = board.cfg
    since, until = month.first.isoformat(), month.last.isoformat()
    filename = f"netwatch-{month.key}{'-letter' if kind == 'md' else ''}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    at = board.clock()
    try:
        if kind in ("html", "md"):

            def render() -> bytes:
                built = reports.build(cfg, since=since, until=until, now=at, witness=False)
                data = documents.render(kind, built.report, cfg, at).data
                return data.encode() if isinstance(data, str) else data

            return Response(await to_thread.run_sync(render), media_type=media, headers=disposition)
        work = Path(tempfile.mkdtemp(prefix="netwatch-download-"))
        output = work / filename
        argv = ["report", "--format", "pdf"] if kind == "pdf" else ["evidence"]
        try:
            await _child(cfg, [*argv, "--since", since, "--until", until], output)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return FileResponse(
            output,
            media_type=media,
            headers=disposition,
            background=BackgroundTask(shutil.rmtree, work, ignore_errors=True),
        )
    except NetwatchError as err:
        return message(request, "Not made", f"The {name} of {month.label} could not be made: {err}", 500)
