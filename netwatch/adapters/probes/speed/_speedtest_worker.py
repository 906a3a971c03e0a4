"""Child process of the ``speedtest`` backend: runs speedtest-cli once and prints what happened as JSON.

Owns one run of speedtest-cli and its report to the parent.

Run as ``python -P _speedtest_worker.py OPTIONS_JSON`` (``-P``: this directory holds ``http.py``, which must not
shadow the standard library). It must not import netwatch: it talks to its parent only through the last line of
stdout, a JSON object with ``stage`` (how far it got), ``error``, ``http_errors`` (every HTTP request that failed,
with its status) and speedtest-cli's own ``results.dict()``. Running in a child process is what lets the parent stop
a test at once: speedtest-cli's threads cannot be interrupted mid-request.
"""

from __future__ import annotations

import importlib
import json
import sys
import urllib.error
from typing import Any


class _RecordingOpener:
    """speedtest-cli's URL opener, noting each failed request: speedtest-cli swallows transfer errors (a
    refused download only shows up as a lower speed), so the parent needs them to tell a failure from a slow
    line."""

    def __init__(self, opener: Any, errors: list[dict[str, Any]]) -> None:
        self._opener = opener
        self._errors = errors

    def open(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._opener.open(request, *args, **kwargs)
        except urllib.error.HTTPError as err:
            self._errors.append({"url": _url(request), "status": err.code, "reason": str(err.reason)})
            raise
        except urllib.error.URLError as err:
            self._errors.append({"url": _url(request), "status": None, "reason": str(err.reason)})
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._opener, name)


def _url(request: Any) -> str:
    url = request.get_full_url() if hasattr(request, "get_full_url") else str(request)
    return str(url).split("?", 1)[0]  # without speedtest-cli's cache-busting query


def measure(options: dict[str, Any], out: dict[str, Any]) -> None:
    """Run the test, filling ``out`` as it goes (so a failure still reports the stage and what came before)."""
    speedtest: Any = importlib.import_module("speedtest")
    out["version"] = str(getattr(speedtest, "__version__", ""))
    errors: list[dict[str, Any]] = out["http_errors"]
    build_opener = speedtest.build_opener

    def recording_opener(*args: Any, **kwargs: Any) -> _RecordingOpener:
        return _RecordingOpener(build_opener(*args, **kwargs), errors)

    speedtest.build_opener = recording_opener  # this process runs one test and exits: patching is harmless
    out["stage"] = "config"  # the constructor fetches speedtest-config.php
    st = speedtest.Speedtest(secure=bool(options.get("secure", True)), timeout=float(options.get("timeout", 10)))
    out["client"] = dict(st.config.get("client") or {})
    out["stage"] = "servers"
    server_id = str(options.get("server_id") or "")
    st.get_servers([int(server_id)] if server_id else [])
    if not st.servers:
        raise RuntimeError("speedtest.net returned no servers")
    out["stage"] = "latency"
    st.get_best_server()
    out["stage"] = "download"
    mark = len(errors)
    st.download()
    out["download_errors"] = errors[mark:]
    if options.get("upload", True):
        out["stage"] = "upload"
        mark = len(errors)
        st.upload(pre_allocate=True)
        out["upload_errors"] = errors[mark:]
    out["results"] = st.results.dict()
    if options.get("share", False):
        out["stage"] = "share"
        try:
            out["results"]["share"] = st.results.share()
        except Exception as err:  # a result without its share link is still a result
            out["share_error"] = f"{type(err).__name__}: {err}"
    out["stage"] = "done"


def main(argv: list[str]) -> int:
    out: dict[str, Any] = {"stage": "import", "version": "", "error": "", "http_errors": []}
    try:
        measure(json.loads(argv[1]) if len(argv) > 1 else {}, out)
    except ImportError as err:
        out["error"] = f"ImportError: {err}"
    except Exception as err:  # everything goes back to the parent, which words it for the user
        out["error"] = f"{type(err).__name__}: {err}"
    sys.stdout.write("\n" + json.dumps(out, default=str) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
