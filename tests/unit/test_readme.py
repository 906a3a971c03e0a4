"""The README as a reader moves through it: its table of contents lists every section (tools/toc.py, the script a
developer runs, makes it), and every link within the page leads to a heading, also after a section moved."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def toc_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("toc", ROOT / "tools" / "toc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_of_contents_is_current_and_every_link_leads_somewhere() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "toc.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_the_quick_start_and_the_pi_install_come_first() -> None:
    tool = toc_tool()
    titles = [title for level, title in tool.headings((ROOT / "README.md").read_text()) if level == 2]
    assert titles[:3] == ["Contents", "Quick start", "Install on a Raspberry Pi"]


def test_anchors_and_broken_links_as_github_makes_them() -> None:
    tool = toc_tool()
    assert tool.anchor("Running as a service (systemd)") == "running-as-a-service-systemd"
    assert tool.anchor("Claims: fault tickets and compensation") == "claims-fault-tickets-and-compensation"
    text = "## A `b` c\n\n```\n## not a heading\n```\nsee [x](#a-b-c), [y](#not-a-heading)\n"
    assert tool.broken_links(text) == ["not-a-heading"]


def section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def test_the_quick_start_reads_in_the_order_an_owner_meets_it() -> None:
    quick = section("Quick start")
    steps = [
        "```sh\n./bootstrap run ",
        "**What it needs**: root or `sudo` the first time",
        "```text\nbootstrap: state directory",
        "**Next, open the dashboard**",
        "**Then make it yours.**",
        "cp config/netwatch.example.toml netwatch.toml\n",
        "For developers only: `./bootstrap test`",
    ]
    assert [quick.index(step) for step in steps] == sorted(quick.index(step) for step in steps)
    assert quick.rstrip().endswith("see\n[Development](#development).")
    assert "systemctl" not in quick  # the service's set-up (the dashboard on a phone) is the Pi install's


def test_the_benchmark_block_follows_its_sentence_and_removal_names_the_user() -> None:
    assert "they are not part of the test suite:\n\n```sh\nsudo .venv/bin/python benchmarks/" in section("Development")
    assert "the user and group `netwatch` that install created" in section("Install on a Raspberry Pi")
