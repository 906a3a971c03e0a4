"""How an owner installs one of netwatch's optional extras, in the words every missing-extra message uses.

Owns the two ways netwatch is installed (a checkout's ``.venv``, set up by ``./bootstrap run``, and the service,
set up by ``sudo ./bootstrap install``), the extras the service gets by default, and the Debian packages PDF
output needs (the README lists the same). Must not look at the system: it only words the commands.
"""

from __future__ import annotations

# `./bootstrap install` (and `./bootstrap run`) install these unless told otherwise.
DEFAULT = ("speedtest", "web")
# WeasyPrint's system libraries on Debian and Raspberry Pi OS.
PDF_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0")


def install(extra: str) -> str:
    """The commands that install ``extra``: netwatch is on no package index, so both name the checkout."""
    extras = ",".join(dict.fromkeys((*DEFAULT, extra)))
    return (
        f"in the netwatch checkout: .venv/bin/pip install '.[{extra}]'; for the service: sudo ./bootstrap install "
        f"--extras {extras}"
    )


PDF_MISSING = (
    f"PDF output needs WeasyPrint: install the pdf extra ({install('pdf')}) and the Debian packages "
    f"{' '.join(PDF_PACKAGES)} (sudo apt-get install {' '.join(PDF_PACKAGES)})"
)
