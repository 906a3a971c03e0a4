"""Running netwatch as another user, from a checkout that user cannot read.

A checkout in /root (mode 0700), or a virtualenv inside it, is out of reach of the unprivileged user a test
switches to: ``importable`` copies the modules a child needs (netwatch and the third-party packages it imports)
into a world-readable directory, and ``as_user`` is the command line that runs the system's Python from there as
that user, with no capability and no supplementary group.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.skipping import unavailable

NOBODY = "65534"

_FILES = """
import json, sys
from importlib import metadata
for name in sys.argv[1:]:
    __import__(name)
files = {n: getattr(m, "__file__", None) for n, m in list(sys.modules.items()) if "." not in n}
owners = metadata.packages_distributions()
found = {n: [str(metadata.distribution(d)._path) for d in owners.get(n, ())] for n in files}
print(json.dumps({"files": files, "metadata": found}))
"""


@contextmanager
def importable(*modules: str, data: tuple[Path, ...] = ()) -> Iterator[Path]:
    """A world-readable directory holding ``modules`` and every package outside the standard library they
    import, for PYTHONPATH, and a copy of each directory of ``data`` (such as the checkout's templates, which
    netwatch looks for beside its package); removed afterwards."""
    loaded = subprocess.run(
        [sys.executable, "-c", _FILES, *modules], capture_output=True, text=True, check=True, timeout=60
    )
    stdlib = {Path(sysconfig.get_paths()[key]).resolve() for key in ("stdlib", "platstdlib")}
    place = Path(tempfile.mkdtemp(prefix="netwatch-importable-"))
    try:
        place.chmod(0o755)
        found = json.loads(loaded.stdout)
        for name, file in found["files"].items():
            if file is None or name.startswith("__editable__"):
                continue
            source = Path(file).resolve()
            if any(source.is_relative_to(root) for root in stdlib) and "site-packages" not in source.parts:
                continue
            if source.name == "__init__.py":
                shutil.copytree(source.parent, place / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, place / source.name)
            for info in map(Path, found["metadata"][name]):  # some read their own version from it
                if info.is_dir() and not (place / info.name).exists():
                    shutil.copytree(info, place / info.name)
        for directory in data:
            shutil.copytree(directory, place / directory.name, ignore=shutil.ignore_patterns("__pycache__"))
        for path in place.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield place
    finally:
        shutil.rmtree(place, ignore_errors=True)


def python() -> str:
    """An interpreter of this Python version that other users may run: the one behind this virtualenv's, else the
    system's (a virtualenv, or pyenv's interpreters, may sit in a directory others cannot enter)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = (os.path.realpath(sys.executable), f"/usr/bin/{version}", f"/usr/local/bin/{version}")
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file() and all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents)):
            return candidate
    unavailable(f"needs a {version} that other users may run (looked at {', '.join(candidates)})")


def as_user(user: str = NOBODY) -> tuple[str, ...]:
    """The prefix of a command line run as ``user`` (uid and gid), without supplementary groups or capabilities."""
    return ("setpriv", "--reuid", user, "--regid", user, "--clear-groups", "--inh-caps=-all")


def environment(importable_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment for a child that imports from ``importable_dir`` and writes no bytecode."""
    return {
        **os.environ,
        "PYTHONPATH": str(importable_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        **extra,
    }
