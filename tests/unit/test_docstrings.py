"""Every module of netwatch says in its docstring what it owns and what it must not do (DESIGN.md, "Style"): a
reader learns a module's job and its limits before its code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "netwatch"


def lacking(source: str) -> list[str]:
    """What the module docstring of ``source`` leaves unsaid: "owns", "must not" (any case, across line breaks)."""
    doc = ast.get_docstring(ast.parse(source))
    if doc is None:
        return ["a docstring"]
    words = re.sub(r"\s+", " ", doc).lower()
    return [word for word in ("owns", "must not") if word not in words]


def test_every_module_says_what_it_owns_and_what_it_must_not_do() -> None:
    found = {
        str(path.relative_to(PACKAGE.parent)): missing
        for path in sorted(PACKAGE.rglob("*.py"))
        if (missing := lacking(path.read_text()))
    }
    assert found == {}, "module docstrings lacking: " + "; ".join(f"{p}: {', '.join(m)}" for p, m in found.items())


def test_the_check_reads_the_docstring_only() -> None:
    assert lacking('"""Owns the rounds.\n\nMust\n  NOT read a clock."""\n') == []
    assert lacking('"""Owns the rounds. Pure."""\n# must not\n') == ["must not"]
    assert lacking('x = 1\n"""Owns nothing; must not exist."""\n') == ["a docstring"]
    assert lacking('"""What it is."""\n') == ["owns", "must not"]
