"""Compiled templates are kept between runs (compiling was most of rendering a report), never at the cost of a
report: a changed template is compiled again, a cache that cannot be written or is unsafe is done without."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import jinja2
import pytest

from netwatch.report import render as rendering
from tests.support.reports import html_of, sample_report
from tests.support.skipping import unavailable

# A fresh interpreter renders the sample report and says how many templates it compiled.
RUN = """
import jinja2
compiled = []
original = jinja2.Environment.compile
def counting(self, *args, **kwargs):
    compiled.append(args[1] if len(args) > 1 else kwargs.get("name"))
    return original(self, *args, **kwargs)
jinja2.Environment.compile = counting
from tests.support.reports import html_of, sample_report
import hashlib
text = html_of(sample_report())
print(len(compiled), hashlib.sha256(text.encode()).hexdigest())
"""


def run(tmp: Path) -> tuple[int, str]:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", RUN], env=env, capture_output=True, text=True, check=True, cwd=root)
    count, digest = done.stdout.split()
    return int(count), digest


def test_the_second_run_compiles_no_template_and_renders_the_same(tmp_path: Path) -> None:
    first, text = run(tmp_path)
    assert first > 10  # the report and its parts
    assert (tmp_path / f"_jinja2-cache-{os.getuid()}").is_dir()
    again, same = run(tmp_path)
    assert (again, same) == (0, text)


def test_a_changed_template_is_compiled_again(tmp_path: Path) -> None:
    mine = tmp_path / "templates"
    mine.mkdir()
    (mine / "report.html.j2").write_text("<p>first {{ title }}</p>\n")
    report = sample_report()
    assert html_of(report, templates=mine) == "<p>first Internet outage report</p>\n"
    (mine / "report.html.j2").write_text("<p>second {{ title }}</p>\n")
    assert html_of(report, templates=mine) == "<p>second Internet outage report</p>\n"


def test_a_cache_that_cannot_be_written_costs_nothing_but_time(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t": "{{ 1 + 1 }}"}),
        bytecode_cache=rendering._CompiledTemplates(str(blocked)),
    )
    assert env.get_template("t").render() == "2"


def test_an_unsafe_cache_directory_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.getuid() != 0:
        unavailable("needs root: the directory must belong to another user")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    theirs = tmp_path / f"_jinja2-cache-{os.getuid()}"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 65534, 65534)  # made by someone else: they could plant compiled code
    assert rendering.compiled_templates.__wrapped__() is None
