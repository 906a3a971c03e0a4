"""What netwatch tells an owner to install can be done: netwatch is on no package index, so every missing-extra
message names the checkout's pip and the service's ./bootstrap install, and the PDF message and the README list the
same Debian packages."""

from __future__ import annotations

import re
from pathlib import Path

from netwatch.core import extras

ROOT = Path(__file__).resolve().parents[2]


def test_an_extra_is_installed_from_the_checkout_or_by_bootstrap() -> None:
    assert extras.install("pdf") == (
        "in the netwatch checkout: .venv/bin/pip install '.[pdf]'; for the service: sudo ./bootstrap install "
        "--extras speedtest,web,pdf"
    )
    assert extras.install("web").endswith("sudo ./bootstrap install --extras speedtest,web")


def test_no_message_or_readme_line_names_a_package_index_install() -> None:
    sources = [*ROOT.glob("netwatch/**/*.py"), ROOT / "README.md", ROOT / "config" / "netwatch.example.toml"]
    found = [str(path) for path in sources if "pip install 'netwatch[" in path.read_text(encoding="utf-8")]
    assert found == []


def test_the_pdf_message_and_the_readme_list_the_same_debian_packages() -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    listed = re.search(r"and the Debian packages `([^`]*)`", readme)
    assert listed is not None
    assert tuple(listed[1].split()) == extras.PDF_PACKAGES
    assert f"the Debian packages {' '.join(extras.PDF_PACKAGES)} " in extras.PDF_MISSING
