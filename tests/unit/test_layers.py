"""The import structure docs/ARCHITECTURE.md promises: no import against the layers, no cycle, light records and
store modules, few loose modules (measured by tools/layers.py, the same script a developer runs)."""

from __future__ import annotations

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
