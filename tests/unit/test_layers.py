"""The import structure docs/ARCHITECTURE.md promises: no import against the layers, no cycle, light records and
store modules, few loose modules (measured by tools/layers.py, the same script a developer runs); and in the tests,
no test module imported by another (what they share lives in tests/support)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_layers_hold() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "layers.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "import cycles: 0" in result.stdout
    assert "imports against the layers: 0" in result.stdout


def modules_imported(source: str, module: str) -> list[str]:
    """Every module the code ``source`` of the module ``module`` imports, relative imports resolved, with each
    ``from X import name`` also counted as ``X.name`` (which may be a module)."""
    package = module.rsplit(".", 1)[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            origin = ".".join([*base, *([node.module] if node.module else [])])
            found += [origin, *(f"{origin}.{alias.name}" for alias in node.names)]
    return found


def is_test_module(name: str) -> bool:
    return name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith(("test_", "conftest"))


def test_no_test_module_imports_another() -> None:
    imports = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        imports += [(module, name) for name in modules_imported(path.read_text(), module) if is_test_module(name)]
    assert imports == [], "import from tests/support instead: " + ", ".join(f"{a} imports {b}" for a, b in imports)


def test_the_check_finds_every_way_to_import_a_test_module() -> None:
    module = "tests.integration.test_a"
    assert is_test_module("tests.unit.test_web_app") and is_test_module("tests.integration.conftest")
    assert not is_test_module("tests.support.stores") and not is_test_module("netwatch.test_x")
    for source, name in (
        ("from tests.unit.test_logs import Journald", "tests.unit.test_logs"),
        ("import tests.cli.test_cli", "tests.cli.test_cli"),
        ("from .test_service_daemon import NotifySocket", "tests.integration.test_service_daemon"),
        ("from . import test_pdf", "tests.integration.test_pdf"),
        ("from ..unit.test_detect import run", "tests.unit.test_detect"),
        ("from tests.unit import test_render", "tests.unit.test_render"),
    ):
        assert name in modules_imported(source, module), source
    assert not any(map(is_test_module, modules_imported("from tests.support.cli import invoke", module)))
