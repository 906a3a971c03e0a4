"""The import structure of netwatch/, measured: layers, cycles and what importing a module costs.

Owns the figures the architecture promises (docs/ARCHITECTURE.md): every import between netwatch's modules, the
layer it goes from and to, the cycles (``TYPE_CHECKING`` and function-level imports count: they are design
dependencies too), how many netwatch modules importing the records or the store loads, and the loose modules at
the package's top level. Reads the source with ``ast`` and imports modules only in child processes; changes nothing.

Run: ``python tools/layers.py`` (a report, exit 0) or ``python tools/layers.py --check`` (exit 1 on a breach).
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "netwatch"

# Imports go down this list, never up: a layer imports only layers of a lower rank. report and adapters share a
# rank and never import each other; so do the faces (the command line and the web dashboard), which reach the
# adapters only through app. The package's own top-level modules are the foundation (errors, version).
RANKS = {"core": 0, "config": 1, "report": 2, "adapters": 2, "app": 3, "cli": 4, "web": 4}
SIBLINGS_APART = {frozenset({"report", "adapters"}), frozenset({"cli", "web"})}
FACES = {"cli", "web"}
FOUNDATION = {"netwatch", "netwatch.errors", "netwatch.core.schedule"}  # importable from every layer
ENTRY = {"netwatch.__main__"}  # above everything

# The budgets of the architecture issue.
RECORDS_MODULE = "netwatch.core.model"
STORE_MODULE = "netwatch.adapters.store.sqlite"
MOST_FOR_RECORDS = 4
MOST_FOR_STORE = 25
MOST_LOOSE = 8


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    typing_only: bool


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The netwatch module ``name`` refers to: itself, else its nearest enclosing package."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports(name: str, path: Path, known: dict[str, Path]) -> list[Edge]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    typing_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                typing_lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    edges: dict[tuple[str, int], Edge] = {}
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            # `from a.b import c` names the module a.b.c when there is one, else a name in a.b.
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else stem for a in node.names]
        for target in targets:
            if target == "netwatch" or target.startswith("netwatch."):
                resolved = _resolve(target, known)
                if resolved and resolved != name:
                    edges[resolved, node.lineno] = Edge(name, resolved, node.lineno, node.lineno in typing_lines)
    return list(edges.values())


def layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANKS else None


def breach(edge: Edge) -> str | None:
    """Why ``edge`` goes against the layers, or None."""
    if edge.target in FOUNDATION or edge.source in ENTRY:
        return None
    src, dst = layer(edge.source), layer(edge.target)
    if src is None:
        return f"{edge.source} is outside every layer"
    if dst is None:
        return f"{edge.target} is outside every layer"
    if src == dst:
        return None
    if frozenset({src, dst}) in SIBLINGS_APART:
        return f"{src} must not import {dst}"
    if RANKS[dst] >= RANKS[src]:
        return f"{src} must not import {dst} (it is above it)"
    if src in FACES and dst == "adapters":
        return f"{src} reaches the adapters only through app"
    return None


def cycles(nodes: Iterable[str], edges: list[Edge]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    graph: dict[str, list[str]] = {n: [] for n in nodes}
    for e in edges:
        graph[e.source].append(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(graph[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def loaded_by(module: str) -> list[str]:
    """The netwatch modules a fresh interpreter holds after ``import module``."""
    code = (
        f"import sys, {module}\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m == 'netwatch' or m.startswith('netwatch.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a figure is over its budget")
    parser.add_argument("--edges", action="store_true", help="list every import between layers")
    args = parser.parse_args()

    known = modules()
    edges = [e for name, path in known.items() for e in imports(name, path, known)]
    between = {(e.source, e.target) for e in edges}
    breaches = [(e, why) for e in edges if (why := breach(e))]
    circles = cycles(known, edges)
    loose = sorted(n for n, p in known.items() if p.parent == PACKAGE and p.name != "__init__.py")
    records = loaded_by(RECORDS_MODULE) if RECORDS_MODULE in known else []
    store = loaded_by(STORE_MODULE) if STORE_MODULE in known else []

    print(
        f"modules: {len(known)}; imports between them: {len(between)} ({sum(e.typing_only for e in edges)} for "
        "type checking only)"
    )
    print(f"imports against the layers: {len(breaches)}")
    for e, why in breaches:
        print(f"  {e.source} -> {e.target} (line {e.line}{', TYPE_CHECKING' if e.typing_only else ''}): {why}")
    print(f"import cycles: {len(circles)}")
    for circle in circles:
        print("  " + " <-> ".join(circle))
    print(f"loose modules at the top level: {len(loose)} ({', '.join(loose)})")
    print(f"import {RECORDS_MODULE} loads {len(records)} netwatch modules: {', '.join(records)}")
    print(f"import {STORE_MODULE} loads {len(store)} netwatch modules")
    if args.edges:
        for src, dst in sorted(between):
            if layer(src) != layer(dst):
                print(f"  {src} -> {dst}")
    over = (
        bool(breaches)
        or bool(circles)
        or len(loose) > MOST_LOOSE
        or not 0 < len(records) <= MOST_FOR_RECORDS
        or not 0 < len(store) <= MOST_FOR_STORE
    )
    return 1 if args.check and over else 0


if __name__ == "__main__":
    sys.exit(main())
